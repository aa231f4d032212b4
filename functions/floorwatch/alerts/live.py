"""Live values on the supervisor's screen: when a firing alert's value is worth telling dashboards again.

A firing alert that stays at its tier is not written at all by the engine (a write per batch would cost
one DynamoDB write per alert per event batch); its card would keep the value it opened with. The
engine therefore publishes the value now and then as an ``updated`` transition (docs/protocol.md),
coalesced by ``LivePolicy``:

- at most one per alert per ``interval`` of event time since the value dashboards were last told
  (``AlertState.shown_at``: the opening, a tier change or the previous update), and
- only when the value moved by at least ``min_change`` of the tier's threshold (5 %: 4 points of an
  80 % service level, 15 s of a 300 s wait) from the value shown, or past the worst shown by that much.

Each update is one state put and one transition item in one transaction, and one push per subscribed
dashboard. ``worst_value`` is the worst of the values published (openings, tier changes and updates):
a peak between two updates that did not last to the next evaluation is not kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, AlertStatus, Result, value_update
from floorwatch.rules.config import Direction, ThresholdRule

DEFAULT_INTERVAL = timedelta(seconds=30)
DEFAULT_MIN_CHANGE = 0.05
# Kinds that publish the alert's value (the card shows it): the first resets the worst value.
_PUBLISHING = frozenset({TransitionKind.OPENED, TransitionKind.UPGRADED, TransitionKind.DOWNGRADED})


@dataclass(frozen=True)
class LivePolicy:
    interval: timedelta = DEFAULT_INTERVAL
    min_change: float = DEFAULT_MIN_CHANGE  # of the tier's threshold (absolute value)

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError("the live update interval must be positive (leave the policy out for none)")
        if self.min_change < 0:
            raise ValueError("min_change must not be negative")


def worse(rule: ThresholdRule, a: float | None, b: float | None) -> float | None:
    """The worse of two values for the rule's direction (None: unknown)."""
    if a is None or b is None:
        return b if a is None else a
    return max(a, b) if rule.direction is Direction.ABOVE else min(a, b)


def track(rule: ThresholdRule, state: AlertState, transitions: list[Transition]) -> AlertState:
    """Remember the value the engine's own transitions published (opened, upgraded, downgraded)."""
    for transition in transitions:
        if transition.transition not in _PUBLISHING or transition.value is None:
            continue
        worst = transition.value if transition.transition is TransitionKind.OPENED else state.worst_value
        state = replace(
            state,
            shown_value=transition.value,
            shown_at=transition.at,
            worst_value=worse(rule, worst, transition.value),
        )
    return state


def due(
    policy: LivePolicy, rule: ThresholdRule, state: AlertState | None, value: float | None, at: datetime
) -> bool:
    """Whether ``value`` observed at ``at`` should be published for the firing alert ``state``."""
    if state is None or state.status is not AlertStatus.FIRING or value is None or state.severity is None:
        return False
    if state.shown_at is not None and at - state.shown_at < policy.interval:
        return False
    shown = state.shown_value if state.shown_value is not None else state.last_value
    if shown is None:
        return True
    step = abs(rule.threshold(state.severity) or 0.0) * policy.min_change
    if abs(value - shown) >= step and value != shown:
        return True
    worst = state.worst_value
    return worst is not None and worse(rule, worst, value) == value and abs(value - worst) >= step > 0


def update(policy: LivePolicy, rule: ThresholdRule, state: AlertState, at: datetime) -> Result:
    """After the evaluation that left ``state`` firing at the same tier: publish its value if due."""
    value = state.last_value
    if not due(policy, rule, state, value, at) or value is None or state.severity is None:
        return state, []
    worst = worse(rule, state.worst_value, value)
    return value_update(
        state, value, worst if worst is not None else value, rule.threshold(state.severity), at
    )
