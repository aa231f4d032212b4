"""Shared metric types: scopes, bucket deltas (what one batch adds to one item), window values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_BUCKET = timedelta(minutes=1)
DEFAULT_WINDOW = timedelta(minutes=15)


class ScopeKind(StrEnum):
    CENTER = "center"
    QUEUE = "queue"
    TEAM = "team"
    AGENT = "agent"
    CONTACT = "contact"
    FEED = "feed"  # one per event source (amazon_connect.agent, genesys, ...): for staleness


def scope_key(kind: ScopeKind, ident: str) -> str:
    """The scope's string form used everywhere (items, rules, alerts): "queue:billing"."""
    return f"{kind.value}:{ident}"


def scope_kind(scope: str) -> ScopeKind:
    return ScopeKind(scope.split(":", 1)[0])


@dataclass(frozen=True, slots=True)
class Stamped:
    """A value with the event time it was observed at (gauges and states only move forward)."""

    value: float | str
    at: datetime


@dataclass(slots=True)
class BucketDelta:
    """What a batch contributes to one (scope, bucket) item: counters to ADD, latest values to SET."""

    adds: dict[str, float] = field(default_factory=dict)
    latest: dict[str, Stamped] = field(default_factory=dict)
    center: str | None = None  # the center of the events that fed the item (baselines' time zone)

    def add(self, name: str, amount: float = 1.0) -> None:
        self.adds[name] = self.adds.get(name, 0.0) + amount

    def observe(self, name: str, value: float | str, at: datetime) -> None:
        current = self.latest.get(name)
        if current is None or at >= current.at:
            self.latest[name] = Stamped(value, at)

    def merge(self, other: BucketDelta) -> None:
        for name, amount in other.adds.items():
            self.add(name, amount)
        for name, stamped in other.latest.items():
            self.observe(name, stamped.value, stamped.at)
        if other.center is not None:
            self.center = other.center


@dataclass(frozen=True, slots=True)
class BucketKey:
    scope: str
    bucket: datetime  # bucket start, UTC


@dataclass(frozen=True, slots=True)
class BucketRow:
    """One stored (scope, bucket) item as the reader sees it."""

    scope: str
    bucket: datetime
    adds: dict[str, float]
    latest: dict[str, Stamped]
    center: str | None = None  # the center last stamped on the item (None: written before stamping)


@dataclass(frozen=True, slots=True)
class MetricValue:
    """A metric's value at an instant over its window; ``value`` None means no data / no verdict."""

    value: float | None
    samples: int = 0
