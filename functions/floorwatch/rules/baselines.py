"""Seasonal baselines and adaptive thresholds. Pure: no clock, no store, no AWS.

**What a baseline is.** For one (scope, metric) and one seasonal *slot* — the hour of the week on the
clock of the scope's center (0 = Monday 00:00-01:00 ... 167 = Sunday 23:00-24:00, local time; see the
slots section) or, with ``seasonality: hour_of_day``, the local hour of the day (0..23) — the learner
samples the metric exactly as the engine evaluates it
(``floorwatch.metrics.window.window_value`` over the rule's window) every ``SAMPLE_STRIDE`` (5 minutes)
through each past hour of that slot, and keeps the samples of the last ``HISTORY`` (4 weeks) per slot.
The baseline is their robust centre and spread:

- ``center`` = median of the samples;
- ``sigma`` = 1.4826 * MAD (median absolute deviation: for normal data it estimates the standard
  deviation while one bad day cannot drag it); when more than half the samples are identical (MAD 0 —
  a quiet queue at night) the standard deviation is used instead, which may also be 0.

Samples with no value (no contacts in the window, a stale gauge) are not samples: a slot is only as
good as the activity it saw.

**When a baseline is used** (`usable`): it has at least ``MIN_SAMPLES`` (12: one full hour) samples
from at least the rule's ``baseline.min_periods`` past hours of the slot (3: "Monday 09:00" seen in
three earlier weeks — a weekly pattern needs about three weeks), the learner had watched the pair for at
least ``baseline.min_history`` (7 days), and it was learned over the rule's own window and seasonality.
Otherwise the rule's static tiers apply unchanged (a young scope, a sparse slot, a new rule), and the
alert says why ("static warning 120s: 2 of 3 weeks seen").

**Adaptive thresholds** (`thresholds`): normal in both directions, inside guard rails. For a severity
whose ``<severity>_sigma`` ``k`` is set (warning 3 and critical 5 by default; ``info_sigma`` optional)
and that has a static tier ``T``::

    spread = max(sigma, min_spread)                      min_spread: the rule's, else T_warning / 10
    band   = center + k * spread   (above)               center - k * spread   (below)
    tier   = band, clamped between tightest and loosest

- *tightest*: the rule's ``baseline.tightest`` for that severity; by default a warning or info tier
  tightens at most ``MAX_TIGHTENING`` (half) of its own magnitude (``T - |T|/2`` above, ``T + |T|/2``
  below) and the critical tier, the one that pages, does not tighten (a quiet slot's handful of
  contacts must not page on a hair trigger; the warning is what catches quiet-hour trouble). Never past
  the less severe tier's effective threshold (tiers stay ordered; a tier may meet the one below it, and
  a value past both is then the more severe).
- *loosest*: the rule's ``baseline.loosest`` for that severity ("never warn later than 240 s", "page
  under 50 % whatever the baseline says"); by default a warning (or info) may loosen up to the next more
  severe *static* tier, and the most severe tier never loosens: an absolute critical stays absolute
  unless the rule states how far it may move.
- ``min_spread`` is why a slot that never varies (a quiet hour whose service level is always 88 %)
  does not get hair-trigger tiers: a sigma stands for at least a tenth of the warning tier.
- A severity without a sigma, or without a static tier, keeps its static value (or stays absent).

Example: ``longest_wait_seconds`` above, tiers warning 120 / critical 300. Monday 09:00 is a normal
peak: center 170 s, sigma 20 s -> warning = 170 + 3 * 20 = 230 (looser than 120, inside the default
loosest 300), critical = 170 + 5 * 20 = 270. Saturday 03:00: center 5 s, sigma 2 s -> spread 12 s
(min_spread), band 41 / 65 -> warning 60 (tightest), critical 300 (a critical does not tighten by
default; with ``tightest: {critical: 150}`` it would be 150). A slot seen in only two
weeks: the static 120 / 300.

**Explanations** (`Thresholds.explain`): every transition of a baseline rule carries ``basis``, e.g.
"usual for Mon 09:00 is 170s ± 20s; warning at 230s" (with "(rule limit)" when a guard rail set it),
or "static warning 120s: nothing learned for this hour yet".

Why median/MAD per slot rather than a seasonal EWMA or Holt-Winters: one incident hour barely moves a
median of four weeks of samples, while an EWMA absorbs it into next week's normal; the slot model needs
no training state beyond the samples, so a learner that missed a run simply catches up. The numbers
behind this choice are the weeks benchmark in docs/alert-quality.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from floorwatch.alerts.model import Severity
from floorwatch.metrics.catalog import format_metric_value
from floorwatch.metrics.model import BucketRow
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
"""A tier never tightens by more than this fraction of its own magnitude."""
MIN_SPREAD_SHARE = 0.1
"""Default ``min_spread``: this share of the rule's static warning tier."""
MAD_TO_SIGMA = 1.4826
"""MAD * this estimates the standard deviation of normally distributed data."""

