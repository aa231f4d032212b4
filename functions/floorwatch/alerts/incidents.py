"""Incidents: one problem, one page (pure functions, like the alert state machine).

A volume spike on one queue breaches service level, abandon rate, contacts waiting, longest wait and ASA
at once; paging each of them would send five SMS, start five acknowledgement clocks and five escalation
chains for one problem. So alerts are grouped into **incidents**, after Alertmanager's grouping and
PagerDuty's incidents:

- Every alert (the *member*) belongs to one incident, keyed by a *group scope* (``group_scope``): its
  queue by default; an agent's or a contact's alert joins its queue's incident while one is open and is
  an incident of its own otherwise (see ``IncidentPolicy``).
- An incident is stored like an alert: an ``AlertState`` of the pseudo-rule ``incident`` on the group
  scope, so acknowledgement, snooze and escalation work on it unchanged. Its severity is the most severe
  of its firing members; ``members`` lists them.
- Paging is the incident's business, never the members' (their transitions go to dashboards only): one
  ``paged`` transition once the incident has been open for ``group_wait`` (so siblings arriving together
  go out as one page, and an alert that resolves within it pages nobody), one when it becomes critical,
  and none for a severity it already paged within ``repeat_interval`` (a tier bouncing between warning
  and critical pages once). An unacknowledged incident still firing after ``repeat_interval`` pages
  again. Resolved notices go to the dashboard and to e-mail when the incident was e-mailed; SMS only
  when the rule asks (``page_resolved``).
- A queue incident resting on a single threshold alert (one noisy ratio) pages only once it has been open
  ``corroborate_after``; a second member alert corroborates it at once. Match rules and other scopes
  page at once.
- The incident resolves ``close_after`` after its last member resolved; a member that opens again within
  that time rejoins without a page.

Channels: each transition carries ``channels``, the off-dashboard channels it goes to (sms, email), so the
fan-out and a backtest (``floorwatch replay``) see the same paging decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, AlertStatus, Result, alert_id_for
from floorwatch.rules.config import INCIDENT_RULE_ID, IncidentPolicy, NotifyChannel, Rule, ThresholdRule

MEMBER_CHANGES = frozenset(
    {TransitionKind.OPENED, TransitionKind.UPGRADED, TransitionKind.DOWNGRADED, TransitionKind.RESOLVED}
)
PAGED_CHANNELS = (NotifyChannel.SMS, NotifyChannel.EMAIL)
NO_CHANNELS: tuple[str, ...] = ()

RuleLookup = Callable[[str], Rule | None]


@dataclass(frozen=True)
class Member:
    rule: str
    severity: Severity
    scope: str

    def entry(self) -> str:
        return f"{self.rule}|{self.severity.value}|{self.scope}"

    @classmethod
    def parse(cls, entry: str) -> Member:
        rule, severity, scope = entry.split("|", 2)
        return cls(rule, Severity(severity), scope)

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.scope)


def group_scope(
    policy: IncidentPolicy,
    scope: str,
    *,
    queue_id: str | None,
    center_id: str | None,
    queue_incident_open: Callable[[str], bool],
) -> str:
    """The incident scope an alert opening on ``scope`` belongs to.

    ``queue_incident_open(group)`` says whether that queue's incident is open now: an agent's or a
    contact's alert joins it only then ("when they coincide"), so one agent on a long hold in a calm
    queue stays an incident of its own.
    """
    kind = scope.partition(":")[0]
    if policy.group_by == "scope" or kind == "feed":
        return scope
    if policy.group_by == "center":
        return f"center:{center_id}" if center_id else scope
    if kind in ("agent", "contact", "team") and queue_id:
        queue_scope = f"queue:{queue_id}"
        return queue_scope if queue_incident_open(queue_scope) else scope
    return scope


def incident_id_for(group: str, opened_at: datetime) -> str:
    return alert_id_for(INCIDENT_RULE_ID, group, opened_at)


def is_open(state: AlertState | None) -> bool:
    return state is not None and state.status is AlertStatus.FIRING


def members_of(state: AlertState) -> dict[tuple[str, str], Member]:
    return {member.key: member for member in map(Member.parse, state.members)}


# ---------------------------------------------------------------------------------------------------
# A member changed


def on_member(policy: IncidentPolicy, incident: AlertState, member: Transition, rules: RuleLookup) -> Result:
    """Apply one member alert's transition (opened, upgraded, downgraded, resolved) to its incident."""
    if member.transition not in MEMBER_CHANGES:
        return incident, []
    members = members_of(incident) if is_open(incident) else {}
    key = (member.rule, member.scope)
    if member.transition is TransitionKind.RESOLVED:
        members.pop(key, None)
    else:
        members[key] = Member(member.rule, member.severity, member.scope)
    if not is_open(incident):
        if not members:
            return incident, []  # a late resolve of an incident already closed
        return _open(policy, incident, members, member, rules)
    return _change(policy, incident, members, member, rules)


