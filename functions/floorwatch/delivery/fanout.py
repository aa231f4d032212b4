"""Everything one stored transition sets in motion (what the fan-out function does per stream record).

In this order, so that a retry of the record (the stream redelivers it when a step raises) repeats
only harmless work:

1. push it to the subscribed dashboards that may see it (``WebSocketFanout``; never raises - a
   dashboard that missed it resyncs with a snapshot, and receivers drop transition ids already seen);
2. escalation bookkeeping: an alert that opens / upgrades to critical with ``ack_within`` gets its
   first check; an ``escalated`` transition gets its audit entry (idempotent by transition id) and the
   check for the next level (a duplicate check collapses: see floorwatch.alerts.escalation);
3. SNS last (the one step a retry would repeat visibly): the alerts-topic message the rule asks for,
   or, for an ``escalated`` transition, the SMS to that level on the escalation topic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from floorwatch.alerts.escalation import (
    ESCALATION_ACTOR,
    EscalationCheck,
    EscalationPolicy,
    EscalationService,
)
from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.delivery.sns import TopicPublisher, alert_message, escalation_message
from floorwatch.delivery.websocket import PushReport, WebSocketFanout
from floorwatch.rules.config import INCIDENT_RULE_ID, Rule, RuleSet
from floorwatch.store.alerts_port import AlertStore
from floorwatch.store.audit_port import AuditEntry, AuditLog

Clock = Callable[[], datetime]


def is_member(transition: Transition) -> bool:
    """A member alert's own transition (it belongs to an incident that is not itself)."""
    return transition.incident_id is not None and transition.rule != INCIDENT_RULE_ID


def paging_rule_id(transition: Transition) -> str:
    """The rule whose channels and ack_within apply: an incident's member rule that triggered it."""
    if transition.rule == INCIDENT_RULE_ID and transition.trigger_rule is not None:
        return transition.trigger_rule
    return transition.rule


@dataclass(frozen=True)
class Topics:
    alerts_topic_arn: str
    escalation_topic_arn: str
    dashboard_url: str | None = None


@dataclass
class DeliveryReport:
    transition_id: str
    push: PushReport | None = None
    scheduled: EscalationCheck | None = None
    audited: bool = False
    published: list[str] = field(default_factory=list)  # topic ARNs published to
    problems: list[str] = field(default_factory=list)  # what could not be done (logged, not retried)


class TransitionDelivery:
    def __init__(
        self,
        *,
        websocket: WebSocketFanout,
        publisher: TopicPublisher,
        escalations: EscalationService,
        alerts: AlertStore,
        audit: AuditLog,
        rules: RuleSet,
        topics: Topics,
        clock: Clock,
    ) -> None:
        self._websocket = websocket
        self._publisher = publisher
        self._escalations = escalations
        self._alerts = alerts
        self._audit = audit
        self._rules = rules
        self._topics = topics
        self._clock = clock

    @property
    def policy(self) -> EscalationPolicy:
        return self._escalations.policy

    def deliver(self, transition: Transition) -> DeliveryReport:
        """Raises when the audit log, the escalation queue or SNS fail (the record must be retried)."""
        report = DeliveryReport(transition.transition_id)
        # Muted transitions (snoozed, flapping: notify False) reach dashboards too, which show them without
        # a sound: a card must not disagree with the next snapshot (docs/protocol.md).
        report.push = self._websocket.push(transition)
        rule = self._rules.get(paging_rule_id(transition))
        if transition.transition is TransitionKind.ESCALATED:
            self._escalated(transition, rule, report)
        else:
            self._alert_changed(transition, rule, report)
        return report

    def _alert_changed(self, transition: Transition, rule: Rule | None, report: DeliveryReport) -> None:
        if is_member(transition):
            return  # its incident pages and escalates (floorwatch.alerts.incidents); dashboards have it
        current_level = (
            self._current_level(transition) if transition.transition is TransitionKind.UPGRADED else 0
        )
        check = self.policy.first_check(transition, rule, self._clock(), current_level)
        if check is not None:
            self._escalations.schedule(check)
            report.scheduled = check
        message = alert_message(transition, rule, self._topics.dashboard_url) if rule is not None else None
        if message is not None:
            self._publisher.publish(self._topics.alerts_topic_arn, message)
            report.published.append(self._topics.alerts_topic_arn)

    def _escalated(self, transition: Transition, rule: Rule | None, report: DeliveryReport) -> None:
        level = self.policy.level_of(transition.note) or self._current_level(transition) or None
        if level is None or level > len(self.policy.chain):
            report.problems.append(f"escalation level of {transition.transition_id} is unknown")
            return
        if transition.actor is None:
            # People's escalations are audited by the action that made them; the policy's are here.
            report.audited = self._audit.append(self._audit_entry(transition, level))
        check = self.policy.next_check(transition, level, self._clock())
        if check is not None:
            self._escalations.schedule(check)
            report.scheduled = check
        message = escalation_message(transition, level, self.policy.chain, rule, self._topics.dashboard_url)
        self._publisher.publish(self._topics.escalation_topic_arn, message)
        report.published.append(self._topics.escalation_topic_arn)

    def _current_level(self, transition: Transition) -> int:
        """The alert's escalation level now (0 when unknown or superseded)."""
        state = self._alerts.find(transition.alert_id)
        return state.escalation_level if state is not None and state.alert_id == transition.alert_id else 0

    def _audit_entry(self, transition: Transition, level: int) -> AuditEntry:
        return AuditEntry(
            actor=ESCALATION_ACTOR,
            action="escalate",
            at=transition.at,
            alert_id=transition.alert_id,
            details={
                "level": level,
                "level_name": self.policy.level_name(level),
                "rule": transition.rule,
                "scope": transition.scope,
                "severity": transition.severity.value,
                "transition_id": transition.transition_id,
            },
            entry_id=transition.transition_id,  # a redelivered record appends nothing new
        )
