"""Lambda normalize: Kinesis raw-events -> CxEvents on Kinesis cx-events, rejects to the S3 quarantine.

Thin: decode the Kinesis trigger event, call floorwatch.events.pipeline.process_batch, report the
records to retry as ``batchItemFailures`` (the event source mapping has ReportBatchItemFailures).
Each record's Kinesis ``approximateArrivalTimestamp`` goes with it to the normalizer, which gives it to
payloads without a time of their own (Contact Lens voice segments). Records an adapter recognises and
deliberately ignores are acknowledged as skipped: counted (``RecordsSkipped``) and logged per reason.
A record that cannot be normalized - or whose trigger envelope cannot even be decoded - is
quarantined with its reason and never blocks the shard; only records whose events or quarantine
object could not be written are reported failed.

Dependencies are injectable without mocks: ``build_handler(settings, sink, quarantine)`` returns a
handler over any ports (tests, the local runtime); the module-level ``handler`` builds the botocore
ones on the first invocation (cold start) and keeps them for the container's life.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import botocore.session
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from floorwatch.events.pipeline import BatchOutcome, EventSink, Quarantine, RawRecord, process_batch
from floorwatch.events.time_window import DEFAULT_WINDOW, EventTimeWindow
from floorwatch.names import METRICS_NAMESPACE
from floorwatch.security.redact import redact
from floorwatch.settings import NormalizeSettings
from floorwatch.store.cx_events import KinesisEventSink
from floorwatch.store.kinesis import KinesisWriter
from floorwatch.store.quarantine import S3Quarantine
from pydantic_core import SchemaValidator, core_schema

from handlers import observability

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]

MAX_QUARANTINE_LOG_LINES = 20  # per batch: a poison storm must not flood the logs

logger = Logger()  # service name from POWERTOOLS_SERVICE_NAME (set by the stack)
metrics = Metrics(namespace=METRICS_NAMESPACE)

# The event-time window (events.time_window) and what it is centred on: each record's arrival time
# (None) unless `floorwatch demo` points it at its simulated clock with `use_event_time`.
_window: EventTimeWindow | None = DEFAULT_WINDOW
_reference: Callable[[], datetime] | None = None


def use_event_time(
    reference: Callable[[], datetime] | None, window: EventTimeWindow | None = DEFAULT_WINDOW
) -> None:
    """Centre the event-time window on ``reference()`` instead of each record's arrival time (None: back
    to arrival time); ``window=None`` accepts any event time.

    Lambda never calls this. `floorwatch demo` does: its simulated event time runs faster than the
    wall clock that stamps arrival times, so arrival says nothing about whether an event is plausible.
    """
    global _window, _reference
    _window, _reference = window, reference


@logger.inject_lambda_context(correlation_id_path=observability.KINESIS_BATCH, clear_state=True)
@observability.discard_unpublished(metrics)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    return _default_handler()(event, context)


@functools.cache
def _default_handler() -> Handler:
    """Cold start: validate the environment and build the clients once per container.

    Not cached when it raises, so a fixed configuration is picked up without a new container.
    botocore honours AWS_ENDPOINT_URL itself, which is how the local runtime points this at moto. Clients
    come from botocore directly: boto3 adds nothing used here and its import (with s3transfer) costs
    about 90 ms of every cold start.
    """
    settings = NormalizeSettings.from_environ()
    observability.default_dimensions(metrics, settings.stage)
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
    session = botocore.session.get_session()
    kinesis = session.create_client("kinesis", config=config)
    sink = KinesisEventSink(KinesisWriter(kinesis, settings.cx_events_stream))
    quarantine = S3Quarantine(session.create_client("s3", config=config), settings.quarantine_bucket)
    return build_handler(settings, sink, quarantine)


def build_handler(settings: NormalizeSettings, sink: EventSink, quarantine: Quarantine) -> Handler:
    def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        records = raw_records(event)
        outcome = process_batch(records, sink, quarantine, window=_window, reference=_reference)
        _report(settings, outcome, len(records))
        return batch_response(outcome)

    return handle


def batch_response(outcome: BatchOutcome) -> dict[str, Any]:
    return {
        "batchItemFailures": [{"itemIdentifier": sequence} for sequence in outcome.failed_sequence_numbers]
    }


# --- decoding the Kinesis trigger event (hot path: plain dict access, see the module's report) ---


def raw_records(event: Mapping[str, Any]) -> list[RawRecord]:
    return [_raw_record(item) for item in event.get("Records") or ()]


def _raw_record(item: Any) -> RawRecord:
    try:
        kinesis = item["kinesis"]
        return RawRecord(
            sequence_number=kinesis["sequenceNumber"],
            data=_base64(kinesis["data"]),
            partition_key=kinesis["partitionKey"],
            stream=item["eventSourceARN"].rpartition("/")[2],
            shard_id=item["eventID"].partition(":")[0],
            arrival_time=datetime.fromtimestamp(kinesis["approximateArrivalTimestamp"], UTC),
        )
    except Exception as error:  # noqa: BLE001 - one malformed record must not fail the batch
        return _undecodable(item, f"{type(error).__name__}: {error}")


# Each record's data is base64 text: binascii's decoder, a loop over every character, took a tenth of the
# normalizer's time; pydantic-core's takes half as long. Its decoder also takes URL-safe and unpadded
# text, which binascii's strict mode refuses, so it only gets text that is standard base64 padded to
# whole quads (the form both accept; nothing in it that the JSON string quoting it could turn into
# another character), and whatever it refuses goes to binascii: every error reads as it did.
_BASE64 = SchemaValidator(core_schema.bytes_schema(), config=core_schema.CoreConfig(val_json_bytes="base64"))


def _base64(text: Any) -> bytes:
    standard = text.__class__ is str and len(text) % 4 == 0
    if standard and "-" not in text and "_" not in text and "\\" not in text:
        try:
            return _BASE64.validate_json(f'"{text}"')  # type: ignore[no-any-return]
        except ValueError:
            pass
    return binascii.a2b_base64(text, strict_mode=True)


def _undecodable(item: Any, problem: str) -> RawRecord:
    """Best-effort identity for a record whose envelope is broken, so it can still be quarantined."""
    envelope: Mapping[str, Any] = item if isinstance(item, Mapping) else {}
    nested = envelope.get("kinesis")
    kinesis: Mapping[str, Any] = nested if isinstance(nested, Mapping) else {}
    data = kinesis.get("data")
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else json.dumps(item, default=str).encode()
    sequence = kinesis.get("sequenceNumber")
    if not isinstance(sequence, str) or not sequence:
        sequence = "unknown-" + hashlib.blake2b(raw, digest_size=12).hexdigest()
    arrival = kinesis.get("approximateArrivalTimestamp")
    try:
        arrival_time = datetime.fromtimestamp(float(arrival), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        arrival_time = datetime.now(UTC)
    return RawRecord(
        sequence_number=sequence,
        data=raw,
        partition_key=str(kinesis.get("partitionKey") or ""),
        stream=str(envelope.get("eventSourceARN") or "").rpartition("/")[2],
        shard_id=str(envelope.get("eventID") or "").partition(":")[0],
        arrival_time=arrival_time,
        decode_error=problem[:300],
    )


# --- observability ---------------------------------------------------------------------------------


def _report(settings: NormalizeSettings, outcome: BatchOutcome, received: int) -> None:
    logger.info(
        "batch normalized",
        extra={
            "stage": settings.stage,
            "records": received,
            "events_published": outcome.events_published,
            "quarantined": len(outcome.quarantined),
            "skipped": len(outcome.skipped),
            "failed": outcome.failed,
        },
    )
    if outcome.skipped:
        # One line per batch: how many records each reason skipped (a few distinct reasons at most).
        reasons = Counter(item.reason for item in outcome.skipped)
        logger.info("records skipped", extra={"reasons": dict(reasons.most_common(MAX_QUARANTINE_LOG_LINES))})
    for item in outcome.quarantined[:MAX_QUARANTINE_LOG_LINES]:
        # Reasons may quote a few characters of the payload: redact them like any free text.
        logger.warning(
            "record quarantined",
            extra={"key": item.key, "source": item.source, "reason": redact(item.reason)},
        )
    for problem in outcome.problems:
        logger.error("record not stored, reported for retry", extra={"problem": redact(problem)})
    metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=received)
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=outcome.events_published)
    metrics.add_metric(name="RecordsSkipped", unit=MetricUnit.Count, value=len(outcome.skipped))
    observability.count_failures(metrics, name="RecordsQuarantined", value=len(outcome.quarantined))
    observability.count_failures(metrics, name="RecordsFailed", value=outcome.failed)
