"""`floorwatch baselines learn|show` and `replay --baselines/--learn`: files in, files out, clear errors
(exit 2) on bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.cli import main

RULES = """\
centers:
  acme: {timezone: America/New_York}
rules:
  - id: queue-longest-wait
    metric: longest_wait_seconds
    scope: queue
    direction: above
    window: 5m
    tiers: {warning: 120, critical: 300}
    baseline: {min_history: 1h, min_periods: 1}
"""
START = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def events(hours: int = 3) -> str:
    lines = [
        json.dumps(
            {
                "source": "generic",
                "type": "queue_snapshot",
                "occurred_at": (START + timedelta(minutes=minute, seconds=3)).isoformat(),
                "center_id": "acme",
                "queue_id": "billing",
                "values": {"longest_wait_seconds": 30.0 + minute % 4},
            }
        )
        for minute in range(hours * 60)
    ]
    return "\n".join(["not json", *lines]) + "\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_learn_then_show_in_the_centers_local_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, recording = write(tmp_path, "rules.yaml", RULES), write(tmp_path, "events.jsonl", events())
    out_file = str(tmp_path / "baselines.json")
    status, _, err = run(capsys, "baselines", "learn", recording, "--rules", rules, "--out", out_file)
    assert status == 0
    assert "line 1: not valid JSON" in err
    assert "181 records read, 180 events, 1 rejected" in err and "1 (scope, metric) pairs written" in err
    status, out, _ = run(capsys, "baselines", "show", out_file, "--scope", "queue:billing", "--rules", rules)
    assert status == 0
    header, columns, *slots = out.strip().splitlines()
    assert header.startswith(
        "queue:billing longest_wait_seconds: window 5m, hour of week, local time America"
    )
    assert columns.split()[:5] == ["slot", "centre", "spread", "samples", "hours"]
    # 13:00-16:00 UTC is 08:00-11:00 in New York (winter time): the slots are New York's hours.
    assert [line.split()[:2] for line in slots] == [["Mon", "08:00"], ["Mon", "09:00"], ["Mon", "10:00"]]
    assert "queue-longest-wait: warning" in slots[0]


def test_learn_with_a_missing_events_file_or_an_unknown_zone_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = write(tmp_path, "rules.yaml", RULES)
    out_file = tmp_path / "baselines.json"
    status, _, err = run(
        capsys, "baselines", "learn", str(tmp_path / "nope.jsonl"), "--rules", rules, "--out", str(out_file)
    )
    assert status == 2 and "no such file" in err and "nope.jsonl" in err
    bad_zone = write(tmp_path, "bad.yaml", RULES.replace("America/New_York", "America/Gotham"))
    recording = write(tmp_path, "events.jsonl", events(1))
    status, _, err = run(capsys, "baselines", "learn", recording, "--rules", bad_zone, "--out", str(out_file))
    assert status == 2
    assert "bad.yaml line 2, field 'centers.acme.timezone': 'America/Gotham' is not an IANA time zone" in err
    assert not out_file.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"format": ', "is not a baselines file: invalid JSON at line 1 column 12"),
        (
            '{"rules": []}',
            'is not a baselines file: expected a JSON object with "format": "floorwatch-baselines"',
        ),
        (
            '{"format": "floorwatch-baselines", "version": 2, "pairs": []}',
            "version 2 is not supported (this floorwatch reads version 1)",
        ),
        (
            json.dumps(
                {
                    "format": "floorwatch-baselines",
                    "version": 1,
                    "pairs": [
                        {
                            "scope": "queue:billing",
                            "metric": "longest_wait_seconds",
                            "window_seconds": 300,
                            "seasonality": "hour_of_week",
                            "timezone": "Europe/Atlantis",
                            "since": None,
                            "learned_until": "2026-11-23T00:00:00+00:00",
                            "slots": [],
                        }
                    ],
                }
            ),
            "pairs.0.timezone (queue:billing longest_wait_seconds): 'Europe/Atlantis' is not an IANA",
        ),
    ],
)
def test_show_and_replay_reject_an_unusable_baselines_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    path = write(tmp_path, "baselines.json", content)
    status, out, err = run(capsys, "baselines", "show", path, "--scope", "queue:billing")
    assert status == 2 and out == "" and expected in err
    rules, recording = write(tmp_path, "rules.yaml", RULES), write(tmp_path, "events.jsonl", events(1))
    status, out, err = run(capsys, "replay", "--rules", rules, "--baselines", path, recording)
    assert status == 2 and out == "" and expected in err


def test_show_a_missing_file_or_scope(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "baselines", "show", str(tmp_path / "none.json"), "--scope", "queue:a")
    assert status == 2 and "no such file" in err
    rules, recording = write(tmp_path, "rules.yaml", RULES), write(tmp_path, "events.jsonl", events(2))
    out_file = str(tmp_path / "baselines.json")
    run(capsys, "baselines", "learn", recording, "--rules", rules, "--out", out_file)
    status, _, err = run(capsys, "baselines", "show", out_file, "--scope", "queue:sales")
    assert status == 2 and "has no baselines for queue:sales (scopes in the file: queue:billing)" in err


def test_replay_learning_as_it_goes_saves_what_it_learned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules, recording = write(tmp_path, "rules.yaml", RULES), write(tmp_path, "events.jsonl", events())
    saved = str(tmp_path / "learned.json")
    status, _, err = run(capsys, "replay", "--rules", rules, "--learn", "--save-baselines", saved, recording)
    assert status == 0 and "2 hourly learning runs" in err and "1 (scope, metric) pairs written" in err
    status, out, _ = run(capsys, "baselines", "show", saved, "--scope", "queue:billing")
    assert status == 0 and "Mon 08:00" in out
    status, out, err = run(capsys, "replay", "--rules", rules, "--baselines", saved, recording)
    assert status == 0 and "rejected" in err


def test_save_baselines_without_learn_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules, recording = write(tmp_path, "rules.yaml", RULES), write(tmp_path, "events.jsonl", events(1))
    status, _, err = run(capsys, "replay", "--rules", rules, "--save-baselines", "x.json", recording)
    assert status == 2 and "--save-baselines needs --learn" in err
