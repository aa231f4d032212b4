"""Contacts' queues and agents' presence in the DynamoDB metric store (moto): the same answers as the
in-memory store, newest report wins across processes, bounded writes, and a Connect-only center's queue
tile through two evaluate processes (shards) and the websocket's snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from floorwatch.engine import Engine
from floorwatch.events.model import CxEvent
from floorwatch.events.normalize import normalize_document
from floorwatch.metrics.presence import (
    CONTACT_QUEUE_TTL,
    PRESENCE_REFRESH,
    AgentPresence,
    ContactQueue,
)
from floorwatch.names import METRICS_TABLE
from floorwatch.rules.config import parse_rules
from floorwatch.snapshot import SnapshotSources, build_snapshot
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.connections_port import Principal
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from floorwatch.store.metrics_log import DEFAULT_HORIZON
from floorwatch.store.metrics_memory import InMemoryMetricStore
from moto import mock_aws

from tests.integration.ddb_tables import create_table, use_fake_credentials
from tests.unit.metrics.helpers import tell

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
TABLE = "presence-metrics"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EVENTS = Path(__file__).resolve().parents[2] / "events"
BILLING = "110bbe7f-cd5a-470e-a0ba-5600aad5b14e"
NO_RULES = parse_rules("rules: []\n", "none.yaml")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_credentials(monkeypatch, REGION)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, METRICS_TABLE, TABLE)
        yield dynamodb


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def dynamo(client: Any) -> DynamoMetricStore:
    return DynamoMetricStore(client, TABLE, sleep=lambda _: None)


def presence(
    agent: str, category: str, seconds: float, queues: tuple[str, ...] = ("billing",)
) -> AgentPresence:
    return AgentPresence("c1", agent, category, queues, at(seconds))


REPORTS: list[list[Any]] = [
    [ContactQueue("k1", "billing", at(0)), ContactQueue("k2", "tech", at(5)), presence("a1", "available", 0)],
    [
        presence("a1", "available", 120),
        presence("a2", "not_ready", 30, ()),
        ContactQueue("k1", "billing", at(60)),
    ],
    [ContactQueue("k1", "retention", at(90)), presence("a1", "on_contact", 200, ("billing", "tech"))],
    [ContactQueue("k2", "billing", at(1)), presence("a2", "available", 10)],  # late and older: ignored
    # An unchanged one again: stored only once the stored one is PRESENCE_REFRESH old.
    [presence("a1", "on_contact", 300, ("billing", "tech"))],
    [presence("a1", "on_contact", 200 + PRESENCE_REFRESH.total_seconds(), ("billing", "tech"))],
]


def feed(store: Any) -> None:
    for batch in REPORTS:
        tell(store, batch)


def test_in_memory_and_dynamodb_stores_remember_the_same_queues_and_presence(client: Any) -> None:
    memory, table = InMemoryMetricStore(), dynamo(client)
    feed(memory)
    feed(table)

    contacts = ["k1", "k2", "k3"]
    for when in (at(100), at(4000)):
        assert table.contact_queues(contacts, when) == memory.contact_queues(contacts, when)
    assert len(table.contact_queues(contacts, at(4000))) == 2
    # The table's log keeps a contact's queue for its horizon (2 hours), the in-memory store for a day.
    late = at(90) + DEFAULT_HORIZON + timedelta(seconds=1)
    assert table.contact_queues(contacts, late) == {}
    assert memory.contact_queues(contacts, late).keys() == {"k1", "k2"}
    assert memory.contact_queues(contacts, at(0) + CONTACT_QUEUE_TTL + timedelta(seconds=91)) == {}
    assert memory.contact_queues(["k1", "k2"], at(100)) == {
        "k1": ContactQueue("k1", "retention", at(90)),
        "k2": ContactQueue("k2", "tech", at(5)),
    }

    def by_agent(entries: list[AgentPresence]) -> list[AgentPresence]:
        return sorted(entries, key=lambda entry: entry.agent_id)

    now = at(900)
    assert by_agent(table.presence("c1", now)) == by_agent(memory.presence("c1", now))
    assert by_agent(memory.presence("c1", now)) == [
        presence("a1", "on_contact", 200 + PRESENCE_REFRESH.total_seconds(), ("billing", "tech")),
        presence("a2", "not_ready", 30, ()),
    ]
    assert table.presence("c2", now) == []
    # A reader of its own (the websocket's) gives the same answers.
    assert by_agent(dynamo(client).presence("c1", now)) == by_agent(memory.presence("c1", now))
    pair = ["k1", "k2"]
    assert dynamo(client).contact_queues(pair, at(100)) == memory.contact_queues(pair, at(100))


def test_a_newer_report_from_another_process_is_never_overwritten(client: Any) -> None:
    first, second = dynamo(client), dynamo(client)  # two evaluate processes (shards)
    tell(second, [ContactQueue("k1", "retention", at(90)), presence("a1", "on_contact", 90)])
    tell(first, [ContactQueue("k1", "billing", at(0)), presence("a1", "available", 0)])  # older news

    reader = dynamo(client)
    assert reader.contact_queues(["k1"], at(100))["k1"].queue_id == "retention"
    assert reader.presence("c1", at(100)) == [presence("a1", "on_contact", 90)]
    assert first.contact_queues(["k1"], at(100))["k1"].queue_id == "retention"  # the writer reads it too


def test_presence_and_contacts_queues_ride_in_the_batch_log_item_and_repeats_add_nothing(client: Any) -> None:
    table = dynamo(client)
    tell(table, [ContactQueue("k1", "billing", at(0)), presence("a1", "available", 0)])
    assert table.told_logged == 2
    for second in range(120, 600, 120):  # heartbeats, and the contact's other events
        tell(table, [presence("a1", "available", second), ContactQueue("k1", "billing", at(second))])
    assert table.told_logged == 2
    tell(table, [presence("a1", "on_contact", 650)])  # a change: logged at once
    assert table.told_logged == 3
    # No item per agent or contact: only the batches' own items (queue buckets, the ledger, one delta-log
    # item each; the center's deltas are in the log too).
    kinds = {item["pk"]["S"].split("#")[0].split(":")[0] for item in client.scan(TableName=TABLE)["Items"]}
    assert kinds == {"queue", "ledger", "deltas"}

    # A contact nobody has named a queue for, then named by another shard: found at the next instant.
    assert table.contact_queues(["k9"], at(3600)) == {}
    tell(dynamo(client), [ContactQueue("k9", "billing", at(3606))], partition="other")
    assert table.contact_queues(["k9"], at(3611))["k9"].queue_id == "billing"


def test_a_contacts_unchanged_queue_is_logged_again_within_the_horizon(client: Any) -> None:
    """The log is read back 2 hours: a long contact's queue is logged again hourly while its events keep
    naming it, so post-call sentiment two hours after the contact began still finds its queue."""
    table = dynamo(client)
    for minute in range(0, 181, 20):
        tell(table, [ContactQueue("k1", "billing", at(minute * 60))])
    assert table.told_logged == 4  # at 0, 60, 120 and 180 minutes

    assert dynamo(client).contact_queues(["k1"], at(190 * 60))["k1"].queue_id == "billing"


def example(path: str, arrival: datetime | None = None, **changes: Any) -> list[CxEvent]:
    document = json.loads((EVENTS / path).read_text())
    document.update(changes)
    outcome = normalize_document(document, arrival)
    assert outcome.reason is None, outcome.reason
    return list(outcome.events)


def test_a_connect_only_center_gets_queue_sentiment_and_agents_by_state_through_dynamodb(client: Any) -> None:
    """Contact events on one shard, Contact Lens on another, agent events on a third: three evaluate
    processes, one table; the websocket's own store instance builds the tile."""
    arrival = datetime(2026, 11, 23, 9, 15, 55, tzinfo=UTC)
    for shard, events in (
        ("shardId-000000000000", example("amazon_connect/contact_event_queued.json")),
        (
            "shardId-000000000001",
            example("amazon_connect/agent_login.json", EventTimestamp="2026-11-23T09:15:00Z"),
        ),
        ("shardId-000000000002", example("contact_lens/voice_segments.json", arrival)),
    ):
        Engine(NO_RULES, dynamo(client), InMemoryAlertStore()).process(shard, events)

    supervisor = Principal(user="ana", role="supervisor", queues=(BILLING,))
    sources = SnapshotSources(InMemoryAlertStore(), dynamo(client), NO_RULES)
    [tile] = build_snapshot(supervisor, arrival, sources)["tiles"]

    assert tile["metrics"]["customer_sentiment"]["value"] == -1.0  # the customer's one NEGATIVE utterance
    assert tile["metrics"]["agents_available"] == {**tile["metrics"]["agents_available"], "value": 1.0}
    assert tile["metrics"]["agents_online"]["source"] == "agent_events"
