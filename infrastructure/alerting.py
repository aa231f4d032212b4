"""Alerting: cx-events -> evaluate Lambda (KPIs + rules + alert state machine), a one-minute tick for
pending/open alerts, and the baselines Lambda on its own schedule.

The event source mapping settings come from floorwatch.names, which the local Kinesis poller uses too.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct
from floorwatch.names import (
    BASELINES_SCHEDULE_MINUTES,
    ENV_ALERTS_TABLE,
    ENV_BASELINES_TABLE,
    ENV_METRICS_TABLE,
    EVALUATE_BATCH_SIZE,
    EVALUATE_BATCHING_WINDOW_SECONDS,
    EVALUATE_MAX_RECORD_AGE_SECONDS,
    EVALUATE_MAX_RETRY_ATTEMPTS,
    EVALUATE_TICK_MINUTES,
    ResourceNames,
)

from infrastructure.least_privilege import grant_alert_writes
from infrastructure.nag import indexes_finding, suppress
from infrastructure.python_function import PythonFunction
from infrastructure.queues import failure_queue
from infrastructure.settings import Settings
from infrastructure.tables import Tables

EVALUATE_HANDLER = "handlers.evaluate.handler"
BASELINES_HANDLER = "handlers.baselines.handler"
# A whole 500-record batch is folded in memory and written once per (scope, metric, bucket).
EVALUATE_MEMORY_MB = 1024
EVALUATE_TIMEOUT_SECONDS = 120
# Baselines scan a week of buckets per scope and metric.
BASELINES_MEMORY_MB = 1024
BASELINES_TIMEOUT_SECONDS = 600
# A lost tick costs nothing (the next comes a minute later); a retried one could run beside it.
TICK_RETRY_ATTEMPTS = 0
BASELINES_RETRY_ATTEMPTS = 2


class AlertingConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        tables: Tables,
        cx_events: kinesis.IStream,
    ) -> None:
        super().__init__(scope, construct_id)
        names = ResourceNames(settings.stage)
        self.evaluate_failures = failure_queue(
            self, "EvaluateFailures", queue_name=names.evaluate_failures_queue, source="cx-events"
        )
        self.evaluate = PythonFunction(
            self,
            "Evaluate",
            settings=settings,
            name="evaluate",
            handler=EVALUATE_HANDLER,
            description="Folds CxEvents into windowed KPIs, evaluates the rules, records alert transitions",
            environment={
                ENV_METRICS_TABLE: tables.metrics.table_name,
                ENV_ALERTS_TABLE: tables.alerts.table_name,
                ENV_BASELINES_TABLE: tables.baselines.table_name,
            },
            reads_rules=True,
            memory_size=EVALUATE_MEMORY_MB,
            timeout_seconds=EVALUATE_TIMEOUT_SECONDS,
        )
        self.baselines = PythonFunction(
            self,
            "Baselines",
            settings=settings,
            name="baselines",
            handler=BASELINES_HANDLER,
            description="Learns hour-of-week KPI baselines from the metrics table",
            environment={
                ENV_METRICS_TABLE: tables.metrics.table_name,
                ENV_BASELINES_TABLE: tables.baselines.table_name,
            },
            reads_rules=True,
            memory_size=BASELINES_MEMORY_MB,
            timeout_seconds=BASELINES_TIMEOUT_SECONDS,
        )
        self._connect_evaluator(cx_events)
        self.tick = self._schedule(
            "Tick", self.evaluate.function, EVALUATE_TICK_MINUTES, TICK_RETRY_ATTEMPTS, "alert ticks"
        )
        self.baselines_schedule = self._schedule(
            "BaselinesSchedule",
            self.baselines.function,
            BASELINES_SCHEDULE_MINUTES,
            BASELINES_RETRY_ATTEMPTS,
            "baseline learning",
        )
        self._grant(tables)

    def _connect_evaluator(self, cx_events: kinesis.IStream) -> None:
        # Grants kinesis read on cx-events and sqs:SendMessage on the failure queue.
        self.evaluate.function.add_event_source(
            event_sources.KinesisEventSource(
                cx_events,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=EVALUATE_BATCH_SIZE,
                max_batching_window=Duration.seconds(EVALUATE_BATCHING_WINDOW_SECONDS),
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                retry_attempts=EVALUATE_MAX_RETRY_ATTEMPTS,
                max_record_age=Duration.seconds(EVALUATE_MAX_RECORD_AGE_SECONDS),
                on_failure=event_sources.SqsDlq(self.evaluate_failures),
            )
        )

    def _schedule(
        self, construct_id: str, function: lambda_.IFunction, minutes: int, retries: int, purpose: str
    ) -> events.Rule:
        """An EventBridge rule; the function receives the standard "Scheduled Event" payload."""
        return events.Rule(
            self,
            construct_id,
            description=f"floorwatch {purpose}: every {minutes} minute(s)",
            schedule=events.Schedule.rate(Duration.minutes(minutes)),
            targets=[targets.LambdaFunction(function, retry_attempts=retries)],
        )

    def _grant(self, tables: Tables) -> None:
        evaluate, baselines = self.evaluate.role, self.baselines.role
        # Metrics: atomic ADD / conditional SET per bucket and the dedup ledger (transactions).
        tables.metrics.grant_read_write_data(evaluate)
        # Alerts: conditional state/transition writes and queries of the active index (ticks).
        grant_alert_writes(tables, evaluate)  # conditional Puts only (infrastructure/least_privilege.py)
        tables.baselines.grant_read_data(evaluate)
        tables.metrics.grant_read_data(baselines)
        tables.baselines.grant_read_write_data(baselines)
        suppress(
            evaluate,
            "IAM5",
            "The evaluator queries the alerts table's sparse indexes (active alerts for ticks, alert ids); "
            "the wildcard covers the indexes of that one table only.",
            applies_to=[indexes_finding(tables.alerts)],
            apply_to_children=True,
        )
