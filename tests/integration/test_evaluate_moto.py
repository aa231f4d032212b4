"""The evaluate handler on DynamoDB (moto): re-delivered batches and batches failing half-way converge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from floorwatch.events.model import EventType
from floorwatch.names import ALERTS_TABLE, METRICS_TABLE
from floorwatch.store import metrics_log
from floorwatch.store.alerts_dynamodb import DynamoAlertStore
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from floorwatch.store.watches import DynamoWatchList
from handlers import evaluate
from moto import mock_aws

from tests.integration.ddb_tables import create_table
from tests.unit.engine.helpers import LONGEST_WAIT, at, event, rules, snapshot
from tests.unit.engine.test_evaluate_handler import SETTINGS, batch

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
RULES = (
    LONGEST_WAIT.replace("for: 60s", "for: 0s")
    + """
- id: queue-abandons
  metric: contacts_abandoned
  scope: queue
  direction: above
  tiers: {warning: 2}
- id: contact-compliance-breach
  match: {type: compliance, labels: {category: card-number-spoken}}
  scope: contact
  severity: critical
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
        yield boto3.client("dynamodb", region_name=REGION)


class FailingOnce:
    """A DynamoDB client whose third alert transaction fails: the metrics and two alerts are written,
    the rest of the batch is not."""

    def __init__(self, client: Any, fail_at: int = 3) -> None:
        self._client = client
        self.calls = 0
        self.fail_at = fail_at

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.fail_at:
            raise ConnectionError("connection reset by peer")
        return self._client.transact_write_items(**kwargs)


def deployment(client: Any, prefix: str, alert_client: Any = None) -> Any:
    metrics_table, alerts_table = f"{prefix}-metrics", f"{prefix}-alerts"
    create_table(client, METRICS_TABLE, metrics_table)
    create_table(client, ALERTS_TABLE, alerts_table)
    return evaluate.build_handler(
        SETTINGS,
        DynamoMetricStore(client, metrics_table, sleep=lambda _: None),
        DynamoAlertStore(alert_client or client, alerts_table, sleep=lambda _: None),
        rules(RULES),
        lambda: at(600),
        watches=DynamoWatchList(client, metrics_table),
    )


def table(client: Any, name: str) -> dict[tuple[str, str], Any]:
    """The table's items by key; delta-log items (keyed by write time) by their decoded content."""
    items = client.scan(TableName=name, ConsistentRead=True)["Items"]
    found: dict[tuple[str, str], Any] = {}
    for item in items:
        if item["pk"]["S"].startswith(metrics_log.PREFIX):
            deltas = sorted(repr(entry) for entry in metrics_log.decode(item["d"]["B"]))
            found[(metrics_log.PREFIX, "\n".join(deltas))] = len(deltas)
        else:
            found[(item["pk"]["S"], item["sk"]["S"])] = item
    return found


def traffic() -> dict[str, Any]:
    events = [event(EventType.CONTACT_ABANDONED, second, queue_id=f"q{second % 3}") for second in range(12)]
    events += [
        snapshot(20 + index, f"q{index}", longest_wait_seconds=130 + 100 * index) for index in range(3)
    ]
    events.append(
        event(
            EventType.COMPLIANCE,
            30,
            contact_id="c-9",
            queue_id="q1",
            labels={"category": "card-number-spoken"},
        )
    )
    return batch(events)


def test_the_same_batch_twice_leaves_identical_items_and_no_duplicate_transition(client: Any) -> None:
    handle = deployment(client, "twice")
    delivered = traffic()
    assert handle(delivered, None) == {"batchItemFailures": []}
    metrics_once, alerts_once = table(client, "twice-metrics"), table(client, "twice-alerts")
    transitions = [key for key in alerts_once if key[1].startswith("t#")]
    members = [key for key in transitions if not key[0].startswith("alert#incident#")]
    assert len(members) == 7  # abandons on q0..q2, waits on q0..q2, the compliance breach
    incidents = {key[0] for key in transitions if key[0].startswith("alert#incident#")}
    assert incidents == {"alert#incident#queue:q0", "alert#incident#queue:q1", "alert#incident#queue:q2"}
    assert handle(delivered, None) == {"batchItemFailures": []}
    assert table(client, "twice-metrics") == metrics_once
    assert table(client, "twice-alerts") == alerts_once


