"""DynamoDB alert store: the AlertStore port on the alerts table (``floorwatch.names.ALERTS_TABLE``).

Items, all under pk ``"alert#<rule>#<scope>"``:

- the state, sk ``"state"``: ``item_type = "state"`` and every ``AlertState.to_dict()`` field (None left
  out); ``active = "1"`` only while the state is pending, firing, flapping or snoozed (the sparse
  ACTIVE index: ticks and dashboard snapshots), ``current_alert_id`` while it has an alert (the sparse
  ALERT_ID index: a supervisor's action names an alert); plus ``queue_id`` / ``team_id`` / ``metric`` /
  ``link`` of its latest transition (so a snapshot can route and display it without another read);
- one item per transition, sk ``"t#<version, 10 digits>"``: ``item_type = "transition"`` and every
  ``Transition.to_dict()`` field (None as NULL), which is what the fan-out reads from the table's stream
  (NEW_IMAGE) and rebuilds with ``Transition.from_dict``.

A save is one ``TransactWriteItems``: the state under ``version = :previous`` (``attribute_not_exists``
or version 0 for a state never saved with a transition) plus its new transitions. A failed condition is
``AlertConflict`` (the engine reloads and recomputes); transaction conflicts and throttling are retried
with backoff. Floats are stored as Decimals. ``expires_at`` (TTL, event time): transitions at
``at + retention``, inactive states a day later than their newest time + retention (so a state never
disappears before its transitions), active states never.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import AlertState
from floorwatch.names import ALERTS_ACTIVE_INDEX, ALERTS_ALERT_ID_INDEX, ALERTS_TABLE
from floorwatch.store.alerts_common import check_save, is_active
from floorwatch.store.alerts_port import AlertConflict, AlertKey
from floorwatch.timefmt import ttl_epoch

DEFAULT_RETENTION = timedelta(days=30)
STATE_SK = "state"
ACTIVE = "1"
MAX_BATCH_GET_KEYS = 100
MAX_TRANSACTION_ITEMS = 100
DEFAULT_MAX_ATTEMPTS = 5
BASE_BACKOFF_SECONDS = 0.05

_PK = ALERTS_TABLE.partition_key.name
_SK = ALERTS_TABLE.sort_key.name if ALERTS_TABLE.sort_key else "sk"
_TTL = ALERTS_TABLE.ttl_attribute or "expires_at"
_ACTIVE = ALERTS_TABLE.index(ALERTS_ACTIVE_INDEX).partition_key.name
_ALERT_ID = ALERTS_TABLE.index(ALERTS_ALERT_ID_INDEX).partition_key.name
_CONTEXT = ("queue_id", "team_id", "metric", "link")
_RETRYABLE = frozenset(
    {
        "TransactionConflict",
        "ThrottlingError",
        "ThrottlingException",
        "ProvisionedThroughputExceeded",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
    }
)
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class DynamoClient(Protocol):
    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]: ...

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def query(self, **kwargs: Any) -> dict[str, Any]: ...


class AlertStoreRetriesExhausted(RuntimeError):
    """Throttled or conflicting transactions kept failing; the caller fails its batch to be retried."""


def partition_key(key: AlertKey) -> str:
    return f"alert#{key[0]}#{key[1]}"


def transition_sort_key(version: int) -> str:
    return f"t#{version:010d}"


class DynamoAlertStore:
    def __init__(
        self,
        client: DynamoClient,
        table_name: str,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention
        self._max_attempts = max_attempts
        self._sleep = sleep
        self.write_requests = 0  # items written (each item of a transaction counts), for benchmarks
        self.read_requests = 0

    # --- port ------------------------------------------------------------------------------------
    def load(self, keys: Iterable[AlertKey]) -> dict[AlertKey, AlertState]:
        wanted = list(dict.fromkeys(keys))
        states: dict[AlertKey, AlertState] = {}
        for start in range(0, len(wanted), MAX_BATCH_GET_KEYS):
            chunk = [
                {_PK: {"S": partition_key(key)}, _SK: {"S": STATE_SK}}
                for key in wanted[start : start + MAX_BATCH_GET_KEYS]
            ]
            for item in self._batch_get(chunk):
                state = state_from_item(item)
                states[state.key] = state
        return states

    def save(self, previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
        check_save(previous_version, state, transitions)
        if len(transitions) + 1 > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"{len(transitions)} transitions do not fit one transaction")
        items = [self._state_put(previous_version, state, transitions)]
        items += [
            {"Put": {"TableName": self._table, "Item": self._transition_item(item)}} for item in transitions
        ]
        for attempt in range(self._max_attempts):
            self.write_requests += len(items)
            try:
                self._client.transact_write_items(TransactItems=items)
                return
            except ClientError as error:
                if _state_condition_failed(error):
                    raise AlertConflict(state.key, previous_version) from None
                if not _retryable(error):
                    raise
            self._sleep(BASE_BACKOFF_SECONDS * (2**attempt))
        raise AlertStoreRetriesExhausted(f"alert state {state.rule_id} / {state.scope} not saved")

    def active(self) -> list[AlertState]:
        items = self._query(
            IndexName=ALERTS_ACTIVE_INDEX,
            KeyConditionExpression="#active = :active",
            ExpressionAttributeNames={"#active": _ACTIVE},
            ExpressionAttributeValues={":active": {"S": ACTIVE}},
        )
        return [state_from_item(item) for item in items]

    def find(self, alert_id: str) -> AlertState | None:
        items = self._query(
            IndexName=ALERTS_ALERT_ID_INDEX,
            KeyConditionExpression="#alert = :alert",
            ExpressionAttributeNames={"#alert": _ALERT_ID},
            ExpressionAttributeValues={":alert": {"S": alert_id}},
        )
        states = [state_from_item(item) for item in items]
        return next((state for state in states if state.alert_id == alert_id), None)

    def transitions(self, key: AlertKey, since_version: int = 0) -> list[Transition]:
        items = self._query(
            KeyConditionExpression="#pk = :pk AND #sk BETWEEN :low AND :high",
            ExpressionAttributeNames={"#pk": _PK, "#sk": _SK},
            ExpressionAttributeValues={
                ":pk": {"S": partition_key(key)},
                ":low": {"S": transition_sort_key(since_version + 1)},
                ":high": {"S": transition_sort_key(9_999_999_999)},
            },
            ConsistentRead=True,
        )
        return [Transition.from_dict(_plain(item)) for item in items]

    # --- items -------------------------------------------------------------------------------------
    def _state_put(
        self, previous_version: int, state: AlertState, transitions: Sequence[Transition]
    ) -> dict[str, Any]:
        item = self._state_item(state, transitions[-1] if transitions else None)
        if previous_version == 0:
            condition = "attribute_not_exists(#pk) OR #version = :previous"
            names = {"#pk": _PK, "#version": "version"}
        else:
            condition = "#version = :previous"
            names = {"#version": "version"}
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {":previous": {"N": str(previous_version)}},
        }
        return {"Put": put}

    def _state_item(self, state: AlertState, latest: Transition | None) -> dict[str, Any]:
        data: dict[str, Any] = {key: value for key, value in state.to_dict().items() if value is not None}
        data.update({_PK: partition_key(state.key), _SK: STATE_SK, "item_type": "state"})
        if latest is not None:
            data.update(
                {name: getattr(latest, name) for name in _CONTEXT if getattr(latest, name) is not None}
            )
        if state.alert_id is not None:
            data[_ALERT_ID] = state.alert_id
        if is_active(state):
            data[_ACTIVE] = ACTIVE
        else:
            newest = _newest_time(state)
            if newest is not None:
                data[_TTL] = ttl_epoch(newest, self._retention + timedelta(days=1))
        return _typed(data)

    def _transition_item(self, transition: Transition) -> dict[str, Any]:
        data: dict[str, Any] = dict(transition.to_dict())
        data.update(
            {
                _PK: partition_key((transition.rule, transition.scope)),
                _SK: transition_sort_key(transition.version),
                "item_type": "transition",
                _TTL: ttl_epoch(transition.at, self._retention),
            }
        )
        return _typed(data)

    # --- reads -------------------------------------------------------------------------------------
    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
        for attempt in range(self._max_attempts):
            self.read_requests += 1
            response = self._client.batch_get_item(RequestItems=request)
            found += response.get("Responses", {}).get(self._table, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
            self._sleep(BASE_BACKOFF_SECONDS * (2**attempt))
        raise AlertStoreRetriesExhausted("alert states could not all be read (throttled)")

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs["TableName"] = self._table
        while True:
            self.read_requests += 1
            page = self._client.query(**kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def state_from_item(item: Mapping[str, Any]) -> AlertState:
    """An AlertState from a state item (typed, as the client and the stream deliver it)."""
    return AlertState.from_dict(_plain(item))


def transition_from_item(item: Mapping[str, Any]) -> Transition | None:
    """The Transition a stream NEW_IMAGE carries, or None for any other item (a state)."""
    plain = _plain(item)
    return Transition.from_dict(plain) if plain.get("item_type") == "transition" else None


def _typed(data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(_decimals(value)) for name, value in data.items()}


def _decimals(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list | tuple):
        return [_decimals(item) for item in value]
    return value


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _newest_time(state: AlertState) -> datetime | None:
    times = [
        instant
        for instant in (
            state.resolved_at,
            state.last_change_at,
            state.last_evaluated_at,
            state.opened_at,
            state.snoozed_until,
            state.acknowledged_at,
        )
        if instant is not None
    ]
    return max(times) if times else None


def _state_condition_failed(error: ClientError) -> bool:
    response: Mapping[str, Any] = error.response
    if response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
        return True
    reasons = response.get("CancellationReasons") or []
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"


def _retryable(error: ClientError) -> bool:
    response: Mapping[str, Any] = error.response
    if response.get("Error", {}).get("Code") in _RETRYABLE:
        return True
    reasons = response.get("CancellationReasons") or []
    return any(reason.get("Code") in _RETRYABLE for reason in reasons)
