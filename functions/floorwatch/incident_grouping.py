"""Incident grouping for the engine: which incident a member alert belongs to, and keeping incidents
up to date in the alert store (the pure rules are in ``floorwatch.alerts.incidents``).

The engine calls ``assign`` before it saves a member alert's transitions (so they carry their incident's
id, and the member state remembers its incident), ``update`` after, and ``tick`` for the incidents the
periodic tick finds active. Incident states are saved with the same optimistic concurrency as alert
states (reload and recompute on a conflict).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from floorwatch.alerts import incidents
from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, AlertStatus, Result
from floorwatch.rules.config import INCIDENT_RULE_ID, Rule, RuleSet
from floorwatch.store.alerts_port import AlertConflict, AlertStore

DEFAULT_MAX_ATTEMPTS = 5
IncidentStep = Callable[[AlertState], Result]
Grouped = list[tuple[Transition, str | None]]
"""Member transitions with the group scope of the incident each belongs to."""


class IncidentRetriesExhausted(RuntimeError):
    """An incident kept conflicting with other writers; the caller fails its batch to be retried."""


class IncidentGrouper:
    def __init__(self, rules: RuleSet, store: AlertStore, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        self._rules = rules
        self._policy = rules.incidents
        self._store = store
        self._max_attempts = max_attempts

    def assign(
        self, state: AlertState, transitions: Sequence[Transition], center_id: str | None
    ) -> tuple[AlertState, Grouped]:
        """Stamp each member transition with its incident (an opening picks the group) and no channels:
        members never page, their incident does."""
        incident_id, incident_scope = state.incident_id, state.incident_scope
        stamped: Grouped = []
        for transition in transitions:
            if transition.transition is TransitionKind.OPENED:
                incident_scope = incidents.group_scope(
                    self._policy,
                    transition.scope,
                    queue_id=transition.queue_id,
                    center_id=center_id,
                    queue_incident_open=self._is_open,
                )
                current = self._load(incident_scope)
                incident_id = incidents.incident_id_for(incident_scope, transition.at)
                if current is not None and incidents.is_open(current) and current.alert_id:
                    incident_id = current.alert_id
            stamped.append(
                (replace(transition, incident_id=incident_id, channels=incidents.NO_CHANNELS), incident_scope)
            )
        return replace(state, incident_id=incident_id, incident_scope=incident_scope), stamped

    def update(self, grouped: Grouped) -> list[Transition]:
        """Apply a saved member's transitions to its incident(s); returns the incidents' transitions."""
        recorded: list[Transition] = []
        for transition, scope in grouped:
            if transition.transition not in incidents.MEMBER_CHANGES or scope is None:
                continue
            recorded += self._save(scope, self._member_step(transition))
        return recorded

    def tick(self, incident: AlertState, at: datetime, correlation_id: str | None = None) -> list[Transition]:
        def step(state: AlertState) -> Result:
            after, made = incidents.tick(self._policy, self._without_gone_members(state, at), at, self._rule)
            # A page sent by time passing (group wait, repeat) names the tick that sent it.
            return after, [replace(t, correlation_id=t.correlation_id or correlation_id) for t in made]

        return self._save(incident.scope, step, preloaded=incident)

    def _without_gone_members(self, incident: AlertState, at: datetime) -> AlertState:
        """Members that no longer fire in this incident (a person resolved one: that change never passes
        through the engine) are dropped, so the incident can close instead of staying open forever."""
        if not incident.members or not incidents.is_open(incident):
            return incident
        listed = [incidents.Member.parse(entry) for entry in incident.members]
        states = self._store.load([member.key for member in listed])
        kept = tuple(
            member.entry()
            for member in listed
            if (found := states.get(member.key)) is not None
            and found.status is AlertStatus.FIRING
            and found.incident_id == incident.alert_id
        )
        if len(kept) == len(incident.members):
            return incident
        return replace(incident, members=kept, quiet_since=None if kept else (incident.quiet_since or at))

    # --- helpers -------------------------------------------------------------------------------
    def _member_step(self, member: Transition) -> IncidentStep:
        def step(incident: AlertState) -> Result:
            return incidents.on_member(self._policy, incident, member, self._rule)

        return step

    def _rule(self, rule_id: str) -> Rule | None:
        return self._rules.get(rule_id)

    def _is_open(self, scope: str) -> bool:
        return incidents.is_open(self._load(scope))

    def _load(self, scope: str) -> AlertState | None:
        return self._store.load([(INCIDENT_RULE_ID, scope)]).get((INCIDENT_RULE_ID, scope))

    def _save(self, scope: str, step: IncidentStep, preloaded: AlertState | None = None) -> list[Transition]:
        stored = preloaded if preloaded is not None else self._load(scope)
        for _ in range(self._max_attempts):
            before = stored if stored is not None else AlertState.initial(INCIDENT_RULE_ID, scope)
            after, transitions = step(before)
            if not transitions and after == before:
                return []
            try:
                self._store.save(before.version, after, transitions)
            except AlertConflict:
                stored = self._load(scope)
                continue
            return transitions
        raise IncidentRetriesExhausted(
            f"incident {scope} kept changing under us ({self._max_attempts} attempts)"
        )
