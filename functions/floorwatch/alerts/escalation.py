"""Escalation policy: an unacknowledged critical alert climbs the escalation chain. Pure decisions plus a
small service over ports (alert store, check scheduler, injected clock).

The chain (``names.ENV_ESCALATION_CHAIN``, e.g. ``team-supervisor,floor-manager,ops-on-call``) names
levels 1..n. When a notifying alert opens (or upgrades) at an escalating severity (critical) and its
rule has ``ack_within``, a *check* for level 1 is scheduled ``ack_within`` later (an SQS message with a
delay; SQS delays stop at 15 minutes, so a longer wait re-schedules itself). At the check, if the very
same alert is still firing, unacknowledged, unsnoozed and still critical, it is escalated to the
check's level; each level reached schedules the check for the next one ``repeat`` later (90 s), until
the chain ends. Acknowledging or resolving it stops the chain (the next check finds it so and stops);
downgrading below critical stops it; a snooze postpones the check to the snooze's end.

Exactly once per level - claim, then publish through the table's stream (an outbox):

- *Claim*: the check records the ``escalated`` transition with ``state_machine.escalate`` and
  ``AlertStore.save(previous_version, ...)``, a conditional write. Of two deliveries of the same check
  (SQS is at-least-once), or two checks racing, exactly one save succeeds; the other reloads, finds the
  level already reached and stops. A check never skips or repeats a level.
- *Publish*: the escalation SMS, the audit entry and the next check are NOT sent by the check itself.
  They follow the ``escalated`` transition item through the alerts table's DynamoDB stream to the
  fan-out, which retries them until they succeed (audit idempotent by transition id, a duplicate next
  check collapses as above, the SMS last).
- Why not publish-then-claim: two deliveries of one check would both send the SMS before either claims.
  Why not claim-then-publish in the check: a crash or SNS error between the claim and the publish would
  lose the level's SMS for good - the retried check finds the level claimed and does nothing. With the
  stream as the outbox, the claim is the only thing the check does, and everything it implies is
  retried by the stream: a level is notified once, never zero times; only a crash after the SNS call
  and before the stream checkpoint repeats an SMS (as for every SNS delivery).

Clocks: deadlines run on the wall clock (``clock``) of the functions, not on event time: escalation pages
people now, and a replay of last week must not page anyone for last week.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, AlertStatus, escalate
from floorwatch.names import (
    DEFAULT_ESCALATION_CHAIN,
    ESCALATION_LEVEL_NAME_PATTERN,
    ESCALATION_REPEAT_SECONDS,
    SQS_MAX_DELAY_SECONDS,
)
from floorwatch.rules.config import Rule
from floorwatch.store.alerts_port import AlertConflict, AlertStore

Clock = Callable[[], datetime]
ESCALATION_ACTOR = "escalation-policy"  # who the audit log names for automatic escalations
DEFAULT_CHAIN = DEFAULT_ESCALATION_CHAIN
LEVEL_NAME_PATTERN = ESCALATION_LEVEL_NAME_PATTERN
STARTING_KINDS = frozenset({TransitionKind.OPENED, TransitionKind.UPGRADED})
"""An alert (or an incident: the fan-out never escalates an incident's members) that opens or upgrades."""
MAX_CONFLICT_RETRIES = 5


class EscalationCheck(BaseModel):
    """One scheduled check: "at ``due_at``, escalate alert ``alert_id`` to ``level`` unless someone
    acknowledged it". The SQS message body. Carries the alert's context so the ``escalated`` transition
    reaches the same dashboards and reads the same as the alert's other transitions."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=False)

    alert_id: str = Field(min_length=1)
    rule: str = Field(min_length=1)
    scope: str = Field(min_length=1)
    level: int = Field(ge=1)
    due_at: datetime
    queue_id: str | None = None
    team_id: str | None = None
    metric: str | None = None
    correlation_id: str | None = None  # the raw record behind the alert's opening (Transition doc)
    link: str | None = None

    def to_message(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_message(cls, body: str) -> EscalationCheck:
        """Parse an SQS body; ValueError names what is wrong."""
        try:
            check = cls.model_validate(json.loads(body))
        except (ValidationError, json.JSONDecodeError) as error:
            raise ValueError(f"not an escalation check: {error}") from None
        if check.due_at.tzinfo is None:
            raise ValueError("not an escalation check: due_at has no time zone")
        return check

    def delay_seconds(self, now: datetime) -> int:
        """The SQS DelaySeconds that brings this check back at ``due_at`` (or as close as SQS allows)."""
        remaining = math.ceil((self.due_at - now).total_seconds())
        return max(0, min(SQS_MAX_DELAY_SECONDS, remaining))


class CheckScheduler(Protocol):
    def schedule(self, check: EscalationCheck, delay_seconds: int) -> None:
        """Deliver ``check`` back to the escalate function after ``delay_seconds`` (0..900)."""
        ...


class Verdict(StrEnum):
    ESCALATE = "escalate"
    WAIT = "wait"  # not due yet (SQS's 15-minute cap) or snoozed: the same check, later
    STOP = "stop"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str
    until: datetime | None = None  # WAIT: when to look again


@dataclass(frozen=True)
class EscalationPolicy:
    chain: tuple[str, ...] = DEFAULT_CHAIN
    repeat: timedelta = timedelta(seconds=ESCALATION_REPEAT_SECONDS)
    severities: frozenset[Severity] = frozenset({Severity.CRITICAL})

    def __post_init__(self) -> None:
        if len(set(self.chain)) != len(self.chain):
            raise ValueError(f"escalation chain {self.chain} names a level twice")
        if self.repeat <= timedelta(0):
            raise ValueError("the escalation repeat must be longer than 0s")

    def level_name(self, level: int) -> str:
        return self.chain[level - 1]

    def level_of(self, name: str | None) -> int | None:
        """The level (1-based) a level name stands for; None if the chain has no such level."""
        return self.chain.index(name) + 1 if name in self.chain else None

    # --- when to schedule ----------------------------------------------------------------------------
    def first_check(
        self, transition: Transition, rule: Rule | None, now: datetime, current_level: int = 0
    ) -> EscalationCheck | None:
        """The check to schedule when ``transition`` opens or upgrades an alert that must be acknowledged
        in time; None when it needs none. ``current_level``: where the alert already is (an upgrade of an
        alert that escalated, downgraded and came back continues from there)."""
        if (
            transition.transition not in STARTING_KINDS
            or not transition.notify
            or transition.severity not in self.severities
            or rule is None
            or rule.ack_within is None
            or current_level >= len(self.chain)
        ):
            return None
        return _check_for(transition, current_level + 1, now + rule.ack_within)

    def next_check(self, escalated: Transition, level: int, now: datetime) -> EscalationCheck | None:
        """After the alert reached ``level``: the check for the next level, None at the chain's end."""
        if escalated.transition is not TransitionKind.ESCALATED or level >= len(self.chain):
            return None
        return _check_for(escalated, level + 1, now + self.repeat)

    # --- what to do at a check -----------------------------------------------------------------------
    def decide(self, check: EscalationCheck, state: AlertState | None, now: datetime) -> Decision:
        if state is None or state.alert_id != check.alert_id:
            return Decision(Verdict.STOP, "the alert is unknown or was superseded by a newer one")
        if state.status is not AlertStatus.FIRING:
            return Decision(Verdict.STOP, "the alert resolved")
        if state.acknowledged:
            return Decision(Verdict.STOP, f"acknowledged by {state.acknowledged_by or 'someone'}")
        if state.severity not in self.severities:
            return Decision(Verdict.STOP, f"the alert is {_severity(state)} now, which does not escalate")
        if check.level > len(self.chain):
            return Decision(Verdict.STOP, f"the chain has {len(self.chain)} level(s)")
        if state.escalation_level >= check.level:
            return Decision(Verdict.STOP, f"level {check.level} already reached (a duplicate check)")
        if now < check.due_at:
            return Decision(Verdict.WAIT, "not due yet", until=check.due_at)
        if state.snoozed_until is not None and state.is_snoozed(now):
            return Decision(Verdict.WAIT, "snoozed", until=state.snoozed_until)
        return Decision(Verdict.ESCALATE, f"unacknowledged at {check.due_at.isoformat()}")

    def escalate(
        self, state: AlertState, level: int, at: datetime, user: str | None = None
    ) -> tuple[AlertState, list[Transition]]:
        """``state_machine.escalate`` with the level's name in each transition's note (what the fan-out
        reads to know which level to page). Also for a person's "escalate" action: pass
        ``state.escalation_level + 1`` (``next_level``)."""
        new_state, transitions = escalate(state, at, level, user)
        return new_state, [replace(item, note=self.level_name(level)) for item in transitions]

    def next_level(self, state: AlertState) -> int | None:
        """The level a person's escalation of ``state`` goes to; None at the top of the chain."""
        level = state.escalation_level + 1
        return level if level <= len(self.chain) else None


def _check_for(transition: Transition, level: int, due_at: datetime) -> EscalationCheck:
    return EscalationCheck(
        alert_id=transition.alert_id,
        rule=transition.rule,
        scope=transition.scope,
        level=level,
        due_at=due_at.astimezone(UTC),
        queue_id=transition.queue_id,
        team_id=transition.team_id,
        metric=transition.metric,
        link=transition.link,
        correlation_id=transition.correlation_id,
    )


def _severity(state: AlertState) -> str:
    return state.severity.value if state.severity else "without severity"


# --- the service the escalate function runs -------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    verdict: Verdict
    reason: str
    transition: Transition | None = None  # ESCALATE: the claimed `escalated` transition
    delay_seconds: int | None = None  # WAIT: when the check comes back


class EscalationService:
    def __init__(
        self, policy: EscalationPolicy, alerts: AlertStore, scheduler: CheckScheduler, clock: Clock
    ) -> None:
        self.policy = policy
        self._alerts = alerts
        self._scheduler = scheduler
        self._clock = clock

    def schedule(self, check: EscalationCheck) -> int:
        """Send ``check`` on its way; returns the delay used."""
        delay = check.delay_seconds(self._clock())
        self._scheduler.schedule(check, delay)
        return delay

    def run(self, check: EscalationCheck) -> CheckOutcome:
        """One delivery of a check: claim the level (see the module docstring), wait, or stop.
        Raises only when the store or the scheduler fails (the caller lets SQS deliver it again)."""
        for _ in range(MAX_CONFLICT_RETRIES):
            now = self._clock()
            state = self._current_state(check)
            decision = self.policy.decide(check, state, now)
            if decision.verdict is Verdict.STOP or state is None:
                return CheckOutcome(Verdict.STOP, decision.reason)
            if decision.verdict is Verdict.WAIT:
                later = check.model_copy(update={"due_at": decision.until or check.due_at})
                return CheckOutcome(Verdict.WAIT, decision.reason, delay_seconds=self.schedule(later))
            new_state, transitions = self._escalation(state, check, now)
            if not transitions:
                return CheckOutcome(Verdict.STOP, "the state machine refused the escalation")
            try:
                self._alerts.save(state.version, new_state, transitions)
            except AlertConflict:
                continue  # another writer saved first: decide again on the fresh state
            return CheckOutcome(Verdict.ESCALATE, decision.reason, transition=transitions[0])
        raise AlertConflict((check.rule, check.scope), -1)

    def _current_state(self, check: EscalationCheck) -> AlertState | None:
        """The state read consistently: ``find`` may go through an eventually consistent index (the
        DynamoDB store's), which could still show an acknowledged alert as unacknowledged."""
        found = self._alerts.find(check.alert_id)
        if found is None:
            return None
        return self._alerts.load([found.key]).get(found.key)

    def _escalation(
        self, state: AlertState, check: EscalationCheck, now: datetime
    ) -> tuple[AlertState, list[Transition]]:
        """The claim to save: the escalated transition with the alert's context from the check."""
        new_state, transitions = self.policy.escalate(state, check.level, now)
        return new_state, [
            replace(
                item,
                queue_id=check.queue_id,
                team_id=check.team_id,
                metric=check.metric,
                link=check.link,
                correlation_id=check.correlation_id,
            )
            for item in transitions
        ]
