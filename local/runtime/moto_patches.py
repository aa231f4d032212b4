"""Fixes to moto for a long-running, multi-threaded local runtime, and a change signal for the pollers.

moto 5.2's ``Shard.put_record`` finds the last sequence number by listing every key (O(n) per record)
and ``Shard.get_records`` scans the shard from its first record on every call (O(n) per poll), so a
demo slows down quadratically; and the threaded server runs PutRecords and GetRecords concurrently on
one unguarded dict ("OrderedDict mutated during iteration" -> HTTP 500). The replacements keep the
same results (records after the iterator's sequence number, in order, at most ``limit``) behind one
lock, with a sorted key list for bisection. ``apply()`` is idempotent; moto is in this process because
the local runtime runs ThreadedMotoServer.

moto's ``transact_write_items`` deep-copies every table it touches, once per item of the
transaction, so that it can roll back: with a metrics table of thousands of items each evaluate batch
took seconds. The replacement snapshots only the items the transaction addresses (and the table's
stream length) and restores those on cancellation, which is the same outcome.

moto's DynamoDB parses every update expression twice per item (request validation, then the update),
lexes every condition twice, and measures an item's size before every attribute it sets, one
``DynamoType`` per element of each set: an evaluator transaction (tens of metric items, ledger items
holding thousands of digests) cost tens of milliseconds of CPU. Parsed update expressions and the
tokens of condition expressions are cached by their text (moto deep-copies a parsed tree before
validating it, so a cached tree is never modified; tokens depend on the text alone and are handed out
fresh), a set's size is summed from its elements directly, and ``ADD`` to a stored set tests
membership against a hash set instead of scanning the list once per added element (the ledger's
digest sets hold thousands). A Query on the base table sorted every item of the table to pick one
partition's (the metrics table grows all day); it now sorts that partition's items only. Same trees,
sizes, sets, results and errors.

moto's server lists and stats its own package directory on every request, under the dispatcher's
global lock, to recognise service names (``backends.list_of_moto_modules``): the list never changes
while the process runs, so it is computed once.

``MotoChanges`` tells the local pollers that a Kinesis record or a DynamoDB stream record was written,
so an idle poller sleeps until there is something to read instead of calling GetRecords every few
milliseconds (each call costs moto CPU in this very process). The pollers still read through the API.
"""

from __future__ import annotations

import copy
import functools
import threading
from bisect import bisect_right
from collections import defaultdict, deque
from typing import Any

from local.runtime import moto_version

moto_version.check()  # before importing moto's internals: they may not even import in another version

import moto.dynamodb.models as dynamodb_models
from moto import backends
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import (
    MockValidationException,
    ProvidedKeyDoesNotExist,
    TransactionCanceledException,
)
from moto.dynamodb.models import table as dynamodb_table
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.parsing.executors import AddExecutor
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.kinesis import models

_lock = threading.RLock()
_KEYS = "_floorwatch_sorted_keys"
_changed = threading.Condition()
_generations: dict[str, int] = defaultdict(int)  # per stream ("kinesis:<name>", "dynamodb:<table>")
_shard_topics: dict[int, str] = {}  # id(moto Kinesis shard) -> its stream's topic
_original_stream_add = dynamodb_table.StreamShard.add
_applied = False


def _bump(topic: str | None) -> None:
    if topic is None:
        return
    with _changed:
        _generations[topic] += 1
        _changed.notify_all()


class MotoChanges:
    """One stream's write counter; ``wait`` returns once it moved past ``seen`` (or on timeout)."""

    def __init__(self, topic: str) -> None:
        self._topic = topic

    @classmethod
    def kinesis(cls, stream_name: str, account_id: str, region: str) -> MotoChanges:
        topic = f"kinesis:{stream_name}"
        stream = models.kinesis_backends[account_id][region].streams[stream_name]
        for shard in stream.shards.values():
            _shard_topics[id(shard)] = topic
        return cls(topic)

    @classmethod
    def dynamodb_stream(cls, table_name: str) -> MotoChanges:
        return cls(f"dynamodb:{table_name}")

    def generation(self) -> int:
        return _generations[self._topic]

    def wait(self, seen: int, timeout: float) -> None:
        with _changed:
            _changed.wait_for(lambda: _generations[self._topic] != seen, timeout)


