"""The metric store's memory of contacts' queues and agents' presence, on the metrics table
(``floorwatch.metrics.presence`` says what and why; ``DynamoMetricStore`` delegates here).

Items (the metrics table's key schema; prefixes no scope starts with, so the scope directory's scan
never takes them for a queue)::

    pk = "contact-queue#<contact id>"  sk = "queue"
    q           S   the queue id
    at          S   event time it was last seen in that queue (fixed-width ISO, so strings order as times)
    expires_at  N   TTL: at + CONTACT_QUEUE_TTL

    pk = "presence#<center id>"        sk = "agent:<agent id>"
    c           S   state category (available, on_contact, after_contact_work, not_ready, offline, other)
    q           S   the queues the agent serves, space-separated ids ("" for none)
    at          S   event time of the report
    expires_at  N   TTL: at + PRESENCE_TTL

Writes are single ``UpdateItem`` calls under ``attribute_not_exists(at) OR at <= :at`` (an older report
never overwrites a newer one; a failed condition is simply that), made only where the ``worth_storing``
rules say so against what this process last wrote or read (bounded caches; a cold process reads each
center's stored presence once, so it does not rewrite every agent). Reads: ``BatchGetItem`` for
contacts not confirmed within the last minute of event time (another shard may have seen a transfer;
a contact found unknown is asked again after 10 s),
one paged ``Query`` per center for presence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from botocore.exceptions import ClientError

from floorwatch.metrics.presence import (
    CONTACT_QUEUE_TTL,
    PRESENCE_TTL,
    AgentPresence,
    ContactQueue,
    contact_queue_worth_storing,
    fresh_contact_queue,
    worth_storing,
)
from floorwatch.names import METRICS_TABLE
from floorwatch.timefmt import iso_micros, ttl_epoch

_PK = METRICS_TABLE.partition_key.name
_SK = METRICS_TABLE.sort_key.name if METRICS_TABLE.sort_key else "sk"
_TTL = METRICS_TABLE.ttl_attribute or "expires_at"
CONTACT_PREFIX = "contact-queue#"
PRESENCE_PREFIX = "presence#"
CONTACT_RECHECK = timedelta(minutes=1)
"""A contact's queue read or written this long ago (event time) is read again: a transfer may have been
seen by another shard's process."""
UNKNOWN_RECHECK = timedelta(seconds=10)
"""A contact whose queue was not stored when last read is read again after this long (event time)."""
BATCH_GET_LIMIT = 100
MAX_UNPROCESSED_ROUNDS = 5


class PresenceClient(Protocol):
    """The DynamoDB client calls this module makes (a boto3 ``dynamodb`` client)."""

    def update_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]: ...

    def query(self, **kwargs: Any) -> dict[str, Any]: ...


