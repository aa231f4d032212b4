"""A small simulated floor for delivery tests: in-memory stores, a fake clock, an SQS-like delay queue
for escalation checks and a "stream" that hands every newly stored transition to the fan-out, in
order, like the alerts table's DynamoDB stream."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from floorwatch.alerts.escalation import (
    CheckOutcome,
    EscalationCheck,
    EscalationPolicy,
    EscalationService,
)
from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, acknowledge, evaluate_threshold, snooze
from floorwatch.delivery.fanout import DeliveryReport, Topics, TransitionDelivery
from floorwatch.delivery.memory import RecordingPoster, RecordingPublisher
from floorwatch.delivery.once import InMemoryPublishLedger
from floorwatch.delivery.sns import SnsMessage
from floorwatch.delivery.websocket import RetryPolicy, WebSocketFanout
from floorwatch.metrics.model import MetricValue
from floorwatch.rules.config import RuleSet, ThresholdRule, parse_rules
from floorwatch.security.roles import may_see
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.audit_memory import InMemoryAuditLog
from floorwatch.store.connections_memory import InMemoryConnectionStore
from floorwatch.store.connections_port import Principal

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CHAIN = ("team-supervisor", "floor-manager", "ops-on-call")
ALERTS_TOPIC = "arn:aws:sns:eu-west-1:123456789012:floorwatch-test-alerts"
ESCALATION_TOPIC = "arn:aws:sns:eu-west-1:123456789012:floorwatch-test-escalations"
SCOPE = "queue:billing"
RULES_YAML = """
- id: queue-longest-wait
  metric: longest_wait_seconds
  scope: queue
  direction: above
  tiers: {warning: 120, critical: 300}
  notify: {warning: [dashboard, email], critical: [dashboard, sms]}
  ack_within: 30s
- id: queue-contacts-waiting
  metric: contacts_in_queue
  scope: queue
  direction: above
  tiers: {critical: 40}
  notify: {critical: [dashboard, sms]}
  ack_within: 30m
"""


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class DelayQueue:
    """SQS as the checks see it: a message becomes visible ``delay_seconds`` after it was sent."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self.messages: list[tuple[datetime, EscalationCheck]] = []
        self.sent: list[tuple[datetime, EscalationCheck, int]] = []

    def schedule(self, check: EscalationCheck, delay_seconds: int) -> None:
        visible_at = self._clock() + timedelta(seconds=delay_seconds)
        self.messages.append((visible_at, check))
        self.sent.append((self._clock(), check, delay_seconds))

    def receive(self) -> list[EscalationCheck]:
        now = self._clock()
        due = [check for visible_at, check in self.messages if visible_at <= now]
        self.messages = [(visible_at, check) for visible_at, check in self.messages if visible_at > now]
        return due


@dataclass(frozen=True)
class Page:
    at: datetime
    topic_arn: str
    message: SnsMessage