def _open(
    policy: IncidentPolicy,
    incident: AlertState,
    members: dict[tuple[str, str], Member],
    member: Transition,
    rules: RuleLookup,
) -> Result:
    at = member.at
    severity = _most_severe(members)
    state = replace(
        incident,
        status=AlertStatus.FIRING,
        alert_id=incident_id_for(incident.scope, at),
        severity=severity,
        opened_at=at,
        resolved_at=None,
        acknowledged=False,
        acknowledged_by=None,
        acknowledged_at=None,
        escalation_level=0,
        last_change_at=at,
        last_evaluated_at=at,
        members=_entries(members),
        trigger_rule=member.rule if member.notify else None,
        paged_at=None,
        paged_severity=None,
        quiet_since=None,
        last_value=member.value,
    )
    state, transitions = _record(state, TransitionKind.OPENED, member, NO_CHANNELS)
    if policy.group_wait.total_seconds() == 0:
        state, more = _maybe_page(policy, state, member, rules)
        transitions += more
    return state, transitions


def _change(
    policy: IncidentPolicy,
    incident: AlertState,
    members: dict[tuple[str, str], Member],
    member: Transition,
    rules: RuleLookup,
) -> Result:
    at = member.at
    current = incident.severity or Severity.INFO
    state = replace(
        incident,
        members=_entries(members),
        quiet_since=(incident.quiet_since or at) if not members else None,
        last_evaluated_at=max(at, incident.last_evaluated_at or at),
    )
    if not members:
        if policy.close_after.total_seconds() == 0:
            return resolve(state, at, rules, member)
        return state, []
    severity = _most_severe(members)
    if severity.rank > current.rank:
        state = replace(
            state,
            severity=severity,
            trigger_rule=member.rule if member.notify else state.trigger_rule,
            last_value=member.value,
            # A more severe incident needs its own acknowledgement (and may escalate again).
            acknowledged=False,
            acknowledged_by=None,
            acknowledged_at=None,
        )
        state, transitions = _record(state, TransitionKind.UPGRADED, member, NO_CHANNELS)
        if at - (state.opened_at or at) >= policy.group_wait:
            state, more = _maybe_page(policy, state, member, rules)
            transitions += more
        return state, transitions
    if severity.rank < current.rank:
        strongest = max(members.values(), key=lambda item: item.severity.rank)
        state = replace(state, severity=severity, trigger_rule=strongest.rule)
        return _record(state, TransitionKind.DOWNGRADED, member, NO_CHANNELS)
    return state, []


# ---------------------------------------------------------------------------------------------------
# Time passes


def tick(policy: IncidentPolicy, incident: AlertState, at: datetime, rules: RuleLookup) -> Result:
    """Page once ``group_wait`` passed (or again after ``repeat_interval``); close after ``close_after``."""
    if not is_open(incident) or (incident.last_evaluated_at and at < incident.last_evaluated_at):
        return incident, []
    state = replace(incident, last_evaluated_at=at)
    if not state.members:
        if state.quiet_since is not None and at - state.quiet_since >= policy.close_after:
            return resolve(state, at, rules)
        return state, []
    if state.opened_at is not None and at - state.opened_at >= policy.group_wait:
        return _maybe_page(policy, state, None, rules, at=at)
    return state, []


