"""The ops outbox: what SNS would have sent as SMS / e-mail.

moto delivers SNS messages only to SQS (and HTTP/Lambda) subscribers, never to phones or mailboxes,
so each SMS / e-mail subscription the stack makes is mirrored by an SQS queue subscribed to the same
topic with the same filter policy. Reading those queues gives exactly the messages SNS would have
delivered to that channel. Messages are kept (newest last, bounded) for the dashboard's panel.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from floorwatch.names import SNS_ATTRIBUTE_LEVEL, SNS_ATTRIBUTE_SEVERITY

from local.runtime.aws import EmbeddedAws, Resources

MAX_KEPT = 500


@dataclass(frozen=True)
class OutboxSubscription:
    """One SNS subscription the stack makes: a topic, the channel it stands for, its filter policy."""

    topic: str
    channel: str  # "sms" | "email"
    filter_policy: dict[str, Any] | None = None
    to: str = ""  # who the stack's subscription reaches (the numbers / addresses are deployment settings)


# The stack's filter policies (infrastructure/notifications.py): SMS contacts get critical alerts,
# e-mail contacts warnings; each escalation level's numbers get only that level's texts.
SEVERITY_ATTRIBUTE = SNS_ATTRIBUTE_SEVERITY
LEVEL_ATTRIBUTE = SNS_ATTRIBUTE_LEVEL
SMS_SEVERITIES = ["critical"]
EMAIL_SEVERITIES = ["warning"]


def default_subscriptions(resources: Resources, escalation_levels: list[str]) -> list[OutboxSubscription]:
    names = resources.names
    subscriptions = [
        OutboxSubscription(names.alerts_topic, "sms", {SEVERITY_ATTRIBUTE: SMS_SEVERITIES}, "alert contacts"),
        OutboxSubscription(
            names.alerts_topic, "email", {SEVERITY_ATTRIBUTE: EMAIL_SEVERITIES}, "alert contacts"
        ),
    ]
    for level in escalation_levels:
        only_level = {LEVEL_ATTRIBUTE: [level]}
        subscriptions.append(OutboxSubscription(names.escalation_topic, "sms", only_level, level))
    return subscriptions


class Outbox:
    def __init__(
        self, aws: EmbeddedAws, resources: Resources, subscriptions: list[OutboxSubscription]
    ) -> None:
        self._sqs = aws.client("sqs")
        self._queues: list[tuple[OutboxSubscription, str]] = []
        self._kept: deque[dict[str, Any]] = deque(maxlen=MAX_KEPT)
        self._lock = threading.Lock()
        sns = aws.client("sns")
        stage = resources.names.stage
        for number, subscription in enumerate(subscriptions):
            queue = f"floorwatch-{stage}-outbox-{subscription.channel}-{number}"
            url = self._sqs.create_queue(QueueName=queue)["QueueUrl"]
            resources.queue_urls[queue] = url  # deleted with the other resources
            attributes: dict[str, str] = {"RawMessageDelivery": "false"}
            if subscription.filter_policy is not None:
                attributes["FilterPolicy"] = json.dumps(subscription.filter_policy)
            sns.subscribe(
                TopicArn=resources.topic_arns[subscription.topic],
                Protocol="sqs",
                Endpoint=resources.queue_arn(queue),
                Attributes=attributes,
            )
            self._queues.append((subscription, url))

    def messages(self) -> list[dict[str, Any]]:
        """Every message delivered so far (reads and deletes what the queues hold now)."""
        with self._lock:
            for subscription, url in self._queues:
                self._drain(subscription, url)
            return sorted(self._kept, key=lambda message: str(message["at"]))

    def _drain(self, subscription: OutboxSubscription, url: str) -> None:
        while True:
            received = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = received.get("Messages") or []
            if not messages:
                return
            for message in messages:
                self._kept.append(outbox_entry(subscription, json.loads(message["Body"])))
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


def outbox_entry(subscription: OutboxSubscription, envelope: dict[str, Any]) -> dict[str, Any]:
    """An SNS notification envelope as the outbox panel shows it."""
    attributes = {
        name: value.get("Value") for name, value in (envelope.get("MessageAttributes") or {}).items()
    }
    return {
        "id": envelope.get("MessageId"),
        "channel": subscription.channel,
        "to": subscription.to,
        "topic": subscription.topic,
        "subject": envelope.get("Subject"),
        "message": envelope.get("Message"),
        "attributes": attributes,
        "at": envelope.get("Timestamp"),
    }
