"""`floorwatch simulate`: --out files that `floorwatch normalize` accepts; argument errors exit 2."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from local.cli import main

START = "2026-11-23T10:00:00Z"


def _simulate_out(path: Path, *extra: str) -> int:
    return main(["simulate", "--out", str(path), "--start", START, "--duration", "10m", *extra])


def test_out_file_is_accepted_by_normalize_without_a_rejection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "traffic.jsonl"
    assert _simulate_out(out) == 0
    written = capsys.readouterr().err
    lines = out.read_text().splitlines()
    assert f"{len(lines)} records written to {out}" in written
    assert len(lines) > 1000

    assert main(["normalize", str(out)]) == 0
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]
    assert f"{len(lines)} records read, {len(events)} events written" in captured.err
    assert captured.err.rstrip().endswith(" 0 rejected")
    assert {event["source"] for event in events} == {
        "amazon_connect.agent",
        "amazon_connect.contact_event",
        "amazon_connect.contact_record",
        "contact_lens",
        "generic",
    }
    times = [line for line in lines if '"EventTimestamp"' in line][:1]
    assert '"EventTimestamp":"2026-11-23T10:00:' in times[0]


def test_same_arguments_write_the_same_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    assert _simulate_out(first, "--seed", "4") == 0
    assert _simulate_out(second, "--seed", "4") == 0
    assert _simulate_out(other, "--seed", "5") == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_out_dash_writes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "--out", "-", "--start", START, "--duration", "1m", "--incidents", "none"])
    captured = capsys.readouterr()
    assert status == 0
    payloads = [json.loads(line) for line in captured.out.splitlines()]
    assert payloads
    assert "records written to stdout" in captured.err


def test_incidents_none_and_a_named_subset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quiet, breach = tmp_path / "quiet.jsonl", tmp_path / "breach.jsonl"
    assert _simulate_out(quiet, "--incidents", "none") == 0
    assert _simulate_out(breach, "--incidents", "compliance_breach") == 0
    assert "card-number-spoken" not in quiet.read_text()
    assert "card-number-spoken" in breach.read_text()


def test_incidents_list_prints_the_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--incidents", "list", "--speed", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("+00:02:00  sentiment_collapse")
    assert "(wall +2s at 60x)" in lines[0]


def closed_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--duration", "10"], "--duration: '10' is not a duration"),
        (["--duration", "0s"], "--duration must be positive"),
        (["--start", "yesterday"], "--start: not an ISO 8601 instant"),
        (["--incidents", "meteor_strike"], "unknown incident(s) meteor_strike"),
        (["--incidents-at", "soon"], "--incidents-at: 'soon' is not a duration"),
        (["--speed", "-1"], "--speed must be a finite number >= 0"),
        (["--speed", "nan"], "--speed must be a finite number >= 0"),
        (["--agents", "99999999999999999999"], "--agents must be between 1 and 100000"),
        (["--start", "0001-01-01T00:00:00Z"], "--start must lie in the years 2000 to 2099"),
        (["--agents", "3"], "--agents: 3 agents cannot staff 8 queues"),
        (["--utc-offset", "30"], "--utc-offset must be within +-24 hours"),
        (["--endpoint-url", "ftp://example"], "--endpoint-url must be an http(s) URL"),
        (["--out", "-", "--weeks", "2", "--duration", "1d"], "give --weeks or --duration, not both"),
        (["--out", "-", "--weeks", "0"], "--weeks must be between 1 and 52"),
        (["--timezone", "Mars/Olympus"], "--timezone: unknown time zone 'Mars/Olympus'"),
        (["--timezone", "Europe/London", "--utc-offset", "1"], "give --timezone or --utc-offset, not both"),
    ],
)
def test_unusable_arguments_exit_2_with_the_reason(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["simulate", *arguments])
    assert status == 2
    assert message in capsys.readouterr().err


def test_unparseable_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", "--speed", "fast"])
    assert exit_info.value.code == 2
    assert "invalid float value" in capsys.readouterr().err


def test_unreachable_endpoint_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    url = f"http://127.0.0.1:{closed_local_port()}"
    status = main(["simulate", "--endpoint-url", url, "--speed", "0", "--start", START, "--duration", "1m"])
    assert status == 2
    assert f"cannot reach Kinesis (stream 'floorwatch-local-raw-events' at {url})" in capsys.readouterr().err


def test_without_start_the_center_is_busy_whatever_the_time_of_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["simulate", "--out", "-", "--duration", "5m", "--incidents", "none"])
    busy_now = capsys.readouterr().out.splitlines()
    main(
        [
            "simulate",
            "--out",
            "-",
            "--duration",
            "5m",
            "--incidents",
            "none",
            "--start",
            "2026-11-23T03:00:00Z",
        ]
    )
    night = capsys.readouterr().out.splitlines()
    assert status == 0
    assert len(busy_now) > 3 * len(night)
