"""The cx-events Kinesis stream as the normalize pipeline's EventSink.

One record per CxEvent: its compact JSON as data, its scope (``CxEvent.partition_key``) as the
partition key, so one queue's events stay on one shard, in order, for the evaluator.
"""

from __future__ import annotations

from collections.abc import Sequence

from floorwatch.events.model import CxEvent
from floorwatch.events.pipeline import PublishResult
from floorwatch.store.kinesis import KinesisEntry, KinesisWriter, oversize_reason


def event_entry(event: CxEvent) -> KinesisEntry:
    return KinesisEntry(data=event.to_json().encode("utf-8"), partition_key=event.partition_key())


class KinesisEventSink:
    def __init__(self, writer: KinesisWriter) -> None:
        self._writer = writer

    def publish(self, events: Sequence[tuple[int, CxEvent]]) -> PublishResult:
        """Put every event (PutRecords, retried per entry by the writer); raises if the stream is unusable."""
        unpublishable: dict[int, str] = {}
        sendable: list[tuple[int, KinesisEntry]] = []
        for record_index, event in events:
            entry = event_entry(event)
            # Checked here rather than left to the writer: an entry Kinesis can never accept is a
            # property of the record (quarantine it), not a transient failure (retry it).
            reason = oversize_reason(entry)
            if reason is None:
                sendable.append((record_index, entry))
            else:
                unpublishable[record_index] = f"event {event.event_id}: {reason}"
        failures = self._writer.put([entry for _, entry in sendable])
        failed = frozenset(sendable[failure.index][0] for failure in failures)
        return PublishResult(failed=failed, unpublishable=unpublishable)
