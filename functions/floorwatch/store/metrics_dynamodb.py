"""DynamoDB metric store: queue items per (scope, bucket); agents, contacts, feeds, teams and centers in an
immutable delta log (one item per batch); deduplicated by a ledger.

Agent, contact and feed deltas (``metrics_log.ALWAYS_LOGGED``) are not kept per entity: a batch touches
hundreds of agents and contacts, each an item billed whole and at least one unit. They go into one
delta-log item per transaction (layout and reading in ``floorwatch.store.metrics_log``), read back
within a horizon (2 hours) of the instant asked about. So do team and center deltas, unless a rule learns
a baseline on that kind (``learned_kinds``; ``metrics_log.logged_kinds``): late contact records make a
batch span many minutes, and every (team or center, minute) it touched was an item of its own. Queues keep
their items: the dashboards' tiles and the baselines learner read them per scope over 8 days; so do teams
and centers with a baseline rule.

What a batch's events tell of agents' presence and contacts' queues (``floorwatch.metrics.presence``)
rides in the same log item (attribute ``p``), written only where it is news (``_told``): no item per
agent or contact. The evaluator reads contacts' queues from its log reader (no read of its own); the
websocket's snapshot reads presence with a reader of its own that looks back only ``PRESENCE_WINDOW``
(plus the event-time slack) and decodes nothing else.

Metric item of a queue, team or center (key schema ``floorwatch.names.METRICS_TABLE``)::

    pk = "queue:billing"   sk = "2026-11-23T09:01:00Z"     (bucket start, UTC, whole seconds)
    c_<field>   N   counters, ADDed
    l_<field>   N|S latest value (gauge, agent state label, feed last-seen epoch seconds)
    lt_<field>  S   its event time, fixed-width ISO "2026-11-23T09:01:07.250000Z" (so strings order as times)
    s_<field>   NS  fields merged by maximum (catalog.MAX_FIELDS: a feed's last-seen second), ADDed
    center      S   the center of the events that fed a queue, team or agent item (baselines' time zone)
    expires_at  N   TTL: bucket + retention (8 days: baselines need a week of history)

Ledger item (which events a shard has applied, per ``LEDGER_WINDOW`` of event time, 10 minutes)::

    pk = "ledger#<partition>"  sk = "<window ISO>" (chunk 0) or "<window ISO>#<k>" (chunk k >= 1)
    d  BS   8-byte digests (BLAKE2b) of the event ids whose event time falls in that bucket
    n  N    digests in this chunk;  v  N  version (+1 on every write);  sealed  BOOL  a chunk k+1 exists
    expires_at  N

A batch is one ``TransactWriteItems``: every touched metric item (counters ADDed, latest values SET under
``attribute_not_exists(lt_x) OR lt_x <= :t``), one delta-log ``Put``, plus the open ledger chunk of each
touched bucket (digests ADDed under ``v = :expected``, or ``attribute_not_exists`` for a new chunk; a new
chunk that holds 100 digests or more is written sealed, so the next batch need not seal it). Either the
counters move and the events are recorded, or neither: a retried batch can never count twice. More than
100 items (the transaction limit) are split into transactions along event groups, each carrying its own
events' digests.

Heartbeats: an agent's report that repeats the state and start this store wrote last for the agent (the
platform's "still on hold, since 09:12") is left out of the batch's agent delta: a duration is
``at - start`` whatever report time stamps the state, and the state stays in the agent's newest rows for the
reader (its 15-row read). A repeat is written again once half the log's horizon has passed since the
state was last written, so readers looking one horizon back still find it. The store remembers the state
it wrote per agent (bounded, oldest forgotten); a cold process writes the first report it sees. Half of a
busy hour's agent reports are heartbeats (every 120 s of silence on Amazon Connect). The engine still
evaluates the agent on the heartbeat (it folds the batch itself), so alerts are the same.

On ``TransactionCanceledException`` the items whose condition failed come back (ALL_OLD): a stored latest
value newer than ours is dropped from the retry, ledger digests already present drop those events (and
their contribution is folded again without them). Bounded retries, then the error propagates and the
Kinesis batch is retried by Lambda.

Digest collisions: a new event is wrongly taken for a duplicate only if its 64-bit digest equals one of
the ``n`` digests of the same shard and ledger window (the digest covers the event id and its metric
bucket, so an id is a duplicate only within the same bucket, as in the in-memory store): probability
``n / 2**64``. At the Kinesis shard maximum (1,000 records/s, n = 600,000 per 10-minute window) that is
3.3e-14 per event, about one lost event per 1,000 years of a saturated shard. Chunks are capped at 100
digests (~0.9 KB): DynamoDB bills an update by the whole item's size, so a chunk that grew for a whole
minute (2,000 digests at a busy center's peak, 16 KB) made every batch's ledger write cost up to 16 write
units (32 in a transaction); a small chunk costs one or two. A batch's own digests always go into one
chunk, so a 500-event batch writes one 4 KB chunk. The store reads a (partition, window) ledger with one
consistent ``Query`` on the window's sort-key prefix, all chunks at once (a cold process: the few windows
its first batch spans), and caches it (the shard's own process is its only writer in steady state; a
conflict reloads it from the cancellation's ALL_OLD).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from botocore.exceptions import ClientError

from floorwatch.events.model import CxEvent
from floorwatch.metrics.catalog import AGENT_STATE, AGENT_STATE_SINCE, MAX_FIELDS
from floorwatch.metrics.fold import DEFAULT_FOLD_CONFIG, FoldConfig, fold, fold_each
from floorwatch.metrics.model import BucketDelta, BucketKey, BucketRow, Stamped, add_counts, keep_newest
from floorwatch.metrics.presence import (
    CONTACT_QUEUE_REFRESH,
    PRESENCE_WINDOW,
    AgentPresence,
    ContactQueue,
    contact_queue_worth_storing,
    contact_queues_of,
    presence_of,
    worth_storing,
)
from floorwatch.names import METRICS_TABLE
from floorwatch.store.metrics_log import (
    ALWAYS_LOGGED,
    DEFAULT_HORIZON,
    LOGGED_UNLESS_LEARNED,
    PREFIX,
    DeltaLogReader,
    Told,
    encode,
    encode_told,
    is_logged,
    logged_kinds,
    stamp_text,
)
from floorwatch.store.metrics_port import DEFAULT_RETENTION
from floorwatch.timefmt import iso_micros, iso_seconds

LEDGER_WINDOW = timedelta(minutes=10)
"""The dedup ledger's items are per (shard, window of event time this wide), not per metric bucket: a batch
writes one ledger item per window its events span, and late contact records and analytics make a busy
batch span 4 to 16 minutes (one item per minute was a seventh of its writes). Duplicates are still judged
per metric bucket (the bucket is in the digest), as the in-memory store judges them."""
MAX_TRANSACTION_ITEMS = 100
MAX_LOGGED_KEYS = 2_000  # agent and contact deltas in one log item (~100 KB of JSON before compression)
LEDGER_CHUNK_CAPACITY = 100
DIGEST_BYTES = 8
DEFAULT_MAX_ATTEMPTS = 5
BASE_BACKOFF_SECONDS = 0.05

_PK = METRICS_TABLE.partition_key.name
_SK = METRICS_TABLE.sort_key.name if METRICS_TABLE.sort_key else "sk"
_TTL = METRICS_TABLE.ttl_attribute or "expires_at"
_CENTER = "center"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RETRYABLE_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)
_RETRYABLE_ERRORS = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


class DynamoClient(Protocol):
    """The low-level DynamoDB client calls the store makes (a boto3 ``dynamodb`` client)."""

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]: ...

    def query(self, **kwargs: Any) -> dict[str, Any]: ...


class MetricStoreRetriesExhausted(RuntimeError):
    """The batch kept conflicting or being throttled; the caller fails the batch so Lambda retries it."""


@dataclass
class _Ledger:
    """What the store knows of one (partition, bucket) ledger: all digests and the open chunk."""

    digests: set[bytes] = field(default_factory=set)
    chunk: int = 0
    count: int = 0
    version: int | None = None  # the open chunk's version; None: it does not exist yet


@dataclass
class _Group:
    events: list[CxEvent]
    deltas: Mapping[BucketKey, BucketDelta]


@dataclass(frozen=True, slots=True)
class _KnownState:
    """An agent's state as this store last wrote it (heartbeats repeating it are not written again)."""

    value: float | str
    since: float | str
    at: datetime
    written: datetime  # the report time of the state as last written (repeats skipped since)