def resolve(state: AlertState, at: datetime, rules: RuleLookup, member: Transition | None = None) -> Result:
    """Close the incident; the resolved notice goes where its page went, minus SMS unless asked."""
    channels = NO_CHANNELS
    if state.paged_severity is not None and state.trigger_rule is not None:
        rule = rules(state.trigger_rule)
        if rule is not None:
            paged = _off_dashboard(rule, state.paged_severity)
            channels = tuple(
                channel for channel in paged if channel != NotifyChannel.SMS.value or rule.page_resolved
            )
    state = replace(
        state,
        status=AlertStatus.INACTIVE,
        resolved_at=at,
        last_change_at=at,
        members=(),
        quiet_since=None,
        escalation_level=0,
    )
    return _record(state, TransitionKind.RESOLVED, member, channels, at=at)


# ---------------------------------------------------------------------------------------------------
# Paging


def _maybe_page(
    policy: IncidentPolicy,
    state: AlertState,
    member: Transition | None,
    rules: RuleLookup,
    *,
    at: datetime | None = None,
) -> Result:
    """One page for what changed for a person: a severity not paged yet (or not within
    ``repeat_interval``), or a repeat of an incident nobody acknowledged."""
    when = member.at if member is not None else at
    severity = state.severity
    if when is None or severity is None or state.trigger_rule is None or state.is_muted(when):
        return state, []
    rule = rules(state.trigger_rule)
    if rule is None:
        return state, []
    channels = _off_dashboard(rule, severity)
    if not channels or not _corroborated(policy, state, rule, when):
        return state, []
    if state.paged_at is not None and state.paged_severity is not None:
        recent = when - state.paged_at < policy.repeat_interval
        already = state.paged_severity.rank >= severity.rank
        if recent and already:
            return state, []
        if not recent and already and state.acknowledged:
            return state, []  # someone owns it: no reminder
    state = replace(state, paged_at=when, paged_severity=severity)
    return _record(state, TransitionKind.PAGED, member, channels, at=when)


def _corroborated(policy: IncidentPolicy, state: AlertState, rule: Rule, at: datetime) -> bool:
    """A queue incident resting on one threshold alert pages once it held ``corroborate_after``; two
    member alerts (any severity) corroborate each other at once."""
    if not state.scope.startswith("queue:") or not isinstance(rule, ThresholdRule):
        return True
    if len({Member.parse(entry).rule for entry in state.members}) >= 2:
        return True
    return state.opened_at is not None and at - state.opened_at >= policy.corroborate_after


def _off_dashboard(rule: Rule, severity: Severity) -> tuple[str, ...]:
    wanted = rule.channels(severity)
    return tuple(channel.value for channel in PAGED_CHANNELS if channel in wanted)


# ---------------------------------------------------------------------------------------------------
# Shared steps


def _record(
    state: AlertState,
    kind: TransitionKind,
    member: Transition | None,
    channels: tuple[str, ...],
    *,
    at: datetime | None = None,
) -> Result:
    alert_id = state.alert_id
    severity = state.severity
    when = at if at is not None else (member.at if member is not None else None)
    if alert_id is None or severity is None or when is None:
        raise ValueError("an incident transition needs an open incident and an instant")
    version = state.version + 1
    state = replace(state, version=version)
    muted = state.is_muted(when)
    transition = Transition(
        transition_id=f"{alert_id}:{version}",
        alert_id=alert_id,
        transition=kind,
        rule=INCIDENT_RULE_ID,
        scope=state.scope,
        severity=severity,
        value=member.value if member is not None else state.last_value,
        threshold=member.threshold if member is not None else None,
        at=when,
        version=version,
        notify=not muted,
        queue_id=_queue_of(state.scope, member),
        team_id=member.team_id if member is not None else None,
        metric=member.metric if member is not None else None,
        link=member.link if member is not None else None,
        incident_id=alert_id,
        members=state.members,
        trigger_rule=state.trigger_rule,
        channels=NO_CHANNELS if muted else channels,
        correlation_id=member.correlation_id if member is not None else None,
    )
    return state, [transition]


def _queue_of(scope: str, member: Transition | None) -> str | None:
    kind, _, ident = scope.partition(":")
    if kind == "queue":
        return ident
    return member.queue_id if member is not None else None


def _most_severe(members: dict[tuple[str, str], Member]) -> Severity:
    return max((member.severity for member in members.values()), key=lambda severity: severity.rank)


def _entries(members: dict[tuple[str, str], Member]) -> tuple[str, ...]:
    return tuple(sorted(member.entry() for member in members.values()))
