"""Lambda escalate: escalation checks from the SQS queue -> escalated transitions in the alerts table.

Thin: parse each message body as an ``EscalationCheck`` and run it (``EscalationService.run``: claim the
level with a conditional write, re-schedule a check that is not due yet, or stop). The SMS, the audit
entry and the next check follow the ``escalated`` transition through the table's stream to the fan-out
(see floorwatch.alerts.escalation for why). The event source mapping has ReportBatchItemFailures, and
Powertools' ``BatchProcessor`` runs one record at a time: a message whose check raised (store or queue
unavailable) is reported by ``messageId`` and comes back after the visibility timeout; SQS messages are
independent, so the others are still processed (also when every one failed: the response then names
them all, rather than failing the invocation). A body that is not a check is logged and dropped (it
would fail forever).

``build_handler(settings, service)`` for tests and the local runtime; ``handler`` builds the boto3
adapters at cold start.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.config import Config
from floorwatch.alerts.escalation import CheckOutcome, EscalationCheck, EscalationService
from floorwatch.delivery.checks import SqsCheckScheduler
from floorwatch.names import METRICS_NAMESPACE
from floorwatch.settings import EscalateSettings
from floorwatch.store.alerts_dynamodb import DynamoAlertStore

from handlers import observability

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


@logger.inject_lambda_context(correlation_id_path=observability.SQS_BATCH, clear_state=True)
@observability.discard_unpublished(metrics)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    return _default_handler()(event, context)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def _default_handler() -> Handler:
    settings = EscalateSettings.from_environ()
    observability.default_dimensions(metrics, settings.stage)
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
    service = EscalationService(
        settings.escalation_policy(),
        DynamoAlertStore(boto3.client("dynamodb", config=config), settings.alerts_table),
        SqsCheckScheduler(boto3.client("sqs", config=config), settings.escalation_queue_url),
        _utc_now,
    )
    return build_handler(settings, service)


def build_handler(settings: EscalateSettings, service: EscalationService) -> Handler:
    def run_check(record: SQSRecord) -> None:
        """One message; raising reports it failed (it comes back), returning acknowledges it."""
        try:
            check = EscalationCheck.from_message(record.body or "")
        except ValueError as error:
            logger.error(
                "not an escalation check, dropped",
                extra={"message_id": record.message_id, "error": str(error)},
            )
            return
        # The raw record behind the alert (as in the evaluate and fan-out lines); else the alert id.
        logger.set_correlation_id(check.correlation_id or check.alert_id)
        try:
            outcome = service.run(check)
        except Exception:
            logger.exception("escalation check failed", extra={"message_id": record.message_id})
            raise
        _log(settings, check, outcome)

    def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = process_partial_response(
            event=dict(event), record_handler=run_check, processor=processor, context=context
        )
        failed = response.get("batchItemFailures") or []
        metrics.add_metric(name="EscalationChecksFailed", unit=MetricUnit.Count, value=len(failed))
        return dict(response)

    return handle


def _log(settings: EscalateSettings, check: EscalationCheck, outcome: CheckOutcome) -> None:
    logger.info(
        f"escalation check: {outcome.verdict.value}",
        extra={
            "stage": settings.stage,
            "alert_id": check.alert_id,
            "level": check.level,
            "reason": outcome.reason,
            "transition_id": outcome.transition.transition_id if outcome.transition else None,
            "delay_seconds": outcome.delay_seconds,
        },
    )