@dataclass
class World:
    rules: RuleSet = field(default_factory=lambda: parse_rules(RULES_YAML))
    clock: FakeClock = field(default_factory=FakeClock)
    alerts: InMemoryAlertStore = field(default_factory=InMemoryAlertStore)
    audit: InMemoryAuditLog = field(default_factory=InMemoryAuditLog)
    publisher: RecordingPublisher = field(default_factory=RecordingPublisher)
    ledger: InMemoryPublishLedger = field(default_factory=InMemoryPublishLedger)
    poster: RecordingPoster = field(default_factory=RecordingPoster)
    policy: EscalationPolicy = field(default_factory=lambda: EscalationPolicy(CHAIN))
    pages: list[Page] = field(default_factory=list)
    outcomes: list[CheckOutcome] = field(default_factory=list)
    reports: list[DeliveryReport] = field(default_factory=list)
    streamed: int = 0
    auto_stream: bool = True  # False: the test plays the stream itself

    def __post_init__(self) -> None:
        self.queue = DelayQueue(self.clock)
        self.connections = InMemoryConnectionStore(clock=self.clock)
        self.connections.add(
            "c-ana", Principal("ana", "supervisor", teams=("tier1",), queues=("billing",)), T0
        )
        self.connections.subscribe("c-ana", ["*"])
        self.service = EscalationService(self.policy, self.alerts, self.queue, self.clock)
        self._executor = ThreadPoolExecutor(max_workers=4)
        self.delivery = TransitionDelivery(
            websocket=WebSocketFanout(
                self.connections, self.poster, may_see, executor=self._executor, retry=RetryPolicy(attempts=1)
            ),
            publisher=self.publisher,
            ledger=self.ledger,
            escalations=self.service,
            alerts=self.alerts,
            audit=self.audit,
            rules=self.rules,
            topics=Topics(ALERTS_TOPIC, ESCALATION_TOPIC, "https://dash.example"),
            clock=self.clock,
        )

    def rule(self, rule_id: str = "queue-longest-wait") -> ThresholdRule:
        rule = self.rules.get(rule_id)
        assert isinstance(rule, ThresholdRule)
        return rule

    # --- the engine and people act on the store --------------------------------------------------
    def state(self, rule_id: str = "queue-longest-wait") -> AlertState:
        return self.alerts.load([(rule_id, SCOPE)]).get((rule_id, SCOPE)) or AlertState.initial(
            rule_id, SCOPE
        )

    def observe(self, value: float, rule_id: str = "queue-longest-wait") -> list[Transition]:
        """The evaluator sees ``value`` now; transitions get the context the engine attaches."""
        state = self.state(rule_id)
        new_state, transitions = evaluate_threshold(
            self.rule(rule_id), state, MetricValue(value, 1), self.clock()
        )
        context = [_with_context(transition, metric=self.rule(rule_id).metric) for transition in transitions]
        self._save(state, new_state, context)
        return context

    def acknowledge(self, user: str = "ana") -> None:
        state = self.state()
        self._save(state, *acknowledge(state, self.clock(), user))

    def snooze(self, minutes: int, user: str = "ana") -> None:
        state = self.state()
        self._save(
            state, *snooze(state, self.clock() + timedelta(minutes=minutes), at=self.clock(), user=user)
        )

    def escalate_by_hand(self, user: str = "ana") -> None:
        state = self.state()
        level = self.policy.next_level(state)
        assert level is not None
        new_state, transitions = self.policy.escalate(state, level, self.clock(), user)
        self._save(
            state, new_state, [_with_context(item, metric="longest_wait_seconds") for item in transitions]
        )

    def _save(self, state: AlertState, new_state: AlertState, transitions: list[Transition]) -> None:
        if transitions:
            self.alerts.save(state.version, new_state, transitions)
        if self.auto_stream:
            self.stream()

    # --- the functions ----------------------------------------------------------------------------
    def stream(self) -> None:
        """Deliver every transition stored since the last call (the table's stream -> fan-out)."""
        stored = self.alerts.all_transitions()
        fresh, self.streamed = stored[self.streamed :], len(stored)
        for transition in fresh:
            before = len(self.publisher.published)
            self.reports.append(self.delivery.deliver(transition))
            for item in self.publisher.published[before:]:
                self.pages.append(Page(self.clock(), item.topic_arn, item.message))

    def run_due_checks(self) -> None:
        for check in self.queue.receive():
            self.outcomes.append(self.service.run(check))
        self.stream()

    def advance(self, seconds: int, step: int = 1) -> None:
        for _ in range(0, seconds, step):
            self.clock.advance(step)
            self.run_due_checks()

    # --- what people received ---------------------------------------------------------------------
    def escalation_pages(self) -> list[tuple[int, str]]:
        """(seconds after T0, level name) of every escalation SMS."""
        return [
            (int((page.at - T0).total_seconds()), str(page.message.attributes["level"]))
            for page in self.pages
            if page.topic_arn == ESCALATION_TOPIC
        ]

    def escalated(self) -> list[Transition]:
        return [t for t in self.alerts.all_transitions() if t.transition is TransitionKind.ESCALATED]


def _with_context(transition: Transition, *, metric: str) -> Transition:
    return replace(transition, queue_id="billing", team_id="tier1", metric=metric)