class DynamoPresence:
    def __init__(
        self,
        client: PresenceClient,
        table_name: str,
        *,
        cache_size: int = 50_000,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._cache_size = cache_size
        self._sleep = sleep
        # contact -> (its queue as stored, the event time this process last confirmed it)
        self._contacts: dict[str, tuple[ContactQueue, datetime]] = {}
        self._unknown: dict[str, datetime] = {}  # contact -> when a read last found no queue for it
        self._agents: dict[tuple[str, str], AgentPresence] = {}  # (center, agent) -> as stored
        self._loaded: set[str] = set()  # centers whose stored presence this process has read
        self.write_requests = 0
        self.read_requests = 0

    # --- contacts ----------------------------------------------------------------------------------
    def remember_contact_queues(self, entries: Sequence[ContactQueue]) -> None:
        for entry in entries:
            cached = self._contacts.get(entry.contact_id)
            if not contact_queue_worth_storing(cached[0] if cached else None, entry):
                continue
            stored = self._put(
                {_PK: {"S": CONTACT_PREFIX + entry.contact_id}, _SK: {"S": "queue"}},
                {"q": {"S": entry.queue_id}},
                entry.at,
                ttl_epoch(entry.at, CONTACT_QUEUE_TTL),
            )
            self._unknown.pop(entry.contact_id, None)
            if stored:
                _remember(self._contacts, entry.contact_id, (entry, entry.at), self._cache_size)
            else:
                self._contacts.pop(entry.contact_id, None)  # a newer one is stored: read it when needed

    def contact_queues(self, contact_ids: Collection[str], at: datetime) -> dict[str, ContactQueue]:
        found: dict[str, ContactQueue] = {}
        missing: list[str] = []
        for contact_id in contact_ids:
            unknown_since = self._unknown.get(contact_id)
            if unknown_since is not None and at - unknown_since < UNKNOWN_RECHECK:
                continue  # not stored a moment ago: a Contact Lens burst asks once, not every batch
            cached = self._contacts.get(contact_id)
            if cached is not None and at - cached[1] < CONTACT_RECHECK:
                entry = fresh_contact_queue(cached[0], at)
                if entry is not None:
                    found[contact_id] = entry
                continue
            missing.append(contact_id)
        for contact_id in missing:
            _remember(self._unknown, contact_id, at, self._cache_size)  # until the read finds it
        for start in range(0, len(missing), BATCH_GET_LIMIT):
            for item in self._batch_get(missing[start : start + BATCH_GET_LIMIT]):
                contact_id = item[_PK]["S"].removeprefix(CONTACT_PREFIX)
                self._unknown.pop(contact_id, None)
                stored = ContactQueue(contact_id, item["q"]["S"], datetime.fromisoformat(item["at"]["S"]))
                _remember(self._contacts, contact_id, (stored, at), self._cache_size)
                entry = fresh_contact_queue(stored, at)
                if entry is not None:
                    found[contact_id] = entry
        return found

    # --- agents ------------------------------------------------------------------------------------
    def remember_presence(self, entries: Sequence[AgentPresence]) -> None:
        for center_id in {entry.center_id for entry in entries} - self._loaded:
            # A cold process reads what is stored once per center (one Query), so it does not rewrite
            # every agent it sees first: Lambda containers start cold often.
            self._loaded.add(center_id)
            for known in self.presence(center_id):
                _remember(self._agents, (center_id, known.agent_id), known, self._cache_size)
        for entry in entries:
            key = (entry.center_id, entry.agent_id)
            if not worth_storing(self._agents.get(key), entry):
                continue
            stored = self._put(
                {_PK: {"S": PRESENCE_PREFIX + entry.center_id}, _SK: {"S": "agent:" + entry.agent_id}},
                {"c": {"S": entry.category}, "q": {"S": " ".join(entry.queues)}},
                entry.at,
                ttl_epoch(entry.at, PRESENCE_TTL),
            )
            if stored:
                _remember(self._agents, key, entry, self._cache_size)
            else:
                self._agents.pop(key, None)

    def presence(self, center_id: str) -> list[AgentPresence]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": _PK},
            "ExpressionAttributeValues": {":pk": {"S": PRESENCE_PREFIX + center_id}},
        }
        found: list[AgentPresence] = []
        while True:
            response = self._client.query(**request)
            self.read_requests += 1
            found += [_presence(center_id, item) for item in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            request["ExclusiveStartKey"] = last

    # --- calls -------------------------------------------------------------------------------------
    def _put(self, key: Mapping[str, Any], fields: Mapping[str, Any], at: datetime, expires: int) -> bool:
        """Write ``fields`` unless a newer report is stored; False when one is."""
        names = {f"#f{index}": name for index, name in enumerate(fields)}
        values = {f":f{index}": value for index, value in enumerate(fields.values())}
        sets = [f"#f{index} = :f{index}" for index in range(len(fields))]
        names.update({"#at": "at", "#e": _TTL})
        values.update({":at": {"S": iso_micros(at)}, ":e": {"N": str(expires)}})
        self.write_requests += 1
        try:
            self._client.update_item(
                TableName=self._table,
                Key=dict(key),
                UpdateExpression=f"SET {', '.join(sets)}, #at = :at, #e = :e",
                ConditionExpression="attribute_not_exists(#at) OR #at <= :at",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _batch_get(self, contact_ids: Sequence[str]) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = [
            {_PK: {"S": CONTACT_PREFIX + contact_id}, _SK: {"S": "queue"}} for contact_id in contact_ids
        ]
        items: list[dict[str, Any]] = []
        for attempt in range(MAX_UNPROCESSED_ROUNDS):
            response = self._client.batch_get_item(
                RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}}
            )
            self.read_requests += 1
            items += response.get("Responses", {}).get(self._table, [])
            keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
            if not keys:
                return items
            self._sleep(0.05 * 2**attempt)  # throttled: DynamoDB hands back what it did not read
        return items  # the rest stays unattributed this batch (its sentiment still counts per contact)


def _presence(center_id: str, item: Mapping[str, Any]) -> AgentPresence:
    return AgentPresence(
        center_id,
        item[_SK]["S"].removeprefix("agent:"),
        item["c"]["S"],
        tuple(item.get("q", {}).get("S", "").split()),
        datetime.fromisoformat(item["at"]["S"]),
    )


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(cache: dict[_K, _V], key: _K, value: _V, capacity: int) -> None:
    """Put ``value`` last (dicts keep insertion order) and forget the oldest beyond ``capacity``."""
    cache.pop(key, None)
    cache[key] = value
    if len(cache) > capacity:
        del cache[next(iter(cache))]