_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Baseline:
    """The learned centre and spread of one (scope, metric) in one seasonal slot."""

    scope: str
    metric: str
    seasonality: Seasonality
    slot: int  # hour of week 0..167 or hour of day 0..23, on the center's clock (slot_of)
    center: float
    sigma: float
    samples: int
    window: timedelta  # the window the samples were evaluated over (the rule's)
    since: datetime  # start of the first hour the learner sampled for this (scope, metric)
    until: datetime  # how far the pair was learned when this slot was last updated
    periods: int = 1  # past hours with samples in the slot (for hour_of_week: how many weeks it saw)

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
# Slots are hours of the *center's* local clock (an IANA zone; UTC unless the rules file says otherwise),
# so a rush at 09:00 local time stays in the Monday 09:00 slot in winter and in summer time. The learner
# and the lookups use these functions and nothing else, so they always agree on a slot.
#
# Daylight-saving changes: an hour is a real (UTC) hour starting on a local whole hour. On the 23-hour day
# the skipped local hour (02:00 in Europe) has no hour that week; on the 25-hour day the repeated local
# hour occurs twice and both real hours are samples of that one slot. Zones whose offset is not a whole
# number of hours (Asia/Kolkata, +05:30) have their hours start at :30 UTC; an offset change of less than
# an hour (Australia/Lord_Howe) is not supported (hours stay on the alignment of the first one).
def hour_of_week(at: datetime, zone: tzinfo = UTC) -> int:
    """0 = Monday 00:00-01:00 ... 167 = Sunday 23:00-24:00, on ``zone``'s clock."""
    local = at.astimezone(zone)
    return local.weekday() * 24 + local.hour


def slot_of(at: datetime, seasonality: Seasonality, zone: tzinfo = UTC) -> int:
    """The seasonal slot ``at`` falls in, on ``zone``'s clock (the one slot computation there is)."""
    return hour_of_week(at, zone) if seasonality == "hour_of_week" else at.astimezone(zone).hour


def hour_start(at: datetime, zone: tzinfo = UTC) -> datetime:
    """The start (UTC) of the local hour ``at`` falls in."""
    local = at.astimezone(zone)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def hours_between(start: datetime, end: datetime, zone: tzinfo = UTC) -> list[datetime]:
    """Starts (UTC) of the whole local hours in [start, end) (start is rounded down to its hour)."""
    hours: list[datetime] = []
    current = hour_start(start, zone)
    while current + _HOUR <= end:
        hours.append(current)
        current += _HOUR
    return hours


def sample_instants(hour: datetime) -> list[datetime]:
    """Where in an hour the learner evaluates the metric: hh:00, hh:05, ... hh:55."""
    count = int(_HOUR / SAMPLE_STRIDE)
    return [hour + SAMPLE_STRIDE * index for index in range(count)]


def zone_key(zone: tzinfo) -> str:
    """The IANA name of a zone from ``floorwatch.rules.config.zone_named`` ("UTC" for UTC)."""
    return str(getattr(zone, "key", "UTC"))


def scope_center(scope: str, rows: Sequence[BucketRow]) -> str | None:
    """The center a scope belongs to: a center scope's own id, else the center stamped on its newest
    metric row (the fold stamps the center of the events it saw; ``rows`` newest first)."""
    kind, _, ident = scope.partition(":")
    if kind == "center":
        return ident
    return next((row.center for row in rows if row.center is not None), None)


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
        periods=sum(1 for values in history.hours.values() if values),
    )


