"""Publish alert transitions and escalations to SNS, with the attributes subscriptions filter on.

Alerts topic (``names.ENV_ALERTS_TOPIC_ARN``): one publish per lifecycle transition (opened, upgraded,
downgraded, resolved, flapping started) that is notified (``notify`` true: not muted by a snooze or
flapping) and whose rule asks for SMS or e-mail at that severity (``rule.channels(severity)``). People's
actions (ack, snooze, note) are not published: the dashboards show them.

Message attributes (strings; empty ones omitted - SNS refuses empty values):
``severity``, ``team``, ``queue``, ``rule``, ``correlation_id`` (the raw record behind the transition, for
tracing; nothing filters on it), and ``channels`` (String.Array: the channels the rule asks for, e.g.
["sms"]). A subscription's filter policy picks what it receives; ``filter_policy`` builds
them and is what the CDK stack and the routing tests use, so both filter the same way:

- SMS subscriptions: ``channels`` contains "sms" and severity critical (by default);
- e-mail subscriptions: ``channels`` contains "email" and severity warning or critical (by default);
- either narrowed further by team / queue / rule when a contact covers only part of the floor.

One publish serves every protocol (``MessageStructure=json``): SMS endpoints get the one-segment text,
e-mail endpoints the long body (and ``Subject``), SQS / Lambda / HTTP subscribers the transition as JSON.

Escalation topic (``names.ENV_ESCALATION_TOPIC_ARN``): one SMS per escalation level reached, attribute
``level`` = the level's name; each level's phone numbers subscribe with ``{"level": [name]}``.

Every message that may go out as a text carries SNS's reserved ``AWS.SNS.SMS.SMSType`` =
``Transactional``: a critical alert or an escalation is time-critical, and carriers and countries
deliver promotional texts with lower priority or not at all in some hours (the account's default
type applies otherwise, and is often promotional).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.delivery.messages import email_for, email_subject, escalation_sms_text, sms_text
from floorwatch.names import (
    SNS_ATTRIBUTE_CHANNELS,
    SNS_ATTRIBUTE_CORRELATION,
    SNS_ATTRIBUTE_LEVEL,
    SNS_ATTRIBUTE_QUEUE,
    SNS_ATTRIBUTE_RULE,
    SNS_ATTRIBUTE_SEVERITY,
    SNS_ATTRIBUTE_TEAM,
)
from floorwatch.rules.config import NotifyChannel, Rule, ThresholdRule

ATTRIBUTE_SEVERITY = SNS_ATTRIBUTE_SEVERITY
ATTRIBUTE_TEAM = SNS_ATTRIBUTE_TEAM
ATTRIBUTE_QUEUE = SNS_ATTRIBUTE_QUEUE
ATTRIBUTE_RULE = SNS_ATTRIBUTE_RULE
ATTRIBUTE_CHANNEL = SNS_ATTRIBUTE_CHANNELS
ATTRIBUTE_LEVEL = SNS_ATTRIBUTE_LEVEL
ATTRIBUTE_CORRELATION = SNS_ATTRIBUTE_CORRELATION
ATTRIBUTE_SMS_TYPE = "AWS.SNS.SMS.SMSType"  # reserved by SNS: how the texts of this publish are sent
SMS_TYPE_TRANSACTIONAL = "Transactional"

PUBLISHED_KINDS = frozenset(
    {
        TransitionKind.OPENED,
        TransitionKind.UPGRADED,
        TransitionKind.DOWNGRADED,
        TransitionKind.RESOLVED,
        TransitionKind.FLAPPING_STARTED,
    }
)
OFF_DASHBOARD = (NotifyChannel.SMS, NotifyChannel.EMAIL)
DEFAULT_SEVERITIES: dict[NotifyChannel, tuple[Severity, ...]] = {
    NotifyChannel.SMS: (Severity.CRITICAL,),
    NotifyChannel.EMAIL: (Severity.WARNING, Severity.CRITICAL),
}

AttributeValue = str | tuple[str, ...]


@dataclass(frozen=True)
class SnsMessage:
    default: str  # what SQS / Lambda / HTTP subscribers receive (JSON)
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    sms: str | None = None
    email: str | None = None
    subject: str | None = None

    def structured(self) -> str:
        """The ``Message`` for ``MessageStructure=json``: one text per protocol."""
        texts = {"default": self.default, "sms": self.sms, "email": self.email}
        return json.dumps({protocol: text for protocol, text in texts.items() if text is not None})


class TopicPublisher(Protocol):
    def publish(self, topic_arn: str, message: SnsMessage) -> str:
        """Publish; returns the message id. Raises on failure (the caller retries)."""
        ...


class SnsTopicPublisher:
    """``TopicPublisher`` over a boto3 SNS client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def publish(self, topic_arn: str, message: SnsMessage) -> str:
        request: dict[str, Any] = {
            "TopicArn": topic_arn,
            "Message": message.structured(),
            "MessageStructure": "json",
            "MessageAttributes": sns_attributes(message.attributes),
        }
        if message.subject:
            request["Subject"] = message.subject
        return str(self._client.publish(**request)["MessageId"])


