"""A metric's value at an instant over a sliding window of stored buckets. Pure.

Edge rule (counters, ratios, averages): a bucket belongs to the window when its *start* is in
``(at - window, at]``. The window therefore covers whole buckets: the current bucket (partly in the
future of ``at`` only if events after ``at`` were already folded) is included, the bucket starting
exactly ``window`` before ``at`` is not. With 1-minute buckets and a 15-minute window evaluated at
09:15:30, the buckets 09:01 .. 09:15 count and 09:00 does not.

Latest values (gauges, agent state, feed last-seen) are the newest stamp not newer than ``at`` (in event
time) across the rows, whatever bucket holds it:

- gauge: a stamp at or before ``at - window`` is stale, and stale data is not a value (None): a queue
  whose snapshots stopped must not keep reporting its last figure as if it were live (staleness rules
  catch the silent feed instead);
- duration in state: the agent's latest state persists however old it is (a long hold is the point);
  ``at - since`` when it matches the metric's state, 0 when the agent is in another state, None when the
  agent never reported a state;
- staleness: ``at - last seen`` (never negative); None when the feed never spoke.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from floorwatch.metrics.catalog import (
    AGENT_STATE,
    AGENT_STATE_SINCE,
    CATALOG,
    EVENTS,
    LAST_SEEN,
    MetricDef,
    MetricKind,
)
from floorwatch.metrics.model import DEFAULT_BUCKET, BucketRow, MetricValue, Stamped

NO_VALUE = MetricValue(None, 0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_value(
    metric: MetricDef, rows: Sequence[BucketRow], at: datetime, window: timedelta
) -> MetricValue:
    """``metric`` over ``window`` ending at ``at``; ``rows`` are the scope's items in bucket order (newest
    first as stores return them, or oldest first): sums stop at the window's end instead of reading the
    hour of rows the evaluator holds for its longest rule."""
    kind = metric.kind
    if kind is MetricKind.COUNTER:
        total = _sum(rows, (metric.numerator,), at - window, at) if metric.numerator else 0.0
        return MetricValue(total, int(total))
    if kind is MetricKind.RATIO or kind is MetricKind.AVERAGE:
        return _quotient(metric, rows, at, window)
    if kind is MetricKind.GAUGE_SHARE:
        return _gauge_share(metric, rows, at, window)
    latest = _latest(rows, metric.latest, at)
    if kind is MetricKind.GAUGE:
        if latest is None or latest.at <= at - window or isinstance(latest.value, str):
            return NO_VALUE
        return MetricValue(float(latest.value), 1)
    if kind is MetricKind.DURATION_IN_STATE:
        current = agent_state_at(rows, at)
        if current is None:
            return NO_VALUE
        seconds = (at - current.at).total_seconds() if current.value == metric.state else 0.0
        return MetricValue(max(0.0, seconds), 1)
    if kind is MetricKind.STALENESS:
        return _staleness(rows, metric.latest, at)
    if kind is MetricKind.SILENCE:
        return silence_value(rows, at, window)
    raise ValueError(f"unsupported metric kind {kind!r}")


def evaluate_scope_metrics(
    scope: str, rows: Sequence[BucketRow], at: datetime, windows_by_metric: Mapping[str, timedelta]
) -> dict[str, MetricValue]:
    """Every requested metric of one scope from one read of its rows (metric name -> value)."""
    values: dict[str, MetricValue] = {}
    for name, window in windows_by_metric.items():
        metric = CATALOG.get(name)
        if metric is None:
            raise KeyError(f"unknown metric {name!r} (scope {scope})")
        values[name] = window_value(metric, rows, at, window)
    return values


def _sum(rows: Sequence[BucketRow], fields: Sequence[str | None], after: datetime, at: datetime) -> float:
    total = 0.0
    inside = False
    for row in rows:
        if after < row.bucket <= at:
            inside = True
            adds = row.adds
            for name in fields:
                if name is not None:
                    total += adds.get(name, 0.0)
        elif inside:
            break  # rows are in bucket order: the window's rows are behind us (see window_value)
    return total


def _quotient(metric: MetricDef, rows: Sequence[BucketRow], at: datetime, window: timedelta) -> MetricValue:
    # One pass for both sums (the evaluator computes several of these per queue and batch).
    after = at - window
    fields = metric.denominator
    numerator_name = metric.numerator
    numerator = denominator = 0.0
    inside = False
    for row in rows:
        if after < row.bucket <= at:
            inside = True
            adds = row.adds
            for name in fields:
                denominator += adds.get(name, 0.0)
            if numerator_name is not None:
                numerator += adds.get(numerator_name, 0.0)
        elif inside:
            break  # rows are in bucket order: the window's rows are behind us (see window_value)
    if denominator <= 0:
        return NO_VALUE
    return MetricValue(numerator / denominator, int(denominator))


def _gauge_share(
    metric: MetricDef, rows: Sequence[BucketRow], at: datetime, window: timedelta
) -> MetricValue:
    """Latest numerator ÷ latest denominator, both fresh (a gauge's staleness rule) and numeric; samples =
    the denominator (agents online for the not-ready share)."""
    part = _latest(rows, metric.numerator, at)
    whole = _latest(rows, metric.denominator[0], at)
    stale = at - window
    if (
        part is None
        or whole is None
        or part.at <= stale
        or whole.at <= stale
        or isinstance(part.value, str)
        or isinstance(whole.value, str)
        or whole.value <= 0
    ):
        return NO_VALUE
    return MetricValue(min(1.0, float(part.value) / float(whole.value)), int(whole.value))


def silence_value(
    rows: Sequence[BucketRow], at: datetime, window: timedelta, bucket: timedelta = DEFAULT_BUCKET
) -> MetricValue:
    """How surprising the scope's current silence is for its own cadence: -ln P(silence).

    The cadence is read from the ``window`` that ends with the scope's last event (so the silence itself
    does not dilute it), in buckets (minutes) with at least one event: counting active minutes rather
    than events keeps bursty feeds (a call's utterances arrive together) honest. With a share ``f`` of
    active buckets, ``n`` silent buckets have probability about ``(1 - f) ** n``: ``-n * ln(1 - f)``.
    ``f`` is capped at ``k / (k + 1)`` for ``k`` buckets in the window, so an always-busy feed scores
    about 4 per silent minute (1h window) and a night feed active one minute in ten about 0.1.

    Half of the longest pause the scope had in that window is forgiven: only the silent minutes beyond
    it count. Activity comes in bursts (contact analytics in the evening: a few calls, then six quiet
    minutes), and minutes are not independent draws: a feed that paused for six minutes twice this hour
    is not alarming three minutes into a pause; a feed that never paused for more than a minute is,
    after a few. Forgiving the whole pause was tried: it also hid a dead analytics feed of a small
    center whose natural pauses were nearly as long as the 10-minute outage (docs/alert-quality.md).

    9.2 is a chance of 1 in 10,000. Samples: the active buckets measured. None when the scope never
    spoke.
    """
    last = _latest(rows, LAST_SEEN, at)
    if last is None:
        return NO_VALUE
    seen = last.at
    after = seen - window
    active = sorted(
        {row.bucket for row in rows if after < row.bucket <= seen and row.adds.get(EVENTS, 0.0) > 0}
    )
    buckets = max(1, round(window / bucket))
    share = min(len(active) / buckets, buckets / (buckets + 1))
    silent = max(0.0, (at - seen) / bucket - _longest_pause(active, bucket) * PAUSE_DISCOUNT)
    return MetricValue(-silent * math.log1p(-share), len(active))


PAUSE_DISCOUNT = 0.5
"""How much of the scope's longest pause of the hour a silence is forgiven: half (a feed that paused
for six minutes is not alarming at three; at nine it counts six)."""


def _longest_pause(active: Sequence[datetime], bucket: timedelta) -> int:
    """The most silent buckets in a row between two active ones (``active``: bucket starts, in order)."""
    longest = 0
    for previous, current in pairwise(active):
        longest = max(longest, round((current - previous) / bucket) - 1)
    return longest


def agent_state_at(rows: Sequence[BucketRow], at: datetime) -> Stamped | None:
    """The agent's state reported last at or before ``at``, stamped with when the agent entered it."""
    # One pass over the rows for both fields.
    state: Stamped | None = None
    since: Stamped | None = None
    for row in rows:
        latest = row.latest
        stamped = latest.get(AGENT_STATE)
        if stamped is not None and stamped.at <= at and (state is None or stamped.at > state.at):
            state = stamped
        stamped = latest.get(AGENT_STATE_SINCE)
        if stamped is not None and stamped.at <= at and (since is None or stamped.at > since.at):
            since = stamped
    return None if state is None else _since_start(state, since)


