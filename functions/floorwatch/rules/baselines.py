"""Seasonal baselines and adaptive thresholds. Pure: no clock, no store, no AWS.

**What a baseline is.** For one (scope, metric) and one seasonal *slot* — the UTC hour of the week (0 =
Monday 00:00-01:00 UTC ... 167 = Sunday 23:00-24:00) or, with ``seasonality: hour_of_day``, the UTC
hour of the day (0..23) — the learner samples the metric exactly as the engine evaluates it
(``floorwatch.metrics.window.window_value`` over the rule's window) every ``SAMPLE_STRIDE`` (5 minutes)
through each past hour of that slot, and keeps the samples of the last ``HISTORY`` (4 weeks) per slot.
The baseline is their robust centre and spread:

- ``center`` = median of the samples;
- ``sigma`` = 1.4826 * MAD (median absolute deviation: for normal data it estimates the standard
  deviation while one bad day cannot drag it); when more than half the samples are identical (MAD 0 —
  a quiet queue at night) the standard deviation is used instead, which may also be 0.

Samples with no value (no contacts in the window, a stale gauge) are not samples: a slot is only as
good as the activity it saw.

**When a baseline is used** (`usable`): it has at least ``MIN_SAMPLES`` (12: one full hour) samples,
the learner had watched the pair for at least the rule's ``baseline.min_history`` (default 7 days:
one sample of every hour of the week; from the first hour with samples to the end of the run that last
updated the slot), it was learned over the rule's own window, and with the rule's
seasonality. Otherwise the rule's static tiers apply unchanged.

**Adaptive thresholds** (`adaptive_thresholds`), for a severity whose ``<severity>_sigma`` is set
(``info_sigma`` is optional; warning 3 and critical 5 by default) and that has a static tier ``T``::

    direction above:  adaptive = center + k * sigma      effective = min(T, max(adaptive, floor))
    direction below:  adaptive = center - k * sigma      effective = max(T, min(adaptive, floor))

- The band only ever *tightens* a tier: a value past the static tier always breaches it (the static
  tiers stay the guard rails against a baseline learned from a bad month).
- ``floor`` bounds the tightening: a tier never moves more than ``MAX_TIGHTENING`` (half) of its own
  magnitude (``T - |T|/2`` above, ``T + |T|/2`` below; a tier of 0 cannot move), and never past the
  effective threshold of the less severe tier (tiers stay ordered; a tier may meet the one below it,
  and a value past both is then the more severe).
- A severity without a sigma, or without a static tier, keeps its static value (or stays absent):
  the band never invents a tier the rule does not have.

Example: ``longest_wait_seconds`` above, tiers warning 120 / critical 300, sigmas 3 / 5; Monday 09:00
history has center 20 s, sigma 10 s: warning = min(120, max(50, 60)) = 60, critical = min(300,
max(70, 150)) = 150. On Saturday night (center 5, sigma 2) warning = max(11, 60) = 60 (floor),
critical = 150 (floor). During an unusual Monday rush (center 200, sigma 40) warning = 120 and
critical = 300: the static tiers.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from floorwatch.alerts.model import Severity
from floorwatch.rules.config import BaselineConfig, Direction, ThresholdRule, Tiers

Seasonality = Literal["hour_of_week", "hour_of_day"]
SEASONALITIES: tuple[Seasonality, ...] = ("hour_of_week", "hour_of_day")

SAMPLE_STRIDE = timedelta(minutes=5)
"""How often within an hour the learner samples the metric (12 samples per hour)."""
HISTORY = timedelta(weeks=4)
"""How far back a slot keeps samples: four values of each hour of the week."""
MIN_SAMPLES = 12
"""A baseline with fewer samples (less than one full active hour) is not used."""
MAX_TIGHTENING = 0.5
"""A tier never moves by more than this fraction of its own magnitude."""
MAD_TO_SIGMA = 1.4826
"""MAD * this estimates the standard deviation of normally distributed data."""

_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Baseline:
    """The learned centre and spread of one (scope, metric) in one seasonal slot."""

    scope: str
    metric: str
    seasonality: Seasonality
    slot: int  # hour of week 0..167 or hour of day 0..23, UTC
    center: float
    sigma: float
    samples: int
    window: timedelta  # the window the samples were evaluated over (the rule's)
    since: datetime  # start of the first hour the learner sampled for this (scope, metric)
    until: datetime  # how far the pair was learned when this slot was last updated

    @property
    def watched(self) -> timedelta:
        """How long the learner has been watching the (scope, metric)."""
        return self.until - self.since


@dataclass(frozen=True)
class SlotKey:
    """One seasonal slot of one (scope, metric)."""

    scope: str
    metric: str
    seasonality: Seasonality
    slot: int

    @classmethod
    def of(cls, baseline: Baseline) -> SlotKey:
        return cls(baseline.scope, baseline.metric, baseline.seasonality, baseline.slot)


@dataclass(frozen=True)
class SlotHistory:
    """The samples of one slot: per past hour (its start, UTC) the values sampled in it."""

    hours: Mapping[datetime, tuple[float, ...]]

    def merged(self, hour: datetime, samples: Sequence[float], keep_after: datetime) -> SlotHistory:
        """This history with ``hour`` (re)placed by ``samples`` (learning an hour twice does not double it)
        and hours starting at or before ``keep_after`` dropped. An hour with no samples is not kept."""
        hours = {start: values for start, values in self.hours.items() if start > keep_after}
        if samples:
            hours[hour] = tuple(samples)
        else:
            hours.pop(hour, None)
        return SlotHistory(hours)

    def values(self) -> list[float]:
        return [value for values in self.hours.values() for value in values]


EMPTY_HISTORY = SlotHistory({})


# --- slots -----------------------------------------------------------------------------------------
def hour_of_week(at: datetime) -> int:
    """0 = Monday 00:00-01:00 UTC ... 167 = Sunday 23:00-24:00 UTC."""
    utc = at.astimezone(UTC)
    return utc.weekday() * 24 + utc.hour


def slot_of(at: datetime, seasonality: Seasonality) -> int:
    return hour_of_week(at) if seasonality == "hour_of_week" else at.astimezone(UTC).hour


def hour_start(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    """Starts of the whole hours in [start, end) (start is rounded down to its hour)."""
    hours: list[datetime] = []
    current = hour_start(start)
    while current + _HOUR <= end:
        hours.append(current)
        current += _HOUR
    return hours


def sample_instants(hour: datetime) -> list[datetime]:
    """Where in an hour the learner evaluates the metric: hh:00, hh:05, ... hh:55."""
    count = int(_HOUR / SAMPLE_STRIDE)
    return [hour + SAMPLE_STRIDE * index for index in range(count)]


# --- statistics ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spread:
    center: float
    sigma: float
    samples: int


def robust_spread(values: Iterable[float]) -> Spread | None:
    """Median and MAD-derived sigma (standard deviation when MAD is 0); None without values."""
    data = sorted(values)
    if not data:
        return None
    center = statistics.median(data)
    mad = statistics.median(abs(value - center) for value in data)
    sigma = mad * MAD_TO_SIGMA
    if sigma == 0 and len(data) > 1:
        sigma = statistics.pstdev(data)
    return Spread(center, sigma, len(data))


def summarize(
    key: SlotKey, history: SlotHistory, *, window: timedelta, since: datetime, until: datetime
) -> Baseline | None:
    spread = robust_spread(history.values())
    if spread is None:
        return None
    return Baseline(
        key.scope,
        key.metric,
        key.seasonality,
        key.slot,
        spread.center,
        spread.sigma,
        spread.samples,
        window,
        since,
        until,
    )


# --- adaptive thresholds ---------------------------------------------------------------------------
def usable(rule: ThresholdRule, baseline: Baseline | None) -> bool:
    """Whether ``baseline`` may adapt ``rule``'s tiers (see the module docstring)."""
    config = rule.baseline
    if config is None or baseline is None:
        return False
    return (
        baseline.samples >= MIN_SAMPLES
        and baseline.watched >= config.min_history
        and baseline.window == rule.window
        and baseline.seasonality == config.seasonality
    )


