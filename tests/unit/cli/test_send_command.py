"""`floorwatch send`: argument problems stop the run with exit 2 and a clear message, before sending.

Sending itself is tested against moto in tests/integration/test_send_moto.py.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from local.cli import main

PAYLOAD = {
    "source": "generic",
    "type": "contact_queued",
    "occurred_at": "2026-11-23T09:00:00Z",
    "queue_id": "billing",
}


@pytest.fixture
def payload_file(tmp_path: Path) -> Path:
    path = tmp_path / "payloads.jsonl"
    path.write_text(json.dumps(PAYLOAD) + "\n")
    return path


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def closed_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there any more: connections are refused at once


def test_missing_file_stops_before_anything_is_sent(
    payload_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The endpoint is unreachable: had the command tried to send the first file, the message would differ.
    url = f"http://127.0.0.1:{closed_local_port()}"
    status = main(
        ["send", str(payload_file), str(tmp_path / "missing.jsonl"), "--stream", "s", "--endpoint-url", url]
    )

    assert status == 2
    assert capsys.readouterr().err.strip() == f"floorwatch send: no such file: {tmp_path / 'missing.jsonl'}"


def test_stream_is_required(payload_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["send", str(payload_file)])

    assert exit_info.value.code == 2
    assert "--stream" in capsys.readouterr().err


def test_endpoint_url_must_be_an_http_url(payload_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["send", str(payload_file), "--stream", "s", "--endpoint-url", "localhost:4566"])

    assert status == 2
    assert "--endpoint-url must be an http(s) URL" in capsys.readouterr().err


@pytest.mark.usefixtures("fake_credentials")
def test_unreachable_endpoint_is_a_usage_error(
    payload_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{closed_local_port()}"

    status = main(
        ["send", str(payload_file), "--stream", "s", "--endpoint-url", url, "--region", "eu-west-1"]
    )

    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith(f"floorwatch send: cannot reach Kinesis (region eu-west-1, endpoint {url})")


def test_stdin_can_be_named_only_once(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["send", "-", "-", "--stream", "s"])

    assert status == 2
    assert "stdin (-) can be read only once" in capsys.readouterr().err
