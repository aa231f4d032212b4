"""What the metric store remembers besides buckets (contacts' queues, agents' presence): the pure rules
and the in-memory store."""

from __future__ import annotations

from floorwatch.events.model import EventType
from floorwatch.metrics.presence import (
    CONTACT_QUEUE_TTL,
    PRESENCE_REFRESH,
    PRESENCE_WINDOW,
    AgentPresence,
    ContactQueue,
    agents_by_state,
    contact_queues_of,
    presence_of,
    with_contact_queues,
    worth_storing,
)
from floorwatch.store.metrics_memory import InMemoryMetricStore

from tests.unit.metrics.helpers import at, event, tell


def presence(
    agent: str, category: str, seconds: float, queues: tuple[str, ...] = ("billing",)
) -> AgentPresence:
    return AgentPresence("c1", agent, category, queues, at(seconds))


def test_a_contacts_queue_comes_from_its_contact_events_or_from_the_agent_handling_it() -> None:
    events = [
        event(EventType.CONTACT_QUEUED, 0, contact_id="k1", queue_id="billing"),
        event(
            EventType.AGENT_STATE,
            5,
            agent_id="a1",
            contact_id="k2",
            labels={"state": "on_contact", "queue": "tech"},
        ),
        event(EventType.SENTIMENT, 6, contact_id="k3", values={"sentiment": -0.5}),  # names no queue
        event(EventType.CONTACT_QUEUED, 9, contact_id="k1", queue_id="retention"),  # transferred
    ]

    found = contact_queues_of(events)

    assert {contact: entry.queue_id for contact, entry in found.items()} == {"k1": "retention", "k2": "tech"}


def test_only_queue_less_sentiment_is_given_its_contacts_queue() -> None:
    known = {"k1": ContactQueue("k1", "billing", at(0))}
    lens = event(EventType.SENTIMENT, 10, contact_id="k1", values={"sentiment": -0.5})
    named = event(EventType.SENTIMENT, 10, contact_id="k1", queue_id="tech", values={"sentiment": 0.5})
    flagged = event(EventType.COMPLIANCE, 10, contact_id="k1", labels={"category": "x"})
    unknown = event(EventType.SENTIMENT, 10, contact_id="k9", values={"sentiment": 0.1})

    given = with_contact_queues([lens, named, flagged, unknown], known)

    assert [item.queue_id for item in given] == ["billing", "tech", None, None]
    assert given[0].event_id == lens.event_id and given[0].labels == {"queue_from": "contact"}
    assert given[1:] == [named, flagged, unknown]


def test_the_store_forgets_a_contacts_queue_a_day_after_it_was_last_seen() -> None:
    store = InMemoryMetricStore()
    tell(store, [ContactQueue("k1", "billing", at(0))])

    assert store.contact_queues(["k1", "k2"], at(60)) == {"k1": ContactQueue("k1", "billing", at(0))}
    assert store.contact_queues(["k1"], at(0) + CONTACT_QUEUE_TTL) == {}


def test_an_older_report_never_replaces_a_newer_queue() -> None:
    store = InMemoryMetricStore()
    tell(store, [ContactQueue("k1", "retention", at(60))])
    tell(store, [ContactQueue("k1", "billing", at(0))])

    assert store.contact_queues(["k1"], at(90))["k1"].queue_id == "retention"


def test_presence_keeps_each_agents_newest_report_with_its_routing_queues() -> None:
    events = [
        event(
            EventType.AGENT_STATE, 0, agent_id="a1", labels={"state": "available", "queues": "billing tech"}
        ),
        event(
            EventType.AGENT_STATE, 30, agent_id="a1", labels={"state": "on_hold", "queues": "billing tech"}
        ),
        event(EventType.AGENT_STATE, 10, agent_id="a2", labels={"state": "missed"}, queue_id="tech"),
        event(EventType.AGENT_STATE, 10, agent_id="a3"),  # no state: nothing to count
    ]

    assert sorted(presence_of(events), key=lambda p: p.agent_id) == [
        AgentPresence("default", "a1", "on_contact", ("billing", "tech"), at(30)),
        AgentPresence("default", "a2", "not_ready", ("tech",), at(10)),
    ]


def test_a_heartbeat_repeating_the_stored_presence_is_written_only_when_it_would_grow_old() -> None:
    stored = presence("a1", "available", 0)

    assert not worth_storing(stored, presence("a1", "available", 120))  # a heartbeat
    assert worth_storing(stored, presence("a1", "available", PRESENCE_REFRESH.total_seconds()))
    assert worth_storing(stored, presence("a1", "on_contact", 5))
    assert worth_storing(stored, presence("a1", "available", 5, ("billing", "tech")))
    assert not worth_storing(presence("a1", "on_contact", 60), presence("a1", "available", 30))  # older


def test_agents_count_in_every_queue_they_serve_while_they_keep_reporting() -> None:
    now = at(3600)
    old = now - PRESENCE_WINDOW
    entries = [
        presence("a1", "available", 3500, ("billing", "tech")),
        presence("a2", "on_contact", 3500),
        presence("a3", "after_contact_work", 3500),
        presence("a4", "not_ready", 3500),
        presence("a5", "other", 3500),  # logged in, in a state none of the four describes
        presence("a6", "offline", 3500),
        presence("a7", "available", (old - at(0)).total_seconds()),  # stopped reporting
    ]

    billing = agents_by_state(entries, "billing", now)
    tech = agents_by_state(entries, "tech", now)

    assert billing == {
        "agents_available": (1, 6),
        "agents_on_contact": (1, 6),
        "agents_after_contact_work": (1, 6),
        "agents_not_ready": (1, 6),
        "agents_online": (5, 6),
    }
    assert tech is not None and tech["agents_available"] == (1, 1) and tech["agents_online"] == (1, 1)
    assert agents_by_state(entries, "retention", now) is None  # nobody serves it: no figure, not zero


def test_the_memory_store_keeps_the_newest_presence_by_the_shared_rule() -> None:
    store = InMemoryMetricStore()
    tell(store, [presence("a1", "available", 0)])
    tell(store, [presence("a1", "available", 120)])  # heartbeat: not stored
    tell(store, [presence("a1", "on_contact", 200), presence("a2", "not_ready", 10)])
    tell(store, [presence("a1", "available", 150)])  # late, older: ignored

    assert sorted(store.presence("c1", at(200)), key=lambda p: p.agent_id) == [
        presence("a1", "on_contact", 200),
        presence("a2", "not_ready", 10),
    ]
    assert store.presence("elsewhere", at(200)) == []
