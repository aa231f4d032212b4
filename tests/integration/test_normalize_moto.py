"""The normalize handler wired to real (moto) Kinesis streams and an S3 quarantine bucket.

The trigger events are built from the records moto actually stored on the raw stream (sequence
numbers, arrival timestamps, partition keys), exactly as the event source mapping would deliver them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from floorwatch.events.pipeline import QuarantinedRecord, RawRecord
from floorwatch.names import ENV_CX_EVENTS_STREAM, ENV_QUARANTINE_BUCKET, ENV_STAGE, ResourceNames
from floorwatch.store.kinesis import KinesisEntry, KinesisWriter
from floorwatch.store.quarantine import S3Quarantine, quarantine_keys, read_quarantined, redrive
from floorwatch.timefmt import iso_micros
from handlers import normalize
from moto import mock_aws

from local.cli import main
from local.runtime.functions import LambdaContext

# The module-level handlers are decorated by Powertools, which reads Lambda's context object.
LAMBDA_CONTEXT = LambdaContext("floorwatch-test")

pytestmark = pytest.mark.integration

NAMES = ResourceNames(stage="test")
RAW, CX, BUCKET = NAMES.raw_events_stream, NAMES.cx_events_stream, NAMES.quarantine_bucket


@dataclass
class Aws:
    kinesis: Any
    s3: Any


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        ENV_STAGE: "test",
        ENV_CX_EVENTS_STREAM: CX,
        ENV_QUARANTINE_BUCKET: BUCKET,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        kinesis, s3 = boto3.client("kinesis"), boto3.client("s3")
        kinesis.create_stream(StreamName=RAW, ShardCount=1)
        kinesis.create_stream(StreamName=CX, ShardCount=2)
        s3.create_bucket(Bucket=BUCKET)
        normalize._default_handler.cache_clear()  # cold start inside the mock
        yield Aws(kinesis, s3)
        normalize._default_handler.cache_clear()


# moto stamps records with the real arrival time, and the normalizer refuses events more than 7 days
# older than their arrival (events.time_window): payloads sent through the stream are dated recently.
RECENT = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def generic(contact: str, queue: str | None = "billing", **extra: Any) -> dict[str, Any]:
    payload = {"source": "generic", "type": "contact_queued", "occurred_at": RECENT}
    payload |= {"contact_id": contact, **({"queue_id": queue} if queue else {}), **extra}
    return payload


def send_raw(aws: Aws, payloads: Sequence[bytes | dict[str, Any]], stream: str = RAW) -> None:
    entries = [
        KinesisEntry(data=p if isinstance(p, bytes) else json.dumps(p).encode(), partition_key=f"pk-{i}")
        for i, p in enumerate(payloads)
    ]
    assert KinesisWriter(aws.kinesis, stream).put(entries) == []


def shard_records(aws: Aws, stream: str) -> list[tuple[str, dict[str, Any]]]:
    """(shard id, record) for everything on the stream, from the start."""
    found = []
    for shard in aws.kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = aws.kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found.extend(
            (shard["ShardId"], record)
            for record in aws.kinesis.get_records(ShardIterator=iterator)["Records"]
        )
    return found


def trigger_event(aws: Aws, stream: str = RAW) -> dict[str, Any]:
    """The raw stream's records as the Kinesis event source mapping hands them to the function."""
    arn = aws.kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode("ascii"),
                    "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard_id}:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/floorwatch-test-normalize",
                "awsRegion": "us-east-1",
                "eventSourceARN": arn,
            }
            for shard_id, record in shard_records(aws, stream)
        ]
    }


def cx_events(aws: Aws) -> list[tuple[str, dict[str, Any]]]:
    """(partition key, event JSON) of every record on cx-events."""
    return [(record["PartitionKey"], json.loads(record["Data"])) for _, record in shard_records(aws, CX)]


def quarantined(aws: Aws) -> dict[str, dict[str, Any]]:
    return {
        key: read_quarantined(aws.s3, BUCKET, key).model_dump() for key in quarantine_keys(aws.s3, BUCKET)
    }


