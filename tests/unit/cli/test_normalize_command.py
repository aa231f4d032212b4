"""`floorwatch normalize FILE`: events on stdout, rejections and a summary on stderr."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from local.cli import main


def generic(queue_id: str = "billing", **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "source": "generic",
        "type": "contact_queued",
        "occurred_at": "2026-11-23T09:00:00Z",
        "queue_id": queue_id,
    }
    payload.update(fields)
    return payload


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]], list[str]]:
    status = main(["normalize", *argv])
    out, err = capsys.readouterr()
    events = [json.loads(line) for line in out.splitlines()]
    return status, events, err.splitlines()


def test_json_lines_with_a_bad_line_and_a_blank_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "sample.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps(generic("billing")),
                "",
                '{"source": "generic", "type": ',
                json.dumps({"hello": "world"}),
                json.dumps(generic("support")),
            ]
        )
        + "\n"
    )

    status, events, err = run(capsys, str(source))

    assert status == 0
    assert [(event["queue_id"], event["type"], event["source"]) for event in events] == [
        ("billing", "contact_queued", "generic"),
        ("support", "contact_queued", "generic"),
    ]
    assert events[0]["occurred_at"].startswith("2026-11-23T09:00:00")
    assert err[0].startswith("line 3: not valid JSON")
    assert err[1].startswith("line 4: unrecognized payload shape")
    assert err[-1] == "4 records read, 2 events written, 0 skipped, 2 rejected"
    assert len(err) == 3


def test_whole_file_array_is_one_record_per_item(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing_time = {"source": "generic", "type": "contact_queued", "queue_id": "billing"}
    source = tmp_path / "sample.json"
    source.write_text(json.dumps([generic("billing"), generic("sales"), missing_time], indent=2))

    status, events, err = run(capsys, str(source))

    assert status == 0
    assert [event["queue_id"] for event in events] == ["billing", "sales"]
    assert err[0].startswith("item 3: generic: ")
    assert "occurred_at" in err[0]
    assert err[-1] == "3 records read, 2 events written, 0 skipped, 1 rejected"


def test_single_pretty_printed_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "one.json"
    source.write_text(json.dumps(generic("billing", contact_id="c-1"), indent=2))

    status, events, err = run(capsys, str(source))

    assert status == 0
    assert len(events) == 1
    assert events[0]["contact_id"] == "c-1"
    assert err == ["1 records read, 1 events written, 0 skipped, 0 rejected"]


def test_rejected_single_document_is_named_as_the_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "one.json"
    source.write_text('{\n  "unknown": true\n}\n')

    status, events, err = run(capsys, str(source))

    assert status == 0
    assert events == []
    assert err[0].startswith(
        "document: unrecognized payload shape (1 top-level key, none an adapter recognises)"
    )


def test_reads_stdin_for_dash(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    lines = f"{json.dumps(generic('billing'))}\n{json.dumps(generic('sales'))}\n".encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(lines)))

    status, events, err = run(capsys, "-")

    assert status == 0
    assert [event["queue_id"] for event in events] == ["billing", "sales"]
    assert err == ["2 records read, 2 events written, 0 skipped, 0 rejected"]


def test_same_payload_gives_the_same_event_id_in_any_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    as_line = tmp_path / "a.jsonl"
    as_line.write_text(json.dumps(generic("billing")) + "\n" + json.dumps(generic("sales")) + "\n")
    as_array = tmp_path / "b.json"
    as_array.write_text(json.dumps([generic("billing"), generic("sales")], indent=4))

    _, from_lines, _ = run(capsys, str(as_line))
    _, from_array, _ = run(capsys, str(as_array))

    assert [event["event_id"] for event in from_lines] == [event["event_id"] for event in from_array]
    assert from_lines[0]["event_id"] != from_lines[1]["event_id"]


def test_windows_line_endings_and_byte_order_mark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "windows.jsonl"
    body = f"{json.dumps(generic('billing'))}\r\n\r\n{json.dumps(generic('sales'))}\r\n"
    source.write_bytes(b"\xef\xbb\xbf" + body.encode())

    status, events, err = run(capsys, str(source))

    assert status == 0
    assert [event["queue_id"] for event in events] == ["billing", "sales"]
    assert err == ["2 records read, 2 events written, 0 skipped, 0 rejected"]


def test_line_that_is_not_utf8_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "latin1.jsonl"
    source.write_bytes(json.dumps(generic("billing")).encode() + b'\n{"queue_id": "caf\xe9"}\n')

    status, events, err = run(capsys, str(source))

    assert status == 0
    assert len(events) == 1
    assert err[0].startswith("line 2: not UTF-8 text")


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["normalize", str(tmp_path / "nope.jsonl")])

    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.strip() == f"floorwatch normalize: no such file: {tmp_path / 'nope.jsonl'}"


def test_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["normalize", str(tmp_path)])

    assert status == 2
    assert "is a directory" in capsys.readouterr().err


def test_no_file_argument_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["normalize"])

    assert exit_info.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_voice_segments_need_an_arrival_time_which_the_option_gives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    voice = str(Path(__file__).resolve().parents[3] / "events/contact_lens/voice_segments.json")

    status, events, err = run(capsys, voice)
    assert status == 0 and events == []
    assert "ApproximateArrivalTimestamp" in err[0]

    status, events, err = run(capsys, voice, "--arrival-time", "2026-11-23T09:15:55.5Z")
    assert status == 0 and events and err[-1].endswith("0 skipped, 0 rejected")
    assert max(event["occurred_at"] for event in events) == "2026-11-23T09:15:55.500000Z"


def test_an_unreadable_arrival_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["normalize", "-", "--arrival-time", "noon"])
    assert exit_info.value.code == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err
