"""Baselines on moto's DynamoDB: the learner over the DynamoDB metric store matches the in-memory one;
the lookup reads one slot per instant and caches it; the scheduled handler runs from its environment."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.fold import fold
from floorwatch.metrics.model import ScopeKind
from floorwatch.names import (
    BASELINES_TABLE,
    ENV_BASELINES_TABLE,
    ENV_METRICS_TABLE,
    ENV_RULES_FILE,
    METRICS_TABLE,
)
from floorwatch.rules.baselines import SlotKey, hour_of_week
from floorwatch.rules.baselines_learner import BaselineLearner
from floorwatch.rules.config import parse_rules
from floorwatch.store.baselines_dynamodb import DynamoBaselineStore, DynamoScopeDirectory
from floorwatch.store.baselines_memory import InMemoryBaselineStore, InMemoryScopeDirectory
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from floorwatch.store.metrics_memory import InMemoryMetricStore
from handlers import baselines as baselines_handler
from moto import mock_aws

from local import baselines_file
from local.baselines_offline import learn_from_events
from local.cli import main as cli_main
from local.runtime import moto_patches
from local.runtime.functions import LambdaContext
from tests.integration.ddb_tables import create_table

# The module-level handlers are decorated by Powertools, which reads Lambda's context object.
LAMBDA_CONTEXT = LambdaContext("floorwatch-test")

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
METRICS = "floorwatch-test-metrics"
BASELINES = "floorwatch-test-baselines"
SHARD = "shardId-000000000000"
NOW = datetime(2026, 11, 23, 12, 10, tzinfo=UTC)  # Monday
RULES = textwrap.dedent(
    """\
    - id: queue-longest-wait
      metric: longest_wait_seconds
      scope: queue
      direction: above
      window: 5m
      tiers: {warning: 120, critical: 300}
      baseline: {warning_sigma: 3, critical_sigma: 5, min_history: 1h, min_periods: 1}
    - id: queue-abandon
      metric: abandon_rate
      scope: queue
      direction: above
      tiers: {warning: 0.2}
      baseline: {}
    """
)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, METRICS_TABLE, METRICS)
        create_table(dynamodb, BASELINES_TABLE, BASELINES)
        yield dynamodb


def traffic() -> list[CxEvent]:
    """Three hours of a queue: a snapshot a minute, a contact offered every 2 minutes, some abandoned."""
    events: list[CxEvent] = []
    start = NOW - timedelta(hours=3, minutes=10)
    for minute in range(190):
        at = start + timedelta(minutes=minute, seconds=5)
        wait = {"longest_wait_seconds": float(10 + minute % 7)}
        kinds = [("s", EventType.QUEUE_SNAPSHOT, wait)]
        if minute % 2 == 0:
            kinds.append(("q", EventType.CONTACT_QUEUED, {}))
        if minute % 6 == 0:
            kinds.append(("a", EventType.CONTACT_ABANDONED, {}))
        events.extend(
            CxEvent(
                event_id=f"{prefix}-{minute}",
                source=Source.GENERIC,
                type=kind,
                occurred_at=at,
                queue_id="billing",
                values=values,
            )
            for prefix, kind, values in kinds
        )
    return events


def test_dynamodb_stores_learn_what_the_in_memory_ones_learn(client: Any) -> None:
    rules = parse_rules(RULES)
    memory_metrics = InMemoryMetricStore()
    dynamo_metrics = DynamoMetricStore(client, METRICS)
    events = traffic()
    for store in (memory_metrics, dynamo_metrics):
        store.apply(SHARD, events, fold(events))
    memory = InMemoryBaselineStore()
    dynamo = DynamoBaselineStore(client, BASELINES)
    first = BaselineLearner(memory_metrics, memory, InMemoryScopeDirectory(memory_metrics)).learn(rules, NOW)
    directory = DynamoScopeDirectory(client, METRICS)
    directory.note({"queue:billing"}, NOW - timedelta(hours=1))  # what the evaluator does per batch
    second = BaselineLearner(dynamo_metrics, dynamo, directory).learn(rules, NOW)
    assert first == second
    assert second.pairs == 2 and second.hours_learned == 2 * 24 * 7
    for metric in ("longest_wait_seconds", "abandon_rate"):
        for at in (NOW - timedelta(hours=1), NOW - timedelta(hours=2, minutes=30)):
            expected = memory.lookup("queue:billing", metric, at)
            assert expected is not None
            assert dynamo.lookup("queue:billing", metric, at) == expected
    key = SlotKey("queue:billing", "abandon_rate", "hour_of_week", hour_of_week(NOW - timedelta(hours=1)))
    assert dynamo.slot_history(key) == memory.slot_history(key)
    assert dynamo.pair("queue:billing", "abandon_rate") == memory.pair("queue:billing", "abandon_rate")
    assert directory.scopes_seen(next(iter(rules)).scope, NOW - timedelta(days=1), NOW) == ["queue:billing"]


def test_lookup_is_cached_for_the_configured_time(client: Any) -> None:
    clock = [0.0]
    dynamo = DynamoBaselineStore(client, BASELINES, cache_seconds=300, monotonic=lambda: clock[0])
    assert dynamo.lookup("queue:billing", "longest_wait_seconds", NOW) is None
    assert dynamo.lookup("queue:billing", "longest_wait_seconds", NOW) is None
    assert dynamo.read_requests == 1
    clock[0] = 301.0
    dynamo.lookup("queue:billing", "longest_wait_seconds", NOW)
    assert dynamo.read_requests == 2


ZONED_RULES = "timezone: UTC\ncenters:\n  nyc: {timezone: America/New_York}\nrules:\n" + textwrap.indent(
    RULES, "  "
)
NEW_YORK = ZoneInfo("America/New_York")


def in_center(events: list[CxEvent], center: str) -> list[CxEvent]:
    return [event.model_copy(update={"center_id": center}) for event in events]


def test_the_scheduled_handler_learns_from_its_environment_on_the_centers_clock(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The queue belongs to New York (the metric items carry its center); its slots are New York hours.
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(ZONED_RULES)
    monkeypatch.setenv(ENV_METRICS_TABLE, METRICS)
    monkeypatch.setenv(ENV_BASELINES_TABLE, BASELINES)
    monkeypatch.setenv(ENV_RULES_FILE, str(rules_file))
    events = in_center(traffic(), "nyc")
    metrics = DynamoMetricStore(client, METRICS)
    metrics.apply(SHARD, events, fold(events))
    assert metrics.recent_rows("queue:billing", NOW, 1)[0].center == "nyc"
    DynamoScopeDirectory(client, METRICS).note({"queue:billing"}, NOW)  # the evaluator's registry
    baselines_handler._default_handler.cache_clear()
    try:
        result = baselines_handler.handler(
            {"source": "aws.events", "time": "2026-11-23T12:10:00Z"}, LAMBDA_CONTEXT
        )
    finally:
        baselines_handler._default_handler.cache_clear()
    assert result["pairs"] == 2 and result["at"] == "2026-11-23T12:10:00+00:00"
    dynamo = DynamoBaselineStore(client, BASELINES)
    state = dynamo.pair("queue:billing", "longest_wait_seconds")
    assert state is not None and state.timezone == "America/New_York"
    hour = NOW - timedelta(hours=1)  # 11:10 UTC = 06:10 in New York: the Monday 06:00 slot
    key = SlotKey("queue:billing", "longest_wait_seconds", "hour_of_week", hour_of_week(hour, NEW_YORK))
    assert key.slot == 6 and dynamo.slot_history(key).hours
    found = dynamo.lookup("queue:billing", "longest_wait_seconds", hour, NEW_YORK)
    assert found is not None and found.slot == 6 and found.samples == 12
    # The engine asks with the zone of the scope's center; asked on another clock, there is no baseline.
    assert (
        DynamoBaselineStore(client, BASELINES).lookup("queue:billing", "longest_wait_seconds", hour) is None
    )
    # The in-memory pair learns the same from the same events.
    memory_metrics = InMemoryMetricStore()
    memory_metrics.apply(SHARD, events, fold(events))
    memory = InMemoryBaselineStore()
    BaselineLearner(memory_metrics, memory, InMemoryScopeDirectory(memory_metrics)).learn(
        parse_rules(ZONED_RULES), NOW
    )
    assert memory.lookup("queue:billing", "longest_wait_seconds", hour, NEW_YORK) == found


def test_seeding_a_table_from_a_baselines_file(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = parse_rules(ZONED_RULES)
    events = in_center(traffic(), "nyc")
    learned = learn_from_events(events, rules)
    path = tmp_path / "baselines.json"
    baselines_file.save(learned, path)
    status = cli_main(["baselines", "seed", str(path), "--table", BASELINES, "--region", REGION])
    out, _ = capsys.readouterr()
    assert status == 0 and "2 pairs seeded" in out
    dynamo = DynamoBaselineStore(client, BASELINES)
    for metric in ("longest_wait_seconds", "abandon_rate"):
        assert dynamo.pair("queue:billing", metric) == learned.pair("queue:billing", metric)
        for minutes in (40, 100, 160):
            at = NOW - timedelta(minutes=minutes)
            assert dynamo.lookup("queue:billing", metric, at, NEW_YORK) == learned.lookup(
                "queue:billing", metric, at, NEW_YORK
            )
            assert dynamo.lookup("queue:billing", metric, at, NEW_YORK) is not None
    # The deployed learner continues from the seed: nothing restarts, only new hours are learned.
    metrics = DynamoMetricStore(client, METRICS)
    metrics.apply(SHARD, events, fold(events))
    directory = DynamoScopeDirectory(client, METRICS)
    directory.note({"queue:billing"}, NOW)
    report = BaselineLearner(metrics, dynamo, directory).learn(rules, NOW + timedelta(hours=3))
    # (Learning offline ran on past the last event, as the schedule would: 13:00 is learned already.)
    assert report.restarted == [] and report.pairs == 2 and report.hours_learned == 2 * 2
    # Seeding the older file again keeps the pairs the table has learned further, unless --replace.
    status = cli_main(["baselines", "seed", str(path), "--table", BASELINES, "--region", REGION])
    out, err = capsys.readouterr()
    assert status == 0 and "0 pairs seeded" in out and "2 kept" in out and "--replace" in err
    assert (
        cli_main(["baselines", "seed", str(path), "--table", BASELINES, "--region", REGION, "--replace"]) == 0
    )
    assert dynamo.pair("queue:billing", "abandon_rate") == learned.pair("queue:billing", "abandon_rate")


def test_seeding_an_unknown_table_is_a_clear_error(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "baselines.json"
    baselines_file.save(learn_from_events(traffic(), parse_rules(RULES)), path)
    status = cli_main(["baselines", "seed", str(path), "--table", "no-such-table", "--region", REGION])
    assert status == 2
    assert "table 'no-such-table' not found" in capsys.readouterr().err


def test_the_scope_registry_lists_what_was_noted_recently_and_writes_each_scope_once_an_hour(
    client: Any,
) -> None:
    directory = DynamoScopeDirectory(client, METRICS)
    seen = {"queue:billing", "queue:sales", "agent:a-1", "center:main", "contact:c-1", "feed:genesys"}
    assert directory.note(seen, NOW - timedelta(days=2)) == 5  # contacts are not registered
    assert directory.note(seen, NOW - timedelta(days=2, minutes=-30)) == 0  # same hour: nothing written
    assert directory.note({"queue:billing", "agent:a-2"}, NOW) == 2
    day_ago = NOW - timedelta(days=1)
    assert directory.scopes_seen(ScopeKind.QUEUE, day_ago, NOW) == ["queue:billing"]
    assert directory.scopes_seen(ScopeKind.QUEUE, NOW - timedelta(days=3), NOW) == [
        "queue:billing",
        "queue:sales",
    ]
    assert directory.scopes_seen(ScopeKind.AGENT, NOW - timedelta(days=3), NOW) == ["agent:a-1", "agent:a-2"]
    assert directory.scopes_seen(ScopeKind.CONTACT, NOW - timedelta(days=3), NOW) == []
    # The items expire (TTL) once the learner's lookback is over, and no metric scope reads them.
    item = client.get_item(
        TableName=METRICS, Key={"pk": {"S": "directory#queue"}, "sk": {"S": "queue:sales"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == int((NOW - timedelta(days=2) + timedelta(days=9)).timestamp())
    assert DynamoMetricStore(client, METRICS).recent_rows("queue:sales", NOW, 10) == []


def test_the_registry_never_fails_its_caller_and_writes_again_what_it_could_not(client: Any) -> None:
    class Failing:
        def __init__(self) -> None:
            self.down = True

        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

        def batch_write_item(self, **kwargs: Any) -> Any:
            if self.down:
                raise ConnectionError("connection reset by peer")
            return client.batch_write_item(**kwargs)

    failing = Failing()
    directory = DynamoScopeDirectory(failing, METRICS)
    assert directory.note({"queue:billing"}, NOW) == 0
    assert directory.write_failures == 1
    failing.down = False
    assert directory.note({"queue:billing"}, NOW) == 1
    assert directory.scopes_seen(ScopeKind.QUEUE, NOW - timedelta(hours=1), NOW) == ["queue:billing"]


CENTER_RULES = textwrap.dedent(
    """\
    - id: center-waiting
      metric: contacts_in_queue
      scope: center
      direction: above
      window: 5m
      tiers: {warning: 40}
      baseline: {min_history: 1h, min_periods: 1}
    """
)


def center_snapshots() -> list[CxEvent]:
    """A day of center-level snapshots, one a minute (no queue: they feed the center's rows)."""
    start = NOW - timedelta(days=1)
    return [
        CxEvent(
            event_id=f"center-{minute}",
            source=Source.GENERIC,
            type=EventType.QUEUE_SNAPSHOT,
            occurred_at=start + timedelta(minutes=minute, seconds=7),
            values={"contacts_in_queue": float(10 + (minute // 60) % 24)},
        )
        for minute in range(24 * 60)
    ]


def test_a_center_rule_with_a_baseline_keeps_the_centers_items_and_is_learned(client: Any) -> None:
    """Centers' rows ride in the delta log (hours) unless a rule learns a baseline on a center: a store
    given the rules' learned kinds keeps the center's items, and the learner learns what it learns in
    memory."""
    moto_patches.apply()  # moto deep-copies the whole table per transaction otherwise (same results)
    rules = parse_rules(CENTER_RULES)
    assert rules.learned_kinds() == {"center"}
    events = center_snapshots()
    memory_metrics = InMemoryMetricStore()
    memory_metrics.apply(SHARD, events, fold(events))
    writer = DynamoMetricStore(client, METRICS, learned_kinds=rules.learned_kinds())
    writer.apply(SHARD, events, fold(events))
    assert (
        client.query(
            TableName=METRICS,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "center:default"}},
            Select="COUNT",
        )["Count"]
        == 24 * 60
    )
    memory, dynamo = InMemoryBaselineStore(), DynamoBaselineStore(client, BASELINES)
    first = BaselineLearner(memory_metrics, memory, InMemoryScopeDirectory(memory_metrics)).learn(rules, NOW)
    directory = DynamoScopeDirectory(client, METRICS)
    directory.note({"center:default"}, NOW - timedelta(hours=1))
    reader = DynamoMetricStore(client, METRICS, learned_kinds=rules.learned_kinds())
    second = BaselineLearner(reader, dynamo, directory).learn(rules, NOW)
    assert first == second and second.hours_learned > 0
    at = NOW - timedelta(hours=1)
    expected = memory.lookup("center:default", "contacts_in_queue", at)
    assert expected is not None
    assert dynamo.lookup("center:default", "contacts_in_queue", at) == expected


def test_without_a_center_baseline_the_centers_rows_are_in_the_log_only(client: Any) -> None:
    rules = parse_rules(RULES)  # queue baselines only
    assert rules.learned_kinds() == {"queue"}
    events = center_snapshots()[-30:]
    store = DynamoMetricStore(client, METRICS, learned_kinds=rules.learned_kinds())
    store.apply(SHARD, events, fold(events))
    pks = {item["pk"]["S"] for item in client.scan(TableName=METRICS)["Items"]}
    assert "center:default" not in pks
    rows = DynamoMetricStore(client, METRICS).recent_rows("center:default", NOW, 5)  # another process
    assert [row.latest["contacts_in_queue"].value for row in rows] == [
        e.values["contacts_in_queue"] for e in reversed(events[-5:])
    ]
