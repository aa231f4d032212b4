"""Local event source mappings for ordered streams (Kinesis, DynamoDB Streams), as Lambda runs them.

One ``ShardConsumer`` thread per shard, one batch in flight per shard, records in shard order:
- a batch is invoked when it holds ``batch_size`` records or its oldest record has waited
  ``batching_window`` seconds;
- ReportBatchItemFailures: the response's ``batchItemFailures`` checkpoint the shard at the lowest
  failed sequence number, and the next batch starts there (records after a failure are delivered
  again: handlers must be idempotent). A failure entry whose identifier is empty or not in the batch
  fails the whole batch;
- a function error (the handler raised) with ``bisect`` splits the batch in two and retries each half
  (splits do not count as retries), down to single records;
- after ``max_retries`` retries (or when records are older than ``max_record_age``), the batch's
  metadata goes to the on-failure destination (an SQS queue) and the shard moves past it;
- event filtering: with ``filters``, a record that matches none of them is dropped before batching
  and the shard moves past it, as Lambda does (see ``matches`` for the supported pattern syntax).
Only the poll interval differs from Lambda (tens of milliseconds instead of one second), so a hop
takes well under a second when the batching window allows it.
"""

from __future__ import annotations

import base64
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from local.runtime.aws import REGION
from local.runtime.functions import LocalFunction
from local.runtime.worker import Worker

log = logging.getLogger("floorwatch.local")

POLL_INTERVAL_SECONDS = 0.05  # between empty GetRecords calls without a change signal (Lambda: 1 s)
IDLE_WAKE_SECONDS = 0.25  # longest sleep of an idle poller with a change signal (bounds shutdown)
UNAVAILABLE_RETRY_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 2.0
FETCH_LIMIT = 1000


@dataclass(frozen=True)
class MappingSettings:
    """An event source mapping's knobs (the CDK stack sets the same ones from floorwatch.names)."""

    batch_size: int
    batching_window: float  # seconds
    max_retries: int
    bisect: bool = True
    max_record_age: float | None = None  # seconds; None = no limit
    retry_backoff: float = 0.1  # first retry delay (doubles, capped)
    # Lambda event filtering: a record matching none of these patterns is dropped unseen (none: all pass).
    filters: tuple[Mapping[str, Any], ...] = ()


