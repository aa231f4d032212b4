"""Incidents on hand-built member transitions: grouping, group_wait, close_after, repeat_interval, tier
bounces, resolved notices (floorwatch.alerts.incidents, pure functions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from floorwatch.alerts import incidents
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, AlertStatus, acknowledge
from floorwatch.rules.config import IncidentPolicy, Rule, RuleSet, parse_rules

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RULES: RuleSet = parse_rules(
    """
- id: queue-service-level
  metric: service_level
  scope: queue
  direction: below
  tiers: {warning: 0.8, critical: 0.7}
  notify: {warning: [dashboard, email], critical: [dashboard, sms]}
- id: queue-longest-wait
  metric: longest_wait_seconds
  scope: queue
  direction: above
  tiers: {warning: 120, critical: 300}
  notify: {warning: [dashboard, email], critical: [dashboard, sms]}
- id: queue-contacts-waiting
  metric: contacts_in_queue
  scope: queue
  direction: above
  tiers: {warning: 20, critical: 40}
  page_resolved: true
  notify: {critical: [dashboard, sms]}
"""
)
# group_wait 30s, close_after 5m, repeat_interval 4h; lone alerts page without waiting for corroboration
# (test_a_lone_queue_kpi_waits_for_corroboration covers that).
POLICY = IncidentPolicy(corroborate_after=timedelta(0))


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rule(rule_id: str) -> Rule | None:
    return RULES.get(rule_id)


def member(
    kind: TransitionKind, seconds: float, rule_id: str = "queue-service-level", severity: str = "warning"
) -> Transition:
    return Transition(
        transition_id=f"{rule_id}:{seconds}",
        alert_id=f"{rule_id}-alert",
        transition=kind,
        rule=rule_id,
        scope="queue:billing",
        severity=Severity(severity),
        value=0.6,
        threshold=0.7,
        at=t(seconds),
        version=1,
        queue_id="billing",
    )


class Incident:
    """One incident's state, fed member transitions and ticks, recording what it says."""

    def __init__(self, policy: IncidentPolicy = POLICY) -> None:
        self.policy = policy
        self.state = AlertState.initial("incident", "queue:billing")
        self.said: list[Transition] = []

    def on(self, transition: Transition) -> list[Transition]:
        self.state, found = incidents.on_member(self.policy, self.state, transition, rule)
        self.said += found
        return found

    def tick(self, seconds: float) -> list[Transition]:
        self.state, found = incidents.tick(self.policy, self.state, t(seconds), rule)
        self.said += found
        return found

    def pages(self) -> list[tuple[str, str, tuple[str, ...] | None]]:
        return [
            (item.transition.value, item.severity.value, item.channels) for item in self.said if item.channels
        ]


def test_siblings_share_one_incident_and_one_page_after_group_wait() -> None:
    incident = Incident()
    [opened] = incident.on(member(TransitionKind.OPENED, 0))
    assert (opened.transition, opened.rule, opened.channels) == (TransitionKind.OPENED, "incident", ())
    # A sibling arriving within group_wait joins: no transition of the incident, no page.
    assert incident.on(member(TransitionKind.OPENED, 10, "queue-longest-wait")) == []
    assert incident.tick(20) == []
    [paged] = incident.tick(30)
    assert (paged.transition, paged.severity, paged.channels) == (
        TransitionKind.PAGED,
        Severity.WARNING,
        ("email",),
    )
    assert paged.members == (
        "queue-longest-wait|warning|queue:billing",
        "queue-service-level|warning|queue:billing",
    )
    assert paged.alert_id == opened.alert_id == paged.incident_id
    assert incident.tick(90) == []  # paged once


def test_an_alert_that_resolves_within_group_wait_pages_nobody() -> None:
    incident = Incident()
    incident.on(member(TransitionKind.OPENED, 0, severity="critical"))
    incident.on(member(TransitionKind.RESOLVED, 20, severity="critical"))
    incident.tick(30)
    incident.tick(400)  # close_after (5 minutes) passed
    assert incident.pages() == []
    assert [item.transition for item in incident.said] == [TransitionKind.OPENED, TransitionKind.RESOLVED]
    assert incident.state.status is AlertStatus.INACTIVE


def test_becoming_critical_pages_once_and_a_tier_bounce_does_not_page_again() -> None:
    incident = Incident()
    incident.on(member(TransitionKind.OPENED, 0))
    incident.tick(30)  # the warning page (e-mail)
    incident.on(member(TransitionKind.UPGRADED, 60, severity="critical"))
    incident.on(member(TransitionKind.DOWNGRADED, 120))
    incident.on(member(TransitionKind.UPGRADED, 180, severity="critical"))
    incident.on(member(TransitionKind.DOWNGRADED, 240))
    assert incident.pages() == [("paged", "warning", ("email",)), ("paged", "critical", ("sms",))]
    kinds = [item.transition.value for item in incident.said]
    assert kinds.count("upgraded") == 2 and kinds.count("downgraded") == 2  # the dashboard sees each


