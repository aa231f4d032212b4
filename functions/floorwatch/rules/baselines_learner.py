"""The baselines learner: folds the metric store's recent history into seasonal slot samples.

Run on a schedule (hourly; ``handlers.baselines``). One run, at ``now`` (the schedule's event time):

1. *Targets*: for every threshold rule with ``baseline:`` config, every scope of the rule's kind that has
   metric data in the last ``LOOKBACK`` (the ``ScopeDirectory``) and passes the rule's filter on its own
   kind (filters on other facts — an agent's team — are not known here, so the learner learns more
   rather than less). Contact-, agent- and feed-scope rules are not learned (``UNLEARNED_SCOPES``). One
   (scope, metric) is learned once, over the window and seasonality of the first
   rule (file order) naming it; a later rule with another window gets the static tiers (``usable``).
2. *Hours*: every whole hour that ended at least ``SETTLE`` before ``now`` and after the pair's watermark
   (``PairState.learned_until``), at most ``LOOKBACK`` back (the metric store keeps 8 days). A first run
   therefore learns the past week at once; a missed run is caught up by the next.
3. *Samples*: the metric as the engine computes it (``window_value`` over the rule's window) at hh:00,
   hh:05 ... hh:55; instants with no value are not samples. The samples of an hour replace that hour in
   its slot (re-learning an hour after a crash does not count it twice); hours older than ``HISTORY``
   leave the slot. The slot's summary (median, MAD sigma) is stored with it.
4. The watermark moves only after the pair's slots are saved.

*Time zone*: slots are hours of the scope's center's local clock (``RuleSet.zone_of``; the center is the
one stamped on the scope's newest metric row, ``floorwatch.rules.baselines.scope_center``, as the engine
finds it), so hours here are local whole hours and their slots come from ``slot_of`` with that zone.

A change of window, seasonality or time zone restarts the pair: its slots are cleared and its history
starts again (samples over another window, or filed under another clock's hours, are not comparable).

Rows are read in chunks of ``CHUNK_HOURS`` (a DynamoDB query page holds at most 1 MB). Duration-in-state
metrics only see agent states entered within the chunk (plus the window before it): an older state is
unknown and the instant is not a sample.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from floorwatch.metrics.catalog import CATALOG, MetricDef
from floorwatch.metrics.model import DEFAULT_BUCKET, BucketRow, ScopeKind, Stamped
from floorwatch.metrics.window import window_value
from floorwatch.rules.baselines import (
    EMPTY_HISTORY,
    HISTORY,
    Seasonality,
    SlotKey,
    hours_between,
    sample_instants,
    scope_center,
    slot_of,
    summarize,
)
from floorwatch.rules.config import UNLEARNED_SCOPES, RuleSet, ThresholdRule
from floorwatch.store.baselines_port import BaselineStore, PairState, ScopeDirectory
from floorwatch.store.metrics_port import MetricStore

LOOKBACK = timedelta(days=7)
"""How far back a run learns (and looks for scopes): the metric store keeps 8 days."""
SETTLE = timedelta(minutes=5)
"""An hour is learned once it ended this long ago (late events have arrived)."""
CHUNK_HOURS = 6
SLOTS: dict[Seasonality, int] = {"hour_of_week": 168, "hour_of_day": 24}
_HOUR = timedelta(hours=1)
_OWN_FILTER = {
    ScopeKind.CENTER: "centers",
    ScopeKind.QUEUE: "queues",
    ScopeKind.TEAM: "teams",
    ScopeKind.AGENT: "agents",
}


@dataclass(frozen=True)
class Target:
    scope: str
    metric: str
    window: timedelta
    seasonality: Seasonality
    rule_id: str


@dataclass
class LearnReport:
    pairs: int = 0
    hours_learned: int = 0
    samples: int = 0
    slots_written: int = 0
    restarted: list[str] = field(default_factory=list)  # "scope#metric": window/seasonality/zone changed
    shadowed: list[str] = field(default_factory=list)  # rule ids whose (scope, metric) another rule learns


def targets(rules: RuleSet, directory: ScopeDirectory, now: datetime) -> tuple[list[Target], list[str]]:
    """What to learn, and the ids of rules shadowed by an earlier rule with another window/seasonality."""
    chosen: dict[tuple[str, str], Target] = {}
    shadowed: set[str] = set()
    scopes_by_kind: dict[ScopeKind, list[str]] = {}
    for rule in rules.threshold_rules():
        if rule.baseline is None or rule.scope in UNLEARNED_SCOPES:
            continue
        if rule.scope not in scopes_by_kind:
            scopes_by_kind[rule.scope] = directory.scopes_seen(rule.scope, now - LOOKBACK, now)
        for scope in scopes_by_kind[rule.scope]:
            if not _admits_own(rule, scope):
                continue
            target = Target(scope, rule.metric, rule.window, rule.baseline.seasonality, rule.id)
            existing = chosen.setdefault((scope, rule.metric), target)
            if (existing.window, existing.seasonality) != (target.window, target.seasonality):
                shadowed.add(rule.id)
    return list(chosen.values()), sorted(shadowed)


def _admits_own(rule: ThresholdRule, scope: str) -> bool:
    name = _OWN_FILTER.get(rule.scope)
    ids = rule.filters().get(name) if name else None
    return ids is None or scope.split(":", 1)[1] in ids


class BaselineLearner:
    def __init__(
        self,
        metrics: MetricStore,
        store: BaselineStore,
        directory: ScopeDirectory,
        *,
        bucket: timedelta = DEFAULT_BUCKET,
    ) -> None:
        self._metrics = metrics
        self._store = store
        self._directory = directory
        self._bucket = bucket

    def learn(self, rules: RuleSet, now: datetime) -> LearnReport:
        found, shadowed = targets(rules, self._directory, now)
        report = LearnReport(shadowed=shadowed)
        by_scope: dict[str, list[Target]] = {}
        for target in found:
            by_scope.setdefault(target.scope, []).append(target)
        for scope, scope_targets in sorted(by_scope.items()):
            self._learn_scope(rules, scope, scope_targets, now, report)
        return report

    # --- one scope: read its rows once per chunk for every metric learned on it --------------------
    def _learn_scope(
        self, rules: RuleSet, scope: str, scope_targets: Sequence[Target], now: datetime, report: LearnReport
    ) -> None:
        # The scope's clock, found as the engine finds it: the center on its newest row.
        center = scope_center(scope, self._metrics.recent_rows(scope, now, 1))
        clock = _Clock(rules.timezone_of(center), rules.zone_of(center))
        plans = [self._plan(target, now, report, clock) for target in scope_targets]
        plans = [plan for plan in plans if plan.hours]
        if not plans:
            return
        all_hours = sorted({hour for plan in plans for hour in plan.hours})
        longest = max(plan.target.window for plan in plans)
        for chunk in _chunks(all_hours, CHUNK_HOURS):
            rows = self._rows(scope, chunk[0] - longest - self._bucket, chunk[-1] + _HOUR)
            for plan in plans:
                for hour in chunk:
                    if hour in plan.hour_set:
                        plan.record(hour, _samples(plan.metric, rows, hour, plan.target.window))
        for plan in plans:
            self._save(plan, report)

    def _plan(self, target: Target, now: datetime, report: LearnReport, clock: _Clock) -> _PairPlan:
        state = self._store.pair(target.scope, target.metric)
        earliest = now - LOOKBACK
        if state is not None and (state.window, state.seasonality, state.timezone) != (
            target.window,
            target.seasonality,
            clock.name,
        ):
            self._forget(target.scope, target.metric, state.seasonality)
            report.restarted.append(f"{target.scope}#{target.metric}")
            state = None
        start = earliest if state is None else max(earliest, state.learned_until)
        hours = hours_between(start, now - SETTLE, clock.zone)
        return _PairPlan(target, CATALOG[target.metric], state, hours, clock)

    def _rows(self, scope: str, start: datetime, end: datetime) -> list[BucketRow]:
        """The scope's rows with buckets in [start, end), oldest first."""
        limit = int((end - start) / self._bucket) + 1
        rows = self._metrics.recent_rows(scope, end - timedelta(microseconds=1), limit)
        return [row for row in reversed(rows) if row.bucket >= start]

    def _save(self, plan: _PairPlan, report: LearnReport) -> None:
        target = plan.target
        since = plan.since()
        last_hour_end = plan.hours[-1] + _HOUR
        if since is not None:
            for key, hours in plan.by_slot().items():
                history = self._store.slot_history(key)
                for hour, samples in hours:
                    history = history.merged(hour, samples, keep_after=hour + _HOUR - HISTORY)
                baseline = summarize(key, history, window=target.window, since=since, until=last_hour_end)
                self._store.save_slot(key, history if baseline else EMPTY_HISTORY, baseline, plan.clock.name)
                report.slots_written += 1
        report.pairs += 1
        report.hours_learned += len(plan.hours)
        report.samples += plan.sample_count
        self._store.save_pair(
            target.scope,
            target.metric,
            PairState(since, last_hour_end, target.window, target.seasonality, plan.clock.name),
        )

    def _forget(self, scope: str, metric: str, seasonality: Seasonality) -> None:
        for slot in range(SLOTS[seasonality]):
            self._store.save_slot(SlotKey(scope, metric, seasonality, slot), EMPTY_HISTORY, None)