def test_each_batch_registers_its_queues_for_the_dashboards_and_the_learner(client: Any) -> None:
    from floorwatch.metrics.model import ScopeKind
    from floorwatch.store.baselines_dynamodb import DynamoScopeDirectory

    create_table(client, METRICS_TABLE, "r-metrics")
    create_table(client, ALERTS_TABLE, "r-alerts")
    directory = DynamoScopeDirectory(client, "r-metrics")
    handle = evaluate.build_handler(
        SETTINGS,
        DynamoMetricStore(client, "r-metrics", sleep=lambda _: None),
        DynamoAlertStore(client, "r-alerts", sleep=lambda _: None),
        rules(RULES),
        lambda: at(600),
        registry=directory,
    )
    assert handle(traffic(), None) == {"batchItemFailures": []}
    since = at(600) - timedelta(days=1)
    reader = DynamoScopeDirectory(client, "r-metrics")  # another process: the websocket function's
    assert reader.scopes_seen(ScopeKind.QUEUE, since, at(600)) == ["queue:q0", "queue:q1", "queue:q2"]
    assert reader.scopes_seen(ScopeKind.CONTACT, since, at(600)) == []  # c-9: contacts are not listed
    assert handle(traffic(), None) == {"batchItemFailures": []}
    assert directory.note({"queue:q0"}, at(600)) == 0  # noted this hour already: nothing rewritten


def test_a_batch_failing_half_way_converges_when_retried(client: Any) -> None:
    clean = deployment(client, "clean")
    clean(traffic_batch := traffic(), None)
    flaky_client = FailingOnce(client)
    flaky = deployment(client, "flaky", alert_client=flaky_client)
    first = flaky(traffic_batch, None)
    assert len(first["batchItemFailures"]) == len(traffic_batch["Records"])  # reported, Lambda retries
    half_way = [key for key in table(client, "flaky-alerts") if key[1].startswith("t#")]
    assert len(half_way) == 2
    assert flaky(traffic_batch, None) == {"batchItemFailures": []}
    assert table(client, "flaky-metrics") == table(client, "clean-metrics")
    assert table(client, "flaky-alerts") == table(client, "clean-alerts")


def test_the_watch_list_round_trips_and_lets_a_cold_tick_find_an_agent_on_hold(client: Any) -> None:
    from floorwatch.engine import Engine
    from floorwatch.store.watches import WATCH_PK, Watch

    from tests.unit.engine.test_engine import AGENT_HOLD, agent_state

    create_table(client, METRICS_TABLE, "w-metrics")
    create_table(client, ALERTS_TABLE, "w-alerts")
    watches = DynamoWatchList(client, "w-metrics")
    assert watches.watched() == {}
    metrics = DynamoMetricStore(client, "w-metrics", sleep=lambda _: None)
    alerts = DynamoAlertStore(client, "w-alerts", sleep=lambda _: None)
    shard_engine = Engine(rules(AGENT_HOLD), metrics, alerts, watches=watches)
    shard_engine.process("shardId-000000000001", [agent_state(10, "on_hold")])
    assert watches.watched() == {"shardId-000000000001": {"agent:a-1": Watch(at(190), "billing", "team-a")}}
    assert (WATCH_PK, "shardId-000000000001") in table(client, "w-metrics")  # one item per shard

    tick_engine = Engine(rules(AGENT_HOLD), metrics, alerts, watches=DynamoWatchList(client, "w-metrics"))
    opened = tick_engine.tick(at(195))  # has seen no event of this agent: the watch says where it works
    # The alert, and its incident of its own (no queue incident open): both routed to billing / team-a.
    assert [(item.transition.value, item.scope, item.queue_id, item.team_id) for item in opened] == [
        ("opened", "agent:a-1", "billing", "team-a"),
        ("opened", "agent:a-1", "billing", "team-a"),
    ]
    assert [item.rule for item in opened] == ["agent-on-hold-too-long", "incident"]

    shard_engine.process("shardId-000000000001", [agent_state(230, "available")])
    assert watches.watched() == {}  # an empty list is deleted


def test_a_watch_list_written_in_the_former_layout_is_still_read(client: Any) -> None:
    from floorwatch.store.watches import WATCH_PK, Watch

    create_table(client, METRICS_TABLE, "old-metrics")
    due = {"M": {"at": {"N": "1795424590.250"}, "queue_id": {"S": "billing"}}}
    item = {"pk": {"S": WATCH_PK}, "sk": {"S": "shardId-000000000001"}, "due": {"M": {"agent:a-1": due}}}
    client.put_item(TableName="old-metrics", Item=item)
    due_at = datetime.fromtimestamp(1795424590.25, UTC)
    assert DynamoWatchList(client, "old-metrics").watched() == {
        "shardId-000000000001": {"agent:a-1": Watch(due_at, "billing", None)}
    }