def matches(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Does ``record`` match a Lambda event-filter ``pattern``? The equality subset: every key of the
    pattern must be present, a nested object matches recursively, a list names the allowed values.
    Other operators (prefix, numeric, exists...) raise: the local runtime must not quietly differ."""
    for key, expected in pattern.items():
        if key not in record:
            return False
        actual = record[key]
        if isinstance(expected, Mapping):
            if not isinstance(actual, Mapping) or not matches(expected, actual):
                return False
        elif isinstance(expected, list) and all(
            isinstance(value, str | int | float | bool) for value in expected
        ):
            if actual not in expected:
                return False
        else:
            raise ValueError(f"filter operator not supported by the local runtime: {key}: {expected!r}")
    return True


class ShardSource(Protocol):
    """Reads one shard from its current position, returning records in Lambda's event shape."""

    shard_id: str
    source_arn: str

    def fetch(self, limit: int) -> list[dict[str, Any]]: ...


OnFailure = Callable[[dict[str, Any]], None]


class ChangeSignal(Protocol):
    """Tells an idle poller when a stream may have new records (``generation`` moves on each write)."""

    def generation(self) -> int: ...

    def wait(self, seen: int, timeout: float) -> None: ...


class Polling:
    """No signal: look again every POLL_INTERVAL_SECONDS."""

    def generation(self) -> int:
        return 0

    def wait(self, seen: int, timeout: float) -> None:
        time.sleep(min(timeout, POLL_INTERVAL_SECONDS))


class KinesisShardSource:
    def __init__(self, client: Any, stream_name: str, stream_arn: str, shard_id: str) -> None:
        self._client = client
        self.shard_id = shard_id
        self.source_arn = stream_arn
        self._iterator: str | None = client.get_shard_iterator(
            StreamName=stream_name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def fetch(self, limit: int) -> list[dict[str, Any]]:
        if self._iterator is None:  # shard closed
            return []
        response = self._client.get_records(ShardIterator=self._iterator, Limit=limit)
        self._iterator = response.get("NextShardIterator")
        return [kinesis_record(item, self.shard_id, self.source_arn) for item in response["Records"]]


def kinesis_record(item: Mapping[str, Any], shard_id: str, stream_arn: str) -> dict[str, Any]:
    """One record of a Lambda Kinesis event (base64 data, arrival time in epoch seconds)."""
    sequence = item["SequenceNumber"]
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": item["PartitionKey"],
            "sequenceNumber": sequence,
            "data": base64.b64encode(item["Data"]).decode("ascii"),
            "approximateArrivalTimestamp": _epoch(item["ApproximateArrivalTimestamp"]),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::123456789012:role/{stream_arn.rpartition('/')[2]}-consumer",
        "awsRegion": REGION,
        "eventSourceARN": stream_arn,
    }


class DynamoDBStreamShardSource:
    def __init__(self, client: Any, stream_arn: str, shard_id: str) -> None:
        self._client = client
        self.shard_id = shard_id
        self.source_arn = stream_arn
        self._iterator: str | None = client.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def fetch(self, limit: int) -> list[dict[str, Any]]:
        if self._iterator is None:
            return []
        response = self._client.get_records(ShardIterator=self._iterator, Limit=min(limit, 1000))
        self._iterator = response.get("NextShardIterator")
        return [dynamodb_record(item, self.source_arn) for item in response["Records"]]


def dynamodb_record(item: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """One record of a Lambda DynamoDB Streams event (boto3 parsed the creation time into a datetime)."""
    record = dict(item)
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if created is not None:
        change["ApproximateCreationDateTime"] = float(int(_epoch(created)))
    record["dynamodb"] = change
    record["eventSourceARN"] = stream_arn
    record.setdefault("awsRegion", REGION)
    record.setdefault("eventSource", "aws:dynamodb")
    return record


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def sequence_number(record: Mapping[str, Any]) -> str:
    if "kinesis" in record:
        return str(record["kinesis"]["sequenceNumber"])
    return str(record["dynamodb"]["SequenceNumber"])


def arrival_time(record: Mapping[str, Any]) -> float:
    if "kinesis" in record:
        return float(record["kinesis"]["approximateArrivalTimestamp"])
    return float(record["dynamodb"].get("ApproximateCreationDateTime") or time.time())


@dataclass(frozen=True)
class Outcome:
    """What an invocation did: ``done`` records succeeded from the batch's start; error = raised."""

    done: int
    error: bool = False


def judge_response(response: Any, batch: Sequence[Mapping[str, Any]]) -> Outcome:
    """Lambda's reading of a ReportBatchItemFailures response (see the module docstring)."""
    if not isinstance(response, Mapping) or not response.get("batchItemFailures"):
        return Outcome(done=len(batch))
    failures = response["batchItemFailures"]
    positions = {sequence_number(record): index for index, record in enumerate(batch)}
    lowest = len(batch)
    for failure in failures if isinstance(failures, list) else [None]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not isinstance(identifier, str) or identifier not in positions:
            return Outcome(done=0)  # malformed: the whole batch failed
        lowest = min(lowest, positions[identifier])
    return Outcome(done=lowest)


class ShardConsumer(Worker):
    """Polls one shard and drives its batches through one function (see the module docstring)."""

    def __init__(
        self,
        source: ShardSource,
        function: LocalFunction,
        settings: MappingSettings,
        on_failure: OnFailure,
        *,
        batch_info_key: str,
        changes: ChangeSignal | None = None,
    ) -> None:
        self.source = source
        self._changes = changes or Polling()
        self.function = function
        self.settings = settings
        self._on_failure = on_failure
        self._batch_info_key = batch_info_key  # "KinesisBatchInfo" / "DDBStreamBatchInfo"
        self._buffer: deque[dict[str, Any]] = deque()
        self._oldest_buffered_at: float | None = None
        self._segments: deque[int] = deque()  # pending bisected batch sizes at the buffer's front
        self._attempts = 0  # failed invocations of the batch at the front
        super().__init__(f"esm-{function.module}-{source.shard_id}")
        self.batches = 0
        self.records_sent_to_failure_destination = 0

    def _run(self) -> None:
        while not self._stop.is_set():
            seen = self._changes.generation()  # before reading: a write after this wakes the wait
            try:
                progressed = self._step()
            except Exception:
                log.exception("%s poller error on %s", self.function.module, self.source.shard_id)
                progressed = False
            if not progressed and not self._stop.is_set():
                self._changes.wait(seen, self._idle_timeout())

    def _idle_timeout(self) -> float:
        """Until the buffered batch's window closes, or a while if nothing is buffered."""
        if self._oldest_buffered_at is None:
            return IDLE_WAKE_SECONDS
        closes_in = self.settings.batching_window - (time.monotonic() - self._oldest_buffered_at)
        return max(0.001, min(IDLE_WAKE_SECONDS, closes_in))

    def _step(self) -> bool:
        fetched = self._fill()
        if not self._buffer or not self._due():
            return fetched
        if not self.function.available():
            self._stop.wait(UNAVAILABLE_RETRY_SECONDS)
            return False
        self._process_front()
        return True

    def _fill(self) -> bool:
        if len(self._buffer) >= 2 * self.settings.batch_size:
            return False
        records = self.source.fetch(FETCH_LIMIT)
        filters = self.settings.filters
        if filters and records:
            records = [record for record in records if any(matches(f, record) for f in filters)]
        if records and self._oldest_buffered_at is None:
            self._oldest_buffered_at = time.monotonic()
        self._buffer.extend(records)
        return bool(records)

    def _due(self) -> bool:
        if self._segments or self._attempts or len(self._buffer) >= self.settings.batch_size:
            return True
        waited = time.monotonic() - (self._oldest_buffered_at or time.monotonic())
        return waited >= self.settings.batching_window

    def _process_front(self) -> None:
        size = self._segments[0] if self._segments else self.settings.batch_size
        batch = [self._buffer[index] for index in range(min(size, len(self._buffer)))]
        if self._too_old(batch):
            self._give_up(batch, "RecordAgeExceeded")
            return
        self.batches += 1
        outcome = self._invoke(batch)
        self._consume(outcome.done)
        if outcome.done == len(batch):
            self._attempts = 0
            return
        if outcome.error and self.settings.bisect and len(batch) > 1:
            half = len(batch) // 2
            self._replace_front_segment([half, len(batch) - half])
            return
        # The record at the new front failed (again): a retry of its batch.
        self._attempts = 1 if outcome.done else self._attempts + 1
        if self._attempts > self.settings.max_retries:
            self._give_up(batch[outcome.done :], "RetryAttemptsExhausted")
            return
        backoff = min(MAX_BACKOFF_SECONDS, self.settings.retry_backoff * 2 ** (self._attempts - 1))
        self._stop.wait(backoff)

    def _invoke(self, batch: list[dict[str, Any]]) -> Outcome:
        try:
            response = self.function.invoke({"Records": batch})
        except Exception as error:  # noqa: BLE001 - a function error, as Lambda sees it
            if self._stop.is_set():  # the runtime is stopping: nothing more is processed
                return Outcome(done=0, error=True)
            log.warning(
                "%s failed on %d records: %s: %s",
                self.function.module,
                len(batch),
                type(error).__name__,
                error,
            )
            return Outcome(done=0, error=True)
        return judge_response(response, batch)

    def _consume(self, count: int) -> None:
        for _ in range(count):
            self._buffer.popleft()
        if self._segments and count:
            remaining = self._segments[0] - count
            if remaining > 0:
                self._segments[0] = remaining
            else:
                self._segments.popleft()
        if not self._buffer:
            self._oldest_buffered_at = None

    def _replace_front_segment(self, sizes: list[int]) -> None:
        if self._segments:
            self._segments.popleft()
        self._segments.extendleft(reversed(sizes))

    def _too_old(self, batch: Sequence[Mapping[str, Any]]) -> bool:
        limit = self.settings.max_record_age
        return limit is not None and time.time() - arrival_time(batch[0]) > limit

    def _give_up(self, batch: Sequence[Mapping[str, Any]], condition: str) -> None:
        """Send the batch's metadata to the on-failure destination and move the shard past it."""
        log.error(
            "%s: %d records from %s skipped after %s; details in the failure queue",
            self.function.module,
            len(batch),
            self.source.shard_id,
            condition,
        )
        self._on_failure(self._failure_record(batch, condition))
        self.records_sent_to_failure_destination += len(batch)
        self._consume(len(batch))
        self._attempts = 0

    def _failure_record(self, batch: Sequence[Mapping[str, Any]], condition: str) -> dict[str, Any]:
        """The invocation record Lambda sends to an on-failure destination (metadata, not the records)."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "requestContext": {
                "requestId": f"local-{self.source.shard_id}-{sequence_number(batch[0])}",
                "functionArn": f"arn:aws:lambda:{REGION}:123456789012:function:{self.function.function_name}",
                "condition": condition,
                "approximateInvokeCount": self._attempts + 1,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": now,
            self._batch_info_key: {
                "shardId": self.source.shard_id,
                "startSequenceNumber": sequence_number(batch[0]),
                "endSequenceNumber": sequence_number(batch[-1]),
                "approximateArrivalOfFirstRecord": _iso(arrival_time(batch[0])),
                "approximateArrivalOfLastRecord": _iso(arrival_time(batch[-1])),
                "batchSize": len(batch),
                "streamArn": self.source.source_arn,
            },
        }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
