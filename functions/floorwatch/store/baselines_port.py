"""The baselines ports: what the evaluator reads (``BaselineLookup``) and what the learner keeps
(``BaselineStore``), plus where the learner finds the scopes to learn (``ScopeDirectory``).

Implementations: ``floorwatch.store.baselines_memory`` (replay, unit tests) and
``floorwatch.store.baselines_dynamodb`` (the table of ``floorwatch.names.BASELINES_TABLE``).

Layout (both): per (scope, metric) one *pair* record (when the learner first saw data, how far it has
learned, over which window, seasonality and time zone) and one *slot* record per seasonal slot (the
samples of its past hours, the baseline summarizing them and the zone it was learned in). The lookup
reads one slot: the hour of the week of ``at`` on the scope's center's clock, else its hour of the day
(a pair learns with one seasonality, given by its rule). A slot learned in another zone than the one
asked about is not returned (the scope moved to a center in another zone: the learner restarts it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

from floorwatch.metrics.model import ScopeKind
from floorwatch.rules.baselines import Baseline, Seasonality, SlotHistory, SlotKey

MAX_AGE = timedelta(weeks=5)
"""A baseline whose newest hour is older than this (in the time asked about) is not returned: the learner
stopped learning this pair, and a pattern that old is no guide (DynamoDB TTL deletes it too)."""


@dataclass(frozen=True)
class PairState:
    """The learner's bookkeeping for one (scope, metric)."""

    since: datetime | None  # start of the first hour that gave samples (None: none yet)
    learned_until: datetime  # every hour ending at or before this has been learned
    window: timedelta
    seasonality: Seasonality
    timezone: str = "UTC"  # IANA name of the zone the slots are hours of (the scope's center's)


class BaselineLookup(Protocol):
    def lookup(self, scope: str, metric: str, at: datetime, zone: tzinfo = UTC) -> Baseline | None:
        """The baseline of ``scope``/``metric`` for the seasonal slot of ``at`` (event time) on ``zone``'s
        clock (``floorwatch.rules.baselines.slot_of``), or None when there is none (never learned, no
        activity in that slot, learned in another zone, or older than ``MAX_AGE`` before ``at``).

        Whether it is good enough to adapt a rule is ``floorwatch.rules.baselines.usable``'s decision.
        """
        ...


class BaselineStore(BaselineLookup, Protocol):
    def pair(self, scope: str, metric: str) -> PairState | None: ...

    def save_pair(self, scope: str, metric: str, state: PairState) -> None: ...

    def slot_history(self, key: SlotKey) -> SlotHistory:
        """The slot's samples (empty when never learned)."""
        ...

    def save_slot(
        self, key: SlotKey, history: SlotHistory, baseline: Baseline | None, timezone: str = "UTC"
    ) -> None:
        """Replace the slot's samples and summary (None: no samples left, the slot is forgotten);
        ``timezone``: the IANA name of the zone its hours are hours of."""
        ...


class ScopeDirectory(Protocol):
    def scopes_seen(self, kind: ScopeKind, since: datetime, until: datetime) -> list[str]:
        """Scopes of ``kind`` ("queue:billing", ...) with metric data in a bucket starting in
        [``since``, ``until``], sorted."""
        ...


class ScopeRegistry(Protocol):
    """What a directory that is written, rather than derived from the metrics, is told (the evaluator)."""

    def note(self, scopes: Iterable[str], at: datetime) -> int:
        """Register ``scopes`` as seen at ``at``; returns the items written. Never raises: best effort."""
        ...


def fresh_enough(baseline: Baseline | None, at: datetime) -> Baseline | None:
    if baseline is None or baseline.until + MAX_AGE < at:
        return None
    return baseline
