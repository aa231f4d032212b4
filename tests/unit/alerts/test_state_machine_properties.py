"""Invariants of the threshold state machine over arbitrary series (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, AlertStatus, evaluate_threshold
from floorwatch.metrics.model import MetricValue
from floorwatch.rules.config import ThresholdRule
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RULE = ThresholdRule.model_validate(
    {
        "id": "queue-longest-wait",
        "metric": "longest_wait_seconds",
        "scope": "queue",
        "direction": "above",
        "tiers": {"info": 60, "warning": 120, "critical": 300},
        "for": "30s",
        "clear": 0.9,
    }
)

# Values around every threshold and clear level, plus "no data".
values = st.one_of(
    st.none(), st.sampled_from([0, 50, 55, 60, 61, 100, 110, 120, 121, 250, 280, 300, 301, 500])
)
steps = st.lists(st.tuples(st.integers(min_value=0, max_value=120), values), max_size=60)


def run(series: list[tuple[int, float | None]]) -> tuple[AlertState, list[Transition]]:
    state = AlertState.initial(RULE.id, "queue:billing")
    transitions: list[Transition] = []
    at = T0
    for gap, value in series:
        at += timedelta(seconds=gap)
        state, new = evaluate_threshold(RULE, state, MetricValue(value, 1), at)
        transitions += new
    return state, transitions


@settings(max_examples=200, deadline=None)
@given(steps)
def test_transitions_tell_a_consistent_story(series: list[tuple[int, float | None]]) -> None:
    state, transitions = run(series)
    open_severity: Severity | None = None
    for number, item in enumerate(transitions, start=1):
        assert item.version == number
        assert item.transition_id == f"{item.alert_id}:{number}"
        assert item.value is not None
        if item.transition is TransitionKind.OPENED:
            assert open_severity is None, "one open alert per (rule, scope)"
            threshold = RULE.threshold(item.severity)
            assert threshold is not None and item.value > threshold == item.threshold
            open_severity = item.severity
        elif item.transition is TransitionKind.UPGRADED:
            assert open_severity is not None and item.severity.rank > open_severity.rank
            open_severity = item.severity
        elif item.transition is TransitionKind.DOWNGRADED:
            assert open_severity is not None and item.severity.rank < open_severity.rank
            open_severity = item.severity
        elif item.transition is TransitionKind.RESOLVED:
            assert open_severity is not None and item.severity is open_severity
            assert item.value < RULE.clear_level(60)
            open_severity = None
    assert (state.status is AlertStatus.FIRING) == (open_severity is not None)
    if open_severity is not None:
        assert state.severity is open_severity


@settings(max_examples=100, deadline=None)
@given(steps)
def test_replays_are_identical_and_states_survive_persistence(series: list[tuple[int, float | None]]) -> None:
    first_state, first = run(series)
    second_state, second = run(series)
    assert first == second
    assert first_state == second_state
    assert AlertState.from_dict(first_state.to_dict()) == first_state
