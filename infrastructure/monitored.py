"""What the operations constructs watch: the stack's functions, streams, queues and topics, by role.

Built once by the stack from the other constructs, so the alarms and the CloudWatch dashboard name the
same resources and the same custom metrics (the dimensions the handlers' Powertools Metrics emit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from floorwatch.names import METRICS_NAMESPACE

from infrastructure.python_function import service_name

FIVE_MINUTES = Duration.minutes(5)


@dataclass(frozen=True)
class StreamConsumer:
    """A function fed by a stream through an event source mapping (its IteratorAge is the backlog)."""

    label: str  # "raw-events -> normalize"
    function: lambda_.IFunction


@dataclass(frozen=True)
class Monitored:
    stage: str
    functions: Mapping[str, lambda_.IFunction]  # logical name (names.function) -> function
    consumers: tuple[StreamConsumer, ...]
    raw_events: kinesis.IStream
    # Queues nobody drains automatically: a message in one is work that did not happen.
    failure_queues: Mapping[str, sqs.IQueue]  # label -> queue
    topics: Mapping[str, sns.ITopic]  # label -> the alert and escalation topics

    def custom_metric(
        self,
        function: str,
        metric: str,
        *,
        statistic: str = "Sum",
        period: Duration = FIVE_MINUTES,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """A metric a handler emits with Powertools: namespace floorwatch, dimensions service + stage."""
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=metric,
            dimensions_map={"service": service_name(function), "stage": self.stage},
            statistic=statistic,
            period=period,
            label=label or metric,
        )
