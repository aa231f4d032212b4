"""Two fixes to moto's Kinesis shard for a long-running, multi-threaded local runtime.

moto 5.2's ``Shard.put_record`` finds the last sequence number by listing every key (O(n) per record)
and ``Shard.get_records`` scans the shard from its first record on every call (O(n) per poll), so a
demo slows down quadratically; and the threaded server runs PutRecords and GetRecords concurrently on
one unguarded dict ("OrderedDict mutated during iteration" -> HTTP 500). The replacements keep the
same results (records after the iterator's sequence number, in order, at most ``limit``) behind one
lock, with a sorted key list for bisection. ``apply()`` is idempotent; moto is in this process because
the local runtime runs ThreadedMotoServer.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from typing import Any

from moto.kinesis import models

_lock = threading.RLock()
_KEYS = "_floorwatch_sorted_keys"


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


def apply() -> None:
    models.Shard.put_record = _put_record  # type: ignore[method-assign,assignment]
    models.Shard.get_records = _get_records  # type: ignore[method-assign,assignment]
    models.Shard.get_max_sequence_number = _max_sequence_number  # type: ignore[method-assign,assignment]
