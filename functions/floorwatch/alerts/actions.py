"""People's actions on alerts (ack, snooze, note, feedback, escalate, resolve, join): authorize, apply,
audit. (``join``: the person opened the alert's live session from the dashboard; it counts as acting.)

One function, ``perform``, used by the WebSocket handler (and the local runtime through it):

1. find the alert's (rule, scope) state by alert id (``AlertStore.find``); unknown -> ``not_found``;
2. check the role matrix (``security.roles.may_act``) against the alert's scope and the queue / team
   context of its latest transition; refused -> ``forbidden``;
3. apply the pure state-machine function and save with the version read (optimistic concurrency);
   on ``AlertConflict`` reload and recompute, a few times, then ``conflict``;
4. append an audit entry: the action with its details, or ``refused:<action>`` with the reason.

The transitions it saves copy the alert's context (queue, team, metric, link) so the fan-out can
route them like the engine's own. Feedback changes no state (nothing to push): it is audited only,
with the rule and scope, for whoever tunes the rules. Free text (notes, reasons) is redacted
(``security.redact``) before it is stored or pushed.

Acknowledging an incident (``floorwatch.alerts.incidents``) acknowledges its firing members with it,
and acknowledging a member acknowledges its incident (and so the other members): one acknowledgement
for one problem, and the incident's escalation stops.

Action outcomes a dashboard may meet: an ack of an alert already acknowledged is ``ok`` (idempotent,
``changed`` False); an action the alert's state does not allow (ack / escalate / resolve when it no
longer fires, escalate once acknowledged or snoozed) is ``invalid`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from floorwatch.alerts.escalation import EscalationPolicy
from floorwatch.alerts.incidents import Member
from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import (
    AlertState,
    AlertStatus,
    Result,
    acknowledge,
    joined,
    note,
    resolve_by,
    snooze,
)
from floorwatch.rules.config import INCIDENT_RULE_ID
from floorwatch.security.redact import redact
from floorwatch.security.roles import Action, may_act, refusal
from floorwatch.store.alerts_port import AlertConflict, AlertStore
from floorwatch.store.audit_port import AuditEntry, AuditLog, DetailValue
from floorwatch.store.connections_port import Principal

MAX_SAVE_ATTEMPTS = 5
DEFAULT_POLICY = EscalationPolicy()
MIN_SNOOZE_MINUTES = 1
MAX_SNOOZE_MINUTES = 24 * 60
MAX_NOTE_LENGTH = 1000
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class ActionRequest:
    action: str
    alert_id: str
    principal: Principal
    at: datetime
    connection_id: str | None = None
    minutes: int | None = None  # snooze
    text: str | None = None  # note
    useful: bool | None = None  # feedback
    reason: str | None = None  # feedback


@dataclass(frozen=True)
class ActionOutcome:
    """``code`` None: done. Otherwise forbidden | not_found | invalid | conflict, with a message."""

    action: str
    alert_id: str
    code: str | None = None
    message: str = ""
    changed: bool = False
    transitions: tuple[Transition, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is None


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Step = Callable[[AlertState], Result]


def perform(
    request: ActionRequest,
    alerts: AlertStore,
    audit: AuditLog,
    escalation: EscalationPolicy = DEFAULT_POLICY,
) -> ActionOutcome:
    """Authorize and apply one action; every outcome, refusals included, is audited.

    ``escalation``: the same policy (chain) as the fan-out's, which pages the level named in the note.
    """
    try:
        _check_request(request)
        outcome = _apply(request, alerts, escalation)
    except _Refused as refused:
        outcome = ActionOutcome(request.action, request.alert_id, refused.code, refused.message)
    _audit(request, outcome, alerts, audit)
    return outcome


def _apply(request: ActionRequest, alerts: AlertStore, policy: EscalationPolicy) -> ActionOutcome:
    for _attempt in range(MAX_SAVE_ATTEMPTS):
        state = _authorized_state(request, alerts)
        if request.action == Action.FEEDBACK:
            return ActionOutcome(request.action, request.alert_id, message="feedback recorded")
        after, transitions = _step(request, policy)(state)
        if not transitions:
            return _unchanged(request, state)
        context = _context(alerts, state)
        transitions = [context.attach(transition) for transition in transitions]
        try:
            alerts.save(state.version, after, transitions)
        except AlertConflict:
            continue  # someone else saved first: reload, re-check, recompute
        if request.action == Action.ACK:
            transitions += _acknowledge_the_problem(after, request, alerts)
        elif request.action == Action.RESOLVE and state.rule_id == INCIDENT_RULE_ID:
            transitions += _for_members(state, request, alerts, resolve_by)
        return ActionOutcome(request.action, request.alert_id, changed=True, transitions=tuple(transitions))
    raise _Refused("conflict", "the alert kept changing while saving; try again")


def _authorized_state(request: ActionRequest, alerts: AlertStore) -> AlertState:
    state = alerts.find(request.alert_id)
    if state is None:
        raise _Refused("not_found", f"no alert {request.alert_id} (unknown, or superseded by a newer one)")
    context = _context(alerts, state)
    principal = request.principal
    if not may_act(principal, request.action, state.scope, context.queue_id, context.team_id):
        raise _Refused("forbidden", refusal(principal, request.action, state.scope))
    return state


def _step(request: ActionRequest, policy: EscalationPolicy) -> Step:
    user, at = request.principal.user, request.at
    if request.action == Action.ACK:
        return lambda state: acknowledge(state, at, user)
    if request.action == Action.SNOOZE:
        until = at + timedelta(minutes=request.minutes or 0)
        return lambda state: snooze(state, until, at=at, user=user)
    if request.action == Action.NOTE:
        return lambda state: note(state, at, user, redact((request.text or "").strip()))
    if request.action == Action.RESOLVE:
        return lambda state: resolve_by(state, at, user)
    if request.action == Action.ESCALATE:
        return lambda state: _escalate_one_level(state, at, user, policy)
    if request.action == Action.JOIN:
        return lambda state: joined(state, at, user)
    raise _Refused("invalid", f"'{request.action}' is not an action")


def _acknowledge_the_problem(
    state: AlertState, request: ActionRequest, alerts: AlertStore
) -> list[Transition]:
    """One acknowledgement for one problem: an incident's acknowledgement covers its members, and a
    member's covers its incident (whose escalation would otherwise go on) and so its siblings."""
    if state.rule_id == INCIDENT_RULE_ID:
        return _acknowledge_members(state, request, alerts)
    incident_id = state.incident_id
    if incident_id is None:
        return []

    def incident() -> AlertState | None:
        found = alerts.find(incident_id)
        return found if found is not None and found.rule_id == INCIDENT_RULE_ID else None

    acknowledged, transitions = _acknowledge_saved(incident, incident_id, request, alerts)
    if acknowledged is None:
        return []
    return transitions + _acknowledge_members(acknowledged, request, alerts)


