"""Local SQS event source mapping and scheduler.

``QueueConsumer`` long-polls a queue like Lambda's SQS poller: up to ``batch_size`` messages per
invocation in Lambda's SQS event shape; with ReportBatchItemFailures only the messages the response
names stay on the queue (they come back after the visibility timeout), the others are deleted; a
function error leaves the whole batch. Delays (``DelaySeconds``) are moto's: a delayed message is not
received before its time, which is what the escalation checks rely on.

``Scheduler`` stands in for EventBridge schedules (which moto stores but never fires): it invokes a
function with a Scheduled Event every ``interval`` seconds.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from local.runtime.aws import ACCOUNT_ID, REGION
from local.runtime.functions import LocalFunction
from local.runtime.worker import Worker

log = logging.getLogger("floorwatch.local")

SQS_WAIT_SECONDS = 1  # long poll; short enough for a prompt shutdown
SQS_BATCH_SIZE = 10


class QueueConsumer(Worker):
    def __init__(
        self,
        client: Any,
        queue_url: str,
        queue_arn: str,
        function: LocalFunction,
        batch_size: int = SQS_BATCH_SIZE,
    ) -> None:
        self._client = client
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self.function = function
        self._batch_size = batch_size
        super().__init__(f"sqs-{function.module}")

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.function.available():
                self._stop.wait(1.0)
                continue
            try:
                self._poll_once()
            except Exception:
                log.exception("sqs poller for %s", self.function.module)
                self._stop.wait(0.5)

    def _poll_once(self) -> None:
        response = self._client.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=SQS_WAIT_SECONDS,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages") or []
        if not messages:
            return
        records = [sqs_record(message, self._queue_arn) for message in messages]
        try:
            result = self.function.invoke({"Records": records})
        except Exception as error:  # noqa: BLE001 - function error: every message returns to the queue
            log.warning("%s failed on %d messages: %s", self.function.module, len(records), error)
            return
        failed = failed_message_ids(result, records)
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            self._client.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )


def failed_message_ids(result: Any, records: list[dict[str, Any]]) -> set[str]:
    """Message ids to keep; a malformed failure entry keeps the whole batch (as Lambda does)."""
    if not isinstance(result, Mapping) or not result.get("batchItemFailures"):
        return set()
    every = {record["messageId"] for record in records}
    failed: set[str] = set()
    for failure in result["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not isinstance(identifier, str) or identifier not in every:
            return every
        failed.add(identifier)
    return failed


def sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of a Lambda SQS event."""
    attributes = {
        name: _message_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": list(value.get("BinaryListValues") or []),
        "dataType": value.get("DataType", "String"),
    }


def scheduled_event(rule_name: str, at: datetime | None = None) -> dict[str, Any]:
    """The event an EventBridge schedule rule delivers."""
    moment = (at or datetime.now(UTC)).replace(microsecond=0)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": moment.isoformat().replace("+00:00", "Z"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_name}"],
        "detail": {},
    }


class Scheduler(Worker):
    """Invokes functions on fixed intervals (first run one interval after start)."""

    def __init__(self) -> None:
        self._jobs: list[tuple[str, float, LocalFunction]] = []
        super().__init__("scheduler")

    def every(self, seconds: float, function: LocalFunction, rule_name: str) -> None:
        self._jobs.append((rule_name, seconds, function))

    def _run(self) -> None:
        started = time.monotonic()
        due = {rule: started + interval for rule, interval, _ in self._jobs}
        while not self._stop.is_set():
            now = time.monotonic()
            for rule, interval, function in self._jobs:
                if now >= due[rule]:
                    due[rule] = now + interval
                    self._fire(rule, function)
            next_due = min(due.values(), default=now + 1.0)
            self._stop.wait(max(0.05, min(1.0, next_due - time.monotonic())))

    def _fire(self, rule: str, function: LocalFunction) -> None:
        if not function.available():
            return
        try:
            function.invoke(scheduled_event(rule))
        except Exception:
            log.exception("scheduled %s failed", function.module)
