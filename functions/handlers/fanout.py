"""Lambda fanout: the alerts table's DynamoDB stream -> dashboards, SNS, escalation checks, audit.

Thin: keep the stream's INSERT records of transition items (``item_type`` = "transition"; state items
and the TTL's REMOVEs are not news), decode their NewImage (DynamoDB JSON, with the alert store's own
``transition_from_item``: the store is the one module that knows the item layout), drop a
transition id seen earlier in the same batch, and hand each to ``TransitionDelivery.deliver``
(floorwatch.delivery.fanout), which says what happens and in which order.

Failures: the event source mapping has ReportBatchItemFailures. A stream shard is ordered and Lambda
restarts it at the lowest failed sequence number, re-delivering every record after it; so at the first
record that fails, processing stops and that record and all later ones are reported
(``itemIdentifier`` = ``dynamodb.SequenceNumber``) - a later record delivered now would be delivered
again. A record that can never be decoded is logged and skipped (retrying cannot fix it).

``build_handler(settings, delivery)`` for tests and the local runtime; the module-level ``handler``
validates the environment and builds the boto3 adapters on its first invocation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from floorwatch.alerts.escalation import EscalationService
from floorwatch.alerts.model import Transition
from floorwatch.cards import transition_card
from floorwatch.delivery.checks import SqsCheckScheduler
from floorwatch.delivery.fanout import DeliveryReport, Topics, TransitionDelivery
from floorwatch.delivery.sns import SnsTopicPublisher
from floorwatch.delivery.websocket import ApiGatewayPoster, WebSocketFanout
from floorwatch.names import METRICS_NAMESPACE
from floorwatch.security.roles import may_see
from floorwatch.settings import FanoutSettings
from floorwatch.store.alerts_dynamodb import DynamoAlertStore, transition_from_item
from floorwatch.store.audit_dynamodb import DynamoAuditLog
from floorwatch.store.connections_dynamodb import DynamoConnectionStore
from floorwatch.store.deliveries_dynamodb import DynamoPublishLedger

from handlers import observability

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]

POST_WORKERS = 16

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


@logger.inject_lambda_context(correlation_id_path=observability.KINESIS_BATCH, clear_state=True)
@observability.discard_unpublished(metrics)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    return _default_handler()(event, context)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def _default_handler() -> Handler:
    """Cold start: validate the environment, build clients once per container (boto3 honours
    AWS_ENDPOINT_URL, which is how the local runtime points this at moto)."""
    settings = FanoutSettings.from_environ()
    observability.default_dimensions(metrics, settings.stage)
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
    # Our own rounds retry posts; botocore's standard retries stay on for throttling only (2 tries).
    post_config = Config(
        retries={"mode": "standard", "max_attempts": 2},
        connect_timeout=2,
        read_timeout=5,
        max_pool_connections=POST_WORKERS,
    )
    dynamodb = boto3.client("dynamodb", config=config)
    alerts = DynamoAlertStore(dynamodb, settings.alerts_table)
    rules = settings.rules()
    websocket = WebSocketFanout(
        # Deletes gone connections only: DeleteItem, the one write its IAM allows on the table.
        DynamoConnectionStore(dynamodb, settings.connections_table, remove_item_by_item=True),
        ApiGatewayPoster(
            boto3.client(
                "apigatewaymanagementapi", endpoint_url=settings.websocket_endpoint, config=post_config
            )
        ),
        may_see,
        describe=transition_card(rules, settings.card_settings()),
    )
    escalations = EscalationService(
        settings.escalation_policy(),
        alerts,
        SqsCheckScheduler(boto3.client("sqs", config=config), settings.escalation_queue_url),
        _utc_now,
    )
    delivery = TransitionDelivery(
        websocket=websocket,
        publisher=SnsTopicPublisher(boto3.client("sns", config=config)),
        ledger=DynamoPublishLedger(dynamodb, settings.deliveries_table),
        escalations=escalations,
        alerts=alerts,
        audit=DynamoAuditLog(dynamodb, settings.audit_table),
        rules=rules,
        topics=Topics(settings.alerts_topic_arn, settings.escalation_topic_arn, settings.dashboard_url),
        clock=_utc_now,
    )
    return build_handler(settings, delivery)


@dataclass(frozen=True)
class StreamTransition:
    sequence_number: str
    transition: Transition


def build_handler(settings: FanoutSettings, delivery: TransitionDelivery) -> Handler:
    def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        records = list(event.get("Records") or ())
        batch = logger.get_correlation_id()
        deadline = invocation_deadline(context, delivery.now())
        failed: list[str] = []
        seen: set[str] = set()
        reports: list[DeliveryReport] = []
        for index, record in enumerate(records):
            item = stream_transition(record)
            if item is None or item.transition.transition_id in seen:
                continue
            # Every line about this delivery names the raw record behind it (the evaluate function's
            # "transition stored" line, the SNS message and the escalation lines name the same).
            # Transitions without one (people's actions): the alert id, as in the SMS link.
            logger.set_correlation_id(item.transition.correlation_id or item.transition.alert_id)
            try:
                report = delivery.deliver(item.transition, deadline)
            except Exception:  # reported for retry, with every record after it
                logger.exception(
                    "delivery failed",
                    extra={
                        "alert_id": item.transition.alert_id,
                        "transition_id": item.transition.transition_id,
                    },
                )
                failed = [sequence for later in records[index:] if (sequence := sequence_number(later))]
                break
            _report_problems(report)
            reports.append(report)
            seen.add(item.transition.transition_id)
        logger.set_correlation_id(batch)
        _report(settings, reports, len(records), len(failed))
        return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}

    return handle


def invocation_deadline(context: Any, now: datetime) -> datetime | None:
    """When this invocation times out (None without a Lambda context): the lease of publish claims,
    so a retry after a timeout may take over a claim at once."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    return now + timedelta(milliseconds=int(remaining()))


