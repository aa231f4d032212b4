"""The watch list: scopes whose time-driven metric grows while no event arrives, so ticks must look.

An agent who puts a customer on hold produces no further event while the hold lasts, and nothing is
pending yet (the hold is not long enough to breach): without a note somewhere, the periodic tick — which
may run in another Lambda container than the shard's — would never evaluate that agent, and the alert
would wait for the agent's next event. The engine keeps, per partition (Kinesis shard), the set of scopes
currently in a watched state and writes it only when it changes (at most one write per batch).

DynamoDB layout: one item per partition in the metrics table (the evaluator's own table, which has no
stream, so the alert fan-out never sees these): pk ``"watch"``, sk ``<partition>``, ``scopes`` (SS).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from floorwatch.names import METRICS_TABLE

WATCH_PK = "watch"
_PK = METRICS_TABLE.partition_key.name
_SK = METRICS_TABLE.sort_key.name if METRICS_TABLE.sort_key else "sk"


class WatchList(Protocol):
    def watched(self) -> dict[str, frozenset[str]]:
        """Every partition's watched scopes."""
        ...

    def set_watched(self, partition: str, scopes: Iterable[str]) -> None:
        """Replace one partition's watched scopes."""
        ...


class InMemoryWatchList:
    def __init__(self) -> None:
        self._scopes: dict[str, frozenset[str]] = {}
        self.writes = 0

    def watched(self) -> dict[str, frozenset[str]]:
        return dict(self._scopes)

    def set_watched(self, partition: str, scopes: Iterable[str]) -> None:
        self._scopes[partition] = frozenset(scopes)
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

    def watched(self) -> dict[str, frozenset[str]]:
        found: dict[str, frozenset[str]] = {}
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
                found[item[_SK]["S"]] = frozenset(item.get("scopes", {}).get("SS", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def set_watched(self, partition: str, scopes: Iterable[str]) -> None:
        key = {_PK: {"S": WATCH_PK}, _SK: {"S": partition}}
        members = sorted(set(scopes))
        self.writes += 1
        if not members:  # DynamoDB sets cannot be empty
            self._client.delete_item(TableName=self._table, Key=key)
            return
        self._client.put_item(TableName=self._table, Item={**key, "scopes": {"SS": members}})