def stored_agent_state_at(rows: Sequence[BucketRow], at: datetime) -> Stamped | None:
    """``agent_state_at`` for rows as a metric store returns them, read from the newest row back only as
    far as the answer.

    Store rows come newest first, and every stamp sits in the row of its own event time's bucket (fold
    puts it there; the state and its start are stamped together), so the first row holding a state at or
    before ``at`` holds the newest one, and its start beside it. The evaluator reads 15 buckets for every
    agent a batch touches, and the state is nearly always in the first or second.
    """
    for row in rows:
        latest = row.latest
        state = latest.get(AGENT_STATE)
        if state is None or state.at > at:
            continue
        return _since_start(state, latest.get(AGENT_STATE_SINCE))
    return None


def _since_start(state: Stamped, since: Stamped | None) -> Stamped:
    """The state stamped with when the agent entered it (``since``: the start reported with it)."""
    if since is None or since.at != state.at or isinstance(since.value, str):
        return state  # items written before the start was kept apart: the report time is the best we have
    return Stamped(state.value, _EPOCH + timedelta(seconds=since.value))


def _latest(rows: Sequence[BucketRow], name: str | None, at: datetime) -> Stamped | None:
    """The newest stamp of ``name`` at or before ``at`` (a bucket may hold one newer than ``at``)."""
    if name is None:
        return None
    best: Stamped | None = None
    for row in rows:
        stamped = row.latest.get(name)
        if stamped is not None and stamped.at <= at and (best is None or stamped.at > best.at):
            best = stamped
    return best


def _staleness(rows: Sequence[BucketRow], name: str | None, at: datetime) -> MetricValue:
    newest: datetime | None = None
    for row in rows:
        stamped = row.latest.get(name) if name is not None else None
        if stamped is not None and (newest is None or stamped.at > newest):
            newest = stamped.at
    if newest is None:
        return NO_VALUE
    return MetricValue(max(0.0, (at - newest).total_seconds()), 1)
