"""Every transition names the raw record behind it (``correlation_id``), so an operator can follow one
record from the raw-events stream to the alert and the page it caused."""

from __future__ import annotations

from floorwatch.events.model import EventType

from tests.unit.engine.helpers import LONGEST_WAIT, LONGEST_WAIT_NOW, Harness, at, event, snapshot
from tests.unit.engine.test_engine import COMPLIANCE


def raw(number: int) -> str:
    return f"shardId-000000000000:4960000000000000000000000{number:04d}"


def test_a_threshold_opening_names_the_newest_record_that_moved_its_scope() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    opened = harness.feed(
        snapshot(0, longest_wait_seconds=130).model_copy(update={"correlation_id": raw(1)}),
        snapshot(5, "elsewhere", longest_wait_seconds=10).model_copy(update={"correlation_id": raw(2)}),
        snapshot(4, longest_wait_seconds=140).model_copy(update={"correlation_id": raw(3)}),
    )
    assert [(t.transition.value, t.scope, t.correlation_id) for t in opened] == [
        ("opened", "queue:billing", raw(3))
    ]
    # Its incident (the page goes out for the incident) names the same record.
    assert {t.correlation_id for t in harness.incidents} == {raw(3)}


def test_a_match_names_the_record_it_matched() -> None:
    harness = Harness(COMPLIANCE)
    breach = event(
        EventType.COMPLIANCE,
        5,
        contact_id="c-1",
        queue_id="billing",
        labels={"category": "card-number-spoken"},
        correlation_id=raw(7),
    )
    other = snapshot(6, longest_wait_seconds=1).model_copy(update={"correlation_id": raw(8)})
    [opened] = harness.feed(breach, other)
    assert (opened.scope, opened.correlation_id) == ("contact:c-1", raw(7))


def test_what_time_passing_changes_names_the_tick() -> None:
    harness = Harness(LONGEST_WAIT)
    harness.feed(snapshot(0, longest_wait_seconds=130).model_copy(update={"correlation_id": raw(1)}))
    made = harness.engine.tick(at(60), correlation_id="tick-event-1")
    assert (made[0].rule, made[0].transition.value) == ("queue-longest-wait", "opened")
    assert {t.correlation_id for t in made} == {"tick-event-1"}


def test_replays_without_raw_records_print_no_correlation_id() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    [opened] = harness.feed(snapshot(0, longest_wait_seconds=130))
    assert opened.correlation_id is None
    assert "correlation_id" not in opened.to_dict()
