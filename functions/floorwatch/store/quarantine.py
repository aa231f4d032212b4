"""The quarantine bucket: rejected raw records with their reasons, listable and re-drivable.

Layout (prefixes in floorwatch.names):

- ``quarantine/YYYY/MM/DD/<stream>/<shard>/<sequence>.json``: one JSON object per rejected record
  (``QuarantineDocument``: the raw bytes in base64, the reason, the platform when known, the record's
  Kinesis identity and arrival time, when it was quarantined). The key depends only on the record's
  identity, so a re-delivered record overwrites its own object.
- ``redriven/...``: the same relative key, once a record has been re-driven.

Re-drive = put the raw bytes back on the raw-events stream (same partition key), then MOVE the object
to ``redriven/`` (write the copy, then delete the original), and only for the records the stream
accepted. A record that fails the put stays in quarantine untouched. Moving rather than deleting
keeps an audit trail (a lifecycle rule can expire ``redriven/``), and ``quarantine/`` lists only
what still needs attention. If the move itself fails after the put, the record is both re-sent and
still listed: re-driving it again sends it twice, which is harmless because event ids are stable
(downstream dedupes them). A re-driven record that is still invalid is quarantined again under its
new sequence number.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from floorwatch.events.normalize import stamp_arrival
from floorwatch.events.pipeline import QuarantinedRecord
from floorwatch.names import KINESIS_MAX_RECORDS_PER_PUT, QUARANTINE_PREFIX, REDRIVEN_PREFIX
from floorwatch.store.kinesis import KinesisEntry, KinesisWriter

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class S3Client(Protocol):
    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> Any: ...

    def get_object(self, *, Bucket: str, Key: str) -> Any: ...

    def delete_object(self, *, Bucket: str, Key: str) -> Any: ...

    def get_paginator(self, operation_name: str) -> Any: ...


class QuarantineDocument(BaseModel):
    """One quarantine object's content (also the shape `floorwatch quarantine list` reads)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    raw_base64: str
    reason: str
    source: str | None = None
    arrival_time: datetime
    stream: str
    shard_id: str
    sequence_number: str
    partition_key: str
    quarantined_at: datetime
    redriven_at: datetime | None = None  # set on the copy under redriven/
    redriven_to: str | None = None  # the stream it was re-driven to

    @classmethod
    def of(cls, item: QuarantinedRecord, quarantined_at: datetime) -> QuarantineDocument:
        record = item.record
        return cls(
            raw_base64=base64.b64encode(record.data).decode("ascii"),
            reason=item.reason,
            source=item.source,
            arrival_time=record.arrival_time,
            stream=record.stream,
            shard_id=record.shard_id,
            sequence_number=record.sequence_number,
            partition_key=record.partition_key,
            quarantined_at=quarantined_at,
        )

    def raw(self) -> bytes:
        return base64.b64decode(self.raw_base64, validate=True)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode("utf-8")


class S3Quarantine:
    """The normalize pipeline's Quarantine port on S3: one object per record, idempotent by key."""

    def __init__(self, client: S3Client, bucket: str, *, clock: Clock = utc_now) -> None:
        self._client = client
        self._bucket = bucket
        self._clock = clock

    def put(self, item: QuarantinedRecord) -> None:
        document = QuarantineDocument.of(item, quarantined_at=self._clock())
        self._client.put_object(
            Bucket=self._bucket, Key=item.key, Body=document.to_bytes(), ContentType="application/json"
        )


# --- listing ------------------------------------------------------------------------------------