def test_poison_lands_in_the_bucket_with_its_reason_and_good_events_on_cx_events(aws: Aws) -> None:
    send_raw(aws, [generic("c-0"), b"{broken json", generic("c-2", queue=None, agent_id="ann"), {"x": 1}])
    event = trigger_event(aws)

    response = normalize.handler(event, LAMBDA_CONTEXT)

    assert response == {"batchItemFailures": []}
    published = cx_events(aws)
    assert sorted((key, body["contact_id"]) for key, body in published) == [
        ("agent:ann", "c-2"),
        ("queue:billing", "c-0"),
    ]
    objects = quarantined(aws)
    by_sequence = {document["sequence_number"]: document for document in objects.values()}
    broken, unknown = (by_sequence[event["Records"][i]["kinesis"]["sequenceNumber"]] for i in (1, 3))
    assert "not valid JSON" in broken["reason"]
    assert base64.b64decode(broken["raw_base64"]) == b"{broken json"
    assert (broken["stream"], broken["shard_id"], broken["partition_key"]) == (
        RAW,
        "shardId-000000000000",
        "pk-1",
    )
    assert "unrecognized payload shape" in unknown["reason"]
    assert all(key.startswith("quarantine/") and f"/{RAW}/shardId-000000000000/" in key for key in objects)


def test_the_same_batch_delivered_twice_gives_the_same_event_ids_and_quarantine_objects(aws: Aws) -> None:
    send_raw(aws, [generic("c-0"), generic("c-1", queue="sales"), b"\xff\xfe", generic("c-3")])
    event = trigger_event(aws)

    normalize.handler(event, LAMBDA_CONTEXT)
    first_ids = [body["event_id"] for _, body in cx_events(aws)]
    first_objects = set(quarantined(aws))
    normalize.handler(event, LAMBDA_CONTEXT)  # e.g. re-delivered after a later record failed

    all_ids = [body["event_id"] for _, body in cx_events(aws)]
    assert len(first_ids) == 3 and len(all_ids) == 6
    assert set(all_ids) == set(first_ids)  # duplicates on the stream, deduped downstream by id
    assert set(quarantined(aws)) == first_objects and len(first_objects) == 1


def test_an_event_too_large_for_kinesis_is_quarantined_instead_of_retried_forever(aws: Aws) -> None:
    # Integers in the raw payload come back as floats ("1" -> "1.0"): the event outgrows the record.
    values = {f"v{i}": 1 for i in range(90_000)}
    oversized = json.dumps(generic("big", values=values), separators=(",", ":")).encode()
    assert len(oversized) < 1024 * 1024
    send_raw(aws, [generic("c-0"), oversized])

    response = normalize.handler(trigger_event(aws), LAMBDA_CONTEXT)

    assert response == {"batchItemFailures": []}
    assert [body["contact_id"] for _, body in cx_events(aws)] == ["c-0"]
    (document,) = quarantined(aws).values()
    assert document["reason"].startswith("cannot publish: event ") and "exceeds" in document["reason"]


def test_records_are_reported_failed_when_the_quarantine_bucket_is_gone(aws: Aws) -> None:
    aws.s3.delete_bucket(Bucket=BUCKET)
    send_raw(aws, [generic("c-0"), b"poison"])
    event = trigger_event(aws)

    response = normalize.handler(event, LAMBDA_CONTEXT)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": event["Records"][1]["kinesis"]["sequenceNumber"]}]
    }
    assert [body["contact_id"] for _, body in cx_events(aws)] == ["c-0"]


