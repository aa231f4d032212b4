"""The authorization matrix: every role x action, on alerts inside and outside a principal's coverage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState
from floorwatch.security.roles import (
    ACTIONS,
    allowed_actions,
    may_act,
    may_see,
    may_see_scope,
    may_subscribe,
    refusal,
)
from floorwatch.store.connections_port import Principal

AGENT = Principal(user="bob", role="agent", teams=("billing",), queues=("billing",))
SUPERVISOR = Principal(user="ana", role="supervisor", teams=("billing",), queues=("billing", "vip"))
MANAGER = Principal(user="mo", role="manager")
OPS = Principal(user="oz", role="ops")
STRANGER = Principal(user="x", role="admin", teams=("billing",))

# (role, action) -> allowed on an alert the principal may see. Written out in full on purpose: this
# table is the specification, not a copy of the code's.
EXPECTED = {
    ("agent", "ack"): False,
    ("agent", "snooze"): False,
    ("agent", "note"): False,
    ("agent", "feedback"): False,
    ("agent", "escalate"): False,
    ("agent", "resolve"): False,
    ("agent", "join"): False,
    ("supervisor", "ack"): True,
    ("supervisor", "snooze"): True,
    ("supervisor", "note"): True,
    ("supervisor", "feedback"): True,
    ("supervisor", "escalate"): True,
    ("supervisor", "resolve"): True,
    ("supervisor", "join"): True,
    ("manager", "ack"): True,
    ("manager", "snooze"): True,
    ("manager", "note"): True,
    ("manager", "feedback"): True,
    ("manager", "escalate"): True,
    ("manager", "resolve"): True,
    ("manager", "join"): True,
    ("ops", "ack"): True,
    ("ops", "snooze"): False,
    ("ops", "note"): True,
    ("ops", "feedback"): True,
    ("ops", "escalate"): False,
    ("ops", "resolve"): False,
    ("ops", "join"): False,
}
PRINCIPALS = {"agent": AGENT, "supervisor": SUPERVISOR, "manager": MANAGER, "ops": OPS}


def test_the_snapshot_tells_each_role_its_buttons() -> None:
    # What the dashboard's buttons follow: the same matrix, per role.
    for role, principal in PRINCIPALS.items():
        expected = sorted(action for (who, action), allowed in EXPECTED.items() if who == role and allowed)
        assert allowed_actions(principal) == expected
    assert allowed_actions(STRANGER) == []


def test_the_matrix_covers_every_role_and_action() -> None:
    assert {action for _, action in EXPECTED} == ACTIONS
    assert {role for role, _ in EXPECTED} == set(PRINCIPALS)


@pytest.mark.parametrize(("role", "action"), sorted(EXPECTED))
def test_action_on_a_visible_alert(role: str, action: str) -> None:
    principal = PRINCIPALS[role]
    # The agent's own scope is the one thing it sees; the others see queue:billing.
    scope = "agent:bob" if role == "agent" else "queue:billing"
    assert may_see_scope(principal, scope)
    assert may_act(principal, action, scope) is EXPECTED[(role, action)]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_supervisor_is_refused_outside_their_teams_and_queues(action: str) -> None:
    assert not may_act(SUPERVISOR, action, "queue:tech")
    assert not may_act(SUPERVISOR, action, "team:tech")
    assert not may_act(SUPERVISOR, action, "agent:zed", queue_id="tech", team_id="tech")
    message = refusal(SUPERVISOR, action, "queue:tech")
    assert "outside what you cover" in message and "queue:tech" not in message


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_supervisor_acts_on_agent_scopes_of_their_team(action: str) -> None:
    assert may_act(SUPERVISOR, action, "agent:zed", team_id="billing")
    assert may_act(SUPERVISOR, action, "contact:c9", queue_id="vip")


@pytest.mark.parametrize("action", [*sorted(ACTIONS), "delete"])
def test_unknown_role_and_unknown_action_are_refused(action: str) -> None:
    assert not may_act(STRANGER, action, "queue:billing")
    assert "is not one of" in refusal(STRANGER, action, "queue:billing")
    assert not may_act(MANAGER, "delete", "queue:billing")
    assert "'delete' is not an action" in refusal(MANAGER, "delete", "queue:billing")


def test_refusal_messages_name_the_rule() -> None:
    assert refusal(AGENT, "ack", "agent:bob") == "the agent role is read-only: 'ack' is refused"
    assert refusal(OPS, "snooze", "queue:billing") == (
        "the ops role may only ack, feedback, note: 'snooze' is refused"
    )


def transition(scope: str, queue_id: str | None = None, team_id: str | None = None) -> Transition:
    return Transition(
        transition_id="a1:1",
        alert_id="a1",
        transition=TransitionKind.OPENED,
        rule="r",
        scope=scope,
        severity=Severity.WARNING,
        value=1.0,
        threshold=0.5,
        at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        version=1,
        queue_id=queue_id,
        team_id=team_id,
    )


@pytest.mark.parametrize(
    ("principal", "scope", "queue_id", "team_id", "visible"),
    [
        (AGENT, "agent:bob", None, "billing", True),
        (AGENT, "agent:eve", None, "billing", False),
        (AGENT, "queue:billing", "billing", None, False),  # agents see only their own scope
        (SUPERVISOR, "queue:billing", "billing", None, True),
        (SUPERVISOR, "queue:vip", "vip", None, True),
        (SUPERVISOR, "team:billing", None, "billing", True),
        (SUPERVISOR, "queue:tech", "tech", None, False),
        (SUPERVISOR, "agent:zed", "tech", "billing", True),  # by team context
        (SUPERVISOR, "agent:zed", "tech", "tech", False),
        (SUPERVISOR, "center:main", None, None, False),
        (MANAGER, "queue:tech", "tech", None, True),
        (OPS, "center:main", None, None, True),
        (STRANGER, "queue:billing", "billing", "billing", False),
    ],
)
def test_visibility_of_transitions(
    principal: Principal, scope: str, queue_id: str | None, team_id: str | None, visible: bool
) -> None:
    assert may_see(principal, transition(scope, queue_id, team_id)) is visible


def test_visibility_of_states_uses_the_scope_only() -> None:
    assert may_see(SUPERVISOR, AlertState.initial("r", "queue:billing"))
    assert not may_see(SUPERVISOR, AlertState.initial("r", "agent:zed"))
    assert may_see(AGENT, AlertState.initial("r", "agent:bob"))


@pytest.mark.parametrize(
    ("principal", "scope", "allowed"),
    [
        (AGENT, "*", True),
        (AGENT, "agent:bob", True),
        (AGENT, "queue:billing", False),
        (SUPERVISOR, "queue:billing", True),
        (SUPERVISOR, "queue:tech", False),
        (SUPERVISOR, "team:tech", False),
        (SUPERVISOR, "agent:zed", True),  # filtered per transition by the fan-out
        (SUPERVISOR, "queue:", False),
        (MANAGER, "queue:tech", True),
        (STRANGER, "*", False),
    ],
)
def test_subscriptions(principal: Principal, scope: str, allowed: bool) -> None:
    assert may_subscribe(principal, scope) is allowed
