"""DynamoDB baselines store (table ``floorwatch.names.BASELINES_TABLE``) and metrics-table scope directory.

Items, all under ``pk = "<scope>#<metric>"`` ("queue:billing#longest_wait_seconds")::

    sk = "pair"        since (S, ISO; absent until an hour gave samples), learned_until (S),
                       window_seconds (N), seasonality (S), timezone (S, IANA name; absent: UTC)
    sk = "how#<NNN>"   one hour-of-week slot (000..167, Monday 00:00 local time = 000)
    sk = "hod#<NN>"    one hour-of-day slot (00..23, local time), for rules with seasonality hour_of_day
        center (N), sigma (N), n (N), periods (N), window_seconds (N), since (S), until (S),
        timezone (S)   the summary the engine reads (periods: past hours with samples; absent = 1;
                       timezone: the IANA zone its hours are hours of; absent = UTC)
        samples (S)    JSON {"<hour start ISO>": [values...]}: the slot's raw samples, only the learner reads
        expires_at (N) TTL: until + MAX_AGE (a pair nobody learns any more goes away)

``lookup`` reads both possible slots of an instant with one ``BatchGetItem`` (projection without the
samples) and caches what it read for ``cache_seconds`` of the injected monotonic clock: the engine asks for
the same slot once per evaluation, and slots change once an hour.

``DynamoScopeDirectory`` is a scope registry the evaluator writes in the metrics table (one item per scope
and the hour it was last seen), read with one ``Query`` per kind. It replaced a scan of the metrics table,
whose read units grew with the whole table (8 days of every item: ~290,000 read units a call at the
reference center of docs/performance.md), run hourly by the learner and every few minutes by the
dashboards of principals who see every queue.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Protocol

from floorwatch.metrics.model import ScopeKind
from floorwatch.names import BASELINES_TABLE, METRICS_TABLE
from floorwatch.rules.baselines import (
    EMPTY_HISTORY,
    SEASONALITIES,
    Baseline,
    Seasonality,
    SlotHistory,
    SlotKey,
    slot_of,
    zone_key,
)
from floorwatch.store.baselines_port import MAX_AGE, PairState, fresh_enough
from floorwatch.timefmt import iso_seconds

_PK = BASELINES_TABLE.partition_key.name
_SK = BASELINES_TABLE.sort_key.name if BASELINES_TABLE.sort_key else "sk"
_TTL = BASELINES_TABLE.ttl_attribute or "expires_at"
_PAIR_SK = "pair"
_TZ = "timezone"
_SLOT_PREFIX: dict[Seasonality, str] = {"hour_of_week": "how#", "hour_of_day": "hod#"}
_SLOT_DIGITS: dict[Seasonality, int] = {"hour_of_week": 3, "hour_of_day": 2}
_SUMMARY = "#pk, #sk, center, sigma, n, periods, window_seconds, since, #until, #tz"
DEFAULT_CACHE_SECONDS = 300.0


class DynamoClient(Protocol):
    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def delete_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def query(self, **kwargs: Any) -> dict[str, Any]: ...

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]: ...


def pair_pk(scope: str, metric: str) -> str:
    return f"{scope}#{metric}"


def slot_sk(seasonality: Seasonality, slot: int) -> str:
    return f"{_SLOT_PREFIX[seasonality]}{slot:0{_SLOT_DIGITS[seasonality]}d}"


class DynamoBaselineStore:
    def __init__(
        self,
        client: DynamoClient,
        table_name: str,
        *,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._table = table_name
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        # (pk, sk) -> (read at, summary or None, time zone name)
        self._cache: dict[tuple[str, str], tuple[float, Baseline | None, str]] = {}
        self.read_requests = 0

    # --- what the engine reads ------------------------------------------------------------------
    def lookup(self, scope: str, metric: str, at: datetime, zone: tzinfo = UTC) -> Baseline | None:
        pk = pair_pk(scope, metric)
        sks = [slot_sk(seasonality, slot_of(at, seasonality, zone)) for seasonality in SEASONALITIES]
        now = self._monotonic()
        cached = [self._cache.get((pk, sk)) for sk in sks]
        if any(entry is None or now - entry[0] > self._cache_seconds for entry in cached):
            self._fetch(scope, metric, pk, sks, now)
            cached = [self._cache.get((pk, sk)) for sk in sks]
        found = next((entry for entry in cached if entry is not None and entry[1] is not None), None)
        if found is None or found[2] != zone_key(zone):
            return None  # never learned, or learned on another center's clock
        return fresh_enough(found[1], at)

    def _fetch(self, scope: str, metric: str, pk: str, sks: list[str], now: float) -> None:
        if len(self._cache) > 50_000:
            self._cache.clear()  # bounded memory for a long-lived container
        keys = [{_PK: {"S": pk}, _SK: {"S": sk}} for sk in sks]
        request: dict[str, Any] = {
            self._table: {
                "Keys": keys,
                "ProjectionExpression": _SUMMARY,
                "ExpressionAttributeNames": {"#pk": _PK, "#sk": _SK, "#until": "until", "#tz": _TZ},
            }
        }
        items: list[Mapping[str, Any]] = []
        for _ in range(5):  # unprocessed keys (throttling) are retried a few times, then treated as absent
            response = self._client.batch_get_item(RequestItems=request)
            self.read_requests += 1
            items.extend(response.get("Responses", {}).get(self._table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        for sk in sks:
            self._cache[(pk, sk)] = (now, None, "UTC")
        for item in items:
            self._cache[(pk, item[_SK]["S"])] = (now, _baseline(scope, metric, item), _zone_of(item))

    # --- the learner's bookkeeping --------------------------------------------------------------
    def pair(self, scope: str, metric: str) -> PairState | None:
        response = self._client.get_item(
            TableName=self._table,
            Key={_PK: {"S": pair_pk(scope, metric)}, _SK: {"S": _PAIR_SK}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        if item is None:
            return None
        since = item.get("since")
        seasonality = item["seasonality"]["S"]
        return PairState(
            since=datetime.fromisoformat(since["S"]) if since else None,
            learned_until=datetime.fromisoformat(item["learned_until"]["S"]),
            window=timedelta(seconds=float(item["window_seconds"]["N"])),
            seasonality="hour_of_day" if seasonality == "hour_of_day" else "hour_of_week",
            timezone=_zone_of(item),
        )

    def save_pair(self, scope: str, metric: str, state: PairState) -> None:
        item: dict[str, Any] = {
            _PK: {"S": pair_pk(scope, metric)},
            _SK: {"S": _PAIR_SK},
            "learned_until": {"S": _iso(state.learned_until)},
            "window_seconds": {"N": _number(state.window.total_seconds())},
            "seasonality": {"S": state.seasonality},
            _TZ: {"S": state.timezone},
            _TTL: {"N": str(int((state.learned_until + MAX_AGE).timestamp()))},
        }
        if state.since is not None:
            item["since"] = {"S": _iso(state.since)}
        self._client.put_item(TableName=self._table, Item=item)

    def slot_history(self, key: SlotKey) -> SlotHistory:
        response = self._client.get_item(
            TableName=self._table,
            Key=self._key(key),
            ProjectionExpression="samples",
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item or "samples" not in item:
            return EMPTY_HISTORY
        hours = json.loads(item["samples"]["S"])
        return SlotHistory(
            {datetime.fromisoformat(hour): tuple(float(v) for v in values) for hour, values in hours.items()}
        )

    def save_slot(
        self, key: SlotKey, history: SlotHistory, baseline: Baseline | None, timezone: str = "UTC"
    ) -> None:
        if baseline is None:
            self._client.delete_item(TableName=self._table, Key=self._key(key))
            return
        samples = {_iso(hour): list(values) for hour, values in sorted(history.hours.items())}
        self._client.put_item(
            TableName=self._table,
            Item={
                **self._key(key),
                "center": {"N": _number(baseline.center)},
                "sigma": {"N": _number(baseline.sigma)},
                "n": {"N": str(baseline.samples)},
                "periods": {"N": str(baseline.periods)},
                "window_seconds": {"N": _number(baseline.window.total_seconds())},
                "since": {"S": _iso(baseline.since)},
                "until": {"S": _iso(baseline.until)},
                "samples": {"S": json.dumps(samples, separators=(",", ":"))},
                _TZ: {"S": timezone},
                _TTL: {"N": str(int((baseline.until + MAX_AGE).timestamp()))},
            },
        )

    def _key(self, key: SlotKey) -> dict[str, Any]:
        return {_PK: {"S": pair_pk(key.scope, key.metric)}, _SK: {"S": slot_sk(key.seasonality, key.slot)}}


def _baseline(scope: str, metric: str, item: Mapping[str, Any]) -> Baseline:
    sk = item[_SK]["S"]
    seasonality: Seasonality = "hour_of_day" if sk.startswith(_SLOT_PREFIX["hour_of_day"]) else "hour_of_week"
    return Baseline(
        scope=scope,
        metric=metric,
        seasonality=seasonality,
        slot=int(sk.partition("#")[2]),
        center=float(item["center"]["N"]),
        sigma=float(item["sigma"]["N"]),
        samples=int(item["n"]["N"]),
        periods=int(item.get("periods", {"N": "1"})["N"]),
        window=timedelta(seconds=float(item["window_seconds"]["N"])),
        since=datetime.fromisoformat(item["since"]["S"]),
        until=datetime.fromisoformat(item["until"]["S"]),
    )


class DynamoScopeDirectory:
    """A scope registry in the metrics table: one small item per scope, the hour it was last seen.

    Items (``pk = "directory#<kind>"``, ``sk = <scope>``; no metric scope starts with "directory#")::

        seen (S, ISO hour, UTC)   the last hour the evaluator noted the scope in
        expires_at (N)            TTL: seen + REGISTRY_RETENTION (a scope nobody reports goes away)

    The evaluator notes the scopes of every batch (``note``); a process writes a scope again only when
    the hour changed, so a busy center costs about one write per scope and hour and container. Contacts
    are not registered: none is ever looked up (a contact has no weekly pattern, and no tile).
    ``scopes_seen`` is one ``Query`` of the kind's items (eventually consistent): a few read units,
    where a scan of the metrics table cost read units in proportion to the whole table (8 days of
    every item) on every call. ``note`` never fails the caller: the registry is best effort, a scope
    that could not be written is written with the next batch that sees it.
    """

    def __init__(self, client: DynamoClient, metrics_table: str) -> None:
        self._client = client
        self._table = metrics_table
        self._noted: dict[str, str] = {}  # scope -> hour written by this process
        self.write_failures = 0

    def scopes_seen(self, kind: ScopeKind, since: datetime, until: datetime) -> list[str]:
        """Scopes of ``kind`` last seen at or after ``since``'s hour (``until`` is the caller's "now": a
        scope seen later was seen in range too, or is still reporting)."""
        pk, sk = _metrics_keys()
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "FilterExpression": "#seen >= :since",
            "ProjectionExpression": "#sk",
            "ExpressionAttributeNames": {"#pk": pk, "#sk": sk, "#seen": "seen"},
            "ExpressionAttributeValues": {
                ":pk": {"S": _registry_pk(kind)},
                ":since": {"S": _hour_iso(since)},
            },
        }
        scopes: set[str] = set()
        while True:
            response = self._client.query(**request)
            scopes.update(item[sk]["S"] for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return sorted(scopes)
            request["ExclusiveStartKey"] = last

    def note(self, scopes: Iterable[str], at: datetime) -> int:
        """Register ``scopes`` as seen in ``at``'s hour; returns the items written."""
        hour = _hour_iso(at)
        due = sorted(
            scope
            for scope in set(scopes)
            if self._noted.get(scope) != hour and scope.partition(":")[0] not in UNREGISTERED_KINDS
        )
        pk, sk = _metrics_keys()
        expires = str(int((at + REGISTRY_RETENTION).timestamp()))
        written = 0
        for start in range(0, len(due), _BATCH_WRITE_MAX):
            chunk = due[start : start + _BATCH_WRITE_MAX]
            requests = [
                {
                    "PutRequest": {
                        "Item": {
                            pk: {"S": _registry_pk(ScopeKind(scope.partition(":")[0]))},
                            sk: {"S": scope},
                            "seen": {"S": hour},
                            _METRICS_TTL: {"N": expires},
                        }
                    }
                }
                for scope in chunk
            ]
            unprocessed = self._batch_write(requests)
            left = {request["PutRequest"]["Item"][sk]["S"] for request in unprocessed}
            for scope in chunk:
                if scope not in left:
                    self._noted[scope] = hour
                    written += 1
        if len(self._noted) > _NOTED_CAPACITY:  # bounded memory: forget the oldest half
            for scope in list(self._noted)[: _NOTED_CAPACITY // 2]:
                del self._noted[scope]
        return written

    def _batch_write(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write with a few retries of what DynamoDB left unprocessed; what is left after them (or after
        an error) is returned, to be noted again by a later batch."""
        for _ in range(_BATCH_WRITE_ATTEMPTS):
            try:
                response = self._client.batch_write_item(RequestItems={self._table: requests})
            except Exception:  # noqa: BLE001 - best effort: the registry must never fail a batch
                self.write_failures += 1
                return requests
            requests = list(response.get("UnprocessedItems", {}).get(self._table, []))
            if not requests:
                return []
        self.write_failures += 1
        return requests


REGISTRY_RETENTION = timedelta(days=9)
"""How long a scope stays registered after it was last seen: the learner's 8-day lookback, and a day."""
UNREGISTERED_KINDS = frozenset({ScopeKind.CONTACT.value})
_REGISTRY_PREFIX = "directory#"
_METRICS_TTL = METRICS_TABLE.ttl_attribute or "expires_at"
_BATCH_WRITE_MAX = 25  # DynamoDB's BatchWriteItem limit
_BATCH_WRITE_ATTEMPTS = 3
_NOTED_CAPACITY = 50_000


def _metrics_keys() -> tuple[str, str]:
    return METRICS_TABLE.partition_key.name, METRICS_TABLE.sort_key.name if METRICS_TABLE.sort_key else "sk"


def _registry_pk(kind: ScopeKind) -> str:
    return f"{_REGISTRY_PREFIX}{kind.value}"


def _hour_iso(at: datetime) -> str:
    return iso_seconds(at.astimezone(UTC).replace(minute=0, second=0, microsecond=0))


def _zone_of(item: Mapping[str, Any]) -> str:
    zone = item.get(_TZ)
    return str(zone["S"]) if zone else "UTC"  # items written before time zones: UTC


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(Decimal(repr(value)))
