"""Adaptive thresholds: sigma bands tighten the static tiers, never loosen them, within the floors."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.alerts.model import Severity
from floorwatch.rules.baselines import (
    Baseline,
    adapted_rule,
    adaptive_thresholds,
    hour_of_week,
    robust_spread,
    usable,
)
from floorwatch.rules.config import ThresholdRule, parse_rules

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def rule() -> ThresholdRule:
    text = textwrap.dedent(
        """\
        - id: queue-longest-wait
          metric: longest_wait_seconds
          scope: queue
          direction: above
          tiers: {warning: 120, critical: 300}
          baseline: {warning_sigma: 3, critical_sigma: 5}
        """
    )
    parsed = parse_rules(text, "rules.yaml")
    found = parsed.rules[0]
    assert isinstance(found, ThresholdRule)
    return found


def below_rule() -> ThresholdRule:
    text = textwrap.dedent(
        """\
        - id: queue-service-level
          metric: service_level
          scope: queue
          direction: below
          clear: 0.95
          tiers: {info: 0.8, warning: 0.7, critical: 0.5}
          baseline: {info_sigma: 2, warning_sigma: 3, critical_sigma: 5}
        """
    )
    found = parse_rules(text, "rules.yaml").rules[0]
    assert isinstance(found, ThresholdRule)
    return found


def baseline(
    center: float,
    sigma: float,
    *,
    samples: int = 48,
    watched: timedelta = timedelta(days=8),
    window: timedelta = timedelta(minutes=15),
) -> Baseline:
    return Baseline(
        scope="queue:billing",
        metric="longest_wait_seconds",
        seasonality="hour_of_week",
        slot=hour_of_week(MONDAY_9),
        center=center,
        sigma=sigma,
        samples=samples,
        window=window,
        since=MONDAY_9 - watched,
        until=MONDAY_9,
    )


def levels(rule_: ThresholdRule, base: Baseline | None) -> dict[Severity, float]:
    return dict(adaptive_thresholds(rule_, base).levels())


def test_the_docstring_examples_hold() -> None:
    watched = rule()
    assert levels(watched, baseline(20, 10)) == {Severity.WARNING: 60, Severity.CRITICAL: 150}
    assert levels(watched, baseline(5, 2)) == {Severity.WARNING: 60, Severity.CRITICAL: 150}
    assert levels(watched, baseline(200, 40)) == {Severity.WARNING: 120, Severity.CRITICAL: 300}


def test_bands_between_the_floor_and_the_static_tier_are_used_as_learned() -> None:
    # center 30, sigma 12: warning 66, critical 90 — but critical may only tighten to 150 (half of 300).
    assert levels(rule(), baseline(30, 12)) == {Severity.WARNING: 66, Severity.CRITICAL: 150}
    assert levels(rule(), baseline(60, 30)) == {Severity.WARNING: 120, Severity.CRITICAL: 210}


def test_without_a_usable_baseline_the_static_tiers_apply() -> None:
    static = {Severity.WARNING: 120, Severity.CRITICAL: 300}
    assert levels(rule(), None) == static
    assert levels(rule(), baseline(20, 10, samples=11)) == static  # less than one hour of samples
    assert levels(rule(), baseline(20, 10, watched=timedelta(days=6))) == static  # min_history 7d
    assert levels(rule(), baseline(20, 10, window=timedelta(minutes=5))) == static  # another window
    daily = Baseline(**{**baseline(20, 10).__dict__, "seasonality": "hour_of_day", "slot": 9})
    assert levels(rule(), daily) == static  # learned with another seasonality


def test_min_history_and_seasonality_come_from_the_rule() -> None:
    short = rule().model_copy(
        update={"baseline": rule().baseline.model_copy(update={"min_history": timedelta(days=1)})}  # type: ignore[union-attr]
    )
    assert usable(short, baseline(20, 10, watched=timedelta(days=2)))
    daily = rule().model_copy(
        update={"baseline": rule().baseline.model_copy(update={"seasonality": "hour_of_day"})}  # type: ignore[union-attr]
    )
    assert not usable(daily, baseline(20, 10))


def test_a_rule_without_baseline_config_is_never_adapted() -> None:
    plain = rule().model_copy(update={"baseline": None})
    assert adapted_rule(plain, baseline(20, 10)) is plain


def test_below_rules_tighten_upwards_and_a_tier_without_sigma_stays_static() -> None:
    sl = below_rule()
    # Normally 0.95 +- 0.02: info 0.91, warning 0.89 (their floors 1.2 and 1.05 do not bind); critical
    # would be 0.85 but may only rise to 0.75 (0.5 + half of 0.5).
    assert levels(sl, baseline(0.95, 0.02)) == pytest.approx(
        {Severity.INFO: 0.91, Severity.WARNING: 0.89, Severity.CRITICAL: 0.75}
    )
    # A bad baseline (center 0.6) cannot loosen the static tiers.
    assert levels(sl, baseline(0.6, 0.05)) == {
        Severity.INFO: 0.8,
        Severity.WARNING: 0.7,
        Severity.CRITICAL: 0.5,
    }
    no_info_sigma = sl.model_copy(
        update={"baseline": sl.baseline.model_copy(update={"info_sigma": None})}  # type: ignore[union-attr]
    )
    adapted = levels(no_info_sigma, baseline(0.95, 0.02))
    assert adapted[Severity.INFO] == 0.8
    # warning would tighten to 0.89, but never past the (static) info tier: it meets it at 0.8
    assert adapted[Severity.WARNING] == 0.8
    assert adapted[Severity.CRITICAL] == pytest.approx(0.75)  # 0.85 capped by critical's floor 0.75


def test_tiers_stay_ordered_for_any_baseline() -> None:
    for center in (0.0, 1.0, 50.0, 119.0, 250.0, 1000.0):
        for sigma in (0.0, 0.5, 10.0, 80.0):
            adapted = levels(rule(), baseline(center, sigma))
            assert adapted[Severity.WARNING] <= adapted[Severity.CRITICAL]
            assert 60 <= adapted[Severity.WARNING] <= 120
            assert 150 <= adapted[Severity.CRITICAL] <= 300


def test_adapted_rule_feeds_the_state_machine_with_the_new_tiers() -> None:
    adapted = adapted_rule(rule(), baseline(20, 10))
    assert adapted.threshold(Severity.WARNING) == 60
    assert adapted.id == "queue-longest-wait" and adapted.for_ == rule().for_


def test_robust_spread_ignores_one_outlier_and_falls_back_to_stddev_when_mad_is_zero() -> None:
    spread = robust_spread([10, 11, 9, 10, 12, 8, 10, 500])
    assert spread is not None
    assert spread.center == 10
    assert spread.sigma == pytest.approx(1.4826)
    flat = robust_spread([0, 0, 0, 0, 0, 6])
    assert flat is not None and flat.center == 0 and flat.sigma == pytest.approx(2.2360679)
    assert robust_spread([]) is None
