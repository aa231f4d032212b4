"""The metric store port: what the evaluator needs from wherever buckets are kept.

Two implementations: ``InMemoryMetricStore`` (replay, benchmarks, unit tests) and ``DynamoMetricStore``.
Both must give the same rows for the same applied events; the parity test holds them to it. Besides
buckets, a store remembers which queue each contact is in and each agent's presence, as the events it
applies tell them (``floorwatch.metrics.presence``): the same answers from both, by the same
``worth_storing`` rules.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from floorwatch.events.model import CxEvent
from floorwatch.metrics.model import BucketDelta, BucketKey, BucketRow
from floorwatch.metrics.presence import AgentPresence, ContactQueue

DEFAULT_RETENTION = timedelta(days=8)
"""How long a (scope, bucket) item is kept: baselines need a week of history, plus a day of slack."""


class MetricStore(Protocol):
    def filter_new(self, partition: str, events: Sequence[CxEvent]) -> list[CxEvent]:
        """The events not yet applied for ``partition`` (a Kinesis shard id), in their order.

        A duplicate event id inside ``events`` is kept once (the first occurrence).
        """
        ...

    def apply(
        self, partition: str, events: Sequence[CxEvent], deltas: Mapping[BucketKey, BucketDelta]
    ) -> None:
        """Atomically add ``deltas`` (the fold of ``events``) and record the events as applied.

        Counters are added, latest values set only when not older (in event time) than the stored one.
        Events already applied are not applied again even if ``filter_new`` was skipped or raced. What the
        events tell of contacts' queues and agents' presence (``presence.contact_queues_of``,
        ``presence.presence_of``) is remembered with them.
        """
        ...

    def recent_rows(self, scope: str, at: datetime, limit: int) -> list[BucketRow]:
        """Up to ``limit`` stored items of ``scope`` whose bucket starts at or before ``at``, newest first."""
        ...

    def contact_queues(self, contact_ids: Collection[str], at: datetime) -> dict[str, ContactQueue]:
        """The remembered queue of each of ``contact_ids`` still trusted at ``at`` (unknown ones left out)."""
        ...

    def presence(self, center_id: str, at: datetime) -> list[AgentPresence]:
        """The remembered agents of ``center_id``, each as last reported: at least every agent whose report
        is younger than ``presence.PRESENCE_WINDOW`` at ``at`` (readers judge freshness:
        ``presence.agents_by_state``)."""
        ...
