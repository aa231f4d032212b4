"""Out-of-range event times against the DynamoDB stores (moto), issue item 1: the evaluator skips
forged instants without failing its batch, TTLs never overflow or land in year 1, and every dashboard
snapshot still loads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from floorwatch.alerts.state_machine import AlertState, evaluate_threshold
from floorwatch.metrics.model import MetricValue
from floorwatch.names import ALERTS_TABLE, METRICS_TABLE
from floorwatch.rules.config import ThresholdRule
from floorwatch.snapshot import SnapshotSources, build_snapshot
from floorwatch.store.alerts_dynamodb import DynamoAlertStore
from floorwatch.store.connections_port import Principal
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from handlers import evaluate
from moto import mock_aws

from tests.integration.ddb_tables import create_table, use_fake_credentials
from tests.unit.engine.helpers import LONGEST_WAIT, at, rules, snapshot
from tests.unit.engine.test_evaluate_handler import SETTINGS, batch

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
RULES = rules(LONGEST_WAIT)
NOW = at(600)
MANAGER = Principal(user="mo", role="manager")
OPS = Principal(user="oz", role="ops")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_credentials(monkeypatch, REGION)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, METRICS_TABLE, "metrics")
        create_table(dynamodb, ALERTS_TABLE, "alerts")
        yield dynamodb


def forged(year: int, queue: str) -> bytes:
    """A cx-events record someone wrote past the normalizer, dated ``year``."""
    document = json.loads(snapshot(0, queue, longest_wait_seconds=900).to_json())
    document["occurred_at"] = f"{year:04d}-01-01T00:00:00Z"
    return json.dumps(document).encode()


def ttls(client: Any, table: str) -> list[int]:
    items = client.scan(TableName=table, ConsistentRead=True)["Items"]
    return [int(item["expires_at"]["N"]) for item in items if "expires_at" in item]


def test_forged_instants_are_skipped_the_batch_is_evaluated_and_dashboards_load(client: Any) -> None:
    metrics = DynamoMetricStore(client, "metrics", sleep=lambda _: None)
    alerts = DynamoAlertStore(client, "alerts", sleep=lambda _: None)
    handle = evaluate.build_handler(SETTINGS, metrics, alerts, RULES, lambda: NOW)
    assert handle(batch([snapshot(0, longest_wait_seconds=400)]), None) == {"batchItemFailures": []}
    records = [forged(1, "vip"), snapshot(70, longest_wait_seconds=400), forged(9999, "tech")]
    assert handle(batch(records), None) == {"batchItemFailures": []}
    assert {state.scope for state in alerts.active()} == {"queue:billing"}  # the alert (and its incident)
    # Nothing dated year 1 (which TTL never deletes) or past year 9999 was written.
    floor = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
    assert all(
        floor < ttl < int(datetime(2200, 1, 1, tzinfo=UTC).timestamp()) for ttl in ttls(client, "metrics")
    )
    assert all(floor < ttl for ttl in ttls(client, "alerts"))
    sources = SnapshotSources(alerts, metrics, RULES)
    for principal in (MANAGER, OPS):
        loaded = build_snapshot(principal, NOW, sources)
        assert loaded["alerts_total"] >= 1 and loaded["at"] == "2026-11-23T09:10:00Z"


def test_an_alert_at_the_end_of_time_is_stored_with_a_capped_ttl(client: Any) -> None:
    rule = RULES.get("queue-longest-wait")
    assert isinstance(rule, ThresholdRule)
    alerts = DynamoAlertStore(client, "alerts", sleep=lambda _: None)
    late = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    state = AlertState.initial(rule.id, "queue:billing")
    transitions = []
    for offset in (0, int(rule.for_.total_seconds())):
        state, more = evaluate_threshold(
            rule, state, MetricValue(400.0, 10), late + timedelta(seconds=offset)
        )
        transitions += more
    alerts.save(0, state, transitions)  # used to raise OverflowError (time + 30 days)
    assert max(ttls(client, "alerts")) == int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
    [stored] = alerts.active()
    assert stored.alert_id == state.alert_id
