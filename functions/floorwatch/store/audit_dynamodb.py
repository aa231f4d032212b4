"""DynamoDB audit log (key schema ``floorwatch.names.AUDIT_TABLE``): PutItem only, never overwritten.

Item::

    pk = "alert#<alert id>" | "user#<user>"   sk = "<ISO time, microseconds>Z#<entry id>"
    actor S, action S, at S, entry_id S, [alert_id S, role S, connection_id S], details S (JSON object)

Every write is ``PutItem`` with ``attribute_not_exists(pk)``: the log cannot be overwritten by this code,
and the functions' IAM policies allow only ``dynamodb:PutItem`` (plus Query for readers) on the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from floorwatch.names import AUDIT_TABLE
from floorwatch.store.audit_port import AuditEntry

_PK = AUDIT_TABLE.partition_key.name
_SK = AUDIT_TABLE.sort_key.name if AUDIT_TABLE.sort_key else "sk"
_OPTIONAL = ("alert_id", "role", "connection_id")


class DynamoClient(Protocol):
    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def query(self, **kwargs: Any) -> dict[str, Any]: ...


class DynamoAuditLog:
    def __init__(self, client: DynamoClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def append(self, entry: AuditEntry) -> bool:
        item: dict[str, Any] = {
            _PK: {"S": entry.partition},
            _SK: {"S": entry.sort_key},
            "entry_id": {"S": entry.entry_id},
            "actor": {"S": entry.actor},
            "action": {"S": entry.action},
            "at": {"S": entry.at.isoformat()},
            "details": {"S": json.dumps(dict(entry.details), sort_keys=True)},
        }
        for name in _OPTIONAL:
            value = getattr(entry, name)
            if value is not None:
                item[name] = {"S": value}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": _PK},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def for_alert(self, alert_id: str) -> list[AuditEntry]:
        return [entry_from_item(item) for item in self._query(f"alert#{alert_id}")]

    def for_user(self, user: str) -> list[AuditEntry]:
        return [entry_from_item(item) for item in self._query(f"user#{user}")]

    def _query(self, partition: str) -> Iterator[Mapping[str, Any]]:
        start: Mapping[str, Any] | None = None
        while True:
            page = self._client.query(
                TableName=self._table,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": _PK},
                ExpressionAttributeValues={":pk": {"S": partition}},
                **({"ExclusiveStartKey": start} if start else {}),
            )
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return


def entry_from_item(item: Mapping[str, Any]) -> AuditEntry:
    """An AuditEntry from a stored item (typed, as the client returns it)."""

    def optional(name: str) -> str | None:
        value = item.get(name)
        return None if value is None else str(value["S"])

    return AuditEntry(
        actor=item["actor"]["S"],
        action=item["action"]["S"],
        at=datetime.fromisoformat(item["at"]["S"]),
        alert_id=optional("alert_id"),
        role=optional("role"),
        connection_id=optional("connection_id"),
        details=json.loads(item["details"]["S"]),
        entry_id=item["entry_id"]["S"],
    )
