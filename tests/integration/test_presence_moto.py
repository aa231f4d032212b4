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
from floorwatch.store.metrics_memory import InMemoryMetricStore
from moto import mock_aws

from tests.integration.ddb_tables import create_table, use_fake_credentials

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
        store.remember_contact_queues([entry for entry in batch if isinstance(entry, ContactQueue)])
        store.remember_presence([entry for entry in batch if isinstance(entry, AgentPresence)])


def test_in_memory_and_dynamodb_stores_remember_the_same_queues_and_presence(client: Any) -> None:
    memory, table = InMemoryMetricStore(), dynamo(client)
    feed(memory)
    feed(table)

    for when in (at(100), at(4000), at(0) + CONTACT_QUEUE_TTL + timedelta(seconds=30)):
        contacts = ["k1", "k2", "k3"]
        assert table.contact_queues(contacts, when) == memory.contact_queues(contacts, when)
    assert memory.contact_queues(["k1", "k2"], at(100)) == {
        "k1": ContactQueue("k1", "retention", at(90)),
        "k2": ContactQueue("k2", "tech", at(5)),
    }

    def by_agent(entries: list[AgentPresence]) -> list[AgentPresence]:
        return sorted(entries, key=lambda entry: entry.agent_id)

    assert by_agent(table.presence("c1")) == by_agent(memory.presence("c1"))
    assert by_agent(memory.presence("c1")) == [
        presence("a1", "on_contact", 200 + PRESENCE_REFRESH.total_seconds(), ("billing", "tech")),
        presence("a2", "not_ready", 30, ()),
    ]
    assert table.presence("c2") == []


def test_a_newer_report_from_another_process_is_never_overwritten(client: Any) -> None:
    first, second = dynamo(client), dynamo(client)  # two evaluate processes (shards)
    second.remember_contact_queues([ContactQueue("k1", "retention", at(90))])
    second.remember_presence([presence("a1", "on_contact", 90)])
    first.remember_contact_queues([ContactQueue("k1", "billing", at(0))])  # its news is older
    first.remember_presence([presence("a1", "available", 0)])

    reader = dynamo(client)
    assert reader.contact_queues(["k1"], at(100))["k1"].queue_id == "retention"
    assert reader.presence("c1") == [presence("a1", "on_contact", 90)]


def test_heartbeats_and_repeated_contact_events_cost_no_writes(client: Any) -> None:
    table = dynamo(client)
    table.remember_contact_queues([ContactQueue("k1", "billing", at(0))])
    table.remember_presence([presence("a1", "available", 0)])
    before = table.write_requests
    for second in range(120, 600, 120):  # heartbeats, and the contact's other events
        table.remember_presence([presence("a1", "available", second)])
        table.remember_contact_queues([ContactQueue("k1", "billing", at(second))])
    assert table.write_requests == before

    reads = table.read_requests
    table.contact_queues(["k1"], at(10))  # confirmed by this process a moment ago: no read
    assert table.read_requests == reads
    table.contact_queues(["k1"], at(3600))  # long since: read again (a transfer seen elsewhere)
    assert table.read_requests == reads + 1
    # A contact nobody has named a queue for: read once, then again only after 10 s of event time.
    assert table.contact_queues(["k9"], at(3600)) == {}
    assert table.contact_queues(["k9"], at(3605)) == {}
    assert table.read_requests == reads + 2
    dynamo(client).remember_contact_queues([ContactQueue("k9", "billing", at(3606))])  # another shard
    assert table.contact_queues(["k9"], at(3611))["k9"].queue_id == "billing"


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
