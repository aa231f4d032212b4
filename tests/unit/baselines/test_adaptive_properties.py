"""Adaptive thresholds over arbitrary rules and baselines (hypothesis): guard rails always hold: no tier
tightens by more than half its magnitude, none loosens past its limit (the next static tier by default,
none for the most severe), and tiers stay ordered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from floorwatch.alerts.model import Severity
from floorwatch.rules.baselines import MAX_TIGHTENING, Baseline, adaptive_thresholds
from floorwatch.rules.config import BaselineConfig, Direction, ThresholdRule, Tiers
from hypothesis import given
from hypothesis import strategies as st

AT = datetime(2026, 11, 23, 9, tzinfo=UTC)
numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def rules(draw: st.DrawFn) -> ThresholdRule:
    direction = draw(st.sampled_from([Direction.ABOVE, Direction.BELOW]))
    values = sorted(draw(st.lists(numbers, min_size=1, max_size=3, unique=True)))
    if direction is Direction.BELOW:
        values.reverse()
    names = ("info", "warning", "critical")[3 - len(values) :]  # the most severe tiers
    tiers = Tiers(**dict(zip(names, values, strict=True)))
    warning = draw(st.floats(min_value=0.1, max_value=10))
    info = draw(st.none() | st.floats(min_value=0.05, max_value=warning * 0.99))
    config = BaselineConfig(
        info_sigma=info, warning_sigma=warning, critical_sigma=warning + draw(st.floats(0.1, 10))
    )
    return ThresholdRule.model_construct(
        id="r",
        scope="queue",
        metric="longest_wait_seconds",
        direction=direction,
        tiers=tiers,
        baseline=config,
        window=timedelta(minutes=15),
        clear=0.9,
    )


@st.composite
def baselines(draw: st.DrawFn) -> Baseline:
    return Baseline(
        "queue:q",
        "longest_wait_seconds",
        "hour_of_week",
        9,
        draw(numbers),
        draw(st.floats(min_value=0, max_value=1e5)),
        draw(st.integers(12, 500)),
        timedelta(minutes=15),
        AT - timedelta(days=30),
        AT,
        periods=draw(st.integers(3, 4)),
    )


@given(rules(), baselines())
def test_tiers_move_only_within_their_rails_and_stay_ordered(rule: ThresholdRule, baseline: Baseline) -> None:
    adapted = dict(adaptive_thresholds(rule, baseline).levels())
    static = dict(rule.tiers.levels())
    assert adapted.keys() == static.keys()  # no tier invented, none dropped
    above = rule.direction is Direction.ABOVE
    severities = list(static)
    for index, (severity, threshold) in enumerate(static.items()):
        value = adapted[severity]
        slack = abs(threshold) * MAX_TIGHTENING
        loosest = static[severities[index + 1]] if index + 1 < len(severities) else threshold
        if above:
            assert threshold - slack - 1e-9 <= value <= max(loosest, threshold) + 1e-9
        else:
            assert min(loosest, threshold) - 1e-9 <= value <= threshold + slack + 1e-9
    ordered = [adapted[s] for s in (Severity.INFO, Severity.WARNING, Severity.CRITICAL) if s in adapted]
    assert ordered == (sorted(ordered) if above else sorted(ordered, reverse=True))
