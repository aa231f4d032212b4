"""DynamoDB publish ledger (key schema ``floorwatch.names.DELIVERIES_TABLE``) for floorwatch.delivery.once.

Item::

    pk = "<transition id>@<topic ARN>"   status S ("publishing" | "sent")   lease_until N   expires_at N

A claim is one conditional ``PutItem`` (no marker yet); when a marker exists a consistent ``GetItem``
says which: ``sent`` (done), a running lease (in flight) or an expired one, taken over with a second
``PutItem`` conditioned on the lease read (of two racing takeovers one wins). Only ``GetItem``,
``PutItem`` and ``DeleteItem`` are used, which is all the fan-out's IAM grants on the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from floorwatch.delivery.once import MARKER_RETENTION, Claim, PublishInFlight
from floorwatch.names import DELIVERIES_TABLE

_PK = DELIVERIES_TABLE.partition_key.name
_PUBLISHING = "publishing"
_SENT = "sent"


class DynamoClient(Protocol):
    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def delete_item(self, **kwargs: Any) -> dict[str, Any]: ...


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def _conditional_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class DynamoPublishLedger:
    def __init__(self, client: DynamoClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        if self._put_claim(key, now, lease_until, "attribute_not_exists(#pk)", {}):
            return Claim.FIRST
        item = self._client.get_item(TableName=self._table, Key={_PK: {"S": key}}, ConsistentRead=True).get(
            "Item"
        )
        if item is None:  # released between the two calls: try once more as a first claim
            if self._put_claim(key, now, lease_until, "attribute_not_exists(#pk)", {}):
                return Claim.FIRST
            raise PublishInFlight(key)
        if item["status"]["S"] == _SENT:
            return Claim.DONE
        old_lease = item["lease_until"]["N"]
        if int(old_lease) > int(now.timestamp()):
            raise PublishInFlight(key)
        taken = self._put_claim(
            key, now, lease_until, "#status = :publishing AND lease_until = :old", {":old": {"N": old_lease}}
        )
        if not taken:
            raise PublishInFlight(key)
        return Claim.AGAIN

    def confirm(self, key: str, now: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                _PK: {"S": key},
                "status": {"S": _SENT},
                "lease_until": {"N": _epoch(now)},
                "expires_at": {"N": _epoch(now + MARKER_RETENTION)},
            },
        )

    def release(self, key: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={_PK: {"S": key}},
                ConditionExpression="#status = :publishing",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":publishing": {"S": _PUBLISHING}},
            )
        except ClientError as error:
            if not _conditional_failure(error):
                raise

    def _put_claim(
        self, key: str, now: datetime, lease_until: datetime, condition: str, values: dict[str, Any]
    ) -> bool:
        names = {"#pk": _PK} if "#pk" in condition else {"#status": "status"}
        if "#status" in condition:
            values = {**values, ":publishing": {"S": _PUBLISHING}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    _PK: {"S": key},
                    "status": {"S": _PUBLISHING},
                    "lease_until": {"N": _epoch(lease_until)},
                    "expires_at": {"N": _epoch(now + MARKER_RETENTION)},
                },
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as error:
            if _conditional_failure(error):
                return False
            raise
        return True