class QuarantineObjectError(Exception):
    """A quarantine object that is gone or not a QuarantineDocument."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def under_quarantine(prefix: str | None) -> str:
    """A listing prefix inside ``quarantine/``: "2026/11/23/" and "quarantine/2026/11/23/" are the same."""
    if not prefix:
        return QUARANTINE_PREFIX
    return prefix if prefix.startswith(QUARANTINE_PREFIX) else QUARANTINE_PREFIX + prefix.lstrip("/")


def quarantine_keys(client: S3Client, bucket: str, prefix: str | None = None) -> Iterator[str]:
    """Keys of quarantined records, oldest arrival day first (keys sort by day)."""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=under_quarantine(prefix)):
        for item in page.get("Contents", []):
            yield str(item["Key"])


def read_quarantined(client: S3Client, bucket: str, key: str) -> QuarantineDocument:
    try:
        response = client.get_object(Bucket=bucket, Key=key)
    except Exception as error:
        if _error_code(error) in ("NoSuchKey", "404"):
            raise QuarantineObjectError(key, "no longer in the bucket") from None
        raise
    body = response["Body"].read()
    try:
        document = QuarantineDocument.model_validate_json(body)
        document.raw()
    except (ValidationError, binascii.Error, ValueError) as error:
        raise QuarantineObjectError(key, f"not a quarantine record: {str(error)[:200]}") from None
    return document


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


# --- re-drive -----------------------------------------------------------------------------------


@dataclass
class RedriveResult:
    redriven: list[str] = field(default_factory=list)  # keys put back on the stream and moved
    failed: dict[str, str] = field(default_factory=dict)  # key -> why it was not (fully) re-driven


def redriven_key(key: str) -> str:
    return REDRIVEN_PREFIX + key.removeprefix(QUARANTINE_PREFIX)


def redrive(
    client: S3Client,
    bucket: str,
    keys: Iterable[str],
    writer: KinesisWriter,
    *,
    clock: Clock = utc_now,
) -> RedriveResult:
    """Put each quarantined record's raw bytes back on the writer's stream, then move it to redriven/.

    A payload that takes its time from the Kinesis arrival (Contact Lens voice segments) gets its original
    arrival time written into it (``ApproximateArrivalTimestamp``), so its events keep their event time.

    Works in groups of one PutRecords call's worth, so memory stays bounded for any number of keys.
    Raises only when S3 or Kinesis is unusable as a whole (missing bucket or stream, no access).
    """
    result = RedriveResult()
    group: list[str] = []
    for key in keys:
        group.append(key)
        if len(group) == KINESIS_MAX_RECORDS_PER_PUT:
            _redrive_group(client, bucket, group, writer=writer, clock=clock, result=result)
            group = []
    if group:
        _redrive_group(client, bucket, group, writer=writer, clock=clock, result=result)
    return result


def _redrive_group(
    client: S3Client,
    bucket: str,
    keys: list[str],
    *,
    writer: KinesisWriter,
    clock: Clock,
    result: RedriveResult,
) -> None:
    loaded: list[tuple[str, QuarantineDocument]] = []
    for key in keys:
        if not key.startswith(QUARANTINE_PREFIX):
            result.failed[key] = f"not a quarantine key (expected it under {QUARANTINE_PREFIX})"
            continue
        try:
            loaded.append((key, read_quarantined(client, bucket, key)))
        except QuarantineObjectError as error:
            result.failed[key] = error.problem
    entries = [
        KinesisEntry(
            data=stamp_arrival(document.raw(), document.arrival_time), partition_key=document.partition_key
        )
        for _, document in loaded
    ]
    not_stored = {failure.index: failure for failure in writer.put(entries)}
    for index, (key, document) in enumerate(loaded):
        failure = not_stored.get(index)
        if failure is not None:
            result.failed[key] = f"not re-sent: {failure.error_code}: {failure.error_message}"
            continue
        try:
            _move_to_redriven(client, bucket, key, document, stream=writer.stream_name, now=clock())
        except Exception as error:  # noqa: BLE001 - the record is re-sent; say why it is still listed
            result.failed[key] = (
                f"re-sent, but still listed (could not move it to {REDRIVEN_PREFIX}): {error}"
            )
        else:
            result.redriven.append(key)


def _move_to_redriven(
    client: S3Client, bucket: str, key: str, document: QuarantineDocument, *, stream: str, now: datetime
) -> None:
    archived = document.model_copy(update={"redriven_at": now, "redriven_to": stream})
    client.put_object(
        Bucket=bucket, Key=redriven_key(key), Body=archived.to_bytes(), ContentType="application/json"
    )
    client.delete_object(Bucket=bucket, Key=key)