def sns_attributes(attributes: Mapping[str, AttributeValue]) -> dict[str, dict[str, str]]:
    """The wire form of message attributes; empty values are left out (SNS refuses them)."""
    wire: dict[str, dict[str, str]] = {}
    for name, value in attributes.items():
        if isinstance(value, tuple):
            if value:
                wire[name] = {"DataType": "String.Array", "StringValue": json.dumps(list(value))}
        elif value:
            wire[name] = {"DataType": "String", "StringValue": value}
    return wire


def filter_policy(
    channel: NotifyChannel,
    *,
    severities: Iterable[Severity] | None = None,
    teams: Iterable[str] = (),
    queues: Iterable[str] = (),
    rules: Iterable[str] = (),
) -> dict[str, list[str]]:
    """The alerts-topic filter policy of an SMS or e-mail subscription (``DEFAULT_SEVERITIES`` unless
    told otherwise); teams / queues / rules narrow it to part of the floor."""
    if channel not in OFF_DASHBOARD:
        raise ValueError(f"{channel.value} is not an SNS channel (sms, email)")
    chosen = DEFAULT_SEVERITIES[channel] if severities is None else tuple(severities)
    policy = {
        ATTRIBUTE_CHANNEL: [channel.value],
        ATTRIBUTE_SEVERITY: [severity.value for severity in chosen],
        ATTRIBUTE_TEAM: list(teams),
        ATTRIBUTE_QUEUE: list(queues),
        ATTRIBUTE_RULE: list(rules),
    }
    return {name: values for name, values in policy.items() if values}


def escalation_filter_policy(level_name: str, *more_levels: str) -> dict[str, list[str]]:
    """The escalation-topic filter policy of a number on one level (or on several: SNS keeps one
    subscription per number and topic, so a person on two levels has one subscription for both)."""
    return {ATTRIBUTE_LEVEL: [level_name, *more_levels]}


def requested_channels(transition: Transition, rule: Rule | None) -> tuple[str, ...]:
    """The off-dashboard channels this transition goes to; () when it is not published at all.

    Transitions recorded with the incident paging policy say so themselves (``channels``); older ones
    (no ``channels``) go where the rule asks for their severity."""
    if transition.channels is not None:
        return transition.channels if transition.notify and rule is not None else ()
    if rule is None or not transition.notify or transition.transition not in PUBLISHED_KINDS:
        return ()
    channels = rule.channels(transition.severity)
    return tuple(channel.value for channel in OFF_DASHBOARD if channel in channels)


def alert_message(transition: Transition, rule: Rule, dashboard_url: str | None) -> SnsMessage | None:
    """The alerts-topic message for a transition, or None when nothing asks for it."""
    channels = requested_channels(transition, rule)
    if not channels:
        return None
    email = email_for(
        transition,
        dashboard_url=dashboard_url,
        description=rule.description or None,
        runbook=rule.runbook,
        action=rule.action,
    )
    return SnsMessage(
        default=_json(transition),
        attributes={
            ATTRIBUTE_SEVERITY: transition.severity.value,
            ATTRIBUTE_TEAM: transition.team_id or rule.team or "",
            ATTRIBUTE_QUEUE: transition.queue_id or "",
            ATTRIBUTE_RULE: transition.trigger_rule or transition.rule,
            ATTRIBUTE_CHANNEL: channels,
            ATTRIBUTE_CORRELATION: transition.correlation_id or "",
            ATTRIBUTE_SMS_TYPE: SMS_TYPE_TRANSACTIONAL if NotifyChannel.SMS.value in channels else "",
        },
        sms=sms_text(transition, dashboard_url),
        email=email.body,
        subject=email.subject,
    )


def escalation_message(
    transition: Transition,
    level: int,
    chain: tuple[str, ...],
    rule: Rule | None,
    dashboard_url: str | None,
) -> SnsMessage:
    """The escalation-topic message telling level ``level`` (1 = ``chain[0]``) about an escalation."""
    level_name = chain[level - 1]
    threshold = rule.threshold(transition.severity) if isinstance(rule, ThresholdRule) else None
    text = escalation_sms_text(
        transition, level, level_name, len(chain), threshold=threshold, dashboard_url=dashboard_url
    )
    return SnsMessage(
        default=_json(transition, level=level, level_name=level_name),
        attributes={
            ATTRIBUTE_LEVEL: level_name,
            ATTRIBUTE_SEVERITY: transition.severity.value,
            ATTRIBUTE_TEAM: transition.team_id or (rule.team if rule else None) or "",
            ATTRIBUTE_QUEUE: transition.queue_id or "",
            ATTRIBUTE_RULE: transition.trigger_rule or transition.rule,
            ATTRIBUTE_CORRELATION: transition.correlation_id or "",
            ATTRIBUTE_SMS_TYPE: SMS_TYPE_TRANSACTIONAL,
        },
        sms=text,
        email=text,
        subject=email_subject(
            f"[floorwatch] escalation {level}/{len(chain)} to {level_name}: {transition.scope}"
        ),
    )


def _json(transition: Transition, **extra: object) -> str:
    return json.dumps({"type": "transition", **transition.to_dict(), **extra}, separators=(",", ":"))
