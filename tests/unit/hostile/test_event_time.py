"""Out-of-range event times (issue item 1): bounded at the edge, clamped in the engine for every rule
kind, written in one fixed-width format, and a poison record fails alone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.alerts.model import Transition
from floorwatch.engine import MAX_CLOCK_SKEW
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.events.pipeline import RawRecord, process_batch
from floorwatch.events.time_window import MAX_EVENT_AGE, MAX_EVENT_LEAD
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.memory import InMemoryEventSink, InMemoryQuarantine
from floorwatch.store.metrics_memory import InMemoryMetricStore
from floorwatch.timefmt import iso_micros, iso_seconds, iso_utc, ttl_epoch
from handlers import evaluate
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.unit.engine.helpers import LONGEST_WAIT, SHARD, Harness, at, rules, snapshot
from tests.unit.engine.test_engine import COMPLIANCE, compliance
from tests.unit.engine.test_evaluate_handler import SETTINGS, batch

ARRIVAL = datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)


def generic(contact: str, occurred_at: str) -> bytes:
    payload = {
        "event_id": f"e-{contact}",
        "type": "contact_answered",
        "occurred_at": occurred_at,
        "queue_id": "billing",
        "contact_id": contact,
    }
    return json.dumps({"source": "generic", "payload": payload}).encode()


def raw(data: bytes, sequence: int) -> RawRecord:
    return RawRecord(str(sequence), data, "pk", "raw-events", "shardId-000000000000", ARRIVAL)


@pytest.mark.parametrize(
    "occurred_at",
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-11-24T09:00:00Z", "2026-11-01T09:00:00Z"],
)
def test_an_event_outside_the_window_is_quarantined_and_its_neighbours_are_published(
    occurred_at: str,
) -> None:
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    records = [
        raw(generic("c-1", "2026-11-23T09:00:00Z"), 1),
        raw(generic("c-bad", occurred_at), 2),
        raw(generic("c-3", "2026-11-23T09:00:01Z"), 3),
    ]
    outcome = process_batch(records, sink, quarantine)
    assert outcome.failed_sequence_numbers == []
    assert [event.contact_id for event in sink.events] == ["c-1", "c-3"]
    [held] = quarantine.items.values()
    assert held.record.sequence_number == "2"
    assert "occurred_at" in held.reason or "outside the accepted window" in held.reason


@given(offset=st.integers(min_value=-30 * 86400, max_value=30 * 86400))
def test_the_window_admits_exactly_seven_days_back_to_fifteen_minutes_ahead(offset: int) -> None:
    when = ARRIVAL + timedelta(seconds=offset)
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    process_batch([raw(generic("c-1", iso_seconds(when)), 1)], sink, quarantine)
    inside = -MAX_EVENT_AGE <= timedelta(seconds=offset) <= MAX_EVENT_LEAD
    assert bool(sink.events) is inside
    assert bool(quarantine.items) is not inside


@given(
    when=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))
)
def test_the_model_refuses_any_instant_outside_2000_to_2099(when: datetime) -> None:
    build = lambda: CxEvent(  # noqa: E731
        event_id="e", source=Source.GENERIC, type=EventType.CONTACT_ANSWERED, occurred_at=when
    )
    if 2000 <= when.year <= 2099:
        assert build().occurred_at == when
    else:
        with pytest.raises(ValidationError, match="occurred_at must lie in the years 2000 to 2099"):
            build()


@given(
    when=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC))
)
def test_times_are_written_fixed_width_and_read_back(when: datetime) -> None:
    assert len(iso_seconds(when)) == 20 and len(iso_micros(when)) == 27
    assert datetime.fromisoformat(iso_utc(when)) == when
    assert datetime.fromisoformat(iso_micros(when)) == when


def test_year_one_is_written_with_four_digits() -> None:
    instant = datetime(1, 1, 1, tzinfo=UTC)
    assert iso_utc(instant) == "0001-01-01T00:00:00Z"
    transition_at = Transition.from_dict({**_transition_dict(), "at": iso_utc(instant)}).at
    assert transition_at == instant


def _transition_dict() -> dict[str, object]:
    transition = Harness(COMPLIANCE).feed(compliance(5))[0]
    return transition.to_dict()


def test_a_ttl_past_year_9999_is_capped_instead_of_overflowing() -> None:
    latest = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert ttl_epoch(latest, timedelta(days=30)) == int(latest.timestamp())
    assert ttl_epoch(ARRIVAL, timedelta(days=30)) == int((ARRIVAL + timedelta(days=30)).timestamp())


def test_a_compliance_event_dated_tomorrow_opens_at_the_clock_not_tomorrow() -> None:
    harness = Harness(COMPLIANCE)
    tomorrow = compliance(86400)
    opened = harness.engine.process(SHARD, [tomorrow], now=at(0))  # type: ignore[list-item]
    # The alert (and the incident grouping it) opens at the clamped instant, not tomorrow.
    assert "contact-compliance-breach" in {item.rule for item in opened}
    assert {item.at for item in opened} == {at(0) + MAX_CLOCK_SKEW}
    # The alert lives in the present: ten quiet minutes later (resolve_after) a tick resolves it.
    resolved = harness.engine.tick(at(0) + MAX_CLOCK_SKEW + timedelta(minutes=11))
    assert ("contact-compliance-breach", "resolved") in {
        (item.rule, item.transition.value) for item in resolved
    }


class PoisonMetrics(InMemoryMetricStore):
    """Fails deterministically on one event, as a store did on a year-9999 TTL."""

    def apply(self, partition: str, events: Sequence[CxEvent], deltas: object) -> None:  # type: ignore[override]
        if any(event.event_id == "poison" for event in events):
            raise OverflowError("date value out of range")
        super().apply(partition, events, deltas)  # type: ignore[arg-type]


def test_a_poison_record_fails_alone_and_its_neighbours_are_evaluated() -> None:
    alerts = InMemoryAlertStore()
    handle = evaluate.build_handler(SETTINGS, PoisonMetrics(), alerts, rules(LONGEST_WAIT), lambda: at(120))
    events = [snapshot(0, longest_wait_seconds=400), snapshot(1, queue="tech", longest_wait_seconds=1)]
    poison = snapshot(2, queue="vip", longest_wait_seconds=1).model_copy(update={"event_id": "poison"})
    later = [snapshot(70, longest_wait_seconds=400), snapshot(71, queue="tech", longest_wait_seconds=400)]
    response = handle(batch([*events, poison, *later]), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "1002"}]}  # the poison's sequence only
    # The valid events on both sides of it were evaluated: billing's breach (0 and 70) opened.
    assert "queue:billing" in {state.scope for state in alerts.active()}
