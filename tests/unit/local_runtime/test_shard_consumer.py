"""The local Kinesis event source mapping behaves like Lambda's: checkpoints, bisection, retries, DLQ.

A fake shard and a scripted function stand in for moto and the handler; the consumer's thread runs
for real and the tests wait (bounded) for the records to be settled.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from floorwatch.names import ResourceNames

from local.runtime.functions import LocalFunction
from local.runtime.streams import MappingSettings, ShardConsumer, judge_response, matches

pytestmark = pytest.mark.timeout(30)


class FakeShard:
    shard_id = "shardId-000000000000"
    source_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/test"

    def __init__(self, payloads: list[str], per_fetch: int = 10_000) -> None:
        self._pending = [_record(index, payload) for index, payload in enumerate(payloads)]
        self._per_fetch = per_fetch

    def fetch(self, limit: int) -> list[dict[str, Any]]:
        count = min(limit, self._per_fetch)
        taken, self._pending = self._pending[:count], self._pending[count:]
        return taken


def _record(index: int, payload: str) -> dict[str, Any]:
    sequence = f"{49000000000000000000 + index}"
    return {
        "kinesis": {
            "sequenceNumber": sequence,
            "data": base64.b64encode(payload.encode()).decode(),
            "partitionKey": "pk",
            "approximateArrivalTimestamp": time.time(),
        },
        "eventID": f"shardId-000000000000:{sequence}",
        "eventSourceARN": FakeShard.source_arn,
    }


def payloads_of(event: Mapping[str, Any]) -> list[str]:
    return [base64.b64decode(record["kinesis"]["data"]).decode() for record in event["Records"]]


class Recorder:
    """A handler that records every batch it sees and answers per ``decide``."""

    def __init__(self, decide: Callable[[list[str], Mapping[str, Any]], Any]) -> None:
        self.batches: list[list[str]] = []
        self._decide = decide

    def __call__(self, event: Mapping[str, Any], context: Any) -> Any:
        batch = payloads_of(event)
        self.batches.append(batch)
        return self._decide(batch, event)


def run_consumer(
    payloads: list[str],
    handler: Recorder,
    settings: MappingSettings,
    until: Callable[[], bool],
    per_fetch: int = 10_000,
) -> list[dict[str, Any]]:
    failures: list[dict[str, Any]] = []
    function = LocalFunction("test", ResourceNames("local"), handler=handler)
    shard = FakeShard(payloads, per_fetch)
    consumer = ShardConsumer(shard, function, settings, failures.append, batch_info_key="KinesisBatchInfo")
    consumer.start()
    try:
        deadline = time.monotonic() + 20
        while not until() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert until(), f"not settled; batches: {handler.batches}, failures: {failures}"
    finally:
        consumer.stop()
        consumer.join(5)
    return failures


def settings(**overrides: Any) -> MappingSettings:
    values: dict[str, Any] = {
        "batch_size": 4,
        "batching_window": 0.0,
        "max_retries": 2,
        "bisect": True,
        "retry_backoff": 0.001,
    }
    values.update(overrides)
    return MappingSettings(**values)


def succeeded(handler: Recorder, failing: set[str]) -> set[str]:
    """Payloads of batches the handler accepted (partial failures: those before the first failed one)."""
    done: set[str] = set()
    for batch in handler.batches:
        for payload in batch:
            if payload in failing:
                break
            done.add(payload)
    return done


def test_batches_respect_the_batch_size_and_keep_shard_order() -> None:
    handler = Recorder(lambda batch, event: {"batchItemFailures": []})
    payloads = [f"r{i}" for i in range(10)]

    run_consumer(payloads, handler, settings(), lambda: sum(map(len, handler.batches)) == 10)

    assert [len(batch) for batch in handler.batches] == [4, 4, 2]
    assert [p for batch in handler.batches for p in batch] == payloads


def test_a_reported_failure_redelivers_from_the_lowest_failed_sequence_number() -> None:
    calls = {"count": 0}

    def decide(batch: list[str], event: Mapping[str, Any]) -> Any:
        calls["count"] += 1
        if calls["count"] == 1:  # r1 and r3 fail once: the checkpoint is r1's
            records = event["Records"]
            return {
                "batchItemFailures": [
                    {"itemIdentifier": records[3]["kinesis"]["sequenceNumber"]},
                    {"itemIdentifier": records[1]["kinesis"]["sequenceNumber"]},
                ]
            }
        return {"batchItemFailures": []}

    handler = Recorder(decide)
    run_consumer([f"r{i}" for i in range(4)], handler, settings(), lambda: len(handler.batches) >= 2)

    assert handler.batches[0] == ["r0", "r1", "r2", "r3"]
    assert handler.batches[1] == ["r1", "r2", "r3"]  # everything after the checkpoint, again


def test_a_failure_entry_naming_no_record_of_the_batch_fails_the_whole_batch() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": ""}]}
    batch = [_record(0, "a"), _record(1, "b")]

    assert judge_response(response, batch).done == 0
    assert judge_response({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, batch).done == 0
    assert judge_response({"batchItemFailures": []}, batch).done == 2
    assert judge_response(None, batch).done == 2


def test_a_function_error_bisects_until_the_poison_record_is_isolated_then_sends_it_to_the_dlq() -> None:
    def decide(batch: list[str], event: Mapping[str, Any]) -> Any:
        if "poison" in batch:
            raise ValueError("cannot handle poison")
        return None

    handler = Recorder(decide)
    payloads = ["r0", "r1", "poison", "r3", "r4", "r5", "r6", "r7"]
    failures = run_consumer(
        payloads,
        handler,
        settings(),
        lambda: succeeded(handler, {"poison"}) >= {"r0", "r1", "r3", "r4", "r5"},
    )
    deadline = time.monotonic() + 10
    while not failures and time.monotonic() < deadline:
        time.sleep(0.01)

    assert succeeded(handler, {"poison"}) >= {"r0", "r1", "r3"}
    assert ["poison"] in handler.batches  # isolated by bisection
    # 1 first try + 2 retries of the single record, then the on-failure destination
    assert handler.batches.count(["poison"]) == 3
    assert len(failures) == 1
    info = failures[0]["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["shardId"] == FakeShard.shard_id
    assert failures[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_without_bisection_the_whole_batch_is_retried_then_skipped() -> None:
    def decide(batch: list[str], event: Mapping[str, Any]) -> Any:
        if "poison" in batch:
            raise ValueError("no")
        return None

    handler = Recorder(decide)
    failures = run_consumer(
        ["a", "poison", "b", "c", "d"],
        handler,
        settings(bisect=False, max_retries=1),
        lambda: ["d"] in handler.batches,
    )

    assert handler.batches[:2] == [["a", "poison", "b", "c"]] * 2  # first try + one retry
    assert failures[0]["KinesisBatchInfo"]["batchSize"] == 4
    assert handler.batches[2] == ["d"]  # the shard moved past the failed batch


@pytest.mark.parametrize(("window", "first_batch"), [(0.0, ["r0"]), (0.5, ["r0", "r1", "r2"])])
def test_a_batching_window_gathers_records_arriving_one_by_one(window: float, first_batch: list[str]) -> None:
    handler = Recorder(lambda batch, event: None)
    run_consumer(
        [f"r{i}" for i in range(3)],
        handler,
        settings(batch_size=100, batching_window=window),
        lambda: sum(map(len, handler.batches)) == 3,
        per_fetch=1,
    )

    assert handler.batches[0] == first_batch


def test_filtered_out_records_are_dropped_and_the_shard_moves_past_them() -> None:
    handler = Recorder(lambda batch, event: {"batchItemFailures": []})
    kept = [f"shardId-000000000000:{49000000000000000000 + index}" for index in (1, 4, 5)]
    only = settings(filters=({"eventID": kept},))

    run_consumer([f"r{i}" for i in range(8)], handler, only, lambda: sum(map(len, handler.batches)) == 3)

    assert [p for batch in handler.batches for p in batch] == ["r1", "r4", "r5"]


def test_a_filter_operator_the_runtime_cannot_apply_is_refused() -> None:
    record = {"eventName": "INSERT"}
    assert matches({"eventName": ["INSERT", "MODIFY"]}, record)
    assert not matches({"eventName": ["REMOVE"]}, record)
    assert not matches({"dynamodb": {"NewImage": {"item_type": {"S": ["transition"]}}}}, record)
    with pytest.raises(ValueError, match="not supported"):
        matches({"eventName": [{"prefix": "INS"}]}, record)
