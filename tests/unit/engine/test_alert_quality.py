"""The engine's alert-quality semantics on hand-built sequences: missing data keeps state, silence judged
against a scope's own cadence, sparse queues judged soundly, one caller does not page, incidents end to
end through the engine, acknowledgement of an incident."""

from __future__ import annotations

from importlib import resources

import yaml
from floorwatch.alerts.actions import ActionRequest, perform
from floorwatch.alerts.model import TransitionKind
from floorwatch.alerts.state_machine import AlertStatus
from floorwatch.events.model import EventType
from floorwatch.rules.config import DEFAULT_RULES_RESOURCE, INCIDENT_RULE_ID
from floorwatch.store.audit_memory import InMemoryAuditLog
from floorwatch.store.connections_port import Principal

from tests.unit.engine.helpers import Harness, at, event, kinds, snapshot

SERVICE_LEVEL = """
- id: queue-service-level
  metric: service_level
  scope: queue
  direction: below
  tiers: {warning: 0.8, critical: 0.7}
  window: 15m
  min_samples: 5
  sparse_window: 1h
  confidence: 0.9
  notify: {critical: [dashboard, sms]}
"""

LONGEST_WAIT_CROWD = """
- id: queue-longest-wait
  metric: longest_wait_seconds
  scope: queue
  direction: above
  tiers: {warning: 120, critical: 300}
  only_if: {contacts_in_queue: ">= 2"}
  notify: {critical: [dashboard, sms]}
"""

SILENCE = """
- id: queue-stopped-reporting
  metric: silence_surprise
  scope: queue
  direction: above
  tiers: {warning: 12}
  window: 1h
  min_samples: 10
"""


def answered(seconds: float, wait: float, queue: str = "billing") -> list:
    return [
        event(EventType.CONTACT_QUEUED, seconds, queue_id=queue),
        event(EventType.CONTACT_ANSWERED, seconds + wait, queue_id=queue, values={"wait_seconds": wait}),
    ]


def abandoned(seconds: float, queue: str = "billing") -> list:
    return [
        event(EventType.CONTACT_QUEUED, seconds, queue_id=queue),
        event(EventType.CONTACT_ABANDONED, seconds + 100, queue_id=queue, values={"wait_seconds": 100}),
    ]


# --- missing data is not recovery ---------------------------------------------------------------------


def test_a_queue_that_stops_reporting_keeps_its_alert_and_says_since_when() -> None:
    harness = Harness(LONGEST_WAIT_CROWD)
    harness.each(snapshot(0, longest_wait_seconds=400, contacts_in_queue=9))
    assert kinds(harness.recorded) == [("opened", "critical", "queue:billing")]
    # The snapshots stop: the 15-minute window empties. Nothing resolves, nothing says "all clear".
    harness.live(20 * 60)
    assert kinds(harness.recorded) == [("opened", "critical", "queue:billing")]
    [state] = [item for item in harness.alerts.active() if item.rule_id != INCIDENT_RULE_ID]
    assert state.status is AlertStatus.FIRING
    assert state.no_data_since is not None and state.no_data_since > at(15 * 60)
    # Data comes back, in range: then it resolves, with a value.
    resolved = harness.each(snapshot(21 * 60, longest_wait_seconds=10, contacts_in_queue=0))
    assert kinds(resolved) == [("resolved", "critical", "queue:billing")]
    assert resolved[0].value == 10.0


