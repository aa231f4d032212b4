"""Writing to Kinesis with PutRecords: chunking to the service limits and retrying only what failed.

Used by the normalize Lambda (raw -> cx-events) and by `floorwatch send` (files -> raw-events).

Retries back off exponentially with *full jitter* (sleep a uniform random time between 0 and
min(2 s, 50 ms * 2^attempt)): many normalize invocations throttled by the same shard at the same
instant would otherwise retry in lock-step and collide again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from floorwatch.names import (
    KINESIS_MAX_BYTES_PER_PUT,
    KINESIS_MAX_BYTES_PER_RECORD,
    KINESIS_MAX_PARTITION_KEY_LENGTH,
    KINESIS_MAX_RECORDS_PER_PUT,
)

DEFAULT_MAX_ATTEMPTS = 6
BASE_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 2.0


class KinesisClient(Protocol):
    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class KinesisEntry:
    data: bytes
    partition_key: str

    def size(self) -> int:
        # Kinesis counts the partition key against both the record and the request limits.
        return len(self.data) + len(self.partition_key.encode("utf-8"))


@dataclass(frozen=True)
class FailedEntry:
    index: int  # position in the sequence given to KinesisWriter.put
    error_code: str
    error_message: str


def oversize_reason(entry: KinesisEntry) -> str | None:
    """Why Kinesis would refuse this entry outright, or None when it fits."""
    if not entry.partition_key or len(entry.partition_key) > KINESIS_MAX_PARTITION_KEY_LENGTH:
        return f"partition key must be 1-{KINESIS_MAX_PARTITION_KEY_LENGTH} characters"
    if entry.size() > KINESIS_MAX_BYTES_PER_RECORD:
        return f"record of {entry.size()} bytes exceeds the {KINESIS_MAX_BYTES_PER_RECORD}-byte Kinesis limit"
    return None


def chunk_indexes(entries: Sequence[KinesisEntry], indexes: Sequence[int]) -> Iterator[list[int]]:
    """Group entry indexes into PutRecords calls of at most 500 records and 5 MiB."""
    chunk: list[int] = []
    chunk_bytes = 0
    for index in indexes:
        size = entries[index].size()
        if chunk and (
            len(chunk) == KINESIS_MAX_RECORDS_PER_PUT or chunk_bytes + size > KINESIS_MAX_BYTES_PER_PUT
        ):
            yield chunk
            chunk, chunk_bytes = [], 0
        chunk.append(index)
        chunk_bytes += size
    if chunk:
        yield chunk


class KinesisWriter:
    """PutRecords with per-entry retries: only the entries Kinesis reports as failed are re-sent."""

    def __init__(
        self,
        client: KinesisClient,
        stream_name: str,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """``jitter`` returns a number in [0, 1) that scales each backoff (injectable for tests)."""
        self._client = client
        self._stream_name = stream_name
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._jitter = jitter

    @property
    def stream_name(self) -> str:
        return self._stream_name

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (1, 2, ...): full jitter under an exponential cap."""
        ceiling: float = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2**attempt)
        return ceiling * self._jitter()

    def put(
        self,
        entries: Sequence[KinesisEntry],
        on_progress: Callable[[int], None] | None = None,
    ) -> list[FailedEntry]:
        """Send every entry; return those still failed after the retries (empty list: all stored).

        ``on_progress`` is called with the number of entries newly stored after each call.
        """
        failed: list[FailedEntry] = []
        pending: list[int] = []
        for index, entry in enumerate(entries):
            reason = oversize_reason(entry)
            if reason:
                failed.append(FailedEntry(index, "InvalidArgument", reason))
            else:
                pending.append(index)
        last_errors: dict[int, tuple[str, str]] = {}
        for attempt in range(self._max_attempts):
            if not pending:
                break
            if attempt:
                self._sleep(self.backoff(attempt))
            pending, last_errors = self._put_once(entries, pending, on_progress)
        failed.extend(
            FailedEntry(index, *last_errors.get(index, ("Unknown", "not stored"))) for index in pending
        )
        return sorted(failed, key=lambda item: item.index)

    def _put_once(
        self,
        entries: Sequence[KinesisEntry],
        indexes: Sequence[int],
        on_progress: Callable[[int], None] | None,
    ) -> tuple[list[int], dict[int, tuple[str, str]]]:
        still_failing: list[int] = []
        errors: dict[int, tuple[str, str]] = {}
        for chunk in chunk_indexes(entries, indexes):
            records = [{"Data": entries[i].data, "PartitionKey": entries[i].partition_key} for i in chunk]
            response = self._client.put_records(StreamName=self._stream_name, Records=records)
            stored = 0
            for index, result in zip(chunk, response["Records"], strict=True):
                if result.get("ErrorCode"):
                    still_failing.append(index)
                    errors[index] = (str(result["ErrorCode"]), str(result.get("ErrorMessage", "")))
                else:
                    stored += 1
            if on_progress and stored:
                on_progress(stored)
        return still_failing, errors
