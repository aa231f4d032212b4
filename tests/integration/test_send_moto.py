"""`floorwatch send` against moto's Kinesis (in-process): what lands in the stream, shard by shard."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from floorwatch.events.adapters.base import payload_digest
from moto import mock_aws

from local.cli import main

pytestmark = pytest.mark.integration

STREAM = "floorwatch-test-raw-events"
REGION = "eu-west-1"


def generic(number: int) -> dict[str, Any]:
    return {
        "source": "generic",
        "type": "contact_queued",
        "occurred_at": "2026-11-23T09:00:00Z",
        "queue_id": f"queue-{number % 7}",
        "contact_id": f"contact-{number}",
    }


@pytest.fixture
def kinesis(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("kinesis", region_name=REGION)
        client.create_stream(StreamName=STREAM, ShardCount=4)
        yield client


@pytest.fixture
def put_records_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record counts of the PutRecords calls made by any client created from now on (a spy, not a stub)."""
    session = boto3.Session()
    calls: list[int] = []
    session.events.register(
        "provide-client-params.kinesis.PutRecords",
        lambda params, **_: calls.append(len(params["Records"])),
    )
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    return calls


def stream_records(client: Any) -> list[dict[str, Any]]:
    """Every record in the stream, each with the id of the shard it landed on."""
    found: list[dict[str, Any]] = []
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = client.get_records(ShardIterator=iterator, Limit=1000)
            found.extend({**record, "ShardId": shard["ShardId"]} for record in response["Records"])
            iterator = response.get("NextShardIterator") if response["Records"] else None
    return found


def test_1200_line_file_lands_in_the_stream_in_three_calls(
    kinesis: Any, put_records_calls: list[int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [json.dumps(generic(number)) for number in range(1200)]
    source = tmp_path / "contacts.jsonl"
    source.write_text("\n".join(lines) + "\n")

    status = main(["send", str(source), "--stream", STREAM])

    out, err = capsys.readouterr()
    assert status == 0
    assert out.strip() == f"{STREAM}: 1200 records stored, 0 failed"
    assert "1200/1200" in err  # progress bar on stderr for a large input, even when not a terminal
    assert put_records_calls == [500, 500, 200]
    records = stream_records(kinesis)
    assert sorted(record["Data"] for record in records) == sorted(line.encode() for line in lines)
    assert len({record["ShardId"] for record in records}) > 1
    for record in records:
        assert record["PartitionKey"] == payload_digest(json.loads(record["Data"]))


def test_a_re_sent_payload_lands_on_the_same_shard(
    kinesis: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    as_lines = tmp_path / "contacts.jsonl"
    as_lines.write_text("".join(json.dumps(generic(number)) + "\n" for number in range(40)))
    as_array = tmp_path / "contacts.json"  # the same payloads, pretty-printed in one array
    as_array.write_text(json.dumps([generic(number) for number in range(40)], indent=2))

    assert main(["send", str(as_lines), "--stream", STREAM]) == 0
    assert main(["send", str(as_array), "--stream", STREAM]) == 0

    capsys.readouterr()
    shards_by_payload: dict[str, set[str]] = defaultdict(set)
    copies: dict[str, int] = defaultdict(int)
    for record in stream_records(kinesis):
        key = json.dumps(json.loads(record["Data"]), sort_keys=True)
        shards_by_payload[key].add(record["ShardId"])
        copies[key] += 1
    assert len(shards_by_payload) == 40
    assert set(copies.values()) == {2}
    assert all(len(shards) == 1 for shards in shards_by_payload.values())


def test_bad_lines_are_skipped_and_oversize_records_fail_with_exit_1(
    kinesis: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oversize = {**generic(1), "labels": {"note": "x" * (1024 * 1024)}}
    source = tmp_path / "mixed.jsonl"
    source.write_text(
        "\n".join(
            [json.dumps(generic(0)), json.dumps(oversize), '{"source": "generic",', json.dumps(generic(2))]
        )
    )

    status = main(["send", str(source), "--stream", STREAM])

    out, err = capsys.readouterr()
    assert status == 1
    assert out.strip() == f"{STREAM}: 2 records stored, 1 failed, 1 skipped (not valid JSON)"
    assert f"{source} line 3: not valid JSON" in err
    assert f"{source} line 2: not stored: InvalidArgument: record of " in err
    stored = sorted(json.loads(record["Data"])["contact_id"] for record in stream_records(kinesis))
    assert stored == ["contact-0", "contact-2"]


def test_several_files_and_a_whole_file_document(
    kinesis: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps(generic(0)) + "\n" + json.dumps(generic(1)) + "\n")
    document = tmp_path / "document.json"
    document.write_text(json.dumps(generic(2), indent=2))

    status = main(["send", str(lines), str(document), "--stream", STREAM, "--region", REGION])

    out, err = capsys.readouterr()
    assert status == 0
    assert out.strip() == f"{STREAM}: 3 records stored, 0 failed"
    assert err == ""  # a small input sent from a script shows no progress bar
    data = sorted(record["Data"] for record in stream_records(kinesis))
    # JSON Lines go byte for byte; a whole-file document as its compact JSON.
    expected = [json.dumps(generic(0)), json.dumps(generic(1)), json.dumps(generic(2), separators=(",", ":"))]
    assert data == sorted(text.encode() for text in expected)


@pytest.mark.usefixtures("kinesis")
def test_unknown_stream_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "contacts.jsonl"
    source.write_text(json.dumps(generic(0)) + "\n")

    status = main(["send", str(source), "--stream", "no-such-stream"])

    assert status == 2
    assert capsys.readouterr().err.strip() == (
        f"floorwatch send: stream 'no-such-stream' not found (region {REGION})"
    )
