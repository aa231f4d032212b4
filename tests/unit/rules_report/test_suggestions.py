"""When the feedback supports a threshold change, which level, and when it does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.alerts.feedback_report import (
    AlertRecord,
    Feedback,
    Window,
    build_report,
    replay_effect,
    roundest_between,
    suggest,
    with_tier,
)
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.rules.config import BaselineConfig, ThresholdRule
from floorwatch.store.audit_port import AuditEntry
from hypothesis import given
from hypothesis import strategies as st

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
WAIT = ThresholdRule.model_validate(
    {
        "id": "queue-longest-wait",
        "metric": "longest_wait_seconds",
        "scope": "queue",
        "direction": "above",
        "tiers": {"warning": 120, "critical": 300},
    }
)
SERVICE_LEVEL = ThresholdRule.model_validate(
    {
        "id": "queue-service-level",
        "metric": "service_level",
        "scope": "queue",
        "direction": "below",
        "tiers": {"warning": 0.7, "critical": 0.5},
        "clear": 0.95,
    }
)


def alert(number: int, peak: float, useful: bool | None, rule: str = WAIT.id) -> AlertRecord:
    opened = T0 + timedelta(days=number)
    feedback = None if useful is None else Feedback(opened + timedelta(minutes=3), "ana", useful, "peak")
    return AlertRecord(
        alert_id=f"a{number}",
        rule=rule,
        scope="queue:billing",
        opened_at=opened,
        resolved_at=opened + timedelta(minutes=30),
        peak=peak,
        incidents=(f"i{number}",),
        acknowledged_at=None,
        feedback=feedback,
    )


def test_normal_peaks_marked_not_useful_below_the_real_incidents_support_a_higher_warning() -> None:
    records = [alert(0, 172, False), alert(1, 158, False), alert(2, 165, False), alert(3, 260, True)]
    verdict = suggest(WAIT, records)
    assert verdict.suggestion is not None
    assert verdict.suggestion.suggested == 200  # the roundest level in [172, 260), under critical 300
    assert verdict.suggestion.silenced == ("a0", "a1", "a2")
    assert "3 of 3 not-useful alerts would not have opened" in verdict.reason


def test_an_alert_nobody_complained_about_is_kept_even_without_feedback() -> None:
    records = [alert(0, 172, False), alert(1, 158, False), alert(2, 165, False), alert(3, 180, None)]
    verdict = suggest(WAIT, records)
    assert verdict.suggestion is not None
    assert 172 <= verdict.suggestion.suggested < 180
    assert verdict.suggestion.kept == 1


def test_a_below_rule_is_loosened_downwards() -> None:
    records = [alert(0, 0.62, False), alert(1, 0.65, False), alert(2, 0.66, False), alert(3, 0.55, True)]
    verdict = suggest(SERVICE_LEVEL, records)
    assert verdict.suggestion is not None
    # Service level dipped to 0.62-0.66 on the normal days and 0.55 on the real one: warn under 0.6.
    assert verdict.suggestion.suggested == pytest.approx(0.6)
    assert verdict.suggestion.current == 0.7


@pytest.mark.parametrize(
    ("records", "why"),
    [
        ([alert(0, 170, False), alert(1, 160, False), alert(2, 250, True)], "too few"),
        (
            [alert(n, 150 + n, False) for n in range(3)] + [alert(n, 200 + n, True) for n in range(3, 7)],
            "only 3 of 7",
        ),
        # The complaints peaked as high as the useful alerts: no level separates them.
        (
            [alert(0, 250, False), alert(1, 240, False), alert(2, 260, False), alert(3, 150, True)],
            "no level between them",
        ),
        # Quieting the complaints would need a warning above the critical tier.
        (
            [alert(0, 310, False), alert(1, 320, False), alert(2, 305, False), alert(3, 400, True)],
            "would pass the critical tier",
        ),
    ],
    ids=["too-few", "not-most", "interleaved", "past-critical"],
)
def test_no_change_when_the_data_does_not_support_one(records: list[AlertRecord], why: str) -> None:
    verdict = suggest(WAIT, records)
    assert verdict.suggestion is None
    assert why in verdict.reason


def test_alerts_without_a_recorded_peak_give_no_suggestion() -> None:
    records = [alert(n, 150, False) for n in range(4)]
    records[0] = AlertRecord(**{**records[0].__dict__, "peak": None})
    assert suggest(WAIT, records).suggestion is None


def test_every_alert_not_useful_suggests_just_past_the_highest_peak_inside_the_critical_tier() -> None:
    records = [alert(0, 172, False), alert(1, 158, False), alert(2, 165, False)]
    verdict = suggest(WAIT, records)
    assert verdict.suggestion is not None
    assert 172 <= verdict.suggestion.suggested < 300


@given(
    low=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    width=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False),
)
def test_the_roundest_level_lies_in_its_interval(low: float, width: float) -> None:
    high = low + width
    level = roundest_between(low, high)
    assert level is not None
    assert low <= level < high or level == pytest.approx(low)


def test_roundest_levels_are_what_a_person_would_write() -> None:
    assert roundest_between(172, 260) == 200
    assert roundest_between(172, 175) == 172
    assert roundest_between(0.31, 0.4) == pytest.approx(0.35)
    assert roundest_between(172, float("inf")) == 200
    assert roundest_between(10, 10) is None


def test_a_moved_tier_keeps_the_rest_of_the_rule() -> None:
    moved = with_tier(WAIT, Severity.WARNING, 200)
    assert moved.tiers.levels() == ((Severity.WARNING, 200), (Severity.CRITICAL, 300))
    assert (moved.id, moved.metric, moved.for_) == (WAIT.id, WAIT.metric, WAIT.for_)


def _opened(alert_id: str, at: datetime, minutes: int) -> list[Transition]:
    def transition(kind: TransitionKind, when: datetime, version: int) -> Transition:
        return Transition(
            f"{alert_id}:{version}",
            alert_id,
            kind,
            WAIT.id,
            "queue:billing",
            Severity.WARNING,
            150.0,
            120.0,
            when,
            version,
        )

    return [
        transition(TransitionKind.OPENED, at, 1),
        transition(TransitionKind.RESOLVED, at + timedelta(minutes=minutes), 2),
    ]


def test_the_replay_counts_silenced_complaints_and_lost_alerts() -> None:
    records = [alert(0, 170, False), alert(1, 160, False), alert(2, 250, True)]
    before = [t for n in range(3) for t in _opened(f"r{n}", T0 + timedelta(days=n, minutes=1), 20)]
    # After the change only day 1's complaint still opens; the useful alert of day 2 was lost.
    after = _opened("x1", T0 + timedelta(days=1, minutes=2), 10)
    window = Window(T0 - timedelta(days=1), T0 + timedelta(days=7))
    effect = replay_effect(records, before, after, (WAIT.id, "queue:billing"), window)
    assert (effect.before.alerts, effect.after.alerts, effect.recorded) == (3, 1, 3)
    assert (effect.not_useful_silenced, effect.not_useful, effect.others_lost) == (1, 2, 1)


def test_a_baseline_rule_is_not_tuned_by_moving_its_static_tiers() -> None:
    adaptive = WAIT.model_copy(update={"baseline": BaselineConfig()})
    opened = [
        Transition(
            f"a{n}:1",
            f"a{n}",
            TransitionKind.OPENED,
            WAIT.id,
            "queue:billing",
            Severity.WARNING,
            150.0 + n,
            120.0,
            T0 + timedelta(days=n),
            1,
        )
        for n in range(3)
    ]
    feedback = [
        AuditEntry("ana", "feedback", T0 + timedelta(days=n, minutes=5), f"a{n}", details={"useful": False})
        for n in range(3)
    ]
    window = Window(T0, T0 + timedelta(days=7))
    (row,) = build_report(opened, feedback, window, [adaptive]).rows
    assert row.not_useful == 3 and row.verdict is not None and row.verdict.suggestion is None
    assert "baseline rule" in row.verdict.reason
    (static,) = build_report(opened, feedback, window, [WAIT]).rows
    assert static.verdict is not None and static.verdict.suggestion is not None
