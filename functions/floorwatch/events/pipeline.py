"""The normalize step as a domain service: raw Kinesis records -> CxEvents on a sink, or quarantine.

Nothing lost: every record ends as published events, as *skipped* with a reason (a payload an adapter
recognises and deliberately maps to nothing: acknowledged and counted, never quarantined), or as a
quarantined record with a reason; when neither events nor quarantine could be written (the sink or
the quarantine is down) the record is reported as failed, so the trigger delivers it again. Nothing
doubled: event ids are stable functions of the payload and quarantine keys are stable functions of the
record's identity (stream, shard, sequence number), so a re-delivered batch yields the same ids and
overwrites the same quarantine objects.

The service takes plain data and two ports (``EventSink``, ``Quarantine``); the handler builds the
Kinesis/S3 implementations, tests and the local runtime pass in-memory ones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from floorwatch.events.model import CxEvent
from floorwatch.events.normalize import Normalized, normalize_bytes
from floorwatch.events.time_window import DEFAULT_WINDOW, EventTimeWindow
from floorwatch.names import QUARANTINE_PREFIX
from floorwatch.security.redact import redact

MAX_REASON_LENGTH = 1000
MAX_PROBLEMS_KEPT = 20  # infrastructure errors kept for the log line; the first few say it all


# Not frozen, though nothing changes one after it is made: a frozen dataclass sets each field through
# object.__setattr__, which tripled the cost of making one (one per record, the normalizer's hot path).
@dataclass(slots=True)
class RawRecord:
    """One record as the trigger delivered it (the data already base64-decoded). Read-only by convention."""

    sequence_number: str
    data: bytes
    partition_key: str
    stream: str
    shard_id: str
    arrival_time: datetime  # Kinesis approximateArrivalTimestamp, UTC
    # Set when the trigger's envelope for this record was unusable (never seen from AWS itself):
    # the record goes straight to quarantine with this reason instead of blocking the shard.
    decode_error: str | None = None


@dataclass(frozen=True, slots=True)
class QuarantinedRecord:
    record: RawRecord
    reason: str
    source: str | None = None  # the platform, when it could be told from the payload

    @property
    def key(self) -> str:
        return quarantine_key(self.record)


def correlation_id(record: RawRecord) -> str:
    """The record's identity as Lambda names it in a Kinesis event (``eventID``): shard and sequence."""
    return f"{record.shard_id}:{record.sequence_number}"


_UNSAFE_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")


