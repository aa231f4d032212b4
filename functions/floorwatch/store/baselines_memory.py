"""In-memory baselines store and scope directory (replay, the local runtime's tests, unit tests)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from floorwatch.metrics.model import ScopeKind, scope_kind
from floorwatch.rules.baselines import (
    EMPTY_HISTORY,
    SEASONALITIES,
    Baseline,
    SlotHistory,
    SlotKey,
    slot_of,
    zone_key,
)
from floorwatch.store.baselines_port import PairState, fresh_enough
from floorwatch.store.metrics_memory import InMemoryMetricStore


class InMemoryBaselineStore:
    def __init__(self) -> None:
        self._pairs: dict[tuple[str, str], PairState] = {}
        self._histories: dict[SlotKey, SlotHistory] = {}
        self._baselines: dict[SlotKey, Baseline] = {}
        self._zones: dict[SlotKey, str] = {}

    def lookup(self, scope: str, metric: str, at: datetime, zone: tzinfo = UTC) -> Baseline | None:
        for seasonality in SEASONALITIES:
            key = SlotKey(scope, metric, seasonality, slot_of(at, seasonality, zone))
            found = self._baselines.get(key)
            if found is not None:
                return fresh_enough(found, at) if self._zones.get(key, "UTC") == zone_key(zone) else None
        return None

    def pair(self, scope: str, metric: str) -> PairState | None:
        return self._pairs.get((scope, metric))

    def save_pair(self, scope: str, metric: str, state: PairState) -> None:
        self._pairs[(scope, metric)] = state

    def slot_history(self, key: SlotKey) -> SlotHistory:
        return self._histories.get(key, EMPTY_HISTORY)

    def save_slot(
        self, key: SlotKey, history: SlotHistory, baseline: Baseline | None, timezone: str = "UTC"
    ) -> None:
        if baseline is None:
            self._histories.pop(key, None)
            self._baselines.pop(key, None)
            self._zones.pop(key, None)
            return
        self._histories[key] = history
        self._baselines[key] = baseline
        self._zones[key] = timezone

    def put(self, baseline: Baseline, timezone: str = "UTC") -> None:
        """Store a baseline directly (tests and demos that hand-build one)."""
        key = SlotKey.of(baseline)
        self._baselines[key] = baseline
        self._zones[key] = timezone

    def pairs(self) -> list[tuple[str, str]]:
        return sorted(self._pairs)

    def slots(self, scope: str, metric: str) -> list[tuple[SlotKey, SlotHistory, Baseline, str]]:
        """The pair's learned slots in slot order: key, samples, summary and time zone name."""
        found = [key for key in self._baselines if (key.scope, key.metric) == (scope, metric)]
        return [
            (key, self._histories.get(key, EMPTY_HISTORY), self._baselines[key], self._zones.get(key, "UTC"))
            for key in sorted(found, key=lambda key: (key.seasonality, key.slot))
        ]


class InMemoryScopeDirectory:
    """Scopes known to an in-memory metric store (its own retention bounds what it remembers)."""

    def __init__(self, metrics: InMemoryMetricStore) -> None:
        self._metrics = metrics

    def scopes_seen(self, kind: ScopeKind, since: datetime, until: datetime) -> list[str]:
        seen: list[str] = []
        for scope in self._metrics.scopes():
            if scope_kind(scope) is not kind:
                continue
            newest = self._metrics.recent_rows(scope, until, 1)
            if newest and newest[0].bucket >= since:
                seen.append(scope)
        return seen