def test_a_busy_queue_going_silent_alerts_and_a_quiet_one_does_not() -> None:
    harness = Harness(SILENCE)
    # "busy" reports every minute for an hour; "night" once every ten minutes.
    for minute in range(60):
        harness.feed(snapshot(minute * 60, "busy", contacts_in_queue=3))
        if minute % 10 == 0:
            harness.feed(snapshot(minute * 60 + 5, "night", contacts_in_queue=0))
    # Both fall silent; other traffic keeps the pipeline live.
    found = []
    for minute in range(61, 75):
        found += harness.live(minute * 60)
    assert [(item.transition.value, item.scope) for item in found] == [("opened", "queue:busy")]
    opened_after = (found[0].at - at(59 * 60)).total_seconds()
    assert 120 < opened_after <= 5 * 60  # a few silent minutes, judged against its own cadence
    # It speaks again: the silence is over at the next tick (a batch never judges a silence).
    assert harness.feed(snapshot(80 * 60, "busy", contacts_in_queue=3)) == []
    back = harness.tick(80 * 60 + 10)
    assert kinds(back) == [("resolved", "warning", "queue:busy")]


def test_a_queue_that_reports_in_bursts_is_not_alarmed_by_a_pause_like_its_last_ones() -> None:
    harness = Harness(SILENCE)
    # "bursty" reports for 13 minutes, pauses for 7, three times an hour (an evening queue: a few calls,
    # then quiet); "steady" reports every minute. At 61 minutes both pause.
    for minute in range(61):
        if minute % 20 < 13:
            harness.feed(snapshot(minute * 60, "bursty", contacts_in_queue=1))
        harness.feed(snapshot(minute * 60, "steady", contacts_in_queue=1))
    found = []
    for minute in range(62, 72):  # ten silent minutes: steady alerts within a few, bursty not at 7 or 9
        found += harness.live(minute * 60)
    assert [(item.transition.value, item.scope) for item in found] == [("opened", "queue:steady")]
    # A pause well past its longest one is a surprise for the bursty queue too.
    for minute in range(72, 95):
        found += harness.live(minute * 60)
    assert ("opened", "queue:bursty") in [(item.transition.value, item.scope) for item in found]


# --- sparse queues and single contacts --------------------------------------------------------------


def test_a_tiny_queue_where_everyone_waits_alerts_over_the_longer_window() -> None:
    harness = Harness(SERVICE_LEVEL)
    # One contact every six minutes, each waiting ~2 minutes, a third abandoning: 15 minutes never hold
    # 5 contacts, the hour does.
    for index in range(12):
        start = index * 360
        harness.each(*(abandoned(start) if index % 3 == 2 else answered(start, 110)))
    assert ("opened", "critical", "queue:billing") in kinds(harness.recorded)


def test_one_late_answer_out_of_three_does_not_alert_but_ten_of_ten_do() -> None:
    lucky = Harness(SERVICE_LEVEL.replace("min_samples: 5", "min_samples: 3"))
    lucky.each(*answered(0, 5), *answered(60, 10), *answered(120, 45))
    assert lucky.recorded == []  # 2 of 3 within 20 s: the Wilson bound at 90% (92%) cannot rule out 80%
    unlucky = Harness(SERVICE_LEVEL)
    for index in range(10):
        unlucky.each(*answered(index * 30, 45))
    assert kinds(unlucky.recorded)[0] == ("opened", "critical", "queue:billing")


def test_one_caller_waiting_does_not_alert_two_do_and_the_alert_resolves_when_they_are_gone() -> None:
    harness = Harness(LONGEST_WAIT_CROWD)
    harness.each(snapshot(0, longest_wait_seconds=400, contacts_in_queue=1))
    assert harness.recorded == []
    harness.each(snapshot(30, longest_wait_seconds=430, contacts_in_queue=2))
    assert kinds(harness.recorded) == [("opened", "critical", "queue:billing")]
    harness.each(snapshot(60, longest_wait_seconds=460, contacts_in_queue=1))
    assert kinds(harness.recorded)[-1] == ("resolved", "critical", "queue:billing")


# --- staffing: the cause before the symptom ---------------------------------------------------------------


def shipped_rule(rule_id: str) -> str:
    """One rule of the shipped default rules, as rule text for the harness."""
    text = resources.files("floorwatch.rules").joinpath(DEFAULT_RULES_RESOURCE).read_text(encoding="utf-8")
    shipped = yaml.safe_load(text)["rules"]
    return yaml.safe_dump([next(rule for rule in shipped if rule["id"] == rule_id)])


