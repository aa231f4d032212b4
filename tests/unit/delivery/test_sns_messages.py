"""What is published to SNS and with which attributes (the routing itself: tests/integration)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.delivery.sns import (
    SnsMessage,
    alert_message,
    escalation_filter_policy,
    escalation_message,
    filter_policy,
    sns_attributes,
)
from floorwatch.rules.config import NotifyChannel, Rule, load_default_rules

from tests.unit.delivery.transitions import critical_opening

DASHBOARD = "https://dash.example"
RULES = load_default_rules()


def rule(rule_id: str) -> Rule:
    found = RULES.get(rule_id)
    assert found is not None
    return found


def transition(**changes: object) -> Transition:
    return critical_opening(**changes)


def test_a_critical_opening_is_published_for_sms_with_filter_attributes() -> None:
    message = alert_message(transition(), rule("queue-longest-wait"), DASHBOARD)
    assert message is not None
    assert sns_attributes(message.attributes) == {
        "severity": {"DataType": "String", "StringValue": "critical"},
        "queue": {"DataType": "String", "StringValue": "billing"},
        "rule": {"DataType": "String", "StringValue": "queue-longest-wait"},
        "channels": {"DataType": "String.Array", "StringValue": '["sms"]'},
        # SNS sends the text as time-critical, whatever the account's default SMS type.
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
    }  # no team: neither the transition nor the rule names one, and SNS refuses empty values
    assert message.sms is not None and message.sms.startswith("CRITICAL queue:billing")
    assert message.subject is not None and message.subject.startswith("[floorwatch] CRITICAL")
    structured = json.loads(message.structured())
    assert set(structured) == {"default", "sms", "email"}
    assert json.loads(structured["default"])["transition_id"] == "a1:1"


def test_the_transition_team_or_else_the_rule_team_is_the_team_attribute() -> None:
    owned = rule("queue-longest-wait").model_copy(update={"team": "floor-a"})
    assert alert_message(transition(), owned, None).attributes["team"] == "floor-a"  # type: ignore[union-attr]
    with_team = transition(team_id="tier1")
    assert alert_message(with_team, owned, None).attributes["team"] == "tier1"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"notify": False}, "muted (snoozed or flapping)"),
        ({"transition": TransitionKind.ACKNOWLEDGED, "actor": "ana"}, "people's actions stay on dashboards"),
        ({"transition": TransitionKind.ESCALATED}, "escalations go to the escalation topic"),
    ],
)
def test_nothing_is_published_unless_the_rule_asks_for_it(changes: dict[str, object], why: str) -> None:
    assert alert_message(transition(**changes), rule("queue-longest-wait"), DASHBOARD) is None, why


def test_a_warning_of_a_dashboard_only_rule_is_not_published() -> None:
    hold = rule("agent-on-hold-too-long")  # notify: {warning: [dashboard], critical: [dashboard]}
    warning = transition(rule=hold.id, scope="agent:ana", severity=Severity.WARNING, threshold=120.0)
    assert alert_message(warning, hold, DASHBOARD) is None


def test_a_queue_warning_goes_to_email_not_sms() -> None:
    warning = transition(severity=Severity.WARNING, threshold=120.0)
    message = alert_message(warning, rule("queue-longest-wait"), DASHBOARD)
    assert message is not None
    assert message.attributes["channels"] == ("email",)
    assert "AWS.SNS.SMS.SMSType" not in sns_attributes(message.attributes)  # no text: no SMS type


def test_email_channel_of_a_rule_is_carried_in_the_attributes() -> None:
    speed = rule("queue-average-speed-of-answer")  # notify: {critical: [dashboard, email]}
    message = alert_message(transition(rule=speed.id, metric="average_speed_of_answer"), speed, None)
    assert message is not None
    assert message.attributes["channels"] == ("email",)


def test_resolution_of_a_paged_alert_is_published_too() -> None:
    resolved = transition(transition=TransitionKind.RESOLVED, value=200.0)
    message = alert_message(resolved, rule("queue-longest-wait"), DASHBOARD)
    assert message is not None and message.sms is not None
    assert message.sms.startswith("RESOLVED")


def test_filter_policies_default_to_sms_for_critical_and_email_for_warning_and_up() -> None:
    assert filter_policy(NotifyChannel.SMS) == {"channels": ["sms"], "severity": ["critical"]}
    assert filter_policy(NotifyChannel.EMAIL) == {"channels": ["email"], "severity": ["warning", "critical"]}
    assert filter_policy(NotifyChannel.SMS, teams=["tier1"], queues=["billing"]) == {
        "channels": ["sms"],
        "severity": ["critical"],
        "team": ["tier1"],
        "queue": ["billing"],
    }
    with pytest.raises(ValueError, match="not an SNS channel"):
        filter_policy(NotifyChannel.DASHBOARD)


def test_escalation_message_targets_one_level() -> None:
    escalated = transition(
        transition=TransitionKind.ESCALATED, threshold=None, note="floor-manager", version=2
    )
    chain = ("team-supervisor", "floor-manager", "ops-on-call")
    message = escalation_message(escalated, 2, chain, rule("queue-longest-wait"), DASHBOARD)
    assert message.attributes["level"] == "floor-manager"
    assert message.attributes["AWS.SNS.SMS.SMSType"] == "Transactional"  # every escalation is a text
    assert escalation_filter_policy("floor-manager") == {"level": ["floor-manager"]}
    assert message.sms is not None
    assert message.sms.startswith("ESC 2/3 floor-manager: CRITICAL queue:billing")
    assert "340s > 300s" in message.sms  # the rule's critical threshold, not carried by the transition
    assert json.loads(message.default)["level"] == 2


def test_the_raw_record_behind_a_transition_travels_with_its_messages() -> None:
    traced = transition(correlation_id="shardId-000000000000:49600000000000000001")
    alert = alert_message(traced, rule("queue-longest-wait"), DASHBOARD)
    assert alert is not None
    assert alert.attributes["correlation_id"] == "shardId-000000000000:49600000000000000001"
    assert alert.email is not None and "Trace:       shardId-000000000000:49600000000000000001" in alert.email
    assert json.loads(alert.default)["correlation_id"] == "shardId-000000000000:49600000000000000001"
    escalated = escalation_message(
        replace(traced, transition=TransitionKind.ESCALATED, note="team-supervisor", version=2),
        1,
        ("team-supervisor",),
        rule("queue-longest-wait"),
        DASHBOARD,
    )
    assert escalated.attributes["correlation_id"] == "shardId-000000000000:49600000000000000001"
    # Untraced (a person's action, a replay): no attribute at all (SNS refuses empty values).
    untraced = alert_message(transition(), rule("queue-longest-wait"), DASHBOARD)
    assert untraced is not None and "correlation_id" not in sns_attributes(untraced.attributes)


def test_empty_attribute_values_are_left_out() -> None:
    message = SnsMessage(default="{}", attributes={"team": "", "queue": "q", "channels": ()})
    assert sns_attributes(message.attributes) == {"queue": {"DataType": "String", "StringValue": "q"}}
