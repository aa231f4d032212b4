"""SNS routing by subscription filter policies, and the escalation checks queue.

The contacts in cdk.json are empty by default, so the subscriptions are checked on a small stack of
their own built with contacts (one more, much smaller synthesis than the app's).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template
from floorwatch import names
from floorwatch.delivery.sns import filter_policy
from floorwatch.rules.config import NotifyChannel

from infrastructure.notifications import NotificationsConstruct
from infrastructure.settings import AlertContacts, EscalationLevel, Settings
from infrastructure.tables import Tables
from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra

NAMES = names.ResourceNames(names.DEFAULT_STAGE)
CONTACTS = AlertContacts(sms=("+15550100001",), email=("floor@example.com", "ops@example.com"))
CHAIN = (
    EscalationLevel("team-supervisor", ("+15550100002",)),
    EscalationLevel("floor-manager", ("+15550100003", "+15550100004")),
    EscalationLevel("ops-on-call", ()),
)


@pytest.fixture(scope="module")
def with_contacts(tmp_path_factory: pytest.TempPathFactory) -> Template:
    app = App(outdir=str(tmp_path_factory.mktemp("contacts")))
    stack = Stack(app, "Contacts")
    settings = Settings(alert_contacts=CONTACTS, escalation_chain=CHAIN)
    tables = Tables(stack, "Tables", names=NAMES)
    NotificationsConstruct(stack, "Notifications", settings=settings, tables=tables)
    return Template.from_stack(stack)


def _subscriptions(template: Template) -> list[dict[str, Any]]:
    found = template.find_resources("AWS::SNS::Subscription").values()
    return [subscription["Properties"] for subscription in found]


def _topic_id(template: Template, topic_name: str) -> str:
    [topic_id] = template.find_resources("AWS::SNS::Topic", {"Properties": {"TopicName": topic_name}})
    return topic_id


def test_critical_alerts_text_and_warnings_mail_the_contacts(with_contacts: Template) -> None:
    alerts = {"Ref": _topic_id(with_contacts, NAMES.alerts_topic)}
    routes = {
        (s["Protocol"], s["Endpoint"]): s["FilterPolicy"]
        for s in _subscriptions(with_contacts)
        if s["TopicArn"] == alerts
    }
    sms = {names.SNS_ATTRIBUTE_CHANNELS: ["sms"], names.SNS_ATTRIBUTE_SEVERITY: ["critical"]}
    email = {names.SNS_ATTRIBUTE_CHANNELS: ["email"], names.SNS_ATTRIBUTE_SEVERITY: ["warning", "critical"]}
    assert routes == {
        ("sms", "+15550100001"): sms,
        ("email", "floor@example.com"): email,
        ("email", "ops@example.com"): email,
    }
    # The very policies the publisher's module builds (and its routing tests check through SQS).
    assert sms == filter_policy(NotifyChannel.SMS)
    assert email == filter_policy(NotifyChannel.EMAIL)


def test_each_escalation_level_texts_only_its_own_numbers(with_contacts: Template) -> None:
    escalations = {"Ref": _topic_id(with_contacts, NAMES.escalation_topic)}
    routes = sorted(
        (s["Endpoint"], s["FilterPolicy"][names.SNS_ATTRIBUTE_LEVEL])
        for s in _subscriptions(with_contacts)
        if s["TopicArn"] == escalations
    )
    assert all(s["Protocol"] == "sms" for s in _subscriptions(with_contacts) if s["TopicArn"] == escalations)
    assert routes == [
        ("+15550100002", ["team-supervisor"]),
        ("+15550100003", ["floor-manager"]),
        ("+15550100004", ["floor-manager"]),
    ]


def test_escalate_function_knows_the_chain_in_order(with_contacts: Template) -> None:
    functions = with_contacts.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "handlers.escalate.handler"}}
    )
    [escalate] = functions.values()
    variables = escalate["Properties"]["Environment"]["Variables"]
    assert variables[names.ENV_ESCALATION_CHAIN] == "team-supervisor,floor-manager,ops-on-call"
    assert variables[names.ENV_ESCALATION_REPEAT_SECONDS] == str(names.ESCALATION_REPEAT_SECONDS)


def test_the_default_app_has_no_subscriptions_but_both_topics(synthesized: Synthesized) -> None:
    template = synthesized.template
    assert template.find_resources("AWS::SNS::Subscription") == {}
    topics = {t["Properties"]["TopicName"]: t for t in template.find_resources("AWS::SNS::Topic").values()}
    # The operations topic (alarms) has a key of its own: tests/infrastructure/test_operations.py.
    topics.pop("floorwatch-dev-operations")
    assert sorted(topics) == sorted([NAMES.alerts_topic, NAMES.escalation_topic])
    for topic in topics.values():
        # Encrypted at rest with the AWS-managed key (its alias ARN in this account and region).
        assert json.dumps(topic["Properties"]["KmsMasterKeyId"]).endswith(':alias/aws/sns"]]}')


def test_escalation_queue_is_encrypted_with_a_dead_letter_queue(synthesized: Synthesized) -> None:
    notifications = synthesized.stack.notifications
    queue = synthesized.resource(notifications.escalation_queue)["Properties"]
    assert queue["QueueName"] == NAMES.escalation_queue
    assert queue["SqsManagedSseEnabled"] is True
    dead_letters = synthesized.logical_id(notifications.escalation_dead_letters)
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letters, "Arn"]}
    # Longer than a whole escalate invocation, so a check in flight is never handed out twice at once.
    escalate = synthesized.resource(notifications.escalate.function)["Properties"]
    assert queue["VisibilityTimeout"] >= escalate["Timeout"]


def test_escalation_repeat_fits_the_sqs_delay_limit() -> None:
    assert names.ESCALATION_REPEAT_SECONDS <= names.SQS_MAX_DELAY_SECONDS
