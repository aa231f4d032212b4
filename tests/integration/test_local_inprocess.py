"""Calls from the runtime's own process reach the embedded moto without a socket, with AWS's answers.

The in-process transport must be invisible to clients: same results, same errors (as botocore
exceptions), binary payloads intact; and a server that stopped is no longer served in-process.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from floorwatch.names import METRICS_TABLE, ResourceNames

from local.runtime import inprocess
from local.runtime.aws import CLIENT_CONFIG, CREDENTIALS, REGION, EmbeddedAws, Resources, provisioned

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
NAMES = ResourceNames("inprocess")


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[EmbeddedAws, Resources]]:
    with provisioned(NAMES) as running:
        yield running


def test_a_client_in_this_process_is_served_without_a_socket(aws: tuple[EmbeddedAws, Resources]) -> None:
    embedded, _ = aws
    dynamodb = embedded.client("dynamodb")
    table = NAMES.table(METRICS_TABLE)
    before = inprocess.TRANSPORT.calls

    dynamodb.put_item(TableName=table, Item={"pk": {"S": "queue:a"}, "sk": {"S": "m1"}, "n": {"N": "3"}})
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "queue:a"}, "sk": {"S": "m1"}})["Item"]

    assert item["n"] == {"N": "3"}
    assert inprocess.TRANSPORT.calls == before + 2


def test_errors_come_back_as_the_service_s_errors(aws: tuple[EmbeddedAws, Resources]) -> None:
    embedded, _ = aws

    with pytest.raises(ClientError) as missing:
        embedded.client("dynamodb").get_item(TableName="no-such-table", Key={"pk": {"S": "x"}})
    with pytest.raises(ClientError) as conflict:
        embedded.client("dynamodb").put_item(
            TableName=NAMES.table(METRICS_TABLE),
            Item={"pk": {"S": "queue:b"}, "sk": {"S": "m1"}},
            ConditionExpression="attribute_exists(pk)",
        )

    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert conflict.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_kinesis_records_keep_their_bytes(aws: tuple[EmbeddedAws, Resources]) -> None:
    embedded, _ = aws
    kinesis = embedded.client("kinesis")
    stream = NAMES.raw_events_stream
    payloads = [bytes(range(256)), "é ✓".encode(), b""]
    kinesis.put_records(
        StreamName=stream, Records=[{"Data": data, "PartitionKey": "same-key"} for data in payloads]
    )
    shard = kinesis.put_record(StreamName=stream, Data=b"last", PartitionKey="same-key")["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")

    records = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]

    assert [record["Data"] for record in records] == [*payloads, b"last"]


def test_a_stopped_server_is_not_served_in_process() -> None:
    embedded = EmbeddedAws()
    embedded.start()
    endpoint = embedded.endpoint_url
    embedded.stop()
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        config=CLIENT_CONFIG.merge(boto3.session.Config(retries={"max_attempts": 1}, connect_timeout=1)),
        **CREDENTIALS,
    )
    before = inprocess.TRANSPORT.calls

    with pytest.raises(Exception):  # noqa: B017 - whatever a closed port raises; not our transport
        client.list_tables()

    assert inprocess.TRANSPORT.calls == before