def _sorted_keys(shard: Any) -> list[int]:
    keys: list[int] | None = shard.__dict__.get(_KEYS)
    if keys is None or len(keys) != len(shard.records):  # records changed elsewhere (split, merge)
        keys = sorted(shard.records)
        shard.__dict__[_KEYS] = keys
    return keys


def _put_record(shard: Any, partition_key: str, data: str, explicit_hash_key: str) -> str:
    with _lock:
        keys = _sorted_keys(shard)
        sequence_number = (keys[-1] if keys else 0) + 1
        shard.records[sequence_number] = models.Record(
            partition_key, data, sequence_number, explicit_hash_key
        )
        keys.append(sequence_number)
    _bump(_shard_topics.get(id(shard)))
    return str(sequence_number)


def _get_records(shard: Any, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
    with _lock:
        keys = _sorted_keys(shard)
        after = int(last_sequence_id)
        start = bisect_right(keys, after)
        chosen = keys[start:] if limit is None else keys[start : start + limit]
        results = [shard.records[key] for key in chosen]
        if not results:
            return [], after, 0
        behind = shard.records[keys[-1]].created_at - results[-1].created_at
        return results, chosen[-1], int(behind * 1000)


def _max_sequence_number(shard: Any) -> int:
    with _lock:
        keys = _sorted_keys(shard)
        return keys[-1] if keys else 0


def _stream_add(shard: Any, old: Any, new: Any) -> None:
    _original_stream_add(shard, old, new)
    _bump(f"dynamodb:{shard.table.name}")


class _TablesNotCopied:
    """Stands in for the ``copy`` module inside moto.dynamodb.models: tables are not deep-copied
    (transactions snapshot their items instead, see ``_transact_write_items``)."""

    def deepcopy(self, value: Any) -> Any:
        if isinstance(value, dynamodb_table.Table):
            return value
        return copy.deepcopy(value)


_original_transact = dynamodb_models.DynamoDBBackend.transact_write_items


def _transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    snapshots = _snapshot(backend, transact_items)
    try:
        _original_transact(backend, transact_items)
    except (TransactionCanceledException, MockValidationException):
        _restore(snapshots)
        raise


Snapshot = tuple[list[tuple[Any, Any, Any, Any]], list[tuple[Any, int]]]


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> Snapshot:
    """The addressed items (deep copies, or None when absent) and the tables' stream lengths."""
    items: list[tuple[Any, Any, Any, Any]] = []
    streams: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        _, operation = next(iter(entry.items()))
        table = backend.tables.get(operation.get("TableName")) if isinstance(operation, dict) else None
        key = (operation.get("Item") or operation.get("Key")) if table is not None else None
        if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        range_attr = table.range_key_attr
        range_value = DynamoType(key[range_attr]) if range_attr and range_attr in key else None
        if range_attr and range_value is None:
            continue
        items.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
        if table.stream_shard is not None:
            streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
    return items, list(streams.values())


def _restore(snapshot: Snapshot) -> None:
    items, streams = snapshot
    for table, hash_value, range_value, old in reversed(items):
        if range_value is None:
            if old is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = old
        elif old is None:
            table.items[hash_value].pop(range_value, None)
        else:
            table.items[hash_value][range_value] = old
    for shard, length in streams:
        del shard.items[length:]  # a cancelled transaction leaves no stream records


_original_parse = UpdateExpressionParser.make
_original_size = DynamoType.size
PARSED_EXPRESSIONS_CACHED = 4096


@functools.lru_cache(maxsize=PARSED_EXPRESSIONS_CACHED)
def _parse_update_expression(expression: str) -> Any:
    return _original_parse(expression)  # an invalid expression raises, and is not cached


_original_lex = ConditionExpressionParser._lex_condition_expression


@functools.lru_cache(maxsize=PARSED_EXPRESSIONS_CACHED)
def _condition_tokens(expression: str) -> tuple[Any, ...]:
    return tuple(_original_lex(ConditionExpressionParser(expression, None, None)))


def _lex_condition(parser: Any) -> Any:
    """The lexer's tokens for this text (fresh token lists: later stages build on them)."""
    if not parser.condition_expression:
        return _original_lex(parser)
    return deque(token._replace(children=[]) for token in _condition_tokens(parser.condition_expression))


def _size(value: Any) -> int:
    """``DynamoType.size`` without building a DynamoType per element of a set."""
    if value.type == "NS":
        return sum(len(str(number)) for number in value.value)
    if value.type in ("SS", "BS"):
        elements = value.value
        try:
            joined = "".join(elements)
        except TypeError:  # binary elements (bytes), or a mix
            return sum(
                len(item) if isinstance(item, bytes) else len(item.encode("utf-8")) for item in elements
            )
        return len(joined) if joined.isascii() else len(joined.encode("utf-8"))
    return int(_original_size(value))


_original_add = AddExecutor.execute


def _add(executor: Any, item: Any) -> None:
    """ADD of set elements to a stored set of the same type: the elements not in it yet, in order."""
    value = executor.get_action_value()
    if isinstance(value, DynamoType) and value.is_set() and value.value:
        try:
            current = executor.get_item_at_end_of_path(item)
        except ProvidedKeyDoesNotExist:
            current = None
        if isinstance(current, DynamoType) and current.type == value.type:
            present = set(current.value)
            current.value.extend(element for element in dict.fromkeys(value.value) if element not in present)
            return
    _original_add(executor, item)


_narrowed = threading.local()  # (table, hash key) of the base-table Query running in this thread
_original_query = dynamodb_table.Table.query
_original_all_items = dynamodb_table.Table.all_items


def _query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")  # Table.query's 8th parameter
    if index_name or hash_key is None or not table.range_key_attr:
        return _original_query(table, hash_key, *args, **kwargs)
    _narrowed.partition = (table, hash_key)
    try:
        return _original_query(table, hash_key, *args, **kwargs)
    finally:
        _narrowed.partition = None


def _all_items(table: Any) -> list[Any]:
    """Inside a base-table Query: only the queried partition's items (the query keeps no others)."""
    partition = getattr(_narrowed, "partition", None)
    if partition is None or partition[0] is not table:
        return list(_original_all_items(table))
    return list(table.items.get(partition[1], {}).values())


_original_modules = backends.list_of_moto_modules


@functools.cache
def _moto_modules() -> tuple[str, ...]:
    return tuple(_original_modules())


def apply() -> None:
    global _applied  # noqa: PLW0603 - patch once per process
    if _applied:
        return
    _applied = True
    backends.list_of_moto_modules = _moto_modules
    UpdateExpressionParser.make = staticmethod(_parse_update_expression)
    ConditionExpressionParser._lex_condition_expression = _lex_condition  # type: ignore[method-assign,assignment]
    DynamoType.size = _size  # type: ignore[method-assign,assignment]
    AddExecutor.execute = _add  # type: ignore[method-assign,assignment]
    dynamodb_table.Table.query = _query  # type: ignore[method-assign,assignment]
    dynamodb_table.Table.all_items = _all_items  # type: ignore[method-assign,assignment]
    dynamodb_table.StreamShard.add = _stream_add  # type: ignore[method-assign,assignment]
    dynamodb_models.copy = _TablesNotCopied()  # type: ignore[attr-defined,assignment]
    dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign,assignment]
    models.Shard.put_record = _put_record  # type: ignore[method-assign,assignment]
    models.Shard.get_records = _get_records  # type: ignore[method-assign,assignment]
    models.Shard.get_max_sequence_number = _max_sequence_number  # type: ignore[method-assign,assignment]
