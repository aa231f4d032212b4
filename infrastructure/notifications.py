"""Notifications beyond the dashboard: the SNS alerts topic (SMS for critical, e-mail for warning),
the escalation topic (SMS per level of the chain), the escalation checks queue and the escalate Lambda.

The escalate function only claims the next level with a conditional write of an `escalated`
transition and schedules the next check; the SMS and the audit entry follow that transition through
the alerts table stream to the fan-out, which publishes to both topics. Routing is done by SNS
subscription filter policies on message attributes (names.SNS_ATTRIBUTE_*), so the publisher never
knows who is subscribed.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from floorwatch.delivery.sns import escalation_filter_policy, filter_policy
from floorwatch.names import (
    ENV_ALERTS_TABLE,
    ENV_ESCALATION_CHAIN,
    ENV_ESCALATION_QUEUE_URL,
    ENV_ESCALATION_REPEAT_SECONDS,
    ESCALATE_BATCH_SIZE,
    ESCALATION_REPEAT_SECONDS,
    ResourceNames,
)
from floorwatch.rules.config import NotifyChannel

from infrastructure.least_privilege import grant_alert_writes
from infrastructure.nag import indexes_finding, suppress
from infrastructure.python_function import PythonFunction
from infrastructure.settings import Settings
from infrastructure.tables import Tables

ESCALATE_HANDLER = "handlers.escalate.handler"
ESCALATE_TIMEOUT_SECONDS = 30
# Lambda's advice for SQS event sources: visibility timeout at least six times the function timeout.
ESCALATION_VISIBILITY_TIMEOUT = Duration.seconds(6 * ESCALATE_TIMEOUT_SECONDS)
ESCALATION_MAX_RECEIVES = 5
DEAD_LETTER_RETENTION = Duration.days(14)
# SNS encrypts messages at rest with the AWS-managed key; SMS and e-mail endpoints work with it and
# publishers need no kms permissions (its key policy admits SNS callers of this account).
SNS_MANAGED_KEY_ALIAS = "alias/aws/sns"


def _subscription_filter(policy: Mapping[str, list[str]]) -> dict[str, sns.SubscriptionFilter]:
    """A filter policy from floorwatch.delivery.sns (the publisher's own module) as CDK filters."""
    return {name: sns.SubscriptionFilter.string_filter(allowlist=values) for name, values in policy.items()}


class NotificationsConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, tables: Tables) -> None:
        super().__init__(scope, construct_id)
        names = ResourceNames(settings.stage)
        key = kms.Alias.from_alias_name(self, "SnsManagedKey", SNS_MANAGED_KEY_ALIAS)
        self.alerts_topic = sns.Topic(
            self, "AlertsTopic", topic_name=names.alerts_topic, master_key=key, enforce_ssl=True
        )
        self.escalation_topic = sns.Topic(
            self, "EscalationTopic", topic_name=names.escalation_topic, master_key=key, enforce_ssl=True
        )
        self._subscribe_contacts(settings)
        self._subscribe_escalation_chain(settings)
        self.escalation_dead_letters = sqs.Queue(
            self,
            "EscalationDeadLetters",
            queue_name=names.escalation_dead_letter_queue,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        self.escalation_queue = sqs.Queue(
            self,
            "EscalationChecks",
            queue_name=names.escalation_queue,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=ESCALATION_VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.escalation_dead_letters, max_receive_count=ESCALATION_MAX_RECEIVES
            ),
        )
        self.escalate = PythonFunction(
            self,
            "Escalate",
            settings=settings,
            name="escalate",
            handler=ESCALATE_HANDLER,
            description="At an acknowledgement deadline, texts the next escalation level and re-checks",
            environment={
                ENV_ALERTS_TABLE: tables.alerts.table_name,
                **self.escalation_environment(settings),
            },
            timeout_seconds=ESCALATE_TIMEOUT_SECONDS,
        )
        self._connect_escalate(tables)

    def escalation_environment(self, settings: Settings) -> dict[str, str]:
        """What escalate and fanout must agree on: the queue, the chain (unset when the chain is empty:
        the functions then use their default level names) and the pace."""
        chain = {ENV_ESCALATION_CHAIN: settings.escalation_level_names} if settings.escalation_chain else {}
        return {
            ENV_ESCALATION_QUEUE_URL: self.escalation_queue.queue_url,
            ENV_ESCALATION_REPEAT_SECONDS: str(ESCALATION_REPEAT_SECONDS),
            **chain,
        }

    def _subscribe_contacts(self, settings: Settings) -> None:
        # By default: SMS for critical, e-mail for warning and critical, each only when the rule asks
        # for that channel (the `channels` attribute).
        sms = _subscription_filter(filter_policy(NotifyChannel.SMS))
        email = _subscription_filter(filter_policy(NotifyChannel.EMAIL))
        for number in settings.alert_contacts.sms:
            self.alerts_topic.add_subscription(subscriptions.SmsSubscription(number, filter_policy=sms))
        for address in settings.alert_contacts.email:
            self.alerts_topic.add_subscription(subscriptions.EmailSubscription(address, filter_policy=email))

    def _subscribe_escalation_chain(self, settings: Settings) -> None:
        # One subscription per number (SNS holds one per endpoint and topic): a person on two levels
        # is texted at each of them through one filter naming both.
        levels_of: dict[str, list[str]] = {}
        for level in settings.escalation_chain:
            for number in level.sms:
                levels_of.setdefault(number, []).append(level.name)
        for number, levels in levels_of.items():
            self.escalation_topic.add_subscription(
                subscriptions.SmsSubscription(
                    number, filter_policy=_subscription_filter(escalation_filter_policy(*levels))
                )
            )

    def _connect_escalate(self, tables: Tables) -> None:
        role = self.escalate.role
        # Consumes (receive/delete) checks; sends the next check itself, with a delay.
        self.escalate.function.add_event_source(
            event_sources.SqsEventSource(
                self.escalation_queue, batch_size=ESCALATE_BATCH_SIZE, report_batch_item_failures=True
            )
        )
        self.escalation_queue.grant_send_messages(role)
        # Reads the alert's state (by alert id) and records the `escalated` transition conditionally.
        grant_alert_writes(tables, role)  # conditional Puts only (infrastructure/least_privilege.py)
        suppress(
            role,
            "IAM5",
            "The escalate function finds an alert's state through the alerts table's by-alert-id index; "
            "the wildcard covers the indexes of that one table only.",
            applies_to=[indexes_finding(tables.alerts)],
            apply_to_children=True,
        )
