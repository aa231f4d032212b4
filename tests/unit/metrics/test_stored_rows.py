"""The evaluator's shortcuts over stored rows give the same answers as the general readers."""

from __future__ import annotations

import random

from floorwatch.events.model import CxEvent, EventType
from floorwatch.metrics import catalog as c
from floorwatch.metrics.fold import fold
from floorwatch.metrics.window import agent_state_at, stored_agent_state_at
from floorwatch.store.metrics_memory import InMemoryMetricStore

from tests.unit.metrics.helpers import at, event

SHARD = "shardId-000000000000"
STATES = ("available", "on_hold", "after_contact_work", "not_ready")


def apply(store: InMemoryMetricStore, events: list[CxEvent]) -> None:
    new = store.filter_new(SHARD, events)
    store.apply(SHARD, new, fold(new))


def agent_reports(seed: int) -> list[CxEvent]:
    """State reports for one agent, out of order, some repeating a state begun earlier."""
    rng = random.Random(seed)
    events = []
    for _ in range(40):
        values = {"state_seconds": rng.uniform(0, 400)} if rng.random() < 0.5 else {}
        events.append(
            event(
                EventType.AGENT_STATE,
                rng.uniform(0, 1200),
                agent_id="a",
                labels={"state": rng.choice(STATES)},
                values=values,
            )
        )
    return events


def test_the_state_read_from_the_newest_row_back_is_the_state_read_from_all_rows() -> None:
    for seed in range(20):
        store = InMemoryMetricStore()
        events = agent_reports(seed)
        for start in range(0, len(events), 7):  # several batches: items written again after a read
            apply(store, events[start : start + 7])
            for seconds in range(-30, 1300, 17):
                rows = store.recent_rows("agent:a", at(seconds), 15)
                assert stored_agent_state_at(rows, at(seconds)) == agent_state_at(rows, at(seconds))


def test_a_row_handed_out_does_not_change_when_its_item_is_written_again() -> None:
    store = InMemoryMetricStore()
    apply(store, [event(EventType.CONTACT_QUEUED, 1, queue_id="q")])
    apply(store, [event(EventType.QUEUE_SNAPSHOT, 2, queue_id="q", values={"contacts_in_queue": 3.0})])
    [before] = store.recent_rows("queue:q", at(59), 5)
    apply(store, [event(EventType.CONTACT_QUEUED, 3, queue_id="q")])
    apply(store, [event(EventType.QUEUE_SNAPSHOT, 4, queue_id="q", values={"contacts_in_queue": 7.0})])
    [after] = store.recent_rows("queue:q", at(59), 5)
    assert before.adds == {c.OFFERED: 1.0, c.EVENTS: 2.0}  # the snapshot is an event of the queue too
    assert before.latest[c.CONTACTS_IN_QUEUE].value == 3.0
    assert after.adds == {c.OFFERED: 2.0, c.EVENTS: 4.0}
    assert after.latest[c.CONTACTS_IN_QUEUE].value == 7.0