_STATE_FIELDS = frozenset({AGENT_STATE, AGENT_STATE_SINCE})


class _Cancelled(Exception):
    def __init__(self, learned: bool) -> None:
        super().__init__("transaction cancelled")
        self.learned = learned  # a condition failed and ALL_OLD told us why: retry at once


def event_digest(event_id: str, bucket: int) -> bytes:
    """The ledger's digest of an event: its id and its metric bucket (epoch seconds), so that an id is a
    duplicate only within the same bucket, as in the in-memory store, whatever ledger window holds it."""
    text = f"{bucket}#{event_id}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=DIGEST_BYTES).digest()


class DynamoMetricStore:
    """``MetricStore`` on one DynamoDB table (the metrics table), via a low-level boto3 client.

    ``fold_config`` must be the configuration the evaluator folds with: the store folds again when it
    splits a batch or drops events another writer already applied.
    """

    def __init__(
        self,
        client: DynamoClient,
        table_name: str,
        *,
        fold_config: FoldConfig = DEFAULT_FOLD_CONFIG,
        retention: timedelta = DEFAULT_RETENTION,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        ledger_cache_size: int = 512,
        state_cache_size: int = 50_000,
        horizon: timedelta = DEFAULT_HORIZON,
        clock: Callable[[], float] = time.time,
        learned_kinds: Collection[str] = (),
    ) -> None:
        """``learned_kinds``: the scope kinds some rule learns a baseline on (``RuleSet.learned_kinds``):
        their items are kept for the learner; every process reading or writing the table must be given
        the same (the handlers pass their rules')."""
        self._client = client
        self._table = table_name
        self._logged = logged_kinds(learned_kinds)
        self._config = fold_config
        self._width = int(fold_config.bucket.total_seconds())  # metric buckets
        self._window = int(LEDGER_WINDOW.total_seconds())  # ledger windows
        self._retention_seconds = int(retention.total_seconds())
        self._retention = retention
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._cache_size = ledger_cache_size
        self._ledgers: dict[tuple[str, int], _Ledger] = {}
        self._iso: dict[int, str] = {}
        self._states: dict[str, _KnownState] = {}  # agent scope -> its state as last written here
        self._states_capacity = state_cache_size
        self._clock = clock
        self._refresh_after = horizon / 2
        self._log = DeltaLogReader(self._log_items, clock, horizon, retention)
        self._presence_log: DeltaLogReader | None = None  # the snapshot's reader (presence only), on demand
        # A contact's unchanged queue is logged again this often, so readers looking one horizon back find it.
        self._contact_refresh = min(CONTACT_QUEUE_REFRESH, horizon / 2)
        self._log_stamp = 0.0  # the newest write stamp this store used (stamps only move forward)
        self._log_count = 0
        # Observability for benchmarks: every item of every attempted transaction counts as one write
        # request (a cancelled transaction is billed too), so the figure is an upper bound.
        self.write_requests = 0
        self.transactions = 0
        self.cancellations = 0
        self.read_requests = 0
        self.told_logged = 0  # presence and contact-queue entries logged (bytes in log items, no items)

    # --- port ------------------------------------------------------------------------------------
    def filter_new(self, partition: str, events: Sequence[CxEvent]) -> list[CxEvent]:
        return [event for event, _, _ in self._fresh(partition, events)]

    def apply(
        self, partition: str, events: Sequence[CxEvent], deltas: Mapping[BucketKey, BucketDelta]
    ) -> None:
        stored_latest: dict[tuple[str, str, str], str] = {}  # (scope, sk, field) -> stored lt, from ALL_OLD
        pending: Sequence[CxEvent] = events
        given: Mapping[BucketKey, BucketDelta] | None = deltas
        for attempt in range(self._max_attempts):
            fresh = self._fresh(partition, pending)
            if not fresh:
                return
            if len(fresh) != len(pending):
                given = None  # some events were applied already: their contribution must not count
            try:
                for group in self._plan(fresh, given):
                    self._commit(partition, group, stored_latest)
                return
            except _Cancelled as cancelled:
                pending, given = [event for event, _, _ in fresh], None
                if not cancelled.learned:  # throttled or conflicting with another transaction: back off
                    self._sleep(BASE_BACKOFF_SECONDS * (2**attempt))
        raise MetricStoreRetriesExhausted(
            f"metric batch for {partition} not applied after {self._max_attempts} attempts"
        )

    def recent_rows(self, scope: str, at: datetime, limit: int) -> list[BucketRow]:
        if limit <= 0:
            return []
        kind = scope.partition(":")[0]
        if kind in ALWAYS_LOGGED:
            return self._log.rows(scope, at, limit)
        if kind in LOGGED_UNLESS_LEARNED:
            # Items and log both: a batch wrote each delta to exactly one of them (its store's learned
            # kinds), and the deploy that adds or removes a baseline on a team or center switches where
            # (its rules' recent rows must not look silent across that switch).
            return _merged(self._item_rows(scope, at, limit), self._log.rows(scope, at, limit), limit)
        return self._item_rows(scope, at, limit)

    def _item_rows(self, scope: str, at: datetime, limit: int) -> list[BucketRow]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="#pk = :pk AND #sk <= :at",
            ExpressionAttributeNames={"#pk": _PK, "#sk": _SK},
            ExpressionAttributeValues={
                ":pk": {"S": scope},
                ":at": {"S": iso_seconds(at)},
            },
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,  # the evaluator reads right after its own write
        )
        self.read_requests += 1
        expired_before = at - self._retention
        rows: list[BucketRow] = []
        for item in response.get("Items", []):
            row = _row(scope, item)
            if row.bucket <= expired_before:
                break  # TTL deletion is best effort: an expired item is treated as gone (in event time)
            rows.append(row)
        return rows

    # Contacts' queues and agents' presence: logged with the batches that told them (``_told``).
    def contact_queues(self, contact_ids: Collection[str], at: datetime) -> dict[str, ContactQueue]:
        return self._log.contact_queues(contact_ids, at)

    def presence(self, center_id: str, at: datetime) -> list[AgentPresence]:
        if self._presence_log is None:
            # Presence counts only within PRESENCE_WINDOW of ``at``: a reader that needs nothing else (the
            # websocket's snapshot) reads that much of the log, not the evaluator's horizon.
            self._presence_log = DeltaLogReader(
                self._log_items, self._clock, PRESENCE_WINDOW, self._retention, rows=False
            )
        return self._presence_log.presence(center_id, at)

    # --- dedup -------------------------------------------------------------------------------------
    def _fresh(self, partition: str, events: Sequence[CxEvent]) -> list[tuple[CxEvent, int, bytes]]:
        """Events not in the ledger, once each, with their ledger bucket and digest."""
        keyed = [(event, *self._ledger_place(event)) for event in events]
        self._load_ledgers(partition, {bucket for _, bucket, _ in keyed})
        fresh: list[tuple[CxEvent, int, bytes]] = []
        seen: set[tuple[int, bytes]] = set()
        for event, bucket, digest in keyed:
            if (bucket, digest) in seen or digest in self._ledgers[(partition, bucket)].digests:
                continue
            seen.add((bucket, digest))
            fresh.append((event, bucket, digest))
        return fresh

    def _load_ledgers(self, partition: str, buckets: Iterable[int]) -> None:
        needed = set(buckets)
        missing = [bucket for bucket in needed if (partition, bucket) not in self._ledgers]
        if not missing:
            return
        self._make_room(len(missing), {(partition, bucket) for bucket in needed})
        for bucket in missing:
            ledger = _Ledger()
            open_chunk: int | None = None
            for item in self._ledger_chunks(partition, bucket):
                ledger.digests.update(item.get("d", {}).get("BS", []))
                chunk = int(item[_SK]["S"].partition("#")[2] or 0)
                if item.get("sealed", {}).get("BOOL"):
                    ledger.chunk = max(ledger.chunk, chunk + 1)  # the next one, if it is not stored yet
                elif open_chunk is None or chunk > open_chunk:
                    open_chunk = chunk
                    ledger.count, ledger.version = int(item["n"]["N"]), int(item["v"]["N"])
            if open_chunk is not None:
                ledger.chunk = open_chunk
            self._ledgers[(partition, bucket)] = ledger

    def _ledger_chunks(self, partition: str, bucket: int) -> list[dict[str, Any]]:
        """Every stored chunk of one (partition, bucket) ledger: one consistent Query (chunk sort keys all
        begin with the bucket's), paged."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :bucket)",
            "ExpressionAttributeNames": {"#pk": _PK, "#sk": _SK},
            "ExpressionAttributeValues": {
                ":pk": {"S": f"ledger#{partition}"},
                ":bucket": {"S": self._iso_of(bucket)},
            },
            "ConsistentRead": True,
        }
        return self._query_all(request)

    def _query_all(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item a ``Query`` matches, page after page (each page is a read request)."""
        items: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**request)
            self.read_requests += 1
            items += response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            request = {**request, "ExclusiveStartKey": last}

    def _make_room(self, incoming: int, keep: set[tuple[str, int]]) -> None:
        """Forget the oldest cached ledgers (dicts keep insertion order), never one this batch needs."""
        excess = len(self._ledgers) + incoming - self._cache_size
        if excess > 0:
            for key in [key for key in self._ledgers if key not in keep][:excess]:
                del self._ledgers[key]

    # --- writing -----------------------------------------------------------------------------------
    def _plan(
        self, fresh: list[tuple[CxEvent, int, bytes]], deltas: Mapping[BucketKey, BucketDelta] | None
    ) -> list[_Group]:
        """Transactions that fit: the given deltas in one when possible, else groups of whole events.

        Each ledger bucket is counted as two items (sealing a full chunk writes the next one too).
        """
        events = [event for event, _, _ in fresh]
        ledger_items = 2 * len({bucket for _, bucket, _ in fresh})
        if deltas is None:
            deltas = fold(events, self._config)
        if _fits(deltas, ledger_items, self._logged):
            return [_Group(events, deltas)]
        groups: list[_Group] = []
        current: list[CxEvent] = []
        merged: dict[BucketKey, BucketDelta] = {}
        buckets: set[int] = set()
        for (event, bucket, _), own in zip(fresh, fold_each(events, self._config), strict=True):
            grown = {**merged, **dict.fromkeys(own, BucketDelta())}
            new_ledger = 0 if bucket in buckets else 2
            if current and not _fits(grown, 2 * len(buckets) + new_ledger, self._logged):
                groups.append(_Group(current, merged))
                current, merged, buckets = [], {}, set()
            current.append(event)
            buckets.add(bucket)
            for key, delta in own.items():
                merged.setdefault(key, BucketDelta()).merge(delta)
        if current:
            groups.append(_Group(current, merged))
        return groups

    def _commit(self, partition: str, group: _Group, stored_latest: dict[tuple[str, str, str], str]) -> None:
        metric_items: list[dict[str, Any]] = []
        logged: dict[BucketKey, BucketDelta] = {}
        skipped: set[str] = set()  # agents whose repeated state is left out
        for key, delta in group.deltas.items():
            news = self._news(key, delta)
            if news is not delta:
                skipped.add(key.scope)
            if is_logged(key.scope, self._logged):
                if news.adds or news.latest:
                    logged[key] = news
            elif (operation := self._metric_update(key, news, stored_latest)) is not None:
                metric_items.append(operation)
        told = self._told(group.events)
        log_write = self._log_put(partition, logged, told) if logged or told else None
        if log_write is not None:
            metric_items.append(log_write[0])
        new_digests: dict[int, set[bytes]] = {}
        for event in group.events:
            window, digest = self._ledger_place(event)
            new_digests.setdefault(window, set()).add(digest)
        ledger_items: list[dict[str, Any]] = []
        for bucket, digests in new_digests.items():
            ledger_items.extend(self._ledger_writes(partition, bucket, digests))
        items = metric_items + ledger_items
        self.write_requests += len(items)
        self.transactions += 1
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            learned = self._absorb_cancellation(error, partition, metric_items, ledger_items, stored_latest)
            raise _Cancelled(learned) from error
        for bucket, digests in new_digests.items():
            self._advance(self._ledgers[(partition, bucket)], digests)
        if log_write is not None:
            _, sort_key, stamp = log_write
            self._log.written(sort_key, stamp, _entries(logged), told)
            self.told_logged += len(told.presence) + len(told.contacts)
        self._remember_states(group.deltas, stored_latest, skipped)

    def _news(self, key: BucketKey, delta: BucketDelta) -> BucketDelta:
        """``delta`` without an agent state this store wrote last for the scope, unchanged (same state,
        same start): a heartbeat. Its report time would only restamp the stored state; every duration is
        ``at - start`` and stays the same. Most agent items of a busy hour are heartbeats."""
        state = delta.latest.get(AGENT_STATE)
        known = self._states.get(key.scope) if state is not None else None
        if known is None or state is None:
            return delta
        since = delta.latest.get(AGENT_STATE_SINCE)
        if (
            since is None
            or (state.value, since.value) != (known.value, known.since)
            or since.at != state.at
            or state.at < known.at
            or state.at - known.written >= self._refresh_after
        ):
            return delta  # a change, or a repeat due again: the log's readers look back one horizon
        latest = {name: stamped for name, stamped in delta.latest.items() if name not in _STATE_FIELDS}
        return BucketDelta(delta.adds, latest, delta.center)

    def _told(self, events: Sequence[CxEvent]) -> Told:
        """What ``events`` tell of agents' presence and contacts' queues that the log does not hold yet
        (``worth_storing``: changes at once, repeats only once the logged report is getting old)."""
        log = self._log
        presence = tuple(
            entry
            for entry in presence_of(events)
            if worth_storing(log.known_presence(entry.center_id, entry.agent_id), entry)
        )
        contacts = tuple(
            entry
            for entry in contact_queues_of(events).values()
            if contact_queue_worth_storing(
                log.known_contact_queue(entry.contact_id), entry, self._contact_refresh
            )
        )
        return Told(presence, contacts)

    def _remember_states(
        self,
        deltas: Mapping[BucketKey, BucketDelta],
        stored_latest: Mapping[tuple[str, str, str], str],
        skipped: set[str],
    ) -> None:
        states = self._states
        for key, delta in deltas.items():
            state = delta.latest.get(AGENT_STATE)
            if state is None:
                continue
            if any(scope == key.scope and name == AGENT_STATE for scope, _, name in stored_latest):
                states.pop(key.scope, None)  # a newer state was stored by someone else: unknown here
                continue
            since = delta.latest.get(AGENT_STATE_SINCE)
            known = states.pop(key.scope, None)  # re-inserted last: the dict stays in use order
            if since is None or since.at != state.at:
                continue
            if known is not None and known.at > state.at:
                states[key.scope] = known
                continue
            written = known.written if known is not None and key.scope in skipped else state.at
            states[key.scope] = _KnownState(state.value, since.value, state.at, written)
            if len(states) > self._states_capacity:
                del states[next(iter(states))]

    def _metric_update(
        self, key: BucketKey, delta: BucketDelta, stored_latest: Mapping[tuple[str, str, str], str]
    ) -> dict[str, Any] | None:
        sk = self._iso_of(int((key.bucket - _EPOCH).total_seconds()))
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        adds: list[str] = []
        sets: list[str] = []
        conditions: list[str] = []
        for index, (name, amount) in enumerate(delta.adds.items()):
            names[f"#c{index}"] = f"c_{name}"
            values[f":c{index}"] = {"N": _number(amount)}
            adds.append(f"#c{index} :c{index}")
        for index, (name, stamped) in enumerate(delta.latest.items()):
            if name in MAX_FIELDS:  # merged by maximum: no condition, so shards never cancel each other
                names[f"#m{index}"] = f"s_{name}"
                values[f":m{index}"] = {"NS": [str(int(stamped.at.timestamp() // 1))]}
                adds.append(f"#m{index} :m{index}")
                continue
            stamp = _stamp(stamped.at)
            stored = stored_latest.get((key.scope, sk, name))
            if stored is not None and stored > stamp:
                continue  # a newer value is already stored: ours must not overwrite it
            names[f"#l{index}"], names[f"#t{index}"] = f"l_{name}", f"lt_{name}"
            values[f":l{index}"] = (
                {"S": stamped.value} if isinstance(stamped.value, str) else {"N": _number(stamped.value)}
            )
            values[f":t{index}"] = {"S": stamp}
            sets += [f"#l{index} = :l{index}", f"#t{index} = :t{index}"]
            conditions.append(f"(attribute_not_exists(#t{index}) OR #t{index} <= :t{index})")
        if not adds and not sets:
            return None
        if delta.center is not None:  # no condition: a scope's center does not flip back and forth
            names["#z"] = _CENTER
            values[":z"] = {"S": delta.center}
            sets.append("#z = :z")
        names["#e"] = _TTL
        values[":e"] = {"N": str(int((key.bucket - _EPOCH).total_seconds()) + self._retention_seconds)}
        sets.append("#e = :e")
        expression = (f"ADD {', '.join(adds)} " if adds else "") + f"SET {', '.join(sets)}"
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": {_PK: {"S": key.scope}, _SK: {"S": sk}},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if conditions:
            update["ConditionExpression"] = " AND ".join(conditions)
            update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"Update": update}

    def _log_put(
        self, partition: str, logged: Mapping[BucketKey, BucketDelta], told: Told
    ) -> tuple[dict[str, Any], str, float]:
        """The group's agent, contact and feed deltas, and what its events told of presence and contacts'
        queues, as one new log item: (operation, sort key, write stamp)."""
        stamp = max(self._clock(), self._log_stamp + 1e-6)
        self._log_stamp = stamp
        self._log_count += 1
        text = stamp_text(stamp)
        sort_key = f"{text}#{partition}#{self._log_count}"
        item = {
            _PK: {"S": f"{PREFIX}{text[:10]}"},
            _SK: {"S": sort_key},
            "d": {"B": encode(logged)},
            _TTL: {"N": str(int(stamp) + self._retention_seconds)},
        }
        if told:
            item["p"] = {"B": encode_told(told)}
        put = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": {"#pk": _PK},
        }
        return {"Put": put}, sort_key, stamp

    def _log_items(self, pk: str, since: str, before: str | None) -> list[dict[str, Any]]:
        """The log items of one day written at or after ``since`` (and before ``before``): one consistent
        Query, paged."""
        condition = "#pk = :pk AND " + ("#sk BETWEEN :since AND :before" if before else "#sk >= :since")
        values: dict[str, Any] = {":pk": {"S": pk}, ":since": {"S": since}}
        if before:
            values[":before"] = {"S": before}
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": _PK, "#sk": _SK},
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        return self._query_all(request)

    def _ledger_writes(self, partition: str, bucket: int, digests: set[bytes]) -> list[dict[str, Any]]:
        ledger = self._ledgers[(partition, bucket)]
        expires = {"N": str(bucket + self._retention_seconds)}
        if ledger.version is None:  # no open chunk: this batch's digests make the next one
            return [self._ledger_open(partition, bucket, ledger.chunk, digests, expires)]
        if ledger.count + len(digests) > LEDGER_CHUNK_CAPACITY:
            seal = self._ledger_update(
                self._ledger_key(partition, bucket, ledger.chunk),
                "SET #s = :true, #v = #v + :one",
                "#v = :v",
                {":true": {"BOOL": True}, ":one": {"N": "1"}, ":v": {"N": str(ledger.version)}},
            )
            return [seal, self._ledger_open(partition, bucket, ledger.chunk + 1, digests, expires)]
        return [
            self._ledger_update(
                self._ledger_key(partition, bucket, ledger.chunk),
                "ADD #d :d, #n :n SET #v = #v + :one, #e = :e",
                "#v = :v",
                {
                    ":d": {"BS": sorted(digests)},
                    ":n": {"N": str(len(digests))},
                    ":one": {"N": "1"},
                    ":v": {"N": str(ledger.version)},
                    ":e": expires,
                },
            )
        ]

    def _ledger_open(
        self, partition: str, bucket: int, chunk: int, digests: set[bytes], expires: dict[str, str]
    ) -> dict[str, Any]:
        """A new chunk. One that is full from the start is born sealed: the next batch opens another
        without first sealing this one (with 500-event batches, one ledger item per minute, not two)."""
        values = {
            ":d": {"BS": sorted(digests)},
            ":n": {"N": str(len(digests))},
            ":one": {"N": "1"},
            ":e": expires,
        }
        expression = "ADD #d :d, #n :n SET #v = :one, #e = :e"
        if _born_sealed(digests):
            expression += ", #s = :true"
            values[":true"] = {"BOOL": True}
        return self._ledger_update(
            self._ledger_key(partition, bucket, chunk), expression, "attribute_not_exists(#pk)", values
        )

    def _ledger_update(
        self, key: dict[str, Any], expression: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        candidates = {"#d": "d", "#n": "n", "#v": "v", "#e": _TTL, "#s": "sealed", "#pk": _PK}
        text = f"{expression} {condition}"
        return {
            "Update": {
                "TableName": self._table,
                "Key": key,
                "UpdateExpression": expression,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {
                    alias: name for alias, name in candidates.items() if alias in text
                },
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _advance(self, ledger: _Ledger, digests: set[bytes]) -> None:
        """The ledger after our transaction committed (mirrors ``_ledger_writes``)."""
        ledger.digests |= digests
        if ledger.version is not None and ledger.count + len(digests) <= LEDGER_CHUNK_CAPACITY:
            ledger.count, ledger.version = ledger.count + len(digests), ledger.version + 1
            return
        if ledger.version is not None:
            ledger.chunk += 1  # the open chunk was sealed, ours opened after it
        if _born_sealed(digests):
            ledger.chunk, ledger.count, ledger.version = ledger.chunk + 1, 0, None
        else:
            ledger.count, ledger.version = len(digests), 1

    def _absorb_cancellation(
        self,
        error: Any,
        partition: str,
        metric_items: list[dict[str, Any]],
        ledger_items: list[dict[str, Any]],
        stored_latest: dict[tuple[str, str, str], str],
    ) -> bool:
        """Learn from a cancelled transaction what the table holds; re-raise anything not retryable.

        True when a condition failed (the retry differs and can go at once), False for a transient cause.
        """
        code = error.response.get("Error", {}).get("Code")
        if code in _RETRYABLE_ERRORS:
            self.cancellations += 1
            return False
        if code != "TransactionCanceledException":
            raise error
        self.cancellations += 1
        learned = False
        reasons: list[dict[str, Any]] = error.response.get("CancellationReasons") or []
        for operation, reason in zip(metric_items + ledger_items, reasons, strict=False):
            reason_code = reason.get("Code")
            if reason_code in (None, "None") or reason_code in _RETRYABLE_REASONS:
                continue
            if reason_code != "ConditionalCheckFailed":
                raise error
            learned = True
            if "Put" in operation:
                continue  # a log item's key taken (never expected): the retry writes under a new one
            key = operation["Update"]["Key"]
            scope, sk = key[_PK]["S"], key[_SK]["S"]
            item = reason.get("Item") or {}
            if scope.startswith("ledger#"):
                self._absorb_ledger(partition, sk, item)
                continue
            self._states.pop(scope, None)  # another writer stored something newer: no longer known
            for name, value in item.items():
                if name.startswith("lt_") and "S" in value:
                    stored_latest[(scope, sk, name[3:])] = value["S"]
        return learned

    def _absorb_ledger(self, partition: str, sk: str, item: Mapping[str, Any]) -> None:
        """Another writer moved this ledger chunk: take its digests and version from ALL_OLD.

        The retry then drops the events it already applied. A chunk that was sealed (or vanished) means
        the chain moved on: forget the bucket, the retry reads it again.
        """
        bucket_iso, _, chunk_text = sk.partition("#")
        bucket = int((datetime.fromisoformat(bucket_iso) - _EPOCH).total_seconds())
        ledger = self._ledgers.get((partition, bucket))
        if ledger is None or not item or item.get("sealed", {}).get("BOOL"):
            self._ledgers.pop((partition, bucket), None)
            return
        ledger.digests.update(item.get("d", {}).get("BS", []))
        ledger.chunk, ledger.count, ledger.version = (
            int(chunk_text or 0),
            int(item["n"]["N"]),
            int(item["v"]["N"]),
        )

    # --- keys and formats -------------------------------------------------------------------------
    def _ledger_place(self, event: CxEvent) -> tuple[int, bytes]:
        """(the event's ledger window, its digest), both from its event time (epoch seconds)."""
        timestamp = event.occurred_at.timestamp()
        bucket = int(timestamp // self._width) * self._width
        return int(timestamp // self._window) * self._window, event_digest(event.event_id, bucket)

    def _iso_of(self, epoch: int) -> str:
        text = self._iso.get(epoch)
        if text is None:
            if len(self._iso) > 4096:
                self._iso.clear()
            text = self._iso[epoch] = iso_seconds(_EPOCH + timedelta(seconds=epoch))
        return text

    def _ledger_key(self, partition: str, bucket: int, chunk: int) -> dict[str, Any]:
        sk = self._iso_of(bucket) if chunk == 0 else f"{self._iso_of(bucket)}#{chunk}"
        return {_PK: {"S": f"ledger#{partition}"}, _SK: {"S": sk}}


def _born_sealed(digests: set[bytes]) -> bool:
    return len(digests) >= LEDGER_CHUNK_CAPACITY


def _fits(deltas: Mapping[BucketKey, BucketDelta], ledger_items: int, kinds: frozenset[str]) -> bool:
    """One transaction can carry ``deltas``: entity items + one log item + ledger items within the limit."""
    logged = sum(1 for key in deltas if is_logged(key.scope, kinds))
    items = len(deltas) - logged + 1 + ledger_items  # the log item (deltas, or presence alone)
    return items <= MAX_TRANSACTION_ITEMS and logged <= MAX_LOGGED_KEYS


def _merged(items: list[BucketRow], logged: list[BucketRow], limit: int) -> list[BucketRow]:
    """The newest ``limit`` rows of both lists (each newest first), a bucket in both merged as the stores
    merge deltas: counters added, latest values by event time."""
    if not logged:
        return items
    if not items:
        return logged
    by_bucket = {row.bucket: row for row in items}
    for row in logged:
        found = by_bucket.get(row.bucket)
        if found is None:
            by_bucket[row.bucket] = row
            continue
        adds, latest = dict(found.adds), dict(found.latest)
        add_counts(adds, row.adds)
        keep_newest(latest, row.latest)
        by_bucket[row.bucket] = BucketRow(row.scope, row.bucket, adds, latest, row.center or found.center)
    return [by_bucket[bucket] for bucket in sorted(by_bucket, reverse=True)[:limit]]


def _entries(deltas: Mapping[BucketKey, BucketDelta]) -> list[tuple[str, int, BucketDelta]]:
    return [(key.scope, int((key.bucket - _EPOCH).total_seconds()), delta) for key, delta in deltas.items()]


def _row(scope: str, item: Mapping[str, Any]) -> BucketRow:
    adds: dict[str, float] = {}
    latest_values: dict[str, float | str] = {}
    latest_times: dict[str, datetime] = {}
    for name, value in item.items():
        if name.startswith("c_"):
            adds[name[2:]] = float(value["N"])
        elif name.startswith("lt_"):
            latest_times[name[3:]] = datetime.fromisoformat(value["S"])
        elif name.startswith("l_"):
            latest_values[name[2:]] = value["S"] if "S" in value else float(value["N"])
        elif name.startswith("s_"):
            newest = max(int(number) for number in value["NS"])
            latest_values[name[2:]], latest_times[name[2:]] = (
                float(newest),
                _EPOCH + timedelta(seconds=newest),
            )
    latest = {
        name: Stamped(latest_values[name], at) for name, at in latest_times.items() if name in latest_values
    }
    center = item.get(_CENTER)
    return BucketRow(
        scope, datetime.fromisoformat(item[_SK]["S"]), adds, latest, center["S"] if center else None
    )


def _stamp(at: datetime) -> str:
    """Fixed-width UTC ISO with microseconds: string order is time order (the conditions compare strings)."""
    return iso_micros(at)


def _number(value: float) -> str:
    """A DynamoDB number: integers without a fraction, other floats exactly as Python would print them."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(Decimal(repr(value)))
