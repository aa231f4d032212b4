"""Event and row builders for the metric tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.model import BucketRow, Stamped

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
