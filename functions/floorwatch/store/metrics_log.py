"""The delta log: agent, contact, feed, team and center deltas stored by write, not by entity (see
``metrics_dynamodb``).

A batch's agent, contact and feed deltas (hundreds of small per-entity items before), and its team and
center deltas unless a rule learns a baseline on them (``logged_kinds``), go into one immutable item per
transaction, written with the batch's queue and ledger items::

    pk = "deltas#2026-11-23"                               (the UTC day of the write)
    sk = "2026-11-23T09:31:07.250113Z#<partition>#<n>"     (write time, fixed width: sorts as time)
    d  B   zlib-compressed JSON: [[scope, bucket epoch s, {field: amount}, {field: [value, at epoch us]},
           center], ...]
    p  B   (when the batch told any) zlib-compressed JSON of what its events tell of agents' presence and
           contacts' queues (``floorwatch.metrics.presence``): {"a": [[center, agent, category,
           "queue queue ...", at epoch us], ...], "k": [[contact, queue, at epoch us], ...]}
    expires_at  N   write time + retention

A ``Put`` is billed by its own bytes (a batch's deltas, compressed), where an ``Update`` of an entity's
item is billed by the whole item and at least one unit each. Items never change once written, so a
reader keeps what it has read and asks only for items written since (one ``Query``, sort key after its
newest item minus ``SETTLE``: another writer's transaction may commit a little after its stamp; and every
``SWEEP_EVERY`` from ``LATE_COMMIT`` back, for the rare transaction that commits much later).

A reader assembles a scope's rows from the items written within ``horizon`` (plus ``EVENT_TIME_AHEAD``)
of the instant it reads at: a cold process reads that much once. An agent's state older than the
horizon with no report since is therefore not known to the DynamoDB store (the in-memory store keeps
it): the writer re-writes a repeated state (a heartbeat) once half the horizon has passed, so an agent
whose platform repeats its state (Amazon Connect: every 120 s) always has it within reach. Likewise a
feed silent for longer than the horizon has no rows (its staleness alert gets no verdict, and keeps its
tier). Rows merge like the in-memory store's items: counters added, latest values by event time.

Presence and contacts' queues ride in the same item (attribute ``p``, apart from the deltas so that a
reader wanting only presence, the websocket's snapshot, decodes only that): the newest report per agent
and per contact wins, by event time. The writer logs an entry only where ``presence.worth_storing`` (or
``contact_queue_worth_storing``) says so against what the log already holds, so heartbeats cost nothing; a
contact's unchanged queue is logged again once half the horizon has passed (it must stay within reach).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from floorwatch.metrics.model import (
    BucketDelta,
    BucketKey,
    BucketRow,
    ScopeKind,
    Stamped,
    add_counts,
    keep_newest,
)
from floorwatch.metrics.presence import (
    CONTACT_QUEUE_TTL,
    AgentPresence,
    ContactQueue,
    fresh_contact_queue,
)
from floorwatch.timefmt import iso_micros

ALWAYS_LOGGED = frozenset({ScopeKind.AGENT.value, ScopeKind.CONTACT.value, ScopeKind.FEED.value})
"""Scope kinds always kept in the delta log: hundreds of agents and contacts per batch, and every feed in
every minute a batch spans; read only by the evaluator, never over more than a few hours (no baselines)."""

LOGGED_UNLESS_LEARNED = frozenset({ScopeKind.TEAM.value, ScopeKind.CENTER.value})
"""Scope kinds kept in the delta log unless a rule learns a baseline on them: late contact records make a
batch span many minutes, and each (team or center, minute) item it touched was a write of its own. Read
only by the evaluator (the dashboards' tiles are queues'); a baseline needs a week of rows, so a rule set
with a baseline on a team or center rule keeps that kind's items (``logged_kinds``)."""


def logged_kinds(learned: Iterable[str] = ()) -> frozenset[str]:
    """The scope kinds a store keeps in the log, given the kinds some rule learns a baseline on."""
    return ALWAYS_LOGGED | (LOGGED_UNLESS_LEARNED - frozenset(learned))


LOGGED_KINDS = logged_kinds()
"""The kinds logged when no team or center rule has a baseline (the shipped rules)."""

