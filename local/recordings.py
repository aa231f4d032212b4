"""Recordings of platform events, as the replaying commands read them (``floorwatch replay``,
``floorwatch baselines learn``): records normalized into CxEvents, and the replay's clock.

A recording may hold raw payloads read from a file (``local.payload_files.RawPayload``), raw JSON lines
(bytes or text), parsed JSON documents, or ``CxEvent`` objects already normalized (the simulator's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from floorwatch.engine import MAX_CLOCK_SKEW
from floorwatch.events.model import CxEvent
from floorwatch.events.normalize import normalize_document

from local.payload_files import RawPayload, parse_line

Record = RawPayload | CxEvent | bytes | str | Mapping[str, Any] | list[Any]
"""What a recording may hold: raw payloads from a file, already normalized events, raw JSON lines
(bytes or text) or parsed JSON documents."""


@dataclass
class Counts:
    """What a run read: records, events they gave, records rejected (with their reasons)."""

    records: int = 0
    events: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)  # "line 3: not valid JSON ..." (first 1,000)


def cx_events(
    source: Iterable[Record], counts: Counts | None = None, on_reject: Callable[[str], None] | None = None
) -> Iterator[CxEvent]:
    """The events of a recording, normalized as ``floorwatch normalize`` does (rejects are counted and
    reported through ``on_reject``, never raised)."""
    counts = counts if counts is not None else Counts()
    for index, record in enumerate(source, 1):
        counts.records += 1
        if isinstance(record, CxEvent):
            counts.events += 1
            yield record
            continue
        position, document, problem = _document(record, index)
        if problem is None:
            outcome = normalize_document(document)
            if not outcome.rejected:
                counts.events += len(outcome.events)
                yield from outcome.events
                continue
            problem = outcome.reason or "rejected"
        counts.rejected += 1
        message = f"{position}: {problem}"
        if len(counts.problems) < 1000:
            counts.problems.append(message)
        if on_reject is not None:
            on_reject(message)


def _document(record: Record, index: int) -> tuple[str, Any, str | None]:
    if isinstance(record, RawPayload):
        return record.position, record.document, record.problem
    if isinstance(record, bytes | str):
        data = record.encode("utf-8") if isinstance(record, str) else record
        document, problem = parse_line(data.rstrip(b"\r\n"))
        return f"record {index}", document, problem
    return f"record {index}", record, None


def with_arrival(events: Iterable[CxEvent]) -> Iterator[tuple[CxEvent, datetime]]:
    """Each event with the replay's clock when it "arrived": a recording has no arrival times, so the
    clock is the newest time that both this event and the next one vouch for (one event from a wrong
    clock is bounded by its successor), never going back."""
    clock: datetime | None = None
    previous: CxEvent | None = None
    for event in events:
        if previous is not None:
            vouched = min(previous.occurred_at, event.occurred_at)
            clock = vouched if clock is None else max(clock, vouched)
            yield previous, clock
        previous = event
    if previous is not None:
        last = previous.occurred_at
        yield previous, last if clock is None else max(clock, min(last, clock + MAX_CLOCK_SKEW))


def clock_of(event: CxEvent, arrival: datetime) -> datetime:
    """How far time has passed when ``event`` arrives: ticks and hourly learning run up to here (never
    past the event's own stamp, so nothing runs "after" an event before it is processed)."""
    return min(event.occurred_at, arrival)
