"""SNS routing through SQS subscriptions with the stack's filter policies (moto delivers filtered
messages to SQS, never to phones or mailboxes), and escalation checks on SQS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from floorwatch.alerts.escalation import EscalationCheck
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.delivery.checks import SqsCheckScheduler
from floorwatch.delivery.sns import (
    SnsTopicPublisher,
    alert_message,
    escalation_filter_policy,
    escalation_message,
    filter_policy,
)
from floorwatch.rules.config import NotifyChannel, parse_rules
from moto import mock_aws

from tests.unit.delivery.transitions import critical_opening

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
CHAIN = ("team-supervisor", "floor-manager", "ops-on-call")
RULES = parse_rules(
    """
- id: queue-longest-wait
  metric: longest_wait_seconds
  scope: queue
  direction: above
  tiers: {warning: 120, critical: 300}
  notify: {warning: [dashboard, email], critical: [dashboard, sms]}
  ack_within: 30s
"""
)
RULE = RULES.get("queue-longest-wait")


def transition(**changes: object) -> Transition:
    return critical_opening(**{"team_id": "tier1", **changes})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)


def subscribed_queue(sns: Any, sqs: Any, topic_arn: str, name: str, policy: dict[str, Any]) -> str:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": json.dumps(policy)}
    )
    return str(url)


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") or []
    return [json.loads(message["Body"]) for message in messages]


POLICIES = {
    # floorwatch.delivery.sns.filter_policy: channel-aware (a rule asking e-mail for critical is e-mailed)
    "channel-aware": (filter_policy(NotifyChannel.SMS), filter_policy(NotifyChannel.EMAIL)),
    # what infrastructure/notifications.py and the local outbox subscribe with today: severity only
    "severity-only": ({"severity": ["critical"]}, {"severity": ["warning"]}),
}


@pytest.mark.parametrize("policies", list(POLICIES))
def test_critical_reaches_the_sms_subscription_and_warning_the_email_one(
    aws: tuple[Any, Any], policies: str
) -> None:
    sns, sqs = aws
    sms_policy, email_policy = POLICIES[policies]
    topic = sns.create_topic(Name="floorwatch-test-alerts")["TopicArn"]
    sms_queue = subscribed_queue(sns, sqs, topic, "sms", sms_policy)
    email_queue = subscribed_queue(sns, sqs, topic, "email", email_policy)
    tier2_sms = subscribed_queue(
        sns, sqs, topic, "sms-tier2", filter_policy(NotifyChannel.SMS, teams=["tier2"])
    )
    publisher = SnsTopicPublisher(sns)

    critical = alert_message(transition(), RULE, "https://dash.example")
    warning = alert_message(
        transition(
            transition_id="a2:1", alert_id="a2", severity=Severity.WARNING, value=150.0, threshold=120.0
        ),
        RULE,
        "https://dash.example",
    )
    assert critical is not None and warning is not None
    publisher.publish(topic, critical)
    publisher.publish(topic, warning)

    sms = received(sqs, sms_queue)
    email = received(sqs, email_queue)
    assert [json.loads(item["Message"])["transition_id"] for item in sms] == ["a1:1"]
    assert [json.loads(item["Message"])["transition_id"] for item in email] == ["a2:1"]
    assert email[0]["Subject"].startswith("[floorwatch] WARNING queue:billing")
    assert sms[0]["MessageAttributes"]["severity"]["Value"] == "critical"
    assert received(sqs, tier2_sms) == []  # another team's on-call phone hears nothing


def test_a_rule_asking_email_for_critical_is_emailed_not_texted(aws: tuple[Any, Any]) -> None:
    sns, sqs = aws
    topic = sns.create_topic(Name="floorwatch-test-alerts")["TopicArn"]
    sms_queue = subscribed_queue(sns, sqs, topic, "sms", filter_policy(NotifyChannel.SMS))
    email_queue = subscribed_queue(sns, sqs, topic, "email", filter_policy(NotifyChannel.EMAIL))
    rule = RULE.model_copy(
        update={"notify": {Severity.CRITICAL: (NotifyChannel.DASHBOARD, NotifyChannel.EMAIL)}}
    )
    message = alert_message(transition(), rule, None)
    assert message is not None

    SnsTopicPublisher(sns).publish(topic, message)

    assert received(sqs, sms_queue) == []
    assert len(received(sqs, email_queue)) == 1


def test_escalation_reaches_only_its_level(aws: tuple[Any, Any]) -> None:
    sns, sqs = aws
    topic = sns.create_topic(Name="floorwatch-test-escalations")["TopicArn"]
    queues = {
        level: subscribed_queue(sns, sqs, topic, level, escalation_filter_policy(level)) for level in CHAIN
    }
    escalated = transition(
        transition=TransitionKind.ESCALATED, threshold=None, note="floor-manager", version=2
    )

    SnsTopicPublisher(sns).publish(topic, escalation_message(escalated, 2, CHAIN, RULE, None))

    assert received(sqs, queues["team-supervisor"]) == []
    assert received(sqs, queues["ops-on-call"]) == []
    (message,) = received(sqs, queues["floor-manager"])
    assert json.loads(message["Message"])["level_name"] == "floor-manager"


def test_escalation_checks_travel_on_sqs(aws: tuple[Any, Any]) -> None:
    _, sqs = aws
    url = sqs.create_queue(QueueName="checks")["QueueUrl"]
    scheduler = SqsCheckScheduler(sqs, url)
    check = EscalationCheck(
        alert_id="a1",
        rule="queue-longest-wait",
        scope="queue:billing",
        level=1,
        due_at=datetime(2026, 11, 30, 9, 0, 30, tzinfo=UTC),
        queue_id="billing",
    )
    scheduler.schedule(check, 0)
    with pytest.raises(ValueError, match=r"0\.\.900"):
        scheduler.schedule(check, int(timedelta(minutes=16).total_seconds()))

    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert EscalationCheck.from_message(message["Body"]) == check