DEFAULT_HORIZON = timedelta(hours=2)
"""How far back (event time) a reader looks in the log for a scope's rows."""

EVENT_TIME_AHEAD = timedelta(minutes=20)
"""Event times may run ahead of write times (the normalizer admits 15 minutes ahead; plus slack)."""

SETTLE = timedelta(seconds=10)
"""Items written this long before the newest one read are asked for again at every refresh: another
writer's transaction commits a little after the stamp it took."""

LATE_COMMIT = timedelta(minutes=3)
"""The longest an item can commit after its stamp: a writer takes the stamp before its transaction, which
the SDK may retry for as long as the function runs (the evaluator's timeout, 120 s, is below this; an
infrastructure test keeps it so). Items that late are rare and are asked for by a sweep every
``SWEEP_EVERY``, so they are taken in at most that much later instead of never."""

SWEEP_EVERY = timedelta(minutes=2)
"""How often (the clock's time) a refresh reaches back ``LATE_COMMIT`` instead of ``SETTLE``: a few more
items read, once every two minutes."""

FORGET_EVERY = timedelta(minutes=10)
"""Rows two horizons old are dropped this often (event time): a warm process holds about two horizons of
rows, so reading at an instant up to one horizon older (a tick while the stream lags) needs no reread."""

REFRESH_SECONDS = 1.0
"""Reads at the same instant ask for new items again after this long (the clock's seconds)."""

PREFIX = "deltas#"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def is_logged(scope: str, kinds: frozenset[str] = LOGGED_KINDS) -> bool:
    return scope.partition(":")[0] in kinds


