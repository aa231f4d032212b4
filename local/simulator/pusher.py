"""Pushing simulated traffic to Kinesis in (accelerated) real time, as a platform producer would.

``run`` walks ``generate``'s records and sends each at wall time ``(record.at - start) / speed`` after
it began, in PutRecords batches (records due within the next ``FLUSH_SECONDS`` of wall time go in one
call; KinesisWriter splits at 500 records / 5 MiB and retries failed entries). It returns when the
simulated duration is over or ``stop`` is set (checked between batches and while waiting), so Ctrl-C
in the CLI and the demo's shutdown stop it within one batch.

Event timestamps follow simulated time: with ``speed`` 60 one simulated minute passes per wall second,
so a run started now soon carries timestamps ahead of the wall clock (the pipeline works in event time).
``speed`` 0 means unpaced (as fast as Kinesis takes it).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from floorwatch.store.kinesis import FailedEntry, KinesisEntry

from local.simulator.config import CenterConfig, busy_offset_hours
from local.simulator.engine import generate
from local.simulator.incidents import DEFAULT_INCIDENTS, Incident
from local.simulator.model import SimRecord

DEMO_SPEED = 10.0  # every incident starts within the first 2 minutes of wall time (see incidents.py)
FLUSH_SECONDS = 0.1  # wall seconds of records gathered into one PutRecords call
MAX_BATCH_RECORDS = 500
UNLIMITED = timedelta(days=30)


class RecordWriter(Protocol):
    """What ``run`` needs from floorwatch.store.kinesis.KinesisWriter."""

    def put(
        self, entries: Sequence[KinesisEntry], on_progress: Callable[[int], None] | None = None
    ) -> list[FailedEntry]: ...


@dataclass(frozen=True)
class Progress:
    """Where a run is: records stored / failed so far, the simulated instant reached, wall seconds spent."""

    stored: int
    failed: int
    simulated_at: datetime
    wall_seconds: float
    start: datetime

    @property
    def simulated_elapsed(self) -> timedelta:
        return self.simulated_at - self.start


def to_entry(record: SimRecord) -> KinesisEntry:
    data = json.dumps(record.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return KinesisEntry(data=data, partition_key=record.partition_key)


def default_start() -> datetime:
    """Now, in UTC, to the millisecond (the simulation's event time starts here)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class SimulatedClock:
    """Event time as ``run`` plays it: ``start`` until ``begin()``, then ``start`` plus the wall seconds
    since, times ``speed``. ``floorwatch demo`` gives it to the evaluator, so "now" there is the
    simulation's now, and begins it when the pusher starts."""

    def __init__(
        self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if speed <= 0:
            raise ValueError("a simulated clock needs a positive speed")
        self.start, self.speed = start, speed
        self._monotonic = monotonic
        self._began: float | None = None

    def begin(self) -> None:
        self._began = self._monotonic()

    def now(self) -> datetime:
        if self._began is None:
            return self.start
        return self.start + timedelta(seconds=(self._monotonic() - self._began) * self.speed)


def demo_center(start: datetime) -> CenterConfig:
    """The default center, in a time zone where ``start`` is 10:00: the demo always shows a busy floor."""
    return CenterConfig(utc_offset_hours=busy_offset_hours(start))


def run(
    writer: RecordWriter,
    speed: float,
    stop: threading.Event,
    *,
    start: datetime | None = None,
    duration: timedelta = UNLIMITED,
    seed: int = 1,
    center: CenterConfig | None = None,
    incidents: Sequence[Incident] = DEFAULT_INCIDENTS,
    incidents_at: timedelta = timedelta(0),
    on_progress: Callable[[Progress], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Progress:
    """Push simulated traffic until ``duration`` of simulated time has passed or ``stop`` is set.

    Defaults suit ``floorwatch demo``: start now, a center whose local time is 10:00 at the start,
    every incident at its documented offset. Kinesis errors (ClientError, connection errors) propagate.
    """
    if speed < 0:
        raise ValueError("speed must be >= 0 (0: unpaced)")
    begin = start or default_start()
    records = generate(
        begin,
        duration,
        seed,
        center=center or demo_center(begin),
        incidents=incidents,
        incidents_at=incidents_at,
    )
    wall_start = clock()
    stored = failed = 0
    reached = begin
    for batch in _paced_batches(records, begin, speed, stop, wall_start=wall_start, clock=clock):
        failures = writer.put([to_entry(record) for record in batch])
        failed += len(failures)
        stored += len(batch) - len(failures)
        reached = batch[-1].at
        if on_progress is not None:
            on_progress(Progress(stored, failed, reached, clock() - wall_start, begin))
    return Progress(stored, failed, reached, clock() - wall_start, begin)


def _paced_batches(
    records: Iterator[SimRecord],
    start: datetime,
    speed: float,
    stop: threading.Event,
    *,
    wall_start: float,
    clock: Callable[[], float],
) -> Iterator[list[SimRecord]]:
    def due(record: SimRecord) -> float:
        return wall_start + (record.at - start).total_seconds() / speed if speed else wall_start

    upcoming = next(records, None)
    while upcoming is not None and not stop.is_set():
        delay = due(upcoming) - clock()
        if delay > 0 and stop.wait(delay):
            return
        horizon = clock() + FLUSH_SECONDS
        batch: list[SimRecord] = []
        while upcoming is not None and due(upcoming) <= horizon and len(batch) < MAX_BATCH_RECORDS:
            batch.append(upcoming)
            upcoming = next(records, None)
        yield batch
