"""Who may see and do what: the authorization matrix of the supervisor WebSocket API. Pure.

Roles (from the verified token, ``Principal.role``):

=============  =====================================  =============================================
role           sees                                   may act (ack snooze note feedback escalate
                                                      resolve join)
=============  =====================================  =============================================
agent          their own agent scope ``agent:<user>``  nothing: read-only
supervisor     scopes of their teams / queues          every action, on alerts they may see
manager        everything                             every action
ops            everything (receives escalations)      ack, note, feedback only
=============  =====================================  =============================================

``join`` records that the person opened the alert's live session (Join / Monitor links); joining a
floor's live contact is the floor's call, like snoozing.

Why ops may ack but not snooze, escalate or resolve: operations on call are paged by escalations and
must be able to stop the chain they are answering (ack) and say what they did (note, feedback); muting,
pushing up or closing a floor alert is the floor's call (supervisors, managers). Ops are the top of the
chain, so escalating further has no meaning for them.

Visibility of an alert or transition for a supervisor: its scope is ``queue:<q>`` with q among their
queues or ``team:<t>`` with t among their teams, or (for agent, contact, center scopes) the queue_id /
team_id context the engine attached is among them. An unknown role sees nothing and may do nothing.
"""

from __future__ import annotations

from enum import StrEnum

from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import AlertState
from floorwatch.store.connections_port import ALL_SCOPES, Principal


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    OPS = "ops"


class Action(StrEnum):
    ACK = "ack"
    SNOOZE = "snooze"
    NOTE = "note"
    FEEDBACK = "feedback"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    JOIN = "join"


ROLES: frozenset[str] = frozenset(role.value for role in Role)
ACTIONS: frozenset[str] = frozenset(action.value for action in Action)

# The matrix: which actions each role may take (on alerts it may see).
ALLOWED_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.AGENT: frozenset(),
    Role.SUPERVISOR: frozenset(Action),
    Role.MANAGER: frozenset(Action),
    Role.OPS: frozenset({Action.ACK, Action.NOTE, Action.FEEDBACK}),
}
_SEES_EVERYTHING = frozenset({Role.MANAGER, Role.OPS})


def allowed_actions(principal: Principal) -> list[str]:
    """The actions the principal's role may take (sorted; empty for agents and unknown roles): what the
    dashboard's buttons follow."""
    role = role_of(principal)
    return [] if role is None else sorted(action.value for action in ALLOWED_ACTIONS[role])


def role_of(principal: Principal) -> Role | None:
    """The principal's role, or None when the token carried a role this version does not know."""
    return Role(principal.role) if principal.role in ROLES else None


def may_see_scope(
    principal: Principal, scope: str, queue_id: str | None = None, team_id: str | None = None
) -> bool:
    """May ``principal`` see an alert of ``scope`` whose context is (queue_id, team_id)?"""
    role = role_of(principal)
    if role is None:
        return False
    if role in _SEES_EVERYTHING:
        return True
    kind, _, ident = scope.partition(":")
    if role is Role.AGENT:
        return kind == "agent" and ident == principal.user
    # Supervisor: by the scope itself, else by the context (agent, contact, center scopes).
    if (kind == "queue" and ident in principal.queues) or (kind == "team" and ident in principal.teams):
        return True
    return (queue_id is not None and queue_id in principal.queues) or (
        team_id is not None and team_id in principal.teams
    )


def may_see(principal: Principal, item: Transition | AlertState) -> bool:
    """May ``principal`` see this transition (its scope and context) or alert state (its scope only:
    states carry no queue / team context, use ``may_see_scope`` with the alert's context when known)."""
    if isinstance(item, Transition):
        return may_see_scope(principal, item.scope, item.queue_id, item.team_id)
    return may_see_scope(principal, item.scope)


def may_act(
    principal: Principal,
    action: str,
    scope: str,
    queue_id: str | None = None,
    team_id: str | None = None,
) -> bool:
    """May ``principal`` take ``action`` on an alert of ``scope`` with context (queue_id, team_id)?"""
    role = role_of(principal)
    if role is None or action not in ACTIONS:
        return False
    return Action(action) in ALLOWED_ACTIONS[role] and may_see_scope(principal, scope, queue_id, team_id)


def refusal(principal: Principal, action: str, scope: str) -> str:
    """A human-readable reason ``may_act`` said no (for the error answered to the dashboard)."""
    role = role_of(principal)
    if role is None:
        return f"role '{principal.role}' is not one of {', '.join(sorted(ROLES))}"
    if action not in ACTIONS:
        return f"'{action}' is not an action ({', '.join(sorted(ACTIONS))})"
    if Action(action) not in ALLOWED_ACTIONS[role]:
        allowed = sorted(a.value for a in ALLOWED_ACTIONS[role])
        may = f"may only {', '.join(allowed)}" if allowed else "is read-only"
        return f"the {role.value} role {may}: '{action}' is refused"
    # Never the alert's scope: a refusal must not tell a caller where another team's alert lives.
    covers = f"teams: {_listed(principal.teams)}; queues: {_listed(principal.queues)}"
    return (
        f"{principal.user} ({role.value}) may not {action} this alert: "
        f"it is outside what you cover ({covers})"
    )


def may_subscribe(principal: Principal, scope: str) -> bool:
    """May ``principal`` subscribe to ``scope``? "*" always (it means "what I may see").

    Supervisors may name their queue / team scopes, and agent / contact / center scopes (whose
    transitions the fan-out still filters by their queue / team context); agents only their own scope.
    """
    role = role_of(principal)
    if role is None:
        return False
    if scope == ALL_SCOPES or role in _SEES_EVERYTHING:
        return True
    kind, _, ident = scope.partition(":")
    if not ident:
        return False
    if role is Role.AGENT:
        return kind == "agent" and ident == principal.user
    if kind in ("queue", "team"):
        return may_see_scope(principal, scope)
    return kind in ("agent", "contact", "center")


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(values) if values else "none"