def encode(deltas: Mapping[BucketKey, BucketDelta]) -> bytes:
    entries = [
        [
            key.scope,
            int((key.bucket - _EPOCH).total_seconds()),
            delta.adds,
            {name: [s.value, (s.at - _EPOCH) // _MICRO] for name, s in delta.latest.items()},
            delta.center,
        ]
        for key, delta in deltas.items()
    ]
    return zlib.compress(json.dumps(entries, separators=(",", ":")).encode("utf-8"))


def decode(blob: bytes) -> list[tuple[str, int, BucketDelta]]:
    found: list[tuple[str, int, BucketDelta]] = []
    for scope, bucket, adds, latest, center in json.loads(zlib.decompress(blob)):
        stamped = {name: Stamped(value, _EPOCH + at * _MICRO) for name, (value, at) in latest.items()}
        found.append((scope, bucket, BucketDelta({k: float(v) for k, v in adds.items()}, stamped, center)))
    return found


@dataclass(frozen=True, slots=True)
class Told:
    """What a batch's events tell of agents' presence and contacts' queues (logged with its deltas)."""

    presence: tuple[AgentPresence, ...] = ()
    contacts: tuple[ContactQueue, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.presence or self.contacts)


def encode_told(told: Told) -> bytes:
    entries = {
        "a": [
            [p.center_id, p.agent_id, p.category, " ".join(p.queues), (p.at - _EPOCH) // _MICRO]
            for p in told.presence
        ],
        "k": [[c.contact_id, c.queue_id, (c.at - _EPOCH) // _MICRO] for c in told.contacts],
    }
    return zlib.compress(json.dumps(entries, separators=(",", ":")).encode("utf-8"))


def decode_told(blob: bytes) -> Told:
    entries = json.loads(zlib.decompress(blob))
    return Told(
        tuple(
            AgentPresence(center, agent, category, tuple(queues.split()), _EPOCH + at * _MICRO)
            for center, agent, category, queues, at in entries.get("a", [])
        ),
        tuple(
            ContactQueue(contact, queue, _EPOCH + at * _MICRO) for contact, queue, at in entries.get("k", [])
        ),
    )


@dataclass(slots=True)
class _Row:
    adds: dict[str, float] = field(default_factory=dict)
    latest: dict[str, Stamped] = field(default_factory=dict)
    center: str | None = None
    row: BucketRow | None = None  # handed out until the row changes (readers never see it change)


Query = Callable[[str, str, str | None], Iterable[Mapping[str, Any]]]
"""(pk, sort key from (inclusive), sort key before (exclusive) or None) -> the items, all pages."""


class DeltaLogReader:
    """The rows the log holds, per scope, kept up to date with the fewest reads (see module doc)."""

    def __init__(
        self,
        query: Query,
        clock: Callable[[], float],
        horizon: timedelta,
        retention: timedelta,
        *,
        rows: bool = True,
    ):
        """``rows=False``: a reader of presence and contacts' queues only (the deltas are not decoded)."""
        self._query = query
        self._with_rows = rows
        self._clock = clock
        self._horizon = horizon
        self._retention = retention
        self._rows: dict[str, dict[int, _Row]] = {}
        self._seen: dict[str, float] = {}  # sort key -> its write stamp (epoch s), while it may come again
        self._low: float | None = None  # every item written at or after this stamp is in (epoch s)
        self._newest = 0.0  # newest write stamp read or written (epoch s)
        self._read_at: datetime | None = None  # the instant the last refresh was for
        self._refreshed = 0.0  # when (the clock's seconds)
        self._swept = 0.0  # when a refresh last reached back LATE_COMMIT (the clock's seconds)
        self._dropped_before = float("-inf")  # rows of buckets before this were let go (epoch s)
        self._agents: dict[tuple[str, str], AgentPresence] = {}  # (center, agent) -> newest report
        self._contacts: dict[str, ContactQueue] = {}  # contact -> newest report of its queue
        self.items_read = 0

    def rows(self, scope: str, at: datetime, limit: int) -> list[BucketRow]:
        self._cover(at)
        items = self._rows.get(scope)
        if not items or limit <= 0:
            return []
        newest = int(at.timestamp())
        oldest = max((at - self._horizon).timestamp(), (at - self._retention).timestamp())
        rows: list[BucketRow] = []
        for bucket in sorted((b for b in items if oldest < b <= newest), reverse=True)[:limit]:
            item = items[bucket]
            if item.row is None:
                item.row = BucketRow(
                    scope, _EPOCH + timedelta(seconds=bucket), item.adds, item.latest, item.center
                )
            rows.append(item.row)
        return rows

    def presence(self, center_id: str, at: datetime) -> list[AgentPresence]:
        """The newest logged report of each agent of ``center_id`` within reach of ``at``."""
        self._cover(at)
        return [entry for (center, _), entry in self._agents.items() if center == center_id]

    def contact_queues(self, contact_ids: Iterable[str], at: datetime) -> dict[str, ContactQueue]:
        """The newest logged queue of each of ``contact_ids`` reported within the horizon before ``at``
        (what a cold reader finds too: the writer logs an unchanged queue again every half horizon)."""
        self._cover(at)
        trusted = min(CONTACT_QUEUE_TTL, self._horizon)
        found: dict[str, ContactQueue] = {}
        for contact_id in contact_ids:
            entry = fresh_contact_queue(self._contacts.get(contact_id), at, trusted)
            if entry is not None:
                found[contact_id] = entry
        return found

    def known_presence(self, center_id: str, agent_id: str) -> AgentPresence | None:
        """The newest report this reader holds (no read: the writer's check before logging one)."""
        return self._agents.get((center_id, agent_id))

    def known_contact_queue(self, contact_id: str) -> ContactQueue | None:
        return self._contacts.get(contact_id)

    def written(
        self,
        sort_key: str,
        stamp: float,
        deltas: Iterable[tuple[str, int, BucketDelta]],
        told: Told = Told(),
    ) -> None:
        """Our own committed item: merged at once (the next refresh may return it again: it is skipped)."""
        self._take(sort_key, stamp, deltas if self._with_rows else (), told)

    # --- keeping up -------------------------------------------------------------------------------
    def _cover(self, at: datetime) -> None:
        now = self._clock()
        low = min(now, at.timestamp()) - (self._horizon + EVENT_TIME_AHEAD).total_seconds()
        if (at - self._horizon).timestamp() < self._dropped_before:
            self._reset()  # asked about rows this reader has let go: read afresh (never twice into a row)
        if self._low is None:
            self._read(low, None)
            self._low, self._read_at, self._refreshed, self._swept = low, at, now, now
            return
        if low < self._low:  # asked about an older instant: read the older items once
            self._read(low, self._low)
            self._low = low
        if at != self._read_at or now - self._refreshed >= REFRESH_SECONDS:
            back = SETTLE
            if now - self._swept >= SWEEP_EVERY.total_seconds():
                back, self._swept = LATE_COMMIT, now
            self._read(max(self._low, self._newest - back.total_seconds()), None)
            self._read_at, self._refreshed = at, now
            self._forget(at)

    def _read(self, since: float, before: float | None) -> None:
        until = before if before is not None else self._clock() + EVENT_TIME_AHEAD.total_seconds()
        day = datetime.fromtimestamp(since, UTC).date()
        last = datetime.fromtimestamp(max(since, until), UTC).date()
        while day <= last:
            pk = f"{PREFIX}{day.isoformat()}"
            for item in self._query(
                pk, stamp_text(since), stamp_text(before) if before is not None else None
            ):
                sort_key = item["sk"]["S"]
                if sort_key in self._seen:
                    continue
                self.items_read += 1
                stamp = datetime.fromisoformat(sort_key.partition("#")[0]).timestamp()
                deltas = decode(item["d"]["B"]) if self._with_rows and "d" in item else ()
                told = decode_told(item["p"]["B"]) if "p" in item else Told()
                self._take(sort_key, stamp, deltas, told)
            day += timedelta(days=1)

    def _take(
        self, sort_key: str, stamp: float, deltas: Iterable[tuple[str, int, BucketDelta]], told: Told
    ) -> None:
        self._seen[sort_key] = stamp
        self._newest = max(self._newest, stamp)
        for entry in told.presence:  # newest report wins (event time), as in the in-memory store
            key = (entry.center_id, entry.agent_id)
            known = self._agents.get(key)
            if known is None or entry.at >= known.at:
                self._agents[key] = entry
        for contact in told.contacts:
            known_contact = self._contacts.get(contact.contact_id)
            if known_contact is None or contact.at >= known_contact.at:
                self._contacts[contact.contact_id] = contact
        for scope, bucket, delta in deltas:
            items = self._rows.setdefault(scope, {})
            row = items.get(bucket)
            if row is None:
                row = items[bucket] = _Row()
            # New dicts, never changed in place: a row handed out stays as it was (as in the memory store).
            if delta.adds:
                adds = dict(row.adds)
                add_counts(adds, delta.adds)
                row.adds = adds
            if delta.latest:
                latest = dict(row.latest)
                keep_newest(latest, delta.latest)
                row.latest = latest
            if delta.center is not None:
                row.center = delta.center
            row.row = None

    def _forget(self, at: datetime) -> None:
        """Drop sort keys that can no longer come again, and rows two horizons older than ``at``."""
        before = self._newest - (LATE_COMMIT + 2 * SETTLE).total_seconds()  # a sweep may return them
        for key in [key for key, stamp in self._seen.items() if stamp < before]:
            del self._seen[key]
        cutoff = (at - 2 * self._horizon).timestamp()  # a read up to one horizon back still finds them
        if cutoff <= self._dropped_before + FORGET_EVERY.total_seconds():
            return  # at most once per FORGET_EVERY of event time
        for scope in list(self._rows):
            items = self._rows[scope]
            for bucket in [bucket for bucket in items if bucket < cutoff]:
                del items[bucket]
            if not items:
                del self._rows[scope]
        oldest = _EPOCH + timedelta(seconds=cutoff)
        for agent in [agent for agent, entry in self._agents.items() if entry.at < oldest]:
            del self._agents[agent]
        for contact_id in [c for c, entry in self._contacts.items() if entry.at < oldest]:
            del self._contacts[contact_id]
        self._dropped_before = cutoff

    def _reset(self) -> None:
        self._rows.clear()
        self._seen.clear()
        self._agents.clear()
        self._contacts.clear()
        self._low, self._newest, self._read_at = None, 0.0, None
        self._dropped_before = float("-inf")


def stamp_text(epoch: float) -> str:
    return iso_micros(_EPOCH + timedelta(microseconds=round(epoch * 1_000_000)))