def _acknowledge_members(
    incident: AlertState, request: ActionRequest, alerts: AlertStore
) -> list[Transition]:
    """Its firing members are acknowledged with the incident (one that no longer belongs to it, no
    longer fires or already was acknowledged is left as it is)."""
    return _for_members(incident, request, alerts, acknowledge)


PersonStep = Callable[[AlertState, datetime, str], Result]


def _for_members(
    incident: AlertState, request: ActionRequest, alerts: AlertStore, step: PersonStep
) -> list[Transition]:
    """A person's acknowledgement or resolve of the incident applied to each of its members (a
    resolved incident resolves them: if their condition persists, they open again in a new one)."""
    incident_id = incident.alert_id or ""
    recorded: list[Transition] = []
    for key in (Member.parse(entry).key for entry in incident.members):

        def member(key: tuple[str, str] = key) -> AlertState | None:
            found = alerts.load([key]).get(key)
            return found if found is not None and found.incident_id == incident_id else None

        recorded += _acknowledge_saved(member, incident_id, request, alerts, step)[1]
    return recorded


def _acknowledge_saved(
    load: Callable[[], AlertState | None],
    incident_id: str,
    request: ActionRequest,
    alerts: AlertStore,
    step: PersonStep = acknowledge,
) -> tuple[AlertState | None, list[Transition]]:
    """Acknowledge (or ``step``) the state ``load`` finds and save it with its own version check
    (reloaded on a conflict); (None, []) when there is nothing to do."""
    for _attempt in range(MAX_SAVE_ATTEMPTS):
        state = load()
        if state is None:
            return None, []
        after, transitions = step(state, request.at, request.principal.user)
        if not transitions:
            return None, []
        context = _context(alerts, state)
        transitions = [replace(context.attach(item), incident_id=incident_id) for item in transitions]
        try:
            alerts.save(state.version, after, transitions)
        except AlertConflict:
            continue
        return after, transitions
    return None, []