def test_quarantine_list_then_redrive_round_trip_through_the_cli(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    send_raw(aws, [b"not json at all", generic("c-1"), {"mystery": True}])
    normalize.handler(trigger_event(aws), LAMBDA_CONTEXT)
    capsys.readouterr()

    assert main(["quarantine", "list", "--bucket", BUCKET]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(listed) == 2
    assert {"key", "reason", "source", "arrival_time"} <= set(listed[0])
    assert any("not valid JSON" in item["reason"] for item in listed)
    assert all(
        item["arrival_time"].startswith("20") and item["arrival_time"].endswith("Z") for item in listed
    )

    assert (
        main(["quarantine", "redrive", "--bucket", BUCKET, "--stream", RAW, "--key", listed[0]["key"]]) == 0
    )
    assert "1 records re-driven" in capsys.readouterr().out
    raw = [record for _, record in shard_records(aws, RAW)]
    resent = raw[-1]
    assert len(raw) == 4
    assert (resent["Data"], resent["PartitionKey"]) == (raw[0]["Data"], raw[0]["PartitionKey"])
    remaining = list(quarantine_keys(aws.s3, BUCKET))
    assert remaining == [listed[1]["key"]]
    archived = read_quarantined(aws.s3, BUCKET, "redriven/" + listed[0]["key"].removeprefix("quarantine/"))
    assert archived.redriven_to == RAW and archived.redriven_at is not None

    assert main(["quarantine", "redrive", "--bucket", BUCKET, "--stream", RAW]) == 0
    assert list(quarantine_keys(aws.s3, BUCKET)) == []
    assert len(shard_records(aws, RAW)) == 5


def test_a_redriven_record_that_is_still_invalid_is_quarantined_again_under_its_new_identity(
    aws: Aws,
) -> None:
    send_raw(aws, [b"still broken"])
    normalize.handler(trigger_event(aws), LAMBDA_CONTEXT)
    (first_key,) = quarantine_keys(aws.s3, BUCKET)

    result = redrive(aws.s3, BUCKET, [first_key], KinesisWriter(aws.kinesis, RAW))
    assert result.redriven == [first_key] and result.failed == {}
    everything = trigger_event(aws)
    resent_only = {"Records": everything["Records"][1:]}
    normalize.handler(resent_only, LAMBDA_CONTEXT)

    (second_key,) = quarantine_keys(aws.s3, BUCKET)
    assert second_key != first_key
    assert read_quarantined(aws.s3, BUCKET, second_key).raw() == b"still broken"


def test_redrive_to_a_missing_stream_is_a_usage_error_and_keeps_the_record(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    send_raw(aws, [b"poison"])
    normalize.handler(trigger_event(aws), LAMBDA_CONTEXT)
    keys = list(quarantine_keys(aws.s3, BUCKET))

    status = main(["quarantine", "redrive", "--bucket", BUCKET, "--stream", "no-such-stream"])

    assert status == 2
    assert "stream 'no-such-stream' not found" in capsys.readouterr().err
    assert list(quarantine_keys(aws.s3, BUCKET)) == keys


def test_redrive_of_an_unknown_key_reports_it_and_exits_1(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["quarantine", "redrive", "--bucket", BUCKET, "--stream", RAW, "--key", "quarantine/nope.json"]
    )

    assert status == 1
    assert "quarantine/nope.json: no longer in the bucket" in capsys.readouterr().err


def test_listing_a_missing_bucket_is_a_usage_error(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quarantine", "list", "--bucket", "no-such-bucket"]) == 2
    assert "bucket 'no-such-bucket' not found" in capsys.readouterr().err


def test_a_redriven_voice_record_keeps_the_time_it_first_arrived_at(aws: Aws) -> None:
    # Quarantined as a record without its arrival time in the payload (e.g. by a release that did not
    # inject it): re-driving must not move its events to the re-drive's arrival time.
    voice = (Path(__file__).resolve().parents[2] / "events/contact_lens/voice_segments.json").read_bytes()
    first_arrival = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=500000)
    record = RawRecord("4965", voice, "pk-voice", RAW, "shardId-000000000000", first_arrival)
    S3Quarantine(aws.s3, BUCKET).put(QuarantinedRecord(record, "as quarantined earlier", "contact_lens"))
    (key,) = quarantine_keys(aws.s3, BUCKET)

    assert redrive(aws.s3, BUCKET, [key], KinesisWriter(aws.kinesis, RAW)).redriven == [key]
    normalize.handler(trigger_event(aws), LAMBDA_CONTEXT)

    events = [event for _, event in cx_events(aws)]
    assert events and all(event["source"] == "contact_lens" for event in events)
    assert max(event["occurred_at"] for event in events) == iso_micros(first_arrival)
