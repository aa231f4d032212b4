"""KinesisWriter against a fake PutRecords client: chunking to the limits, per-entry retries."""

from __future__ import annotations

from typing import Any

from floorwatch.names import (
    KINESIS_MAX_BYTES_PER_PUT,
    KINESIS_MAX_BYTES_PER_RECORD,
    KINESIS_MAX_RECORDS_PER_PUT,
)
from floorwatch.store.kinesis import KinesisEntry, KinesisWriter

THROTTLED = "ProvisionedThroughputExceededException"


class FakeKinesis:
    """Stores records; refuses the payloads in ``throttle`` for their first ``times`` attempts each."""

    def __init__(self, throttle: dict[bytes, int] | None = None) -> None:
        self.throttle = dict(throttle or {})
        self.calls: list[list[dict[str, Any]]] = []
        self.stored: list[bytes] = []

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        assert StreamName == "raw"
        assert len(Records) <= KINESIS_MAX_RECORDS_PER_PUT
        size = sum(len(r["Data"]) + len(r["PartitionKey"].encode()) for r in Records)
        assert size <= KINESIS_MAX_BYTES_PER_PUT
        self.calls.append(Records)
        results: list[dict[str, Any]] = []
        for record in Records:
            data = record["Data"]
            if self.throttle.get(data, 0) > 0:
                self.throttle[data] -= 1
                results.append({"ErrorCode": THROTTLED, "ErrorMessage": "Rate exceeded for shard"})
            else:
                self.stored.append(data)
                results.append({"SequenceNumber": str(len(self.stored)), "ShardId": "shardId-000000000000"})
        failed = sum(1 for result in results if "ErrorCode" in result)
        return {"FailedRecordCount": failed, "Records": results}

    def sent_data(self, call: int) -> list[bytes]:
        return [record["Data"] for record in self.calls[call]]


def entries(count: int, size: int = 10) -> list[KinesisEntry]:
    return [KinesisEntry(data=f"{i:0{size}d}".encode(), partition_key=f"pk-{i}") for i in range(count)]


def writer(
    client: FakeKinesis, sleeps: list[float], max_attempts: int = 6, jitter: float = 1.0
) -> KinesisWriter:
    return KinesisWriter(client, "raw", max_attempts=max_attempts, sleep=sleeps.append, jitter=lambda: jitter)


def test_all_entries_stored_in_one_call_when_within_limits() -> None:
    client = FakeKinesis()
    batch = entries(3)

    failed = writer(client, []).put(batch)

    assert failed == []
    assert client.stored == [entry.data for entry in batch]
    assert client.calls[0][0] == {"Data": batch[0].data, "PartitionKey": "pk-0"}


def test_only_the_failed_entries_are_sent_again() -> None:
    batch = entries(6)
    client = FakeKinesis(throttle={batch[1].data: 1, batch[4].data: 2})
    sleeps: list[float] = []

    failed = writer(client, sleeps).put(batch)

    assert failed == []
    assert [client.sent_data(call) for call in range(3)] == [
        [entry.data for entry in batch],
        [batch[1].data, batch[4].data],
        [batch[4].data],
    ]
    assert sorted(client.stored) == sorted(entry.data for entry in batch)
    assert len(sleeps) == 2 and sleeps[0] < sleeps[1]  # backs off before each retry, growing


def test_backoff_is_jittered_under_an_exponential_ceiling() -> None:
    batch = entries(1)
    ceilings: list[float] = []
    writer(FakeKinesis(throttle={batch[0].data: 99}), ceilings, max_attempts=8).put(batch)
    assert ceilings == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]  # 50 ms * 2^attempt, capped at 2 s

    halves: list[float] = []
    writer(FakeKinesis(throttle={batch[0].data: 99}), halves, max_attempts=8, jitter=0.5).put(batch)
    assert halves == [ceiling / 2 for ceiling in ceilings]


def test_real_jitter_spreads_concurrent_writers_within_the_ceiling() -> None:
    waits = {KinesisWriter(FakeKinesis(), "raw").backoff(3) for _ in range(50)}
    assert all(0 <= wait < 0.4 for wait in waits)
    assert len(waits) > 40  # not lock-step


def test_entries_still_failing_after_the_last_attempt_are_returned_with_the_error() -> None:
    batch = entries(4)
    client = FakeKinesis(throttle={batch[2].data: 99})

    failed = writer(client, [], max_attempts=3).put(batch)

    assert [(item.index, item.error_code) for item in failed] == [(2, THROTTLED)]
    assert failed[0].error_message == "Rate exceeded for shard"
    assert len(client.calls) == 3
    assert batch[2].data not in client.stored


def test_chunks_at_500_records_per_call() -> None:
    client = FakeKinesis()

    failed = writer(client, []).put(entries(1200))

    assert failed == []
    assert [len(call) for call in client.calls] == [500, 500, 200]
    assert len(client.stored) == 1200


def test_chunks_at_5_mib_per_call() -> None:
    client = FakeKinesis()
    # 1,000,000 bytes each: five fit in 5 MiB (5,242,880 bytes), a sixth would not.
    big = [KinesisEntry(data=bytes([i]) * 1_000_000, partition_key=f"pk-{i}") for i in range(12)]

    failed = writer(client, []).put(big)

    assert failed == []
    assert [len(call) for call in client.calls] == [5, 5, 2]


def test_retries_are_chunked_too() -> None:
    batch = entries(1100)
    client = FakeKinesis(throttle={entry.data: 1 for entry in batch[:600]})

    writer(client, []).put(batch)

    assert [len(call) for call in client.calls] == [500, 500, 100, 500, 100]
    assert len(client.stored) == 1100


def test_oversize_record_is_reported_and_never_sent() -> None:
    # The partition key counts against the 1 MiB record limit.
    too_big = KinesisEntry(data=b"x" * (KINESIS_MAX_BYTES_PER_RECORD - 1), partition_key="pk")
    just_fits = KinesisEntry(data=b"y" * (KINESIS_MAX_BYTES_PER_RECORD - 2), partition_key="pk")
    client = FakeKinesis()

    failed = writer(client, []).put([just_fits, too_big])

    assert [(item.index, item.error_code) for item in failed] == [(1, "InvalidArgument")]
    assert "exceeds" in failed[0].error_message
    assert client.stored == [just_fits.data]


def test_entry_with_an_unusable_partition_key_is_reported_and_never_sent() -> None:
    client = FakeKinesis()
    batch = [KinesisEntry(b"a", ""), KinesisEntry(b"b", "k" * 257), KinesisEntry(b"c", "k" * 256)]

    failed = writer(client, []).put(batch)

    assert [item.index for item in failed] == [0, 1]
    assert client.stored == [b"c"]


def test_progress_counts_each_entry_once_when_it_is_stored() -> None:
    batch = entries(700)
    client = FakeKinesis(throttle={batch[0].data: 1, batch[650].data: 99})
    reported: list[int] = []

    failed = writer(client, [], max_attempts=2).put(batch, on_progress=reported.append)

    # First attempt: 499 of the first 500, 199 of the next 200; the retry stores batch[0] only.
    assert reported == [499, 199, 1]
    assert sum(reported) == len(batch) - len(failed) == 699
