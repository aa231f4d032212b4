"""A Connect-only center (no queue snapshot feed): queue sentiment from Contact Lens, whose events name
no queue, and agents by state from agent events. Real example payloads through the real adapters, the
engine and the snapshot on in-memory stores; what a supervisor's queue tile says is the assertion."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from floorwatch.engine import Engine
from floorwatch.events.model import CxEvent, EventType
from floorwatch.events.normalize import normalize_document
from floorwatch.metrics.presence import QUEUE_FROM_CONTACT, QUEUE_FROM_LABEL
from floorwatch.snapshot import SnapshotSources, build_snapshot
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.connections_port import Principal
from floorwatch.store.metrics_memory import InMemoryMetricStore

from tests.unit.engine.helpers import SHARD, rules

EVENTS = Path(__file__).resolve().parents[3] / "events"
BILLING = "110bbe7f-cd5a-470e-a0ba-5600aad5b14e"
TECH_SUPPORT = "08f63b0f-229f-4bf4-b9f3-b0f9f9bc7feb"
CONTACT = "ec2b5abb-d1d3-4cca-8647-134fa5ea9060"  # the examples' billing call
SEGMENTS_ARRIVAL = datetime(2026, 11, 23, 9, 15, 55, tzinfo=UTC)
SUPERVISOR = Principal(user="ana", role="supervisor", queues=(BILLING, TECH_SUPPORT))
NO_RULES = rules("rules: []\n")


def example(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / path).read_text())
    return document


def normalized(document: dict[str, Any], arrival: datetime | None = None) -> list[CxEvent]:
    outcome = normalize_document(document, arrival)
    assert outcome.reason is None, outcome.reason
    return list(outcome.events)


def lens_segments(contact_id: str = CONTACT) -> list[CxEvent]:
    document = example("contact_lens/voice_segments.json")
    document["ContactId"] = contact_id
    return normalized(document, SEGMENTS_ARRIVAL)


def agent(path: str, agent_id: str, at: datetime) -> list[CxEvent]:
    """An agent example as another agent (``agent_id``) at ``at``."""
    document = copy.deepcopy(example(f"amazon_connect/{path}"))
    document["AgentARN"] = document["AgentARN"].rsplit("/", 1)[0] + "/" + agent_id
    document["EventId"] = f"{path}-{agent_id}-{at.isoformat()}"
    document["EventTimestamp"] = at.isoformat().replace("+00:00", "Z")
    return normalized(document)


def tile(metrics: InMemoryMetricStore, queue_id: str, at: datetime) -> dict[str, Any]:
    snapshot = build_snapshot(SUPERVISOR, at, SnapshotSources(InMemoryAlertStore(), metrics, NO_RULES))
    [found] = [item for item in snapshot["tiles"] if item["queue_id"] == queue_id]
    figures: dict[str, Any] = found["metrics"]
    return figures


def test_contact_lens_sentiment_counts_for_the_queue_its_contact_was_queued_in() -> None:
    metrics = InMemoryMetricStore()
    engine = Engine(NO_RULES, metrics, InMemoryAlertStore())
    engine.process(SHARD, normalized(example("amazon_connect/contact_event_queued.json")))
    segments = lens_segments()
    assert segments and all(event.queue_id is None for event in segments)  # the stream names no queue

    engine.process("shardId-000000000001", segments)  # another shard, another batch: the store remembers

    sentiment = tile(metrics, BILLING, SEGMENTS_ARRIVAL)["customer_sentiment"]
    customer_scores = [
        event.values["sentiment"]
        for event in segments
        if event.type is EventType.SENTIMENT and event.labels.get("participant_role") == "customer"
    ]
    assert sentiment["value"] == sum(customer_scores) / len(customer_scores) < 0
    assert sentiment["samples"] == len(customer_scores)


def test_without_any_event_naming_the_contacts_queue_the_tile_stays_empty() -> None:
    metrics = InMemoryMetricStore()
    engine = Engine(NO_RULES, metrics, InMemoryAlertStore())
    engine.process(SHARD, normalized(example("amazon_connect/contact_event_queued.json")))
    engine.process(SHARD, lens_segments(contact_id="another-call"))

    assert tile(metrics, BILLING, SEGMENTS_ARRIVAL)["customer_sentiment"]["value"] is None


def test_the_agent_handling_the_contact_tells_its_queue_too() -> None:
    """No contact event at all: the agent event of the agent on the call names the contact's queue."""
    metrics = InMemoryMetricStore()
    engine = Engine(NO_RULES, metrics, InMemoryAlertStore())
    on_hold = agent("agent_state_change_on_hold.json", "amelia", SEGMENTS_ARRIVAL - timedelta(seconds=30))
    assert on_hold[0].contact_id == CONTACT and on_hold[0].queue_id is None
    engine.process(SHARD, on_hold)
    engine.process(SHARD, lens_segments())

    assert tile(metrics, BILLING, SEGMENTS_ARRIVAL)["customer_sentiment"]["value"] is not None