# --- adaptive thresholds ---------------------------------------------------------------------------
def usable(rule: ThresholdRule, baseline: Baseline | None) -> bool:
    """Whether ``baseline`` may adapt ``rule``'s tiers (see the module docstring)."""
    return _unusable_because(rule, baseline) is None


def _unusable_because(rule: ThresholdRule, baseline: Baseline | None) -> str | None:
    """Why the static tiers apply (None: the baseline is usable)."""
    config = rule.baseline
    if config is None:
        return "no baseline configured"
    if baseline is None:
        return "nothing learned for this hour yet"
    if baseline.window != rule.window or baseline.seasonality != config.seasonality:
        return "learned over another window or seasonality"
    if baseline.samples < MIN_SAMPLES:
        return f"{baseline.samples} samples (needs {MIN_SAMPLES})"
    if baseline.periods < config.min_periods:
        unit = "weeks" if baseline.seasonality == "hour_of_week" else "days"
        return f"{baseline.periods} of {config.min_periods} {unit} seen"
    if baseline.watched < config.min_history:
        return f"learned for {_days(baseline.watched)} of {_days(config.min_history)}"
    return None


@dataclass(frozen=True)
class AppliedTier:
    """One tier as the evaluator applies it, and why."""

    severity: Severity
    threshold: float
    static: float
    limited: bool  # a guard rail (loosest limit, tightening floor or tier order) set it, not the band


@dataclass(frozen=True)
class Thresholds:
    """The tiers that apply to one evaluation of a baseline rule, with the baseline behind them."""

    rule: ThresholdRule
    tiers: Tiers
    baseline: Baseline | None
    applied: tuple[AppliedTier, ...]  # empty: the static tiers apply (see ``fallback``)
    fallback: str | None  # why the static tiers apply

    def explain(self, severity: Severity) -> str | None:
        """ "usual for Mon 09:00 is 70s ± 20s; warning at 130s" (None for a rule without baseline)."""
        if self.rule.baseline is None:
            return None
        metric = self.rule.metric
        if self.baseline is None or self.fallback is not None:
            static = self.rule.tiers.threshold(severity)
            at = "" if static is None else f" {format_metric_value(static, metric)}"
            return f"static {severity.value}{at}: {self.fallback}"
        tier = next((tier for tier in self.applied if tier.severity is severity), None)
        usual = (
            f"usual for {slot_label(self.baseline.slot, self.baseline.seasonality)} is "
            f"{format_metric_value(self.baseline.center, metric)} ± "
            f"{format_metric_value(self.baseline.sigma, metric)}"
        )
        if tier is None:
            return usual
        where = f"{severity.value} at {format_metric_value(tier.threshold, metric)}"
        return f"{usual}; {where}{' (rule limit)' if tier.limited else ''}"


def thresholds(rule: ThresholdRule, baseline: Baseline | None) -> Thresholds:
    """The tiers ``rule`` applies with ``baseline`` (its static tiers when the baseline is not usable)."""
    config = rule.baseline
    reason = _unusable_because(rule, baseline)
    if config is None or baseline is None or reason is not None:
        return Thresholds(rule, rule.tiers, baseline, (), reason)
    above = rule.direction is Direction.ABOVE
    sigmas = _sigmas(config)
    spread = max(baseline.sigma, _min_spread(rule))
    applied: list[AppliedTier] = []
    previous: float | None = None  # effective threshold of the less severe tier
    for severity, static in rule.tiers.levels():
        k = sigmas.get(severity)
        if k is None:
            tier = AppliedTier(severity, static, static, limited=False)
        else:
            band = baseline.center + k * spread if above else baseline.center - k * spread
            tier = _guarded(rule, severity, static, band, previous, above=above)
        applied.append(tier)
        previous = tier.threshold
    tiers = Tiers.model_validate({tier.severity.value: tier.threshold for tier in applied})
    return Thresholds(rule, tiers, baseline, tuple(applied), None)


