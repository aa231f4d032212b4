"""The normalize domain service: nothing lost (events or quarantine, else retried), nothing doubled."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floorwatch.events.model import CxEvent
from floorwatch.events.pipeline import QuarantinedRecord, RawRecord, process_batch, quarantine_key
from floorwatch.store.memory import InMemoryEventSink, InMemoryQuarantine

ARRIVAL = datetime(2026, 11, 23, 9, 0, 5, 123000, tzinfo=UTC)
FIRST_SEQUENCE = 49590338271490256608559692538361571095921575989136588800


def generic(queue: str = "billing", contact: str = "c-1", **extra: Any) -> dict[str, Any]:
    return {
        "source": "generic",
        "type": "contact_queued",
        "occurred_at": "2026-11-23T09:00:00Z",
        "queue_id": queue,
        "contact_id": contact,
        **extra,
    }


def record(data: bytes | dict[str, Any] | list[Any], position: int, **overrides: Any) -> RawRecord:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    fields: dict[str, Any] = {
        "sequence_number": str(FIRST_SEQUENCE + position),
        "data": raw,
        "partition_key": f"pk-{position}",
        "stream": "floorwatch-dev-raw-events",
        "shard_id": "shardId-000000000000",
        "arrival_time": ARRIVAL,
    }
    return RawRecord(**(fields | overrides))


def batch(*payloads: bytes | dict[str, Any] | list[Any]) -> list[RawRecord]:
    return [record(payload, position) for position, payload in enumerate(payloads)]


def seq(position: int) -> str:
    return str(FIRST_SEQUENCE + position)


POISON = {
    "not JSON": b'{"source": "generic", "type": ',
    "not UTF-8": b"\xff\xfe\x00garbage",
    "unknown shape": json.dumps({"hello": "world", "answer": 42}).encode(),
    "adapter rejects": json.dumps(generic(occurred_at="yesterday at noon")).encode(),
}


def test_good_records_are_published_and_poison_is_quarantined_with_a_readable_reason() -> None:
    records = batch(
        generic(contact="c-1"),
        POISON["not JSON"],
        generic(contact="c-2"),
        POISON["not UTF-8"],
        POISON["unknown shape"],
        generic(contact="c-3"),
        POISON["adapter rejects"],
    )
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()

    outcome = process_batch(records, sink, quarantine)

    assert outcome.failed_sequence_numbers == []
    assert [event.contact_id for event in sink.events] == ["c-1", "c-2", "c-3"]
    assert sink.calls == 1  # the whole batch's events in one publish
    assert outcome.events_published == 3
    reasons = {item.record.sequence_number: item.reason for item in quarantine.items.values()}
    assert set(reasons) == {seq(1), seq(3), seq(4), seq(6)}
    assert "not valid JSON" in reasons[seq(1)]
    assert "not UTF-8" in reasons[seq(3)]
    assert (
        "unrecognized payload shape (2 top-level keys" in reasons[seq(4)] and "hello" not in reasons[seq(4)]
    )
    assert reasons[seq(6)].startswith("generic:") and "occurred_at" in reasons[seq(6)]
    assert [item.record.sequence_number for item in outcome.quarantined] == [seq(1), seq(3), seq(4), seq(6)]


def test_a_quarantined_record_keeps_its_raw_bytes_identity_and_source() -> None:
    records = batch(POISON["adapter rejects"])
    quarantine = InMemoryQuarantine()

    process_batch(records, InMemoryEventSink(), quarantine)

    (item,) = quarantine.items.values()
    assert item.record == records[0]
    assert item.source == "generic"
    assert item.key == (
        f"quarantine/2026/11/23/floorwatch-dev-raw-events/shardId-000000000000/{FIRST_SEQUENCE}.json"
    )


def test_events_keep_input_order_across_records_with_several_events() -> None:
    records = batch(
        [generic(contact="a1"), generic(contact="a2")],  # one record carrying a batch of two payloads
        generic(contact="b1"),
        [generic(contact="c1"), generic(contact="c2"), generic(contact="c3")],
    )
    sink = InMemoryEventSink()

    outcome = process_batch(records, sink, InMemoryQuarantine())

    assert [event.contact_id for event in sink.events] == ["a1", "a2", "b1", "c1", "c2", "c3"]
    assert outcome.events_published == 6


def test_each_event_names_its_raw_record_as_lambda_does() -> None:
    # "<shard>:<sequence>", Lambda's eventID of the raw record: the id the transitions carry onwards.
    records = batch([generic(contact="a1"), generic(contact="a2")], generic(contact="b1"))
    sink = InMemoryEventSink()

    process_batch(records, sink, InMemoryQuarantine())

    assert [event.correlation_id for event in sink.events] == [
        f"shardId-000000000000:{seq(0)}",
        f"shardId-000000000000:{seq(0)}",
        f"shardId-000000000000:{seq(1)}",
    ]
    # Not part of the event's identity: a platform's resend in another record is still a duplicate.
    resent = InMemoryEventSink()
    process_batch([record(generic(contact="b1"), 7)], resent, InMemoryQuarantine())
    assert resent.events[0].event_id == sink.events[2].event_id
    assert resent.events[0].correlation_id == f"shardId-000000000000:{seq(7)}"


def test_sink_failures_report_exactly_the_records_whose_events_were_not_stored() -> None:
    records = batch(
        generic(queue="steady", contact="c-0"),
        generic(queue="flaky", contact="c-1"),
        POISON["not JSON"],
        [generic(queue="steady", contact="c-3"), generic(queue="flaky", contact="c-4")],
        generic(queue="steady", contact="c-5"),
    )
    sink = InMemoryEventSink(fail_when=lambda event: event.queue_id == "flaky")
    quarantine = InMemoryQuarantine()

    outcome = process_batch(records, sink, quarantine)

    assert outcome.failed_sequence_numbers == [seq(1), seq(3)]
    assert outcome.events_published == 2  # c-0 and c-5; c-3 was stored but its record is retried whole
    assert [item.record.sequence_number for item in quarantine.items.values()] == [seq(2)]


def test_sink_down_fails_every_record_with_events_but_still_quarantines_poison() -> None:
    records = batch(generic(contact="c-0"), POISON["unknown shape"], generic(contact="c-2"))
    sink = InMemoryEventSink()
    sink.available = False
    quarantine = InMemoryQuarantine()

    outcome = process_batch(records, sink, quarantine)

    assert outcome.failed_sequence_numbers == [seq(0), seq(2)]
    assert outcome.events_published == 0
    assert [item.record.sequence_number for item in quarantine.items.values()] == [seq(1)]
    assert any("event sink failed" in problem for problem in outcome.problems)


def test_an_event_the_sink_can_never_store_sends_its_record_to_quarantine_not_to_retry() -> None:
    records = batch(generic(contact="c-0"), generic(contact="too-big"), generic(contact="c-2"))
    sink = InMemoryEventSink(
        reject_when=lambda event: "record exceeds the size limit" if event.contact_id == "too-big" else None
    )
    quarantine = InMemoryQuarantine()

    outcome = process_batch(records, sink, quarantine)

    assert outcome.failed_sequence_numbers == []
    assert [event.contact_id for event in sink.events] == ["c-0", "c-2"]
    (item,) = quarantine.items.values()
    assert item.record.sequence_number == seq(1)
    assert item.reason == "cannot publish: record exceeds the size limit"


def test_a_record_both_unstorable_and_throttled_is_quarantined_rather_than_retried() -> None:
    records = batch([generic(contact="too-big"), generic(contact="throttled")], generic(contact="c-1"))
    sink = InMemoryEventSink(
        fail_when=lambda event: event.contact_id == "throttled",
        reject_when=lambda event: "over the limit" if event.contact_id == "too-big" else None,
    )
    quarantine = InMemoryQuarantine()

    outcome = process_batch(records, sink, quarantine)

    assert outcome.failed_sequence_numbers == []
    assert [item.record.sequence_number for item in quarantine.items.values()] == [seq(0)]
    assert outcome.events_published == 1


def test_quarantine_failure_reports_that_record_and_good_records_still_publish() -> None:
    records = batch(
        POISON["not JSON"], generic(contact="c-1"), POISON["unknown shape"], generic(contact="c-3")
    )
    quarantine = InMemoryQuarantine(fail_when=lambda item: item.record.sequence_number == seq(2))
    sink = InMemoryEventSink()

    outcome = process_batch(records, sink, quarantine)

    assert outcome.failed_sequence_numbers == [seq(2)]
    assert [event.contact_id for event in sink.events] == ["c-1", "c-3"]
    assert set(quarantine.items) == {quarantine_key(records[0])}
    assert any("quarantine failed" in problem for problem in outcome.problems)


def test_after_a_quarantine_write_fails_later_rejects_are_reported_not_attempted() -> None:
    # Lambda re-delivers everything after the lowest failed record anyway: no point hammering a
    # quarantine that is down. Earlier rejects are kept, later ones come back on re-delivery.
    records = batch(POISON["not JSON"], POISON["not UTF-8"], generic(contact="c-2"), POISON["unknown shape"])
    quarantine = InMemoryQuarantine(fail_when=lambda item: item.record.sequence_number == seq(1))

    outcome = process_batch(records, InMemoryEventSink(), quarantine)

    assert outcome.failed_sequence_numbers == [seq(1), seq(3)]
    assert quarantine.writes == 1
    assert [item.record.sequence_number for item in outcome.quarantined] == [seq(0)]


def test_redelivering_the_same_batch_yields_the_same_event_ids_and_quarantine_keys() -> None:
    records = batch(
        generic(contact="c-0"),
        POISON["not JSON"],
        [generic(contact="c-2"), generic(contact="c-2b")],
        POISON["adapter rejects"],
        {"source": "generic", "payload": generic(contact="c-4")},
    )
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()

    first = process_batch(records, sink, quarantine)
    first_ids = list(sink.event_ids)
    first_keys = set(quarantine.items)
    second = process_batch(records, sink, quarantine)

    second_ids = sink.event_ids[len(first_ids) :]
    assert set(second_ids) == set(first_ids) and len(first_ids) == 4
    assert {item.key for item in second.quarantined} == first_keys
    assert set(quarantine.items) == first_keys and len(first_keys) == 2  # overwritten, not added
    assert first.failed_sequence_numbers == second.failed_sequence_numbers == []


def test_the_same_payload_in_another_record_is_the_same_event_but_a_different_quarantine_key() -> None:
    payload = generic(contact="dup")
    poison = POISON["not JSON"]
    records = [record(payload, 0), record(payload, 1), record(poison, 2), record(poison, 3)]
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()

    process_batch(records, sink, quarantine)

    assert len(set(sink.event_ids)) == 1  # downstream dedupes the re-sent payload
    assert len(quarantine.items) == 2  # each raw record is accounted for on its own


def test_a_record_whose_trigger_envelope_was_unusable_is_quarantined_with_the_problem() -> None:
    broken = record(b"not-base64!!", 0, decode_error="Error: Incorrect padding")
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()

    outcome = process_batch([broken, record(generic(), 1)], sink, quarantine)

    assert outcome.failed_sequence_numbers == []
    assert quarantine.reasons == {broken_key(broken): "unusable Kinesis record: Error: Incorrect padding"}
    assert len(sink.events) == 1


def broken_key(raw: RawRecord) -> str:
    return QuarantinedRecord(raw, "").key


def test_quarantine_keys_are_safe_object_names_dated_by_arrival() -> None:
    odd = record(
        b"x",
        0,
        stream="weird stream/../name",
        shard_id="",
        sequence_number="12/34",
        arrival_time=datetime(2027, 1, 2, 23, 59, tzinfo=UTC),
    )

    key = quarantine_key(odd)

    assert key == "quarantine/2027/01/02/weird_stream_.._name/unknown-shard/12_34.json"


def test_an_empty_batch_publishes_nothing_and_fails_nothing() -> None:
    sink = InMemoryEventSink()

    outcome = process_batch([], sink, InMemoryQuarantine())

    assert outcome.failed_sequence_numbers == [] and outcome.events_published == 0
    assert sink.calls == 0


def test_published_events_are_cx_events_with_partition_keys_by_scope() -> None:
    sink = InMemoryEventSink()

    process_batch(batch(generic(queue="billing"), generic(queue="sales")), sink, InMemoryQuarantine())

    assert all(isinstance(event, CxEvent) for event in sink.events)
    assert [event.partition_key() for event in sink.events] == ["queue:billing", "queue:sales"]


TWILIO_TASK_CREATED = {
    "EventType": "task.created",
    "WorkspaceSid": "WS0123456789abcdef0123456789abcdef",
    "Sid": "EV0123456789abcdef0123456789abcdef",
}


def test_every_record_ends_as_events_skipped_with_a_reason_or_quarantine() -> None:
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    records = batch(
        generic(contact="c-1"), TWILIO_TASK_CREATED, POISON["not JSON"], [TWILIO_TASK_CREATED] * 2
    )

    outcome = process_batch(records, sink, quarantine)

    assert outcome.failed_sequence_numbers == []
    assert [event.contact_id for event in sink.events] == ["c-1"]
    assert [item.record.sequence_number for item in outcome.quarantined] == [seq(2)]
    assert [(item.sequence_number, item.source) for item in outcome.skipped] == [
        (seq(1), "twilio"),
        (seq(3), "twilio"),
    ]
    assert outcome.skipped[0].reason.startswith("twilio: TaskRouter event 'task.created' is not monitored")
    assert outcome.skipped[1].reason.startswith("[0]: twilio: TaskRouter event 'task.created'")
    quarantined = {item.record.sequence_number for item in quarantine.items.values()}
    accounted = {seq(0)} | {item.sequence_number for item in outcome.skipped} | quarantined
    assert accounted == {seq(position) for position in range(4)}


def test_an_array_mixing_skipped_and_mapped_payloads_publishes_the_mapped_ones() -> None:
    sink = InMemoryEventSink()
    outcome = process_batch(batch([TWILIO_TASK_CREATED, generic(contact="c-9")]), sink, InMemoryQuarantine())
    assert outcome.skipped == [] and outcome.quarantined == []
    assert [event.contact_id for event in sink.events] == ["c-9"]


def test_the_arrival_time_reaches_payloads_without_a_time_but_never_overrides_their_own() -> None:
    voice = json.loads(
        (Path(__file__).resolve().parents[2] / "events/contact_lens/voice_segments.json").read_text()
    )
    own_time = {**voice, "ApproximateArrivalTimestamp": "2026-11-23T09:10:00Z"}

    def newest(payload: dict[str, Any]) -> datetime:
        sink = InMemoryEventSink()
        outcome = process_batch(batch(payload), sink, InMemoryQuarantine())
        assert outcome.quarantined == [] and sink.events
        return max(event.occurred_at for event in sink.events)

    assert newest(voice) == ARRIVAL
    assert newest(own_time) == datetime(2026, 11, 23, 9, 10, tzinfo=UTC)
