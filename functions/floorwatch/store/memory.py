"""In-memory implementations of the normalize pipeline's ports (tests, local runtime, benchmarks).

They behave like the real ones where it matters: the sink keeps events in publish order and
reports per record what it did not store; the quarantine is keyed by ``QuarantinedRecord.key``, so
writing the same record twice leaves one entry. Both can be told to fail, to exercise the paths
where the infrastructure lets the pipeline down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from floorwatch.events.model import CxEvent
from floorwatch.events.pipeline import PublishResult, QuarantinedRecord


class SinkUnavailableError(RuntimeError):
    """The in-memory sink was switched off (``available = False``)."""


class QuarantineUnavailableError(RuntimeError):
    """The in-memory quarantine refused a write."""


class InMemoryEventSink:
    """Keeps published events in order.

    ``fail_when(event)`` True: that event is not stored and its record is reported failed (like a
    throttled PutRecords entry). ``reject_when(event)`` returns a reason: the event can never be
    stored (like an oversize record). ``available = False``: every publish raises.
    """

    def __init__(
        self,
        fail_when: Callable[[CxEvent], bool] | None = None,
        reject_when: Callable[[CxEvent], str | None] | None = None,
    ) -> None:
        self.events: list[CxEvent] = []
        self.calls = 0
        self.available = True
        self._fail_when = fail_when
        self._reject_when = reject_when

    def publish(self, events: Sequence[tuple[int, CxEvent]]) -> PublishResult:
        self.calls += 1
        if not self.available:
            raise SinkUnavailableError("event sink unavailable")
        if self._fail_when is None and self._reject_when is None:
            self.events.extend(event for _, event in events)
            return PublishResult()
        failed: set[int] = set()
        unpublishable: dict[int, str] = {}
        for index, event in events:
            reason = self._reject_when(event) if self._reject_when else None
            if reason is not None:
                unpublishable[index] = reason
            elif self._fail_when and self._fail_when(event):
                failed.add(index)
            else:
                self.events.append(event)
        return PublishResult(failed=frozenset(failed), unpublishable=unpublishable)

    @property
    def event_ids(self) -> list[str]:
        return [event.event_id for event in self.events]


class InMemoryQuarantine:
    """Quarantined records by key; ``fail_when(item)`` True makes that write raise."""

    def __init__(self, fail_when: Callable[[QuarantinedRecord], bool] | None = None) -> None:
        self.items: dict[str, QuarantinedRecord] = {}
        self.writes = 0
        self._fail_when = fail_when

    def put(self, item: QuarantinedRecord) -> None:
        if self._fail_when and self._fail_when(item):
            raise QuarantineUnavailableError(f"quarantine refused {item.key}")
        self.writes += 1
        self.items[item.key] = item

    @property
    def reasons(self) -> dict[str, str]:
        return {key: item.reason for key, item in self.items.items()}