def _escalate_one_level(state: AlertState, at: datetime, user: str, policy: EscalationPolicy) -> Result:
    """Up one level of the chain, the level's name in the note (what the fan-out pages by)."""
    level = policy.next_level(state)
    if level is None:
        return state, []  # already at the top of the chain
    return policy.escalate(state, level, at, user)


def _unchanged(request: ActionRequest, state: AlertState) -> ActionOutcome:
    """The pure function recorded nothing: say why, or accept an idempotent repeat."""
    if request.action == Action.ACK and state.status is AlertStatus.FIRING and state.acknowledged:
        by = f" by {state.acknowledged_by}" if state.acknowledged_by else ""
        return ActionOutcome(request.action, request.alert_id, message=f"already acknowledged{by}")
    if state.status is not AlertStatus.FIRING:
        raise _Refused("invalid", f"alert {request.alert_id} is no longer firing")
    if request.action == Action.ESCALATE:
        if state.acknowledged:
            raise _Refused("invalid", "an acknowledged alert does not escalate")
        if state.is_snoozed(request.at):
            raise _Refused("invalid", "a snoozed alert does not escalate")
        raise _Refused("invalid", "the alert is already at the top of the escalation chain")
    raise _Refused("invalid", f"nothing to {request.action}")


def _check_request(request: ActionRequest) -> None:
    if request.action == Action.SNOOZE:
        minutes = request.minutes
        if minutes is None or not MIN_SNOOZE_MINUTES <= minutes <= MAX_SNOOZE_MINUTES:
            raise _Refused(
                "invalid", f"snooze needs minutes between {MIN_SNOOZE_MINUTES} and {MAX_SNOOZE_MINUTES}"
            )
    if request.action == Action.NOTE:
        text = (request.text or "").strip()
        if not text or len(text) > MAX_NOTE_LENGTH:
            raise _Refused("invalid", f"a note needs between 1 and {MAX_NOTE_LENGTH} characters of text")
    if request.action == Action.FEEDBACK:
        if request.useful is None:
            raise _Refused("invalid", "feedback needs useful: true or false")
        if len(request.reason or "") > MAX_REASON_LENGTH:
            raise _Refused("invalid", f"a feedback reason is at most {MAX_REASON_LENGTH} characters")


@dataclass(frozen=True)
class _Context:
    queue_id: str | None = None
    team_id: str | None = None
    metric: str | None = None
    link: str | None = None
    where: tuple[tuple[str, str], ...] = ()

    def attach(self, transition: Transition) -> Transition:
        return replace(
            transition,
            queue_id=self.queue_id,
            team_id=self.team_id,
            metric=self.metric,
            link=self.link,
            where=self.where,
        )


def _context(alerts: AlertStore, state: AlertState) -> _Context:
    """The queue / team / metric / link of the alert, from its latest transition (the engine's)."""
    latest = alerts.transitions(state.key, since_version=max(0, state.version - 1))
    if not latest:
        return _Context()
    last = latest[-1]
    return _Context(last.queue_id, last.team_id, last.metric, last.link, last.where)


def _audit(request: ActionRequest, outcome: ActionOutcome, alerts: AlertStore, audit: AuditLog) -> None:
    state = alerts.find(request.alert_id) if outcome.code != "not_found" else None
    details: dict[str, DetailValue] = {
        "alert_id": request.alert_id,
        "rule": state.rule_id if state else None,
        "scope": state.scope if state else None,
        "changed": outcome.changed,
    }
    if outcome.transitions:
        details["transition_id"] = outcome.transitions[-1].transition_id
    if request.action == Action.SNOOZE:
        details["minutes"] = request.minutes
    elif request.action == Action.NOTE:
        details["text"] = redact(request.text or "")
    elif request.action == Action.FEEDBACK:
        details["useful"] = request.useful
        details["reason"] = redact(request.reason or "")
    if not outcome.ok:
        details["code"] = outcome.code
        details["message"] = outcome.message
    audit.append(
        AuditEntry(
            actor=request.principal.user,
            action=request.action if outcome.ok else f"refused:{request.action}",
            at=request.at,
            alert_id=request.alert_id if state is not None else None,
            role=request.principal.role,
            connection_id=request.connection_id,
            details=details,
        )
    )
