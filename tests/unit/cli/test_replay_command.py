"""`floorwatch replay`: transitions on stdout in event-time order, rejects and summary on stderr, exit codes,
byte-identical output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.cli import main

RULES = """
rules:
  - id: queue-longest-wait
    metric: longest_wait_seconds
    scope: queue
    direction: above
    tiers: {warning: 120, critical: 300}
    for: 30s
    clear: 0.9
"""


def snapshot(time: str, wait: float, queue: str = "billing") -> str:
    return json.dumps(
        {
            "source": "generic",
            "type": "queue_snapshot",
            "occurred_at": f"2026-11-23T{time}Z",
            "queue_id": queue,
            "values": {"longest_wait_seconds": wait},
        }
    )


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def replay(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    status = main(["replay", *argv])
    out, err = capsys.readouterr()
    return status, out, err.splitlines()


def all_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def lines(out: str) -> list[dict[str, Any]]:
    """The alerts' own transitions (their incidents' are checked where they matter)."""
    return [item for item in all_lines(out) if item["rule"] != "incident"]


def test_transitions_in_event_time_order_with_rejects_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = "\n".join(
        [
            snapshot("09:00:00", 130),
            "{not json",
            "",
            snapshot("09:00:40", 400, queue="sales"),
            json.dumps({"source": "generic", "type": "no_such_type", "occurred_at": "2026-11-23T09:00:41Z"}),
            snapshot("09:00:20", 130, queue="sales"),  # late: recorded out of order
            snapshot("09:01:00", 130),
            snapshot("09:02:00", 50),
        ]
    )
    status, out, err = replay(
        capsys, "--rules", write(tmp_path, "rules.yaml", RULES), write(tmp_path, "events.jsonl", events)
    )
    assert status == 0
    found = lines(out)
    required = {"at", "alert_id", "transition", "rule", "scope", "severity", "value", "threshold"}
    assert all(required <= item.keys() for item in found)
    assert [(item["at"], item["transition"], item["scope"], item["severity"]) for item in found] == [
        ("2026-11-23T09:00:30Z", "opened", "queue:billing", "warning"),  # a tick, 30 s after the breach
        ("2026-11-23T09:01:10Z", "opened", "queue:sales", "critical"),  # the late 09:00:20 does not count
        ("2026-11-23T09:02:00Z", "resolved", "queue:billing", "warning"),
    ]
    assert found[0]["value"] == 130.0 and found[0]["threshold"] == 120.0
    assert err[0].startswith("line 2: not valid JSON")
    assert err[1].startswith("line 5: ")
    # Each alert opened an incident of its queue (billing's stays open close_after past its resolve).
    incidents = [item for item in all_lines(out) if item["rule"] == "incident"]
    assert [(item["transition"], item["scope"]) for item in incidents] == [
        ("opened", "queue:billing"),
        ("opened", "queue:sales"),
    ]
    assert found[0]["incident_id"] == incidents[0]["alert_id"] and found[0]["channels"] == []
    assert err[-1] == "7 records read, 5 events replayed, 2 rejected, 5 transitions"


def test_the_tick_period_decides_when_a_quiet_pending_alert_opens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = write(tmp_path, "rules.yaml", RULES)
    events = write(
        tmp_path, "events.jsonl", "\n".join([snapshot("09:00:05", 130), snapshot("09:05:00", 130)])
    )
    _, out, _ = replay(capsys, "--rules", rules, "--tick", "1m", events)
    assert [item["at"] for item in lines(out)] == ["2026-11-23T09:01:00Z"]
    _, out, _ = replay(capsys, "--rules", rules, "--tick", "10s", events)
    assert [item["at"] for item in lines(out)] == ["2026-11-23T09:00:40Z"]


def test_the_same_input_gives_byte_identical_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = write(tmp_path, "rules.yaml", RULES)
    events = write(
        tmp_path,
        "events.jsonl",
        "\n".join(snapshot(f"09:{minute:02d}:00", 100 + 60 * (minute % 5)) for minute in range(30)),
    )
    first = replay(capsys, "--rules", rules, events)
    second = replay(capsys, "--rules", rules, events)
    assert first[1] and first == second


def test_a_json_rules_file_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = {
        "id": "queue-longest-wait",
        "metric": "longest_wait_seconds",
        "scope": "queue",
        "direction": "above",
        "tiers": {"warning": 120},
    }
    rules = write(tmp_path, "rules.json", json.dumps([rule]))
    status, out, _ = replay(capsys, "--rules", rules, write(tmp_path, "e.jsonl", snapshot("09:00:00", 130)))
    assert status == 0 and len(lines(out)) == 1


def test_an_invalid_rules_file_exits_2_naming_rule_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = write(tmp_path, "rules.yaml", RULES.replace("direction: above", "direction: sideways"))
    status, out, err = replay(capsys, "--rules", rules, write(tmp_path, "e.jsonl", snapshot("09:00:00", 130)))
    assert status == 2 and out == ""
    assert "rule 'queue-longest-wait'" in err[0] and "field 'direction'" in err[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tick", "soon"], "--tick"),
        (["--tick", "0s"], "--tick must be longer than 0s"),
    ],
)
def test_unusable_arguments_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    rules = write(tmp_path, "rules.yaml", RULES)
    status, out, err = replay(
        capsys, "--rules", rules, *argv, write(tmp_path, "e.jsonl", snapshot("09:00:00", 1))
    )
    assert status == 2 and out == ""
    assert message in "\n".join(err)


def test_missing_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = write(tmp_path, "rules.yaml", RULES)
    assert replay(capsys, "--rules", rules, str(tmp_path / "absent.jsonl"))[0] == 2
    events = write(tmp_path, "e.jsonl", snapshot("09:00:00", 1))
    status, _, err = replay(capsys, "--rules", str(tmp_path / "absent.yaml"), events)
    assert status == 2 and "cannot read the file" in "\n".join(err)


def test_rules_are_required(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", write(tmp_path, "e.jsonl", snapshot("09:00:00", 1))])
    assert exited.value.code == 2


PENDING = """
- id: queue-longest-wait
  metric: longest_wait_seconds
  scope: queue
  direction: above
  tiers: {warning: 120}
  for: 60s
"""


def test_a_tick_at_an_events_instant_runs_after_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The breach starts at 09:00:00 and is over by 09:01:00, the instant its `for` would be reached: the
    # tick at 09:01:00 must judge the 09:01:00 snapshot, not open on the older one and resolve at once.
    events = "\n".join([snapshot("09:00:00", 130), snapshot("09:01:00", 10), snapshot("09:02:00", 10)])
    for tick in ("10s", "30s", "1m"):
        _, out, _ = replay(
            capsys,
            "--rules",
            write(tmp_path, "rules.yaml", PENDING),
            "--tick",
            tick,
            write(tmp_path, "e.jsonl", events),
        )
        assert lines(out) == [], tick


def test_an_event_from_a_wrong_clock_does_not_run_the_replay_into_the_future(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = "\n".join(
        [
            snapshot("09:00:00", 130),
            snapshot("10:00:00", 10, queue="sales"),  # a platform clock an hour ahead
            snapshot("09:00:20", 10),  # billing is back in range before its `for` (60 s) ran out
            snapshot("09:02:00", 10),
        ]
    )
    _, out, _ = replay(
        capsys, "--rules", write(tmp_path, "rules.yaml", PENDING), write(tmp_path, "e.jsonl", events)
    )
    # No hour of ticks: the pending breach is reset by 09:00:20 and never opens.
    assert lines(out) == []