def adaptive_thresholds(rule: ThresholdRule, baseline: Baseline | None) -> Tiers:
    """The rule's per-severity thresholds for this baseline: the static tiers when it is not usable."""
    return thresholds(rule, baseline).tiers


def adapted_rule(rule: ThresholdRule, baseline: Baseline | None) -> ThresholdRule:
    """``rule`` with its tiers replaced by `adaptive_thresholds` (for the alert state machine)."""
    return with_tiers(rule, adaptive_thresholds(rule, baseline))


def with_tiers(rule: ThresholdRule, tiers: Tiers) -> ThresholdRule:
    return rule if tiers == rule.tiers else rule.model_copy(update={"tiers": tiers})


def _sigmas(config: BaselineConfig) -> dict[Severity, float]:
    sigmas = {Severity.WARNING: float(config.warning_sigma), Severity.CRITICAL: float(config.critical_sigma)}
    if config.info_sigma is not None:
        sigmas[Severity.INFO] = float(config.info_sigma)
    return sigmas


def _min_spread(rule: ThresholdRule) -> float:
    """The smallest spread a sigma stands for: the rule's ``min_spread``, else a tenth of its static
    warning tier (its first tier when it has no warning)."""
    config = rule.baseline
    if config is not None and config.min_spread is not None:
        return float(config.min_spread)
    reference = rule.tiers.warning if rule.tiers.warning is not None else rule.tiers.levels()[0][1]
    return abs(reference) * MIN_SPREAD_SHARE


def _loosest(rule: ThresholdRule, severity: Severity, static: float) -> float:
    """How far a tier may loosen: the rule's ``loosest`` limit, else the next more severe static tier
    (a warning may become as loose as the critical tier), else not at all (the critical tier is absolute)."""
    config = rule.baseline
    stated = config.loosest.threshold(severity) if config is not None and config.loosest else None
    if stated is not None:
        return stated
    more_severe = [threshold for level, threshold in rule.tiers.levels() if level.rank > severity.rank]
    return more_severe[0] if more_severe else static


def _tightest(rule: ThresholdRule, severity: Severity, static: float, *, above: bool) -> float:
    """How far a tier may tighten: the rule's ``tightest`` limit, else ``MAX_TIGHTENING`` of its
    magnitude for a warning or info tier, and not at all for the critical tier: the tier that pages stays
    where the rule put it in a quiet slot (a handful of contacts), unless the rule states otherwise."""
    config = rule.baseline
    stated = config.tightest.threshold(severity) if config is not None and config.tightest else None
    if stated is not None:
        return stated
    if severity is Severity.CRITICAL:
        return static
    return static - abs(static) * MAX_TIGHTENING if above else static + abs(static) * MAX_TIGHTENING


def _guarded(
    rule: ThresholdRule,
    severity: Severity,
    static: float,
    band: float,
    previous: float | None,
    *,
    above: bool,
) -> AppliedTier:
    """The band clamped between the tightest (``MAX_TIGHTENING`` of the tier's magnitude, and never past
    the less severe tier) and the loosest value the tier may take."""
    loosest = _loosest(rule, severity, static)
    tightest = _tightest(rule, severity, static, above=above)
    if above:
        if previous is not None:
            tightest = max(tightest, previous)
        threshold = min(max(band, tightest), max(loosest, tightest))
    else:
        if previous is not None:
            tightest = min(tightest, previous)
        threshold = max(min(band, tightest), min(loosest, tightest))
    return AppliedTier(severity, threshold, static, limited=threshold != band)


# --- explanations ----------------------------------------------------------------------------------
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def slot_label(slot: int, seasonality: Seasonality) -> str:
    """ "Mon 09:00" (hour of the week) or "09:00" (hour of the day), in the slot's own clock."""
    if seasonality == "hour_of_week":
        return f"{_DAYS[slot // 24 % 7]} {slot % 24:02d}:00"
    return f"{slot % 24:02d}:00"


def _days(span: timedelta) -> str:
    if span >= timedelta(days=1):
        return f"{span / timedelta(days=1):.3g}d"
    return f"{span / timedelta(hours=1):.3g}h"
