"""What both alert stores (memory, DynamoDB) agree on: which states are active, and the save contract.

``is_active`` decides who the periodic tick evaluates and what dashboard snapshots show: pending and
firing states, flapping ones (they must be evaluated until stable again) and snoozed ones whose snooze
has not yet been passed by an evaluation. The engine saves a state whenever this flag changes, so an
expired snooze leaves the active set at the next tick.
"""

from __future__ import annotations

from collections.abc import Sequence

from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import AlertState, AlertStatus


def is_active(state: AlertState) -> bool:
    if state.status is not AlertStatus.INACTIVE or state.flapping:
        return True
    snoozed_until = state.snoozed_until
    if snoozed_until is None:
        return False
    evaluated = state.last_evaluated_at
    return evaluated is None or snoozed_until > evaluated


def check_save(previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
    """The state machine's invariant a save must keep: each transition bumps the version by one and
    carries it, so a transition id (alert_id:version) can only ever be written by one save."""
    if state.version != previous_version + len(transitions):
        raise ValueError(
            f"state {state.rule_id} / {state.scope} at version {state.version} does not follow version "
            f"{previous_version} with {len(transitions)} transition(s)"
        )
    for offset, transition in enumerate(transitions, 1):
        if (
            transition.version != previous_version + offset
            or (transition.rule, transition.scope) != state.key
        ):
            raise ValueError(f"transition {transition.transition_id} does not belong at this save")
