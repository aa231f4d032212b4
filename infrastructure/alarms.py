"""The stack's own alarms, notified to an operations topic: a dead or slow pipeline reaches a human even
when no alert rule can fire (no events means no rule evaluates).

Every alarm names its runbook section in docs/operating.md (the anchor is in its description) and
notifies the operations topic both when it fires and when it recovers. Thresholds are constants here,
chosen so that a healthy stage never fires them (see docs/operating.md for each one's reasoning).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infrastructure.monitored import Monitored
from infrastructure.settings import AlertContacts

RUNBOOK = "docs/operating.md"
# A healthy mapping keeps its iterator age near the batch interval (seconds); a minute of backlog for
# three minutes in a row means the consumer is failing, throttled or too slow for the traffic.
ITERATOR_AGE_MS = 60_000
ITERATOR_AGE_MINUTES = 3
# p99 of event time -> evaluation over 5 minutes, three periods in a row (docs/operating.md).
PIPELINE_LATENCY_P99_MS = 30_000
PIPELINE_LATENCY_PERIODS = 3
# No record on raw-events for this long: every producer stopped, or their credentials did.
SILENCE_MINUTES = 15
ERRORS_PERIOD = Duration.minutes(5)


@dataclass(frozen=True)
class AlarmSpec:
    slug: str  # floorwatch-<stage>-<slug>; also the runbook anchor
    summary: str


class OperationsAlarms(Construct):
    """The operations topic, its subscriptions, and every alarm of the stack."""

    def __init__(
        self, scope: Construct, construct_id: str, *, monitored: Monitored, contacts: AlertContacts
    ) -> None:
        super().__init__(scope, construct_id)
        self._monitored = monitored
        self.topic = self._topic(monitored.stage, contacts)
        self._action = cloudwatch_actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []
        self._functions()
        self._streams()
        self._queues()
        self._pipeline()
        self._notifications()

    # --- the topic ---------------------------------------------------------------------------------

    def _topic(self, stage: str, contacts: AlertContacts) -> sns.Topic:
        # CloudWatch cannot publish to a topic under the AWS-managed SNS key (its key policy admits
        # no service principals): a key of our own lets the alarms' service principal use it.
        key = kms.Key(
            self,
            "TopicKey",
            description=f"floorwatch {stage}: encrypts the operations topic CloudWatch alarms publish to",
            enable_key_rotation=True,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        topic = sns.Topic(
            self,
            "Topic",
            topic_name=f"floorwatch-{stage}-operations",
            display_name=f"floorwatch {stage} operations",
            master_key=key,
            enforce_ssl=True,
        )
        for number in contacts.sms:
            topic.add_subscription(subscriptions.SmsSubscription(number))
        for address in contacts.email:
            topic.add_subscription(subscriptions.EmailSubscription(address))
        return topic

    def _alarm(
        self,
        spec: AlarmSpec,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
        periods: int = 1,
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            spec.slug,
            alarm_name=f"floorwatch-{self._monitored.stage}-{spec.slug}",
            alarm_description=f"{spec.summary} What to do: {RUNBOOK}#{spec.slug.split('.')[0]}",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm

    # --- the alarms ----------------------------------------------------------------------------------

    def _functions(self) -> None:
        for name, function in self._monitored.functions.items():
            self._alarm(
                AlarmSpec(f"function-errors.{name}", f"The {name} function raised errors."),
                function.metric_errors(period=ERRORS_PERIOD, statistic="Sum"),
                threshold=1,
            )
            self._alarm(
                AlarmSpec(f"function-throttles.{name}", f"The {name} function was throttled."),
                function.metric_throttles(period=ERRORS_PERIOD, statistic="Sum"),
                threshold=1,
            )

    def _streams(self) -> None:
        for consumer in self._monitored.consumers:
            self._alarm(
                AlarmSpec(
                    f"iterator-age.{consumer.label.rsplit(' ', 1)[-1]}",
                    f"{consumer.label}: records wait over {ITERATOR_AGE_MS // 1000} s to be processed.",
                ),
                consumer.function.metric(
                    "IteratorAge", statistic="Maximum", period=Duration.minutes(1), label=consumer.label
                ),
                threshold=ITERATOR_AGE_MS,
                periods=ITERATOR_AGE_MINUTES,
            )

    def _queues(self) -> None:
        for label, queue in self._monitored.failure_queues.items():
            self._alarm(
                AlarmSpec(f"failure-queue.{label}", f"{label}: messages are waiting in {label}."),
                queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
            )

    def _pipeline(self) -> None:
        monitored = self._monitored
        self._alarm(
            AlarmSpec("quarantined-records", "The normalizer quarantined raw records."),
            monitored.custom_metric("normalize", "RecordsQuarantined"),
            threshold=1,
        )
        self._alarm(
            AlarmSpec(
                "pipeline-latency",
                f"p99 of event time -> evaluation over {PIPELINE_LATENCY_P99_MS // 1000} s.",
            ),
            monitored.custom_metric("evaluate", "PipelineLatency", statistic="p99"),
            threshold=PIPELINE_LATENCY_P99_MS,
            periods=PIPELINE_LATENCY_PERIODS,
        )
        # Every function reads the same layer; the evaluator starts cold often enough (ticks) to tell.
        self._alarm(
            AlarmSpec(
                "layer-version-mismatch",
                "The Powertools layer does not carry the Powertools / pydantic the code was tested with.",
            ),
            monitored.custom_metric("evaluate", "LayerVersionMismatch", statistic="Maximum"),
            threshold=1,
        )
        # No data is the failure here: a stream nobody writes to reports nothing at all.
        self._alarm(
            AlarmSpec("pipeline-silent", f"No raw event arrived for {SILENCE_MINUTES} minutes."),
            monitored.raw_events.metric_incoming_records(
                period=Duration.minutes(SILENCE_MINUTES), statistic="Sum"
            ),
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cloudwatch.TreatMissingData.BREACHING,
        )

    def _notifications(self) -> None:
        monitored = self._monitored
        self._alarm(
            AlarmSpec("escalation-failures", "Escalation checks failed and will be retried."),
            monitored.custom_metric("escalate", "EscalationChecksFailed"),
            threshold=1,
        )
        for label, topic in monitored.topics.items():
            self._alarm(
                AlarmSpec(f"sns-delivery-failures.{label}", f"SNS could not deliver {label} messages."),
                topic.metric_number_of_notifications_failed(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
            )
