"""Event and row builders for the metric tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.fold import fold
from floorwatch.metrics.model import BucketRow, Stamped
from floorwatch.metrics.presence import AgentPresence, ContactQueue
from floorwatch.store.metrics_port import MetricStore

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_ids = count()


def at(seconds: float) -> datetime:
    """T0 (09:00:00 UTC) plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def event(kind: EventType, seconds: float = 0.0, **fields: Any) -> CxEvent:
    fields.setdefault("event_id", f"ev-{next(_ids)}")
    fields.setdefault("source", Source.GENERIC)
    return CxEvent(type=kind, occurred_at=at(seconds), **fields)


def row(
    minute: int,
    adds: dict[str, float] | None = None,
    latest: dict[str, Stamped] | None = None,
    scope: str = "queue:q",
) -> BucketRow:
    return BucketRow(scope, T0 + timedelta(minutes=minute), adds or {}, latest or {})


def told(entries: Iterable[AgentPresence | ContactQueue]) -> list[CxEvent]:
    """Events that tell a store exactly ``entries`` (``presence.presence_of`` / ``contact_queues_of``):
    an agent event per presence (its category as the state word, its queues), a QUEUED event per
    contact."""
    events: list[CxEvent] = []
    for entry in entries:
        if isinstance(entry, AgentPresence):
            labels = {"state": entry.category, "queues": " ".join(entry.queues)}
            events.append(
                CxEvent(
                    event_id=f"ev-{next(_ids)}",
                    source=Source.GENERIC,
                    type=EventType.AGENT_STATE,
                    occurred_at=entry.at,
                    center_id=entry.center_id,
                    agent_id=entry.agent_id,
                    labels=labels,
                )
            )
        else:
            events.append(
                CxEvent(
                    event_id=f"ev-{next(_ids)}",
                    source=Source.GENERIC,
                    type=EventType.CONTACT_QUEUED,
                    occurred_at=entry.at,
                    contact_id=entry.contact_id,
                    queue_id=entry.queue_id,
                )
            )
    return events


def tell(store: MetricStore, entries: Iterable[AgentPresence | ContactQueue], partition: str = "p") -> None:
    """Apply the events that tell ``entries`` (one batch), as the engine applies a batch."""
    events = told(entries)
    store.apply(partition, events, fold(events))