def test_attributed_sentiment_says_where_its_queue_came_from() -> None:
    metrics = InMemoryMetricStore()
    engine = Engine(NO_RULES, metrics, InMemoryAlertStore())
    engine.process(SHARD, normalized(example("amazon_connect/contact_event_queued.json")))
    seen: list[CxEvent] = []
    original = metrics.apply

    def spy(partition: str, events: Any, deltas: Any) -> None:
        seen.extend(events)
        original(partition, events, deltas)

    metrics.apply = spy  # type: ignore[method-assign]
    engine.process(SHARD, lens_segments())

    sentiments = [event for event in seen if event.type is EventType.SENTIMENT]
    assert sentiments and all(event.queue_id == BILLING for event in sentiments)
    assert all(event.labels[QUEUE_FROM_LABEL] == QUEUE_FROM_CONTACT for event in sentiments)


def test_agents_by_state_are_counted_from_agent_events_per_routing_profile_queue() -> None:
    metrics = InMemoryMetricStore()
    engine = Engine(NO_RULES, metrics, InMemoryAlertStore())
    now = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)
    # A queue exists for the floor once any of its events arrived (here a queued contact).
    engine.process(SHARD, normalized(example("amazon_connect/contact_event_queued.json")))
    engine.process(
        SHARD,
        [
            *agent("agent_login.json", "a-available", now - timedelta(minutes=3)),
            *agent("agent_state_change_on_hold.json", "a-holding", now - timedelta(minutes=2)),
            *agent("agent_heartbeat_after_contact_work.json", "a-wrapping", now - timedelta(minutes=1)),
            *agent("agent_state_change_break.json", "a-break", now - timedelta(minutes=1)),
            *agent("agent_login.json", "a-gone", now - timedelta(minutes=5)),
            *agent("agent_logout.json", "a-gone", now - timedelta(minutes=4)),
            *agent("agent_login.json", "a-silent", now - timedelta(minutes=40)),  # stopped reporting
        ],
    )

    figures = tile(metrics, BILLING, now)

    counted = {name: figures[name]["value"] for name in AGENT_GAUGES}
    assert counted == {
        "agents_available": 1.0,
        "agents_on_contact": 1.0,
        "agents_after_contact_work": 1.0,
        "agents_not_ready": 1.0,
        "agents_online": 4.0,
    }
    assert all(figures[name]["source"] == "agent_events" for name in AGENT_GAUGES)
    # The examples' routing profile serves billing and tech support: the agents count in both.
    assert tile(metrics, TECH_SUPPORT, now)["agents_online"]["value"] is None  # no event of it yet
    engine.process(SHARD, agent("agent_login.json", "a-late", now))
    engine.process(SHARD, [event.model_copy(update={"queue_id": TECH_SUPPORT}) for event in lens_segments()])
    assert tile(metrics, TECH_SUPPORT, now)["agents_online"]["value"] == 5.0


def test_a_queue_snapshot_giving_agent_figures_stays_authoritative() -> None:
    metrics = InMemoryMetricStore()
    engine = Engine(NO_RULES, metrics, InMemoryAlertStore())
    now = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)
    snapshot = normalized(
        {
            "source": "generic",
            "type": "queue_snapshot",
            "occurred_at": "2026-11-23T09:19:30Z",
            "center_id": "e91cd429-a7f1-49be-98df-910bcf40bfc8",
            "queue_id": BILLING,
            "values": {"agents_available": 7, "agents_online": 12},
        }
    )
    engine.process(SHARD, snapshot)
    engine.process(SHARD, agent("agent_login.json", "a-1", now - timedelta(minutes=1)))

    figures = tile(metrics, BILLING, now)

    assert figures["agents_available"]["value"] == 7.0 and "source" not in figures["agents_available"]
    assert figures["agents_online"]["value"] == 12.0 and "source" not in figures["agents_online"]
    # Not mixed with counts from agent events: two sources' figures would not add up.
    assert figures["agents_on_contact"]["value"] is None


AGENT_GAUGES = (
    "agents_available",
    "agents_on_contact",
    "agents_after_contact_work",
    "agents_not_ready",
    "agents_online",
)
