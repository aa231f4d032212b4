"""`floorwatch simulate` pushing to moto's Kinesis (in-process): the stream holds the --out records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from tests.integration.test_send_moto import STREAM, kinesis, stream_records

pytestmark = pytest.mark.integration
__all__ = ["kinesis"]  # the fixture, re-used from the send tests

ARGS = ["--start", "2026-11-23T10:00:00Z", "--duration", "3m", "--seed", "9"]


def test_pushed_records_equal_the_out_file(
    kinesis: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "expected.jsonl"
    assert main(["simulate", "--out", str(out), *ARGS]) == 0
    expected = out.read_bytes().splitlines()

    status = main(["simulate", "--stream", STREAM, "--speed", "0", *ARGS])

    err = capsys.readouterr().err
    assert status == 0
    assert f"done: {len(expected)} records stored, 0 failed" in err
    records = stream_records(kinesis)
    assert sorted(record["Data"] for record in records) == sorted(expected)
    assert len({record["ShardId"] for record in records}) > 1  # partition keys spread agents and contacts


def test_unknown_stream_exits_2(kinesis: Any, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "--stream", "no-such-stream", "--speed", "0", *ARGS])
    assert status == 2
    assert "stream 'no-such-stream' not found" in capsys.readouterr().err