def test_an_unacknowledged_incident_is_paged_again_after_repeat_interval_an_acknowledged_one_not() -> None:
    policy = IncidentPolicy(repeat_interval=timedelta(hours=1), corroborate_after=timedelta(0))
    loud, owned = Incident(policy), Incident(policy)
    for incident in (loud, owned):
        incident.on(member(TransitionKind.OPENED, 0, severity="critical"))
        incident.tick(30)
    owned.state, _ = acknowledge(owned.state, t(40), "ana")
    loud.tick(3600 + 20)
    owned.tick(3600 + 20)
    loud.tick(3600 + 40)
    owned.tick(3600 + 40)
    assert [page[1] for page in loud.pages()] == ["critical", "critical"]
    assert [page[1] for page in owned.pages()] == ["critical"]


def test_a_lone_queue_kpi_waits_for_corroboration_a_second_member_pages_at_once() -> None:
    lone = Incident(IncidentPolicy())  # corroborate_after 15m
    lone.on(member(TransitionKind.OPENED, 0, severity="critical"))
    assert lone.tick(30) == [] and lone.tick(14 * 60) == []
    [paged] = lone.tick(15 * 60)
    assert paged.transition is TransitionKind.PAGED
    pair = Incident(IncidentPolicy())
    pair.on(member(TransitionKind.OPENED, 0, severity="critical"))
    pair.on(member(TransitionKind.OPENED, 10, "queue-longest-wait", "warning"))
    [paged] = pair.tick(30)
    assert (paged.transition, paged.channels) == (TransitionKind.PAGED, ("sms",))


def test_resolved_notices_go_to_email_not_sms_unless_the_rule_asks() -> None:
    quiet = Incident()
    quiet.on(member(TransitionKind.OPENED, 0, severity="critical"))
    quiet.tick(30)
    quiet.on(member(TransitionKind.RESOLVED, 100, severity="critical"))
    [resolved] = quiet.tick(100 + 300)
    assert (resolved.transition, resolved.channels) == (TransitionKind.RESOLVED, ())  # critical: sms only

    asked = Incident()
    asked.on(member(TransitionKind.OPENED, 0, "queue-contacts-waiting", "critical"))
    asked.tick(30)
    asked.on(member(TransitionKind.RESOLVED, 100, "queue-contacts-waiting", "critical"))
    [resolved] = asked.tick(400)
    assert resolved.channels == ("sms",)  # page_resolved: true


def test_a_member_opening_again_within_close_after_rejoins_without_a_page() -> None:
    incident = Incident()
    incident.on(member(TransitionKind.OPENED, 0, severity="critical"))
    incident.tick(30)
    incident.on(member(TransitionKind.RESOLVED, 60, severity="critical"))
    assert incident.tick(200) == []  # within close_after: still open
    assert incident.on(member(TransitionKind.OPENED, 250, severity="critical")) == []  # rejoins silently
    first = incident.state.alert_id
    incident.on(member(TransitionKind.RESOLVED, 300, severity="critical"))
    [resolved] = incident.tick(300 + 300)
    assert resolved.alert_id == first
    assert [page[0] for page in incident.pages()] == ["paged"]
    # After it closed, a new opening is a new incident with its own page.
    [opened] = incident.on(member(TransitionKind.OPENED, 700, severity="critical"))
    assert opened.alert_id != first
    incident.tick(730)
    assert [page[0] for page in incident.pages()] == ["paged", "paged"]


def test_a_snoozed_incident_records_but_does_not_page() -> None:
    incident = Incident()
    incident.on(member(TransitionKind.OPENED, 0, severity="critical"))
    incident.state = replace(incident.state, snoozed_until=t(3600))
    assert incident.tick(30) == []
    assert incident.pages() == []


def test_agent_and_contact_alerts_join_their_queue_incident_only_while_it_is_open() -> None:
    def group(scope: str, queue_open: bool) -> str:
        return incidents.group_scope(
            POLICY, scope, queue_id="billing", center_id="c1", queue_incident_open=lambda _: queue_open
        )

    assert group("agent:a-1", queue_open=True) == "queue:billing"
    assert group("contact:k-1", queue_open=True) == "queue:billing"
    assert group("agent:a-1", queue_open=False) == "agent:a-1"
    assert group("queue:billing", queue_open=False) == "queue:billing"
    assert group("feed:contact_lens", queue_open=True) == "feed:contact_lens"
    by_center = IncidentPolicy(group_by="center")
    assert (
        incidents.group_scope(
            by_center, "queue:sales", queue_id="sales", center_id="c1", queue_incident_open=lambda _: False
        )
        == "center:c1"
    )


def test_the_incident_policy_is_read_from_the_rules_file() -> None:
    rules = parse_rules(
        """
incidents: {group_by: scope, group_wait: 0s, close_after: 1m, repeat_interval: 2h}
rules:
  - id: queue-longest-wait
    metric: longest_wait_seconds
    scope: queue
    direction: above
    tiers: {warning: 120}
"""
    )
    assert rules.incidents == IncidentPolicy(
        group_by="scope",
        group_wait=timedelta(0),
        close_after=timedelta(minutes=1),
        repeat_interval=timedelta(hours=2),
    )
