"""DynamoDB connection store (key schema ``floorwatch.names.CONNECTIONS_TABLE``).

Items, all under the connection's partition::

    pk = "conn#<id>"  sk = "meta"          user, role, teams (L), queues (L), connected_at, expires_at
    pk = "conn#<id>"  sk = "sub#<scope>"   subscription = "<scope>" (or "*"), the same principal
                                           attributes, connected_at, expires_at

Only subscription items carry ``subscription``, the partition key of the sparse ``by-subscription``
index, so the fan-out finds its audience with one index query per scope and, because each
subscription item repeats the principal, never has to read the meta items. ``expires_at`` is the
connection's start plus API Gateway's 2-hour limit; DynamoDB's TTL deletes late (up to days), so
every read also drops items whose ``expires_at`` has passed.

``subscribers()`` returns connections whose ``subscriptions`` hold only the scopes that matched the
query (the index items found); ``get()`` returns every subscription of the connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from floorwatch.names import CONNECTION_MAX_AGE_SECONDS, CONNECTIONS_SUBSCRIPTION_INDEX, CONNECTIONS_TABLE
from floorwatch.store.connections_port import ALL_SCOPES, Connection, Principal

_PK = CONNECTIONS_TABLE.partition_key.name
_SK = CONNECTIONS_TABLE.sort_key.name if CONNECTIONS_TABLE.sort_key else "sk"
_TTL = CONNECTIONS_TABLE.ttl_attribute or "expires_at"
_SUBSCRIPTION = CONNECTIONS_TABLE.index(CONNECTIONS_SUBSCRIPTION_INDEX).partition_key.name
_META = "meta"
_SUB_PREFIX = "sub#"
MAX_BATCH_WRITE_ITEMS = 25

Clock = Callable[[], datetime]


class DynamoClient(Protocol):
    """The low-level DynamoDB client calls this store makes (a boto3 ``dynamodb`` client)."""

    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def query(self, **kwargs: Any) -> dict[str, Any]: ...

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def delete_item(self, **kwargs: Any) -> dict[str, Any]: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _partition(connection_id: str) -> str:
    return f"conn#{connection_id}"


class DynamoConnectionStore:
    def __init__(
        self,
        client: DynamoClient,
        table_name: str,
        clock: Clock = _utc_now,
        max_age: timedelta = timedelta(seconds=CONNECTION_MAX_AGE_SECONDS),
        *,
        remove_item_by_item: bool = False,
    ) -> None:
        """``remove_item_by_item``: ``remove`` deletes with DeleteItem, not BatchWriteItem (which also
        puts), so a caller that only removes gone connections (the fan-out) needs no write grant."""
        self._client = client
        self._remove_item_by_item = remove_item_by_item
        self._table = table_name
        self._clock = clock
        self._max_age = max_age

    def add(self, connection_id: str, principal: Principal, at: datetime) -> None:
        item = {
            _PK: {"S": _partition(connection_id)},
            _SK: {"S": _META},
            **self._principal_item(principal, at),
        }
        self._client.put_item(TableName=self._table, Item=item)

    def get(self, connection_id: str) -> Connection | None:
        items = [item for item in self._items_of(connection_id) if self._alive(item)]
        meta = next((item for item in items if item[_SK]["S"] == _META), None)
        if meta is None:
            return None
        scopes = frozenset(item[_SUBSCRIPTION]["S"] for item in items if _SUBSCRIPTION in item)
        return _connection(connection_id, meta, scopes)

    def subscribe(self, connection_id: str, scopes: Iterable[str]) -> None:
        """Add subscription items for a live connection; an unknown connection is ignored."""
        connection = self.get(connection_id)
        if connection is None:
            return
        base = self._principal_item(connection.principal, connection.connected_at)
        puts = [
            {
                "PutRequest": {
                    "Item": {
                        _PK: {"S": _partition(connection_id)},
                        _SK: {"S": _SUB_PREFIX + scope},
                        _SUBSCRIPTION: {"S": scope},
                        **base,
                    }
                }
            }
            for scope in sorted(set(scopes))
        ]
        self._batch_write(puts)

    def unsubscribe(self, connection_id: str, scopes: Iterable[str]) -> None:
        deletes = [
            {"DeleteRequest": {"Key": {_PK: {"S": _partition(connection_id)}, _SK: {"S": _SUB_PREFIX + s}}}}
            for s in sorted(set(scopes))
        ]
        self._batch_write(deletes)

    def remove(self, connection_id: str) -> None:
        if self._remove_item_by_item:
            for item in self._items_of(connection_id):
                self._client.delete_item(TableName=self._table, Key={_PK: item[_PK], _SK: item[_SK]})
            return
        deletes = [
            {"DeleteRequest": {"Key": {_PK: item[_PK], _SK: item[_SK]}}}
            for item in self._items_of(connection_id)
        ]
        self._batch_write(deletes)

    def subscribers(self, scopes: Iterable[str]) -> list[Connection]:
        found: dict[str, tuple[Mapping[str, Any], set[str]]] = {}
        for scope in sorted({*scopes, ALL_SCOPES}):
            for item in self._query(
                IndexName=CONNECTIONS_SUBSCRIPTION_INDEX,
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": _SUBSCRIPTION},
                ExpressionAttributeValues={":s": {"S": scope}},
            ):
                if self._alive(item):
                    connection_id = item[_PK]["S"].removeprefix("conn#")
                    found.setdefault(connection_id, (item, set()))[1].add(scope)
        return [
            _connection(connection_id, item, frozenset(matched))
            for connection_id, (item, matched) in sorted(found.items())
        ]

    # --- helpers ---------------------------------------------------------------------------------

    def _principal_item(self, principal: Principal, at: datetime) -> dict[str, Any]:
        expires_at = int((at + self._max_age).timestamp())
        return {
            "user": {"S": principal.user},
            "role": {"S": principal.role},
            "teams": {"L": [{"S": team} for team in principal.teams]},
            "queues": {"L": [{"S": queue} for queue in principal.queues]},
            "connected_at": {"S": at.astimezone(UTC).isoformat()},
            _TTL: {"N": str(expires_at)},
            **(
                {} if principal.expires_at is None else {"token_expires_at": {"N": str(principal.expires_at)}}
            ),
        }

    def _alive(self, item: Mapping[str, Any]) -> bool:
        expires = item.get(_TTL)
        return expires is None or int(expires["N"]) > self._clock().timestamp()

    def _items_of(self, connection_id: str) -> list[Mapping[str, Any]]:
        return list(
            self._query(
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": _PK},
                ExpressionAttributeValues={":pk": {"S": _partition(connection_id)}},
                ConsistentRead=True,
            )
        )

    def _query(self, **kwargs: Any) -> Iterator[Mapping[str, Any]]:
        start: Mapping[str, Any] | None = None
        while True:
            page = self._client.query(
                TableName=self._table, **kwargs, **({"ExclusiveStartKey": start} if start else {})
            )
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem in chunks of 25, re-sending what DynamoDB reports unprocessed."""
        for first in range(0, len(requests), MAX_BATCH_WRITE_ITEMS):
            pending: list[dict[str, Any]] = requests[first : first + MAX_BATCH_WRITE_ITEMS]
            for _attempt in range(8):
                if not pending:
                    break
                answer = self._client.batch_write_item(RequestItems={self._table: pending})
                pending = answer.get("UnprocessedItems", {}).get(self._table, [])
            if pending:
                raise RuntimeError(f"connections table {self._table}: {len(pending)} writes left unprocessed")


def _connection(connection_id: str, item: Mapping[str, Any], scopes: frozenset[str]) -> Connection:
    principal = Principal(
        user=item["user"]["S"],
        role=item["role"]["S"],
        teams=tuple(value["S"] for value in item.get("teams", {}).get("L", [])),
        queues=tuple(value["S"] for value in item.get("queues", {}).get("L", [])),
        expires_at=int(item["token_expires_at"]["N"]) if "token_expires_at" in item else None,
    )
    connected_at = datetime.fromisoformat(item["connected_at"]["S"])
    return Connection(connection_id, principal, connected_at, scopes)
