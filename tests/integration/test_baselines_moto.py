"""Baselines on moto's DynamoDB: the learner over the DynamoDB metric store matches the in-memory one;
the lookup reads one slot per instant and caches it; the scheduled handler runs from its environment."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.fold import fold
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


def test_the_scheduled_handler_learns_from_its_environment(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES)
    monkeypatch.setenv(ENV_METRICS_TABLE, METRICS)
    monkeypatch.setenv(ENV_BASELINES_TABLE, BASELINES)
    monkeypatch.setenv(ENV_RULES_FILE, str(rules_file))
    events = traffic()
    DynamoMetricStore(client, METRICS).apply(SHARD, events, fold(events))
    baselines_handler._default_handler.cache_clear()
    try:
        result = baselines_handler.handler(
            {"source": "aws.events", "time": "2026-11-23T12:10:00Z"}, LAMBDA_CONTEXT
        )
    finally:
        baselines_handler._default_handler.cache_clear()
    assert result["pairs"] == 2 and result["at"] == "2026-11-23T12:10:00+00:00"
    found = DynamoBaselineStore(client, BASELINES).lookup(
        "queue:billing", "longest_wait_seconds", NOW - timedelta(hours=1)
    )
    assert found is not None and found.samples == 12