@dataclass(frozen=True)
class _Clock:
    """The time zone a scope's slots are hours of: its IANA name (stored) and the zone itself."""

    name: str
    zone: tzinfo


@dataclass
class _PairPlan:
    target: Target
    metric: MetricDef
    state: PairState | None
    hours: list[datetime]
    clock: _Clock
    learned: dict[datetime, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hour_set = frozenset(self.hours)

    def record(self, hour: datetime, samples: list[float]) -> None:
        self.learned[hour] = samples

    @property
    def sample_count(self) -> int:
        return sum(len(samples) for samples in self.learned.values())

    def since(self) -> datetime | None:
        """The first hour that produced samples, ever (kept from earlier runs)."""
        if self.state is not None and self.state.since is not None:
            return self.state.since
        return next((hour for hour in self.hours if self.learned.get(hour)), None)

    def by_slot(self) -> dict[SlotKey, list[tuple[datetime, list[float]]]]:
        slots: dict[SlotKey, list[tuple[datetime, list[float]]]] = {}
        target = self.target
        for hour in self.hours:
            slot = slot_of(hour, target.seasonality, self.clock.zone)
            key = SlotKey(target.scope, target.metric, target.seasonality, slot)
            slots.setdefault(key, []).append((hour, self.learned.get(hour, [])))
        return slots


def _samples(metric: MetricDef, rows: Sequence[BucketRow], hour: datetime, window: timedelta) -> list[float]:
    """The metric at each sample instant of ``hour``; ``rows`` oldest first."""
    starts = [row.bucket for row in rows]
    samples: list[float] = []
    for instant in sample_instants(hour):
        end = bisect.bisect_right(starts, instant)
        begin = bisect.bisect_left(starts, instant - window - DEFAULT_BUCKET)
        relevant = [*_carry(rows[:begin]), *rows[begin:end]]
        value = window_value(metric, relevant, instant, window).value
        if value is not None:
            samples.append(value)
    return samples


def _carry(older: Iterable[BucketRow]) -> list[BucketRow]:
    """One synthetic row holding the newest latest-values of rows before the window (agent states)."""
    latest: dict[str, Stamped] = {}
    last: BucketRow | None = None
    for row in older:
        last = row
        for name, stamped in row.latest.items():
            current = latest.get(name)
            if current is None or stamped.at >= current.at:
                latest[name] = stamped
    if last is None:
        return []
    return [BucketRow(last.scope, last.bucket, {}, latest)]


def _chunks(hours: Sequence[datetime], size: int) -> list[list[datetime]]:
    """Consecutive runs of at most ``size`` hours (a gap starts a new chunk)."""
    chunks: list[list[datetime]] = []
    for hour in hours:
        if chunks and len(chunks[-1]) < size and chunks[-1][-1] + _HOUR == hour:
            chunks[-1].append(hour)
        else:
            chunks.append([hour])
    return chunks
