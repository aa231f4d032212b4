"""Baselines learned from recorded events, in event time, with the scheduled function's own code.

The deployed stack learns baselines hourly (``handlers.baselines``): ``BaselineLearner.learn(rules, now)``
over the metrics table the evaluator writes. Here the same happens on a recording:

1. every record is normalized (anything ``floorwatch normalize`` / ``replay`` accepts; ``CxEvent`` objects
   are taken as they are);
2. the events are folded into an in-memory metric store exactly as the evaluator folds them
   (``filter_new`` -> ``fold`` -> ``apply``: duplicates dropped, the center stamped on each item);
3. at each whole hour of event time the clock passes, ``BaselineLearner.learn(rules, hour)`` runs, as the
   hourly schedule would: ``LOOKBACK``, ``SETTLE``, chunks and watermarks behave as in production. The
   clock is the replay's (``local.commands.replay``): the newest event time two successive records agree
   on, so one event from a wrong clock cannot jump it forward.

After the last event the learner runs once more at the first whole hour at which the last event's hour
has settled (as the schedule would, an hour or two later), so the recording's last hour counts.

API (also used by the quality benchmark):

- ``learn_from_events(source, rules) -> InMemoryBaselineStore`` (``learn`` returns it with counts);
- ``replay_with_baselines(rules, source, baselines=..., learn=...) -> ReplayResult``: the replay of
  ``floorwatch replay`` with baselines read by the engine and, with ``learn``, learned as it goes;
- ``HourlyLearning``: the hourly schedule in event time, for a caller with its own event loop.

``local.baselines_file`` saves and loads the learned store (``floorwatch baselines learn --out``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from floorwatch.events.model import CxEvent
from floorwatch.metrics.fold import DEFAULT_FOLD_CONFIG, FoldConfig, fold
from floorwatch.rules.baselines import hour_start
from floorwatch.rules.baselines_learner import SETTLE, BaselineLearner, LearnReport
from floorwatch.rules.config import RuleSet
from floorwatch.store.baselines_memory import InMemoryBaselineStore, InMemoryScopeDirectory
from floorwatch.store.baselines_port import BaselineStore
from floorwatch.store.metrics_memory import InMemoryMetricStore

from local.recordings import Counts, Record, clock_of, cx_events, with_arrival

if TYPE_CHECKING:  # the replay command imports this module
    from local.commands.replay import ReplayResult

PARTITION = "replay"
BATCH = 500
"""Events folded per metric write (the evaluator's batches are up to Kinesis' batch size; the sums are
the same whatever the batch, and a batch never spans a learning instant)."""
_HOUR = timedelta(hours=1)


class HourlyLearning:
    """The baselines schedule in event time: ``BaselineLearner.learn`` at every whole hour (UTC) the
    clock passes, over ``metrics`` into ``store``. The first run is at the first whole hour after the
    first instant seen (the schedule starts with the recording)."""

    def __init__(
        self,
        rules: RuleSet,
        metrics: InMemoryMetricStore,
        store: BaselineStore,
        on_run: Callable[[datetime, LearnReport], None] | None = None,
    ) -> None:
        self.rules = rules
        self.store = store
        self.learner = BaselineLearner(metrics, store, InMemoryScopeDirectory(metrics))
        self.runs = 0
        self.last: LearnReport | None = None
        self._next: datetime | None = None
        self._on_run = on_run

    def due(self, instant: datetime) -> list[datetime]:
        """The learning instants at or before ``instant`` not run yet (run them with ``run``, in order)."""
        if self._next is None:
            self._next = hour_start(instant) + _HOUR
            return []
        found: list[datetime] = []
        current = self._next
        while current <= instant:
            found.append(current)
            current += _HOUR
        return found

    def run(self, at: datetime) -> LearnReport:
        report = self.learner.learn(self.rules, at)
        self.runs += 1
        self.last = report
        self._next = at + _HOUR
        if self._on_run is not None:
            self._on_run(at, report)
        return report

    def until(self, instant: datetime) -> None:
        """Run every learning instant due at or before ``instant``."""
        for at in self.due(instant):
            self.run(at)

    def finish(self, last_event: datetime) -> None:
        """Run the schedule on until the hour of ``last_event`` has been learned (it settled)."""
        self.until(hour_start(last_event) + _HOUR + _ceil_hour(SETTLE))


def _ceil_hour(span: timedelta) -> timedelta:
    return _HOUR * -(-span // _HOUR)


@dataclass
class Learned:
    """``learn``'s result: the baselines and what was read to learn them."""

    baselines: InMemoryBaselineStore
    counts: Counts
    runs: int
    first_event: datetime | None = None
    last_event: datetime | None = None


def learn(
    source: Iterable[Record],
    rules: RuleSet,
    *,
    store: InMemoryBaselineStore | None = None,
    fold_config: FoldConfig = DEFAULT_FOLD_CONFIG,
    on_event: Callable[[CxEvent], None] | None = None,
    on_reject: Callable[[str], None] | None = None,
    on_run: Callable[[datetime, LearnReport], None] | None = None,
) -> Learned:
    """Learn the baselines of ``rules`` from a recording (see the module docstring). ``store``: continue
    from baselines learned before (a file loaded with ``local.baselines_file.load``)."""
    baselines = store if store is not None else InMemoryBaselineStore()
    metrics = InMemoryMetricStore(fold_config)
    hourly = HourlyLearning(rules, metrics, baselines, on_run)
    counts = Counts()
    batch: list[CxEvent] = []
    first: datetime | None = None
    last: datetime | None = None

    def flush() -> None:
        if batch:
            fresh = metrics.filter_new(PARTITION, batch)
            if fresh:
                metrics.apply(PARTITION, fresh, fold(fresh, fold_config))
            batch.clear()

    for event, arrival in with_arrival(cx_events(source, counts, on_reject)):
        clock = clock_of(event, arrival)
        due = hourly.due(clock)
        if due:
            flush()  # the hour's events are in the store before the learner reads it
            for at in due:
                hourly.run(at)
        batch.append(event)
        if len(batch) >= BATCH:
            flush()
        if on_event is not None:
            on_event(event)
        first = clock if first is None else first
        last = clock
    flush()
    if last is not None:
        hourly.finish(last)
    return Learned(baselines, counts, hourly.runs, first, last)


def learn_from_events(
    source: Iterable[Record], rules: RuleSet, *, store: InMemoryBaselineStore | None = None
) -> InMemoryBaselineStore:
    """The baselines ``rules`` learn from a recording (raw payloads, JSON lines or CxEvents)."""
    return learn(source, rules, store=store).baselines


def replay_with_baselines(
    rules: RuleSet,
    source: Iterable[Record],
    *,
    baselines: BaselineStore | None = None,
    learn_as_it_goes: bool = False,
    tick: timedelta | None = None,
) -> ReplayResult:
    """``floorwatch replay`` with baselines: the engine reads ``baselines`` (a learned store, e.g. from
    ``learn_from_events``); with ``learn_as_it_goes`` the learner also runs at every whole hour of event
    time into the same store (a new one when none is given), so the replay of six weeks behaves like six
    weeks of production. ``result.baselines`` is the store, learned further."""
    from local.commands.replay import DEFAULT_TICK, replay  # noqa: PLC0415 (it imports this module)

    return replay(rules, source, tick or DEFAULT_TICK, baselines=baselines, learn=learn_as_it_goes)
