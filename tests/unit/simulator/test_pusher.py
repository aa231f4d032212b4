"""pusher.run: paces records to wall time / speed, batches PutRecords, stops on request, counts failures."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import timedelta

from floorwatch.store.kinesis import FailedEntry, KinesisEntry

from local.simulator import generate, pusher
from local.simulator.config import CenterConfig
from tests.unit.simulator.conftest import BUSY_START


class FakeClock:
    """Wall time that only moves when the pusher waits (so pacing is observable without sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.stop_after: float | None = None  # wall seconds after which the stop event "fires"

    def __call__(self) -> float:
        return self.now


class FakeStop:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.set_flag = False

    def is_set(self) -> bool:
        return self.set_flag

    def wait(self, timeout: float) -> bool:
        self.clock.now += timeout
        if self.clock.stop_after is not None and self.clock.now - 1000.0 >= self.clock.stop_after:
            self.set_flag = True
        return self.set_flag

    def set(self) -> None:
        self.set_flag = True


class RecordingWriter:
    def __init__(self, clock: FakeClock, fail_every: int = 0) -> None:
        self.clock = clock
        self.calls: list[tuple[float, list[KinesisEntry]]] = []
        self.fail_every = fail_every

    def put(
        self, entries: Sequence[KinesisEntry], on_progress: Callable[[int], None] | None = None
    ) -> list[FailedEntry]:
        self.calls.append((self.clock.now, list(entries)))
        if not self.fail_every:
            return []
        return [
            FailedEntry(index, "ProvisionedThroughputExceededException", "slow down")
            for index in range(0, len(entries), self.fail_every)
        ]


def _run(
    speed: float, minutes: int = 5, **kwargs: object
) -> tuple[RecordingWriter, pusher.Progress, FakeClock]:
    clock = FakeClock()
    writer = RecordingWriter(clock, **kwargs)  # type: ignore[arg-type]
    final = pusher.run(
        writer,
        speed,
        FakeStop(clock),  # type: ignore[arg-type]
        start=BUSY_START,
        duration=timedelta(minutes=minutes),
        seed=3,
        center=CenterConfig(),
        clock=clock,
    )
    return writer, final, clock


def test_records_are_sent_when_their_simulated_time_comes_at_the_given_speed() -> None:
    writer, final, clock = _run(speed=60.0)
    expected = list(generate(BUSY_START, timedelta(minutes=5), 3, center=CenterConfig()))
    sent = [entry for _, entries in writer.calls for entry in entries]
    assert [json.loads(entry.data) for entry in sent] == [record.payload for record in expected]
    assert [entry.partition_key for entry in sent] == [record.partition_key for record in expected]
    assert final.stored == len(expected)
    assert final.failed == 0
    # Five simulated minutes at 60x take about five wall seconds; no record leaves before it is due
    # and none more than one flush interval early.
    assert 4.5 < clock.now - 1000.0 <= 5.0 + pusher.FLUSH_SECONDS
    position = 0
    for sent_at, entries in writer.calls:
        for _ in entries:
            due = 1000.0 + (expected[position].at - BUSY_START).total_seconds() / 60.0
            assert sent_at >= due - pusher.FLUSH_SECONDS - 1e-9
            position += 1
        assert len(entries) <= pusher.MAX_BATCH_RECORDS


def test_speed_zero_sends_everything_at_once_in_full_batches() -> None:
    writer, final, clock = _run(speed=0.0)
    assert clock.now == 1000.0
    sizes = [len(entries) for _, entries in writer.calls]
    assert all(size == pusher.MAX_BATCH_RECORDS for size in sizes[:-1])
    assert sum(sizes) == final.stored


def test_stop_ends_the_run_within_one_batch() -> None:
    clock = FakeClock()
    clock.stop_after = 2.0  # wall seconds
    writer = RecordingWriter(clock)
    final = pusher.run(
        writer,
        60.0,
        FakeStop(clock),  # type: ignore[arg-type]
        start=BUSY_START,
        duration=timedelta(hours=1),
        seed=3,
        clock=clock,
    )
    assert writer.calls
    assert final.simulated_elapsed <= timedelta(seconds=2 * 60 + 10)
    assert clock.now - 1000.0 < 2.5


def test_entries_kinesis_refused_are_counted_as_failed() -> None:
    writer, final, _ = _run(speed=0.0, minutes=2, fail_every=10)
    total = sum(len(entries) for _, entries in writer.calls)
    assert final.failed == sum(len(range(0, len(entries), 10)) for _, entries in writer.calls)
    assert final.stored + final.failed == total


def test_progress_is_reported_after_each_batch() -> None:
    clock = FakeClock()
    seen: list[pusher.Progress] = []
    pusher.run(
        RecordingWriter(clock),
        60.0,
        FakeStop(clock),  # type: ignore[arg-type]
        start=BUSY_START,
        duration=timedelta(minutes=3),
        on_progress=seen.append,
        clock=clock,
    )
    assert len(seen) > 10
    assert [p.stored for p in seen] == sorted(p.stored for p in seen)
    assert [p.wall_seconds for p in seen] == sorted(p.wall_seconds for p in seen)
    assert seen[-1].simulated_at <= BUSY_START + timedelta(minutes=3)


def test_demo_defaults_put_the_start_at_ten_in_the_morning_local_time() -> None:
    center = pusher.demo_center(BUSY_START.replace(hour=1, minute=30))
    assert center.local_hour(BUSY_START.replace(hour=1, minute=30)) == 10.0