def quarantine_key(record: RawRecord) -> str:
    """The record's stable object key: ``quarantine/YYYY/MM/DD/<stream>/<shard>/<sequence>.json``.

    Derived only from what Kinesis fixes at ingestion (arrival day, stream, shard, sequence number),
    so a re-delivered record overwrites its own quarantine object instead of adding a second one.
    """
    parts = (record.stream or "unknown-stream", record.shard_id or "unknown-shard", record.sequence_number)
    stream, shard, sequence = (_UNSAFE_KEY_CHARACTERS.sub("_", part)[:200] for part in parts)
    return f"{QUARANTINE_PREFIX}{record.arrival_time:%Y/%m/%d}/{stream}/{shard}/{sequence}.json"


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A record acknowledged without events: its payload is known and deliberately not monitored."""

    sequence_number: str
    reason: str
    source: str | None = None


@dataclass(frozen=True)
class PublishResult:
    """What an ``EventSink`` could not store, by record index (the index given with each event)."""

    # Not stored this time (throttling, outage): the record is reported failed and delivered again.
    failed: frozenset[int] = frozenset()
    # Can never be stored as it is (e.g. an event over the stream's record size limit): retrying
    # would block the shard, so the record is quarantined with this reason instead.
    unpublishable: Mapping[int, str] = field(default_factory=dict)


class EventSink(Protocol):
    def publish(self, events: Sequence[tuple[int, CxEvent]]) -> PublishResult:
        """Store the events (in the given order) and report the record indexes not fully stored.

        May raise when the sink is unusable as a whole; every record with events then counts as failed.
        """
        ...


class Quarantine(Protocol):
    def put(self, item: QuarantinedRecord) -> None:
        """Store the record and its reason under ``item.key`` (idempotent); raise when it could not."""
        ...


@dataclass(frozen=True)
class BatchOutcome:
    failed_sequence_numbers: list[str]  # in input order; the trigger re-delivers from the lowest one
    events_published: int  # events of the records that were fully published
    quarantined: list[QuarantinedRecord]  # written to the quarantine in this call
    problems: list[str] = field(default_factory=list)  # infrastructure errors, for the log
    skipped: list[SkippedRecord] = field(default_factory=list)  # acknowledged without events

    @property
    def failed(self) -> int:
        return len(self.failed_sequence_numbers)


def process_batch(
    records: Sequence[RawRecord],
    sink: EventSink,
    quarantine: Quarantine,
    *,
    window: EventTimeWindow | None = DEFAULT_WINDOW,
    reference: Callable[[], datetime] | None = None,
) -> BatchOutcome:
    """Normalize a batch, publish all its events in one sink call, quarantine the rejects.

    A record with an event outside ``window`` around its arrival time is quarantined whole (see
    ``events.time_window``); ``reference`` replaces each record's arrival time as the window's centre
    (``floorwatch demo``, whose event time runs faster than the wall clock); ``window=None``: no window.
    """
    outbound: list[tuple[int, CxEvent]] = []
    event_counts: dict[int, int] = {}
    rejects: dict[int, QuarantinedRecord] = {}
    skipped: list[SkippedRecord] = []
    for index, record in enumerate(records):
        verdict = _normalize(record)
        if verdict.events and window is not None:
            centre = record.arrival_time if reference is None else reference()
            problem = window.problem(verdict.events, centre)
            if problem is not None:
                verdict = Normalized(reason=problem, source=verdict.source)
        if verdict.skipped is not None and verdict.reason is None and not verdict.events:
            skipped.append(SkippedRecord(record.sequence_number, _clip(verdict.skipped), verdict.source))
            continue
        if verdict.reason is not None or not verdict.events:
            reason = verdict.reason or "the normalizer produced no events and no reason"
            rejects[index] = QuarantinedRecord(record, _clip(reason), verdict.source)
            continue
        event_counts[index] = len(verdict.events)
        origin = correlation_id(record)
        for event in verdict.events:
            _stamp(event, origin)
        outbound.extend((index, event) for event in verdict.events)

    problems: list[str] = []
    published = _publish(sink, outbound, problems)
    failed = set(published.failed)
    for index, reason in published.unpublishable.items():
        # A permanent problem wins over a transient one: retrying the record cannot help.
        rejects[index] = QuarantinedRecord(records[index], _clip(f"cannot publish: {reason}"))
        failed.discard(index)

    quarantined = _quarantine_all(quarantine, rejects, failed, problems)
    not_published = failed | rejects.keys()
    events_published = sum(count for index, count in event_counts.items() if index not in not_published)
    return BatchOutcome(
        failed_sequence_numbers=[records[index].sequence_number for index in sorted(failed)],
        events_published=events_published,
        quarantined=quarantined,
        problems=problems[:MAX_PROBLEMS_KEPT],
        skipped=skipped,
    )


def _stamp(event: CxEvent, origin: str) -> None:
    """Name the event's raw record (``CxEvent.correlation_id``), for tracing down to the notification.

    In place, although the model is frozen: the adapters made these events for this record a moment ago
    and nothing else holds them, and ``model_copy`` would cost about a tenth of the normalizer's time per
    event (its throughput is a measured goal, docs/performance.md)."""
    object.__setattr__(event, "correlation_id", origin)


def _normalize(record: RawRecord) -> Normalized:
    if record.decode_error is not None:
        return Normalized(reason=f"unusable Kinesis record: {record.decode_error}")
    try:
        return normalize_bytes(record.data, record.arrival_time)
    except Exception as error:  # noqa: BLE001 - normalize_bytes never raises; a bug must not block a shard
        return Normalized(reason=f"internal error while normalizing: {type(error).__name__}: {error}")


def _publish(sink: EventSink, outbound: list[tuple[int, CxEvent]], problems: list[str]) -> PublishResult:
    if not outbound:
        return PublishResult()
    try:
        return sink.publish(outbound)
    except Exception as error:  # noqa: BLE001 - the sink is down: all its records are retried
        problems.append(f"event sink failed: {type(error).__name__}: {error}")
        return PublishResult(failed=frozenset(index for index, _ in outbound))


def _quarantine_all(
    quarantine: Quarantine,
    rejects: dict[int, QuarantinedRecord],
    failed: set[int],
    problems: list[str],
) -> list[QuarantinedRecord]:
    """Write the rejects in record order; after the first failed write, stop trying.

    The trigger re-delivers every record after the lowest failed sequence number anyway, so during
    a quarantine outage further writes would only add latency (and risk the function's timeout);
    the records not attempted are reported failed and quarantined on re-delivery.
    """
    quarantined: list[QuarantinedRecord] = []
    broken = False
    for index in sorted(rejects):
        item = rejects[index]
        if broken:
            failed.add(index)
            continue
        try:
            quarantine.put(item)
        except Exception as error:  # noqa: BLE001 - report the record instead of losing it
            problems.append(f"quarantine failed for {item.key}: {type(error).__name__}: {error}")
            failed.add(index)
            broken = True
        else:
            quarantined.append(item)
    return quarantined


@functools.lru_cache(maxsize=1024)  # skip reasons repeat record after record ("contact event INITIATED ...")
def _clip(reason: str) -> str:
    """The reason as stored and logged: redacted (adapters quote short field values to say what is wrong,
    and those are payload content), then clipped."""
    reason = redact(reason)
    return reason if len(reason) <= MAX_REASON_LENGTH else reason[: MAX_REASON_LENGTH - 1] + "…"
