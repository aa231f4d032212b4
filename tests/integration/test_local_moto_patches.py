"""The local runtime's moto fixes keep AWS's semantics.

Transactions: all or nothing (a cancelled one leaves items and the table's stream untouched);
Kinesis: GetRecords returns the records after the iterator's position, in order, at most Limit; the
change signal wakes a waiting poller when its stream is written; DynamoDB: a repeated update
expression takes each call's values, ADD to a set keeps each element once in order, the 400 KB item
limit holds, a Query reads only its partition (in order, paged), an index query every partition.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from floorwatch.names import ALERTS_ACTIVE_INDEX, ALERTS_TABLE, METRICS_TABLE, ResourceNames

from local.runtime.aws import ACCOUNT_ID, REGION, EmbeddedAws, Resources, provisioned

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
NAMES = ResourceNames("patches")


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[EmbeddedAws, Resources]]:
    with provisioned(NAMES) as running:
        yield running


def put(table: str, pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}
    return {"Put": {"TableName": table, "Item": item}}


def stream_records(aws: EmbeddedAws, resources: Resources) -> list[dict[str, Any]]:
    streams = aws.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=resources.alerts_stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=resources.alerts_stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator)["Records"])


def test_a_cancelled_transaction_changes_nothing_and_streams_nothing(
    aws: tuple[EmbeddedAws, Resources],
) -> None:
    embedded, resources = aws
    dynamodb = embedded.client("dynamodb")
    table = NAMES.table(ALERTS_TABLE)
    dynamodb.transact_write_items(TransactItems=[put(table, "a#1", "state", status="open")])
    before = len(stream_records(embedded, resources))

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                put(table, "a#2", "state", status="new"),  # applied first, must be undone
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "a#1"}, "sk": {"S": "state"}},
                        "UpdateExpression": "SET #s = :s",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":s": {"S": "closed"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "a#1"}, "sk": {"S": "t#0000000001"}},  # absent
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    first = dynamodb.get_item(TableName=table, Key={"pk": {"S": "a#1"}, "sk": {"S": "state"}})["Item"]
    assert first["status"] == {"S": "open"}
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "a#2"}, "sk": {"S": "state"}})
    assert len(stream_records(embedded, resources)) == before


def test_a_committed_transaction_writes_every_item(aws: tuple[EmbeddedAws, Resources]) -> None:
    embedded, _ = aws
    dynamodb = embedded.client("dynamodb")
    table = NAMES.table(ALERTS_TABLE)
    dynamodb.transact_write_items(
        TransactItems=[put(table, "b#1", "state"), put(table, "b#1", "t#0000000001")]
    )

    items = dynamodb.query(
        TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "b#1"}}
    )["Items"]
    assert sorted(item["sk"]["S"] for item in items) == ["state", "t#0000000001"]


def test_get_records_returns_what_follows_the_iterator_in_order_within_the_limit(
    aws: tuple[EmbeddedAws, Resources],
) -> None:
    embedded, _ = aws
    kinesis = embedded.client("kinesis")
    stream = NAMES.cx_events_stream
    shard_id = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    hash_key = kinesis.list_shards(StreamName=stream)["Shards"][0]["HashKeyRange"]["StartingHashKey"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id, ShardIteratorType="LATEST")[
        "ShardIterator"
    ]
    for index in range(5):
        kinesis.put_record(
            StreamName=stream, Data=f"r{index}".encode(), PartitionKey="k", ExplicitHashKey=hash_key
        )

    first = kinesis.get_records(ShardIterator=iterator, Limit=3)
    second = kinesis.get_records(ShardIterator=first["NextShardIterator"], Limit=10)
    third = kinesis.get_records(ShardIterator=second["NextShardIterator"], Limit=10)

    assert [r["Data"] for r in first["Records"]] == [b"r0", b"r1", b"r2"]
    assert [r["Data"] for r in second["Records"]] == [b"r3", b"r4"]
    assert third["Records"] == []


def test_the_change_signal_wakes_a_waiting_poller_on_a_write(aws: tuple[EmbeddedAws, Resources]) -> None:
    from local.runtime.moto_patches import MotoChanges

    embedded, _ = aws
    changes = MotoChanges.kinesis(NAMES.raw_events_stream, ACCOUNT_ID, REGION)
    seen = changes.generation()
    woke = threading.Event()

    def poller() -> None:
        changes.wait(seen, timeout=30)
        woke.set()

    thread = threading.Thread(target=poller)
    thread.start()
    time.sleep(0.2)
    assert not woke.is_set()  # nothing written yet
    embedded.client("kinesis").put_record(StreamName=NAMES.raw_events_stream, Data=b"x", PartitionKey="k")

    assert woke.wait(10)
    thread.join(10)


METRICS = NAMES.table(METRICS_TABLE)


@pytest.fixture
def dynamodb(aws: tuple[EmbeddedAws, Resources]) -> Any:
    return aws[0].client("dynamodb")


def stored(dynamodb: Any, pk: str, sk: str) -> dict[str, Any]:
    return dict(dynamodb.get_item(TableName=METRICS, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"])


def update(table: str, pk: str, sk: str, expression: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "TableName": table,
        "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
        "UpdateExpression": expression,
        "ExpressionAttributeValues": values,
    }


def test_a_repeated_update_expression_applies_each_call_s_own_values(dynamodb: Any) -> None:
    table = METRICS
    for amount in (2, 5):
        dynamodb.update_item(
            **update(
                table,
                "queue:c",
                "b1",
                "ADD c_n :n SET l_x = :x",
                {":n": {"N": str(amount)}, ":x": {"S": f"v{amount}"}},
            )
        )
    for _ in range(2):  # an invalid expression is refused every time, not remembered as parsed
        with pytest.raises(ClientError) as refused:
            dynamodb.update_item(**update(table, "queue:c", "b1", "SET = :x", {":x": {"S": "v"}}))
        assert refused.value.response["Error"]["Code"] == "ValidationException"

    item = stored(dynamodb, "queue:c", "b1")
    assert item["c_n"] == {"N": "7"}
    assert item["l_x"] == {"S": "v5"}


def test_add_to_a_set_keeps_each_element_once_in_arrival_order(dynamodb: Any) -> None:
    table = METRICS
    for added in (["b", "a"], ["c", "a", "d", "c"], ["a"]):
        dynamodb.update_item(**update(table, "ledger#s", "b1", "ADD d :d", {":d": {"SS": added}}))
    dynamodb.update_item(**update(table, "ledger#s", "b1", "ADD bin :b", {":b": {"BS": [b"\x01", b"\x02"]}}))
    dynamodb.update_item(**update(table, "ledger#s", "b1", "ADD bin :b", {":b": {"BS": [b"\x02", b"\x03"]}}))

    item = stored(dynamodb, "ledger#s", "b1")
    assert item["d"] == {"SS": ["b", "a", "c", "d"]}
    assert item["bin"] == {"BS": [b"\x01", b"\x02", b"\x03"]}


def test_an_item_over_400_kb_is_still_refused(dynamodb: Any) -> None:
    table = METRICS
    digests = ["x" * 1000 + str(index) for index in range(300)]  # a ~300 KB set, measured on every SET
    dynamodb.update_item(**update(table, "big", "b1", "ADD d :d", {":d": {"SS": digests}}))
    dynamodb.update_item(**update(table, "big", "b1", "SET small = :v", {":v": {"S": "y" * 50_000}}))

    with pytest.raises(ClientError) as refused:
        dynamodb.update_item(**update(table, "big", "b1", "SET large = :v", {":v": {"S": "z" * 80_000}}))
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_a_query_reads_its_own_partition_newest_first_within_the_limit(dynamodb: Any) -> None:
    table = METRICS
    for scope in ("queue:q1", "queue:q0", "queue:q2"):
        for minute in (3, 1, 4, 2):
            dynamodb.put_item(
                TableName=table, Item={"pk": {"S": scope}, "sk": {"S": f"m{minute}"}, "v": {"S": scope}}
            )

    page = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND sk <= :at",
        ExpressionAttributeValues={":pk": {"S": "queue:q1"}, ":at": {"S": "m3"}},
        ScanIndexForward=False,
        Limit=2,
    )
    rest = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND sk <= :at",
        ExpressionAttributeValues={":pk": {"S": "queue:q1"}, ":at": {"S": "m3"}},
        ScanIndexForward=False,
        ExclusiveStartKey=page["LastEvaluatedKey"],
    )

    assert [(i["pk"]["S"], i["sk"]["S"]) for i in page["Items"]] == [("queue:q1", "m3"), ("queue:q1", "m2")]
    assert [i["sk"]["S"] for i in rest["Items"]] == ["m1"]


def test_an_index_query_still_sees_every_partition(dynamodb: Any) -> None:
    table = NAMES.table(ALERTS_TABLE)
    active = ALERTS_TABLE.index(ALERTS_ACTIVE_INDEX).partition_key.name
    for pk in ("alert#r#x", "alert#r#y"):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "state"}, active: {"S": "1"}})

    items = dynamodb.query(
        TableName=table,
        IndexName=ALERTS_ACTIVE_INDEX,
        KeyConditionExpression="#a = :one",
        ExpressionAttributeNames={"#a": active},
        ExpressionAttributeValues={":one": {"S": "1"}},
    )["Items"]

    assert {"alert#r#x", "alert#r#y"} <= {item["pk"]["S"] for item in items}