def adaptive_thresholds(rule: ThresholdRule, baseline: Baseline | None) -> Tiers:
    """The rule's per-severity thresholds for this baseline: the static tiers when it is not usable."""
    config = rule.baseline
    if config is None or baseline is None or not usable(rule, baseline):
        return rule.tiers
    above = rule.direction is Direction.ABOVE
    sigmas = _sigmas(config)
    adapted: dict[str, float] = {}
    previous: float | None = None  # effective threshold of the less severe tier
    for severity, static in rule.tiers.levels():
        k = sigmas.get(severity)
        effective = static if k is None else _tightened(static, baseline, k, previous, above=above)
        adapted[severity.value] = effective
        previous = effective
    return Tiers.model_validate(adapted)


def adapted_rule(rule: ThresholdRule, baseline: Baseline | None) -> ThresholdRule:
    """``rule`` with its tiers replaced by `adaptive_thresholds` (for the alert state machine)."""
    tiers = adaptive_thresholds(rule, baseline)
    return rule if tiers is rule.tiers else rule.model_copy(update={"tiers": tiers})


def _sigmas(config: BaselineConfig) -> dict[Severity, float]:
    sigmas = {Severity.WARNING: float(config.warning_sigma), Severity.CRITICAL: float(config.critical_sigma)}
    if config.info_sigma is not None:
        sigmas[Severity.INFO] = float(config.info_sigma)
    return sigmas


def _tightened(static: float, baseline: Baseline, k: float, previous: float | None, *, above: bool) -> float:
    if above:
        adaptive = baseline.center + k * baseline.sigma
        floor = static - abs(static) * MAX_TIGHTENING
        if previous is not None:
            floor = max(floor, previous)
        return min(static, max(adaptive, floor))
    adaptive = baseline.center - k * baseline.sigma
    floor = static + abs(static) * MAX_TIGHTENING
    if previous is not None:
        floor = min(floor, previous)
    return max(static, min(adaptive, floor))
