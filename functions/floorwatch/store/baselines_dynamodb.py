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

``DynamoScopeDirectory`` finds scopes by scanning the metrics table's keys (``ProjectionExpression`` pk, a
filter on the kind prefix and the bucket range). A scan reads every item of the table, so it costs read
units in proportion to the table's size: 1 million items of ~500 bytes are ~61,000 read request units
(eventually consistent), about $0.18 a day when run hourly at on-demand prices. A scope registry written by
the evaluator would make it one query; see docs/rules.md (Baselines).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
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

    def scan(self, **kwargs: Any) -> dict[str, Any]: ...


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
    """Scopes with metric items in a bucket range, from a key-only scan of the metrics table."""

    def __init__(self, client: DynamoClient, metrics_table: str) -> None:
        self._client = client
        self._table = metrics_table
        self.scanned_pages = 0

    def scopes_seen(self, kind: ScopeKind, since: datetime, until: datetime) -> list[str]:
        pk = METRICS_TABLE.partition_key.name
        sk = METRICS_TABLE.sort_key.name if METRICS_TABLE.sort_key else "sk"
        request: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": "#pk",
            "FilterExpression": "begins_with(#pk, :kind) AND #sk BETWEEN :since AND :until",
            "ExpressionAttributeNames": {"#pk": pk, "#sk": sk},
            "ExpressionAttributeValues": {
                ":kind": {"S": f"{kind.value}:"},
                ":since": {"S": _bucket_iso(since)},
                ":until": {"S": _bucket_iso(until)},
            },
        }
        scopes: set[str] = set()
        while True:
            response = self._client.scan(**request)
            self.scanned_pages += 1
            scopes.update(item[pk]["S"] for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return sorted(scopes)
            request["ExclusiveStartKey"] = last


def _zone_of(item: Mapping[str, Any]) -> str:
    zone = item.get(_TZ)
    return str(zone["S"]) if zone else "UTC"  # items written before time zones: UTC


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _bucket_iso(at: datetime) -> str:
    """The metrics table's sort key format (bucket start, whole seconds)."""
    return iso_seconds(at)


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(Decimal(repr(value)))
