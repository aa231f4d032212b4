"""Shared metric types: scopes, bucket deltas (what one batch adds to one item), window values."""

from __future__ import annotations

from collections.abc import Mapping
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
        add_counts(self.adds, other.adds)
        keep_newest(self.latest, other.latest)
        if other.center is not None:
            self.center = other.center


def add_counts(into: dict[str, float], adds: Mapping[str, float]) -> None:
    """Counters of a delta added into ``into`` (what DynamoDB's ``ADD`` does to an item)."""
    for name, amount in adds.items():
        into[name] = into.get(name, 0.0) + amount


def keep_newest(into: dict[str, Stamped], latest: Mapping[str, Stamped]) -> None:
    """Latest values of a delta kept in ``into`` where they are at least as new in event time."""
    for name, stamped in latest.items():
        current = into.get(name)
        if current is None or stamped.at >= current.at:
            into[name] = stamped


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
