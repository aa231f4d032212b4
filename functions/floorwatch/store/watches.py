"""The watch list: scopes whose time-driven metric grows while no event arrives, so ticks must look.

An agent who puts a customer on hold produces no further event while the hold lasts, and nothing is
pending yet (the hold is not long enough to breach): without a note somewhere, the periodic tick — which
may run in another Lambda container than the shard's — would never evaluate that agent, and the alert
would wait for the agent's next event. The engine keeps, per partition (Kinesis shard), the scopes
currently in a watched state with the instant their duration first reaches a rule's lowest tier (ticks
before that instant skip them), and writes the list only when it changes (at most one write per batch).

DynamoDB layout: one item per partition in the metrics table (the evaluator's own table, which has no
stream, so the alert fan-out never sees these): pk ``"watch"``, sk ``<partition>``, ``z`` (B:
zlib-compressed JSON ``{scope: [due epoch seconds, queue_id, team_id]}``). A ``PutItem`` is billed by
the item's size, and the list is rewritten whenever an agent enters or leaves a watched state (several
times a second at a busy center's peak): compressed, a list of hundreds of agents costs a unit or two
instead of ten. Items written before (``due``: M scope -> M {``at``, ``queue_id``, ``team_id``}) are
still read.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from floorwatch.names import METRICS_TABLE

WATCH_PK = "watch"
_PK = METRICS_TABLE.partition_key.name
_SK = METRICS_TABLE.sort_key.name if METRICS_TABLE.sort_key else "sk"


@dataclass(frozen=True)
class Watch:
    """When a watched scope is due for evaluation, and where it works (so that an alert a tick opens in
    another process still carries the queue and team its supervisors are allowed to see)."""

    due: datetime
    queue_id: str | None = None
    team_id: str | None = None


Watched = dict[str, Watch]  # scope -> its watch


class WatchList(Protocol):
    def watched(self) -> dict[str, Watched]:
        """Every partition's watched scopes."""
        ...

    def set_watched(self, partition: str, due: Mapping[str, Watch]) -> None:
        """Replace one partition's watched scopes."""
        ...


class InMemoryWatchList:
    def __init__(self) -> None:
        self._due: dict[str, Watched] = {}
        self.writes = 0

    def watched(self) -> dict[str, Watched]:
        return {partition: dict(due) for partition, due in self._due.items()}

    def set_watched(self, partition: str, due: Mapping[str, Watch]) -> None:
        self._due[partition] = dict(due)
        self.writes += 1


class DynamoClient(Protocol):
    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def delete_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def query(self, **kwargs: Any) -> dict[str, Any]: ...


class DynamoWatchList:
    def __init__(self, client: DynamoClient, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self.writes = 0

    def watched(self) -> dict[str, Watched]:
        found: dict[str, Watched] = {}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": _PK},
            "ExpressionAttributeValues": {":pk": {"S": WATCH_PK}},
            "ConsistentRead": True,
        }
        while True:
            page = self._client.query(**kwargs)
            for item in page.get("Items", []):
                found[item[_SK]["S"]] = _decode(item)
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def set_watched(self, partition: str, due: Mapping[str, Watch]) -> None:
        key = {_PK: {"S": WATCH_PK}, _SK: {"S": partition}}
        self.writes += 1
        if not due:
            self._client.delete_item(TableName=self._table, Key=key)
            return
        entries = {
            scope: [round(watch.due.timestamp(), 3), watch.queue_id, watch.team_id]
            for scope, watch in sorted(due.items())
        }
        blob = zlib.compress(json.dumps(entries, separators=(",", ":")).encode("utf-8"))
        self._client.put_item(TableName=self._table, Item={**key, "z": {"B": blob}})


def _decode(item: Mapping[str, Any]) -> Watched:
    if "z" in item:
        entries = json.loads(zlib.decompress(item["z"]["B"]))
        return {
            scope: Watch(datetime.fromtimestamp(due, UTC), queue_id, team_id)
            for scope, (due, queue_id, team_id) in entries.items()
        }
    return {scope: _watch(value["M"]) for scope, value in item.get("due", {}).get("M", {}).items()}


def _watch(typed: Mapping[str, Any]) -> Watch:
    return Watch(
        due=datetime.fromtimestamp(float(Decimal(typed["at"]["N"])), UTC),
        queue_id=typed.get("queue_id", {}).get("S"),
        team_id=typed.get("team_id", {}).get("S"),
    )