# --- decoding the DynamoDB stream event ---------------------------------------------------------------


def sequence_number(record: Any) -> str | None:
    dynamodb = record.get("dynamodb") if isinstance(record, Mapping) else None
    sequence = dynamodb.get("SequenceNumber") if isinstance(dynamodb, Mapping) else None
    return sequence if isinstance(sequence, str) and sequence else None


def stream_transition(record: Any) -> StreamTransition | None:
    """The transition an INSERT record carries; None for anything else (or what cannot be decoded)."""
    if not isinstance(record, Mapping) or record.get("eventName") != "INSERT":
        return None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    try:
        transition = transition_from_item(image)  # None for state items
        return None if transition is None else StreamTransition(str(sequence_number(record)), transition)
    except Exception as error:  # noqa: BLE001 - a poison record must not block the shard
        logger.error(
            "undecodable transition record skipped",
            extra={"sequence_number": sequence_number(record), "error": f"{type(error).__name__}: {error}"},
        )
        return None


# --- observability ------------------------------------------------------------------------------------


def _report_problems(report: DeliveryReport) -> None:
    """What one delivery could not do (logged under its transition's correlation id)."""
    if report.push is not None and report.push.undelivered:
        logger.warning(
            "dashboards not reached",
            extra={"transition_id": report.transition_id, "undelivered": report.push.undelivered},
        )
    for problem in report.problems:
        logger.warning(problem, extra={"transition_id": report.transition_id})


def _report(settings: FanoutSettings, reports: list[DeliveryReport], received: int, failed: int) -> None:
    pushes = [report.push for report in reports if report.push is not None]
    undelivered = sum(len(push.undelivered) for push in pushes)
    logger.info(
        "batch fanned out",
        extra={
            "stage": settings.stage,
            "records": received,
            "transitions": len(reports),
            "posted": sum(len(push.delivered) for push in pushes),
            "gone": sum(len(push.gone) for push in pushes),
            "undelivered": undelivered,
            "published": sum(len(report.published) for report in reports),
            "failed": failed,
        },
    )
    metrics.add_metric(name="TransitionsDelivered", unit=MetricUnit.Count, value=len(reports))
    observability.count_failures(metrics, name="WebSocketUndelivered", value=undelivered)
    observability.count_failures(metrics, name="FanoutRecordsFailed", value=failed)