def staffing(seconds: float, not_ready: int, online: int = 8) -> object:
    return snapshot(seconds, agents_not_ready=not_ready, agents_online=online, contacts_in_queue=0)


def test_most_of_a_queue_leaving_for_a_meeting_alerts_before_any_caller_waits() -> None:
    harness = Harness(shipped_rule("queue-agents-not-ready"))
    # agents leave one by one; nobody waits yet (the callers will feel it minutes later)
    for minute, not_ready in enumerate([1, 2, 3, 4, 5, 6, 6, 6]):
        harness.each(staffing(minute * 60, not_ready))
    # 5 of 8 at minute 4, held 2 minutes: a warning at minute 6, for the queue's incident
    assert kinds(harness.recorded) == [("opened", "warning", "queue:billing")]
    assert harness.recorded[0].at == at(6 * 60)
    # they come back: under 40 % it steps down
    harness.each(staffing(9 * 60, 4), staffing(10 * 60, 3))
    assert kinds(harness.recorded)[-1] == ("resolved", "warning", "queue:billing")


def test_breaks_and_a_small_queues_ordinary_hour_do_not_alert() -> None:
    harness = Harness(shipped_rule("queue-agents-not-ready"))
    # a third on breaks, half for a while (not more than half), then a blip over half for a minute
    for minute, not_ready in enumerate([3, 3, 4, 4, 4, 5, 3, 3]):
        harness.each(staffing(minute * 60, not_ready))
    # two of three agents of a tiny queue on a break for ten minutes: under the staffing floor of 4
    for minute in range(10):
        harness.each(snapshot(minute * 60, "vip", agents_not_ready=2, agents_online=3))
    assert harness.recorded == []


# --- incidents through the engine ------------------------------------------------------------------------

TWO_QUEUE_RULES = (
    LONGEST_WAIT_CROWD
    + """
- id: queue-contacts-waiting
  metric: contacts_in_queue
  scope: queue
  direction: above
  tiers: {warning: 20, critical: 40}
  notify: {critical: [dashboard, sms]}
"""
)


def test_one_problem_is_one_incident_one_page_and_one_acknowledgement() -> None:
    harness = Harness(TWO_QUEUE_RULES)
    harness.each(snapshot(0, longest_wait_seconds=400, contacts_in_queue=45))
    harness.live(40)
    members = harness.recorded
    assert sorted(item.rule for item in members) == ["queue-contacts-waiting", "queue-longest-wait"]
    assert len({item.incident_id for item in members}) == 1
    assert all(item.channels == () for item in members)  # members never page
    pages = [item for item in harness.incidents if item.channels]
    assert [(item.transition, item.channels) for item in pages] == [(TransitionKind.PAGED, ("sms",))]
    assert len(pages[0].members) == 2
    # One acknowledgement on the incident acknowledges both members.
    request = ActionRequest(
        action="ack",
        alert_id=pages[0].alert_id,
        principal=Principal(user="ana", role="manager"),
        at=at(50),
    )
    outcome = perform(request, harness.alerts, InMemoryAuditLog())
    assert outcome.ok
    acked = [item for item in outcome.transitions if item.transition is TransitionKind.ACKNOWLEDGED]
    assert sorted(item.rule for item in acked) == ["incident", "queue-contacts-waiting", "queue-longest-wait"]
    states = harness.alerts.load(
        [("queue-longest-wait", "queue:billing"), ("queue-contacts-waiting", "queue:billing")]
    )
    assert all(state.acknowledged for state in states.values())


