"""In-memory metric store: plain dicts, same semantics as the DynamoDB store (replay, benchmarks, tests)."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from floorwatch.events.model import CxEvent
from floorwatch.metrics.fold import DEFAULT_FOLD_CONFIG, FoldConfig, fold
from floorwatch.metrics.model import BucketDelta, BucketKey, BucketRow, Stamped, add_counts, keep_newest
from floorwatch.metrics.presence import (
    AgentPresence,
    ContactQueue,
    contact_queue_worth_storing,
    contact_queues_of,
    fresh_contact_queue,
    presence_of,
    worth_storing,
)
from floorwatch.store.metrics_port import DEFAULT_RETENTION

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class _Item:
    bucket: datetime
    adds: dict[str, float] = field(default_factory=dict)
    latest: dict[str, Stamped] = field(default_factory=dict)
    center: str | None = None
    # The row last handed out for this item, reused until the item changes: the evaluator reads the same
    # old buckets over and over (its hot path). Rows share the item's dicts, so a write replaces a dict
    # the last row holds instead of changing it (copy on write): a row a reader holds never changes under
    # it, and a read never copies. (Older rows only hold dicts the last one holds too, or replaced ones.)
    row: BucketRow | None = None


class InMemoryMetricStore:
    """Items per scope kept sorted by bucket; the dedup ledger keyed like the DynamoDB one.

    The ledger is per (partition, event-time bucket), as in DynamoDB, so an event id is a duplicate when
    it was applied for the same shard with the same event time bucket.

    Like DynamoDB's TTL, but in event time: ledger entries and items older than ``retention`` before the
    newest event applied are dropped, so a week-long replay does not hold every event id in memory.
    """

    def __init__(
        self, fold_config: FoldConfig = DEFAULT_FOLD_CONFIG, retention: timedelta = DEFAULT_RETENTION
    ):
        self._config = fold_config
        self._width = int(fold_config.bucket.total_seconds())
        self._retention = retention
        self._items: dict[str, dict[datetime, _Item]] = {}
        self._buckets: dict[str, list[datetime]] = {}  # per scope, ascending
        self._ordered: dict[str, list[_Item]] = {}  # per scope, in the order of its buckets (for slicing)
        self._ledger: dict[tuple[str, int], set[str]] = {}
        self._retention_seconds = int(retention.total_seconds())
        self._newest = -(2**62)  # newest ledger bucket seen (epoch seconds)
        self._ledger_ages: list[tuple[int, str]] = []  # heap of (bucket, partition)
        self._item_ages: list[tuple[datetime, str]] = []  # heap of (bucket, scope)
        # The last filter_new's answer and its events' ledger buckets: the engine applies exactly that list
        # next, and apply then need not work the buckets out again.
        self._filtered: tuple[list[CxEvent], list[int]] | None = None
        self.applied_events = 0
        self._contact_queues: dict[str, ContactQueue] = {}
        self._contact_queues_limit = 10_000  # pruned of expired entries when it grows past this
        self._presence: dict[str, dict[str, AgentPresence]] = {}  # center -> agent -> presence

    def filter_new(self, partition: str, events: Sequence[CxEvent]) -> list[CxEvent]:
        fresh: list[CxEvent] = []
        buckets: list[int] = []
        seen: set[tuple[int, str]] = set()
        ledgers = self._ledger
        width = self._width
        for event in events:
            bucket = int(event.occurred_at.timestamp() // width) * width
            ledger = ledgers.get((partition, bucket))
            key = (bucket, event.event_id)
            if key in seen or (ledger is not None and event.event_id in ledger):
                continue
            seen.add(key)
            fresh.append(event)
            buckets.append(bucket)
        self._filtered = (fresh, buckets)
        return fresh

    def apply(
        self, partition: str, events: Sequence[CxEvent], deltas: Mapping[BucketKey, BucketDelta]
    ) -> None:
        # One pass records the ids and notices events applied before (or twice in this batch).
        fresh: list[CxEvent] = []
        ledgers = self._ledger
        for event, bucket in zip(events, self._ledger_buckets(events), strict=True):
            ledger = ledgers.get((partition, bucket))
            if ledger is None:
                ledger = ledgers[(partition, bucket)] = set()
                heapq.heappush(self._ledger_ages, (bucket, partition))
                if bucket > self._newest:
                    self._newest = bucket
                    self._expire(bucket - self._retention_seconds)
            if event.event_id not in ledger:
                ledger.add(event.event_id)
                fresh.append(event)
        if len(fresh) != len(events):
            deltas = fold(fresh, self._config)  # some were applied already: only the rest may count
        for key, delta in deltas.items():
            self._apply_delta(key, delta)
        self.applied_events += len(fresh)
        self._remember_contact_queues(list(contact_queues_of(fresh).values()))
        self._remember_presence(presence_of(fresh))

    def recent_rows(self, scope: str, at: datetime, limit: int) -> list[BucketRow]:
        buckets = self._buckets.get(scope)
        if not buckets or limit <= 0:
            return []
        end = bisect.bisect_right(buckets, at)
        # Items at or before the retention cutoff are gone, as TTL would have deleted them (in event time,
        # so replays are deterministic).
        start = max(end - limit, bisect.bisect_right(buckets, at - self._retention))
        rows: list[BucketRow] = []
        for item in reversed(self._ordered[scope][start:end]):
            row = item.row
            if (
                row is None
                or row.adds is not item.adds
                or row.latest is not item.latest
                or row.center != item.center
            ):
                row = item.row = BucketRow(scope, item.bucket, item.adds, item.latest, item.center)
            rows.append(row)
        return rows

    def _remember_contact_queues(self, entries: Sequence[ContactQueue]) -> None:
        known = self._contact_queues
        for entry in entries:
            if contact_queue_worth_storing(known.get(entry.contact_id), entry):
                known[entry.contact_id] = entry
        if len(known) > self._contact_queues_limit and entries:
            # Like DynamoDB's TTL, in event time: a week-long replay must not keep every contact.
            newest = max(entry.at for entry in entries)
            for contact_id in [c for c, e in known.items() if fresh_contact_queue(e, newest) is None]:
                del known[contact_id]
            self._contact_queues_limit = max(10_000, 2 * len(known))

    def contact_queues(self, contact_ids: Collection[str], at: datetime) -> dict[str, ContactQueue]:
        found = {}
        for contact_id in contact_ids:
            entry = fresh_contact_queue(self._contact_queues.get(contact_id), at)
            if entry is not None:
                found[contact_id] = entry
        return found

    def _remember_presence(self, entries: Sequence[AgentPresence]) -> None:
        for entry in entries:
            agents = self._presence.setdefault(entry.center_id, {})
            if worth_storing(agents.get(entry.agent_id), entry):
                agents[entry.agent_id] = entry

    def presence(self, center_id: str, at: datetime) -> list[AgentPresence]:
        return list(self._presence.get(center_id, {}).values())

    def scopes(self) -> list[str]:
        """Every scope with at least one item (for inspection and tests)."""
        return sorted(self._items)

    def _apply_delta(self, key: BucketKey, delta: BucketDelta) -> None:
        items = self._items.get(key.scope)
        if items is None:
            items = self._items[key.scope] = {}
            self._buckets[key.scope] = []
            self._ordered[key.scope] = []
        item = items.get(key.bucket)
        if item is None:
            item = items[key.bucket] = _Item(key.bucket)
            buckets = self._buckets[key.scope]
            index = bisect.bisect_right(buckets, key.bucket)
            buckets.insert(index, key.bucket)
            self._ordered[key.scope].insert(index, item)
            heapq.heappush(self._item_ages, (key.bucket, key.scope))
        row = item.row  # copy on write: see _Item
        if delta.adds:
            adds = dict(item.adds) if row is not None and row.adds is item.adds else item.adds
            add_counts(adds, delta.adds)
            item.adds = adds
        if delta.latest:
            latest = dict(item.latest) if row is not None and row.latest is item.latest else item.latest
            keep_newest(latest, delta.latest)
            item.latest = latest
        if delta.center is not None:
            item.center = delta.center

    def _expire(self, cutoff: int) -> None:
        """Forget ledger entries and items whose bucket starts at or before ``cutoff`` (epoch seconds)."""
        while self._ledger_ages and self._ledger_ages[0][0] <= cutoff:
            bucket, partition = heapq.heappop(self._ledger_ages)
            del self._ledger[(partition, bucket)]
        cutoff_time = _EPOCH + timedelta(seconds=cutoff)
        while self._item_ages and self._item_ages[0][0] <= cutoff_time:
            bucket_start, scope = heapq.heappop(self._item_ages)
            del self._items[scope][bucket_start]
            buckets = self._buckets[scope]
            index = bisect.bisect_left(buckets, bucket_start)
            del buckets[index], self._ordered[scope][index]
            if not buckets:
                del self._items[scope], self._buckets[scope], self._ordered[scope]

    def _ledger_buckets(self, events: Sequence[CxEvent]) -> list[int]:
        filtered, self._filtered = self._filtered, None
        if filtered is not None and filtered[0] is events:
            return filtered[1]
        width = self._width
        return [int(event.occurred_at.timestamp() // width) * width for event in events]