def test_acknowledging_a_member_acknowledges_its_incident_and_its_siblings() -> None:
    harness = Harness(TWO_QUEUE_RULES)
    harness.each(snapshot(0, longest_wait_seconds=400, contacts_in_queue=45))
    harness.live(40)
    wait = next(item for item in harness.recorded if item.rule == "queue-longest-wait")
    request = ActionRequest(
        action="ack", alert_id=wait.alert_id, principal=Principal(user="ana", role="manager"), at=at(50)
    )
    outcome = perform(request, harness.alerts, InMemoryAuditLog())
    assert outcome.ok
    assert sorted(item.rule for item in outcome.transitions) == [
        "incident",
        "queue-contacts-waiting",
        "queue-longest-wait",
    ]
    incident = harness.alerts.find(wait.incident_id or "")
    assert incident is not None and incident.acknowledged  # its escalation stops


LATE = """
- id: queue-data-late
  match:
    type: [contact_queued, contact_answered]
    late_by: 5m
  scope: queue
  severity: warning
  resolve_after: 10m
"""


def test_contacts_arriving_half_an_hour_late_raise_a_late_data_alert_at_their_arrival() -> None:
    harness = Harness(LATE)
    on_time = harness.engine.process("s", [event(EventType.CONTACT_QUEUED, 600, queue_id="billing")], at(610))
    assert on_time == []
    late = harness.engine.process(
        "s", [event(EventType.CONTACT_QUEUED, 700, queue_id="billing")], now=at(700 + 30 * 60)
    )
    [opened] = [item for item in late if item.rule == "queue-data-late"]
    assert (opened.transition, opened.scope, opened.at) == (
        TransitionKind.OPENED,
        "queue:billing",
        at(700 + 30 * 60),  # when it arrived, not when it happened
    )
    assert opened.value == 30 * 60 and opened.threshold == 300


def test_a_threshold_rule_may_name_its_queue_by_name_when_events_key_it_by_id() -> None:
    rules_text = LONGEST_WAIT_CROWD.replace("  only_if:", "  queues: [Tech Support]\n  only_if:")
    harness = Harness(rules_text)
    queue_id = "08f63b0f-229f-4bf4-b9f3-b0f9f9bc7feb"  # Connect keys queues by the ARN's id
    harness.each(
        event(EventType.CONTACT_QUEUED, 0, queue_id=queue_id, labels={"queue_name": "tech-support"}),
        snapshot(5, queue_id, longest_wait_seconds=400, contacts_in_queue=3),
        snapshot(6, "billing", longest_wait_seconds=400, contacts_in_queue=3),  # not named: not watched
    )
    assert kinds(harness.recorded) == [("opened", "critical", f"queue:{queue_id}")]


def test_resolving_an_incident_resolves_its_members_and_a_member_resolved_by_hand_lets_it_close() -> None:
    harness = Harness(TWO_QUEUE_RULES)
    harness.each(snapshot(0, longest_wait_seconds=400, contacts_in_queue=45))
    harness.live(40)
    incident_id = harness.recorded[0].incident_id or ""
    ana = Principal(user="ana", role="manager")
    outcome = perform(ActionRequest("resolve", incident_id, ana, at(50)), harness.alerts, InMemoryAuditLog())
    assert outcome.ok
    assert sorted(
        item.rule for item in outcome.transitions if item.transition is TransitionKind.RESOLVED
    ) == [
        "incident",
        "queue-contacts-waiting",
        "queue-longest-wait",
    ]

    # A person resolves the only member of another incident: the incident notices at its next tick
    # and closes after close_after, instead of staying open (and re-paging) forever.
    other = Harness(LONGEST_WAIT_CROWD)
    other.each(snapshot(0, longest_wait_seconds=400, contacts_in_queue=3))
    [member] = other.recorded
    perform(ActionRequest("resolve", member.alert_id, ana, at(20)), other.alerts, InMemoryAuditLog())
    other.live(60)
    other.live(60 + 300)
    assert [state for state in other.alerts.active() if state.rule_id == INCIDENT_RULE_ID] == []
    assert [item.transition for item in other.incidents][-1] is TransitionKind.RESOLVED
