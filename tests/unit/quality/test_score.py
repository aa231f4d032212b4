"""The quality scorer on hand-built transitions: matching, misses, scopes, pages, control days, grouping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from floorwatch.rules.config import load_default_rules

from local.cli import main
from local.quality import Line, Tally, first_detections, goals, read_lines, score, to_line
from local.simulator.labels import Label, write_labels

DAY = datetime(2026, 11, 23, tzinfo=UTC)
SIMULATION = Label("simulation", (), DAY, DAY + timedelta(days=1), None, "one day")
SPIKE = Label(
    "volume_spike", ("queue:billing",), DAY.replace(hour=10), DAY.replace(hour=10, minute=15), "billing", ""
)


def _at(hour: int, minute: int = 0, second: int = 0) -> str:
    return DAY.replace(hour=hour, minute=minute, second=second).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(at: str, alert_id: str, **fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "at": at,
        "alert_id": alert_id,
        "transition_id": f"{alert_id}-{at}",
        "transition": "opened",
        "rule": "queue-service-level",
        "scope": "queue:billing",
        "severity": "warning",
        "value": 0.5,
        "threshold": 0.8,
        "version": 1,
        "notify": True,
        "queue_id": "billing",
        "channels": [],
    }
    line.update(fields)
    return line


def _score(labels: list[Label], lines: list[dict[str, Any]]) -> Tally:
    rules = load_default_rules()
    return score(labels, [to_line(line, rules) for line in lines])


def test_an_alert_on_the_labelled_queue_inside_the_window_detects_it() -> None:
    tally = _score([SIMULATION, SPIKE], [_line(_at(10, 2), "a1")])
    assert (tally.labels, tally.detected) == (1, 1)
    assert tally.detect_seconds() == [120.0]
    assert (tally.overall.incidents, tally.overall.true_incidents) == (1, 1)


def test_an_alert_after_the_window_and_grace_is_a_miss_and_a_false_alarm() -> None:
    tally = _score([SIMULATION, SPIKE], [_line(_at(10, 26), "a1")])
    assert tally.detected == 0
    assert tally.kinds["volume_spike"].missed
    assert tally.overall.true_incidents == 0


def test_the_grace_period_after_the_end_still_counts() -> None:
    tally = _score([SIMULATION, SPIKE], [_line(_at(10, 24), "a1")])
    assert tally.detected == 1


def test_an_alert_on_another_queue_does_not_detect_it() -> None:
    tally = _score([SIMULATION, SPIKE], [_line(_at(10, 2), "a1", scope="queue:sales", queue_id="sales")])
    assert tally.detected == 0
    assert tally.overall.true_incidents == 0


def test_an_agent_alert_detects_its_queue_incident_through_its_queue_id() -> None:
    line = _line(_at(10, 3), "a1", rule="agent-on-hold-too-long", scope="agent:x", queue_id="billing")
    assert _score([SIMULATION, SPIKE], [line]).detected == 1


def test_critical_time_to_detect_is_the_first_critical_detection() -> None:
    lines = [
        _line(_at(10, 1), "a1"),
        _line(_at(10, 4), "a1", transition="upgraded", severity="critical"),
    ]
    tally = _score([SIMULATION, SPIKE], lines)
    assert tally.detect_seconds() == [60.0]
    assert tally.detect_seconds(critical=True) == [240.0]


def test_sms_pages_on_unlabelled_scopes_are_false_pages() -> None:
    lines = [
        _line(_at(10, 2), "a1", severity="critical", channels=["sms"]),
        _line(_at(14, 0), "a2", scope="queue:sales", queue_id="sales", severity="critical", channels=["sms"]),
        _line(
            _at(14, 5), "a2", transition="resolved", scope="queue:sales", queue_id="sales", channels=["sms"]
        ),
    ]
    tally = _score([SIMULATION, SPIKE], lines)
    assert (tally.overall.pages, tally.overall.false_pages) == (3, 2)
    assert tally.rules["queue-service-level"].false_pages == 2
    sms_goal = next(goal for goal in goals(tally) if goal.text.startswith("SMS precision"))
    assert not sms_goal.met


def test_without_channels_the_pages_come_from_the_rules_fan_out() -> None:
    critical = _line(_at(10, 2), "a1", severity="critical")
    warning = _line(_at(10, 3), "a2", scope="queue:sales", queue_id="sales")
    del critical["channels"], warning["channels"]
    tally = _score([SIMULATION, SPIKE], [critical, warning])
    assert tally.overall.pages == 1  # queue-service-level: critical -> sms, warning -> e-mail only


def test_lines_without_channels_need_the_rules() -> None:
    line = _line(_at(10, 2), "a1")
    del line["channels"]
    with pytest.raises(ValueError, match="rules"):
        read_lines(json.dumps(line), None)


def test_what_a_control_day_raises_is_counted_on_its_own() -> None:
    control = Label("control_day", (), DAY, DAY + timedelta(days=1), None, "no scripted incident")
    lines = [_line(_at(3), "a1", severity="critical", channels=["sms"]), _line(_at(4), "a2")]
    tally = _score([SIMULATION, control], lines)
    assert (tally.control.days, tally.control.alerts, tally.control.incidents) == (1.0, 2, 2)
    assert (tally.control.pages, tally.control.false_pages) == (1, 1)
    no_page = next(goal for goal in goals(tally) if goal.text == "control day: no page")
    assert not no_page.met


def test_alerts_sharing_an_incident_id_are_one_incident() -> None:
    lines = [
        _line(_at(10, 2), "inc-1", rule="incident", channels=["sms"], severity="critical"),
        _line(_at(10, 2), "a1", incident_id="inc-1"),
        _line(_at(10, 5), "a2", rule="queue-longest-wait", incident_id="inc-1"),
        _line(_at(13, 0), "a3", scope="queue:sales", queue_id="sales"),  # not grouped: its own incident
    ]
    tally = _score([SIMULATION, SPIKE], lines)
    assert tally.overall.alerts == 3  # the incident's own lines are not an alert
    assert (tally.overall.incidents, tally.overall.true_incidents) == (2, 1)
    assert (tally.overall.pages, tally.overall.false_pages) == (1, 0)
    assert tally.detected == 1


def test_affected_scopes_make_an_alert_true_without_detecting_the_label() -> None:
    dead = Label(
        "dead_feed",
        ("feed:generic",),
        DAY.replace(hour=11),
        DAY.replace(hour=11, minute=10),
        None,
        "",
        affected=("queue:billing",),
    )
    tally = _score([SIMULATION, dead], [_line(_at(11, 3), "a1")])
    assert tally.overall.true_incidents == 1
    assert tally.detected == 0


def test_score_command_prints_the_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels, transitions = tmp_path / "labels.jsonl", tmp_path / "transitions.jsonl"
    labels.write_text(write_labels([SIMULATION, SPIKE]))
    transitions.write_text(json.dumps(_line(_at(10, 2), "a1")) + "\n")
    assert main(["score", "--labels", str(labels), str(transitions)]) == 0
    out = capsys.readouterr().out
    assert "volume_spike" in out and "100 %" in out and "2:00" in out


def test_score_command_refuses_labels_without_a_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels, transitions = tmp_path / "labels.jsonl", tmp_path / "transitions.jsonl"
    labels.write_text(write_labels([SPIKE]))
    transitions.write_text("")
    assert main(["score", "--labels", str(labels), str(transitions)]) == 2
    assert "--days" in capsys.readouterr().err
    assert main(["score", "--labels", str(labels), "--days", "1", str(transitions)]) == 0


def test_unusable_lines_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels, transitions = tmp_path / "labels.jsonl", tmp_path / "transitions.jsonl"
    labels.write_text(write_labels([SIMULATION]) + '{"kind": "x", "start": "nope"}\n')
    transitions.write_text("")
    assert main(["score", "--labels", str(labels), str(transitions)]) == 2
    assert "line 2" in capsys.readouterr().err


def test_line_fields_are_read() -> None:
    line = to_line(_line(_at(10, 2), "a1", incident_id="i", channels=["sms", "email"]), None)
    assert line == Line(
        DAY.replace(hour=10, minute=2), "a1", "opened", "queue-service-level", "queue:billing", "warning",
        "billing", "i", ("sms", "email"),
    )  # fmt: skip


def test_pages_in_a_normal_weekly_peak_are_counted_false_unless_they_match_an_incident() -> None:
    peak = Label("normal_peak", (), DAY.replace(hour=8), DAY.replace(hour=11), None, "Monday peak")
    lines = [
        _line(_at(9, 0), "p1", scope="queue:sales", queue_id="sales", severity="critical", channels=["sms"]),
        _line(_at(10, 1), "s1", severity="critical", channels=["sms"]),  # the spike, inside the peak
        _line(_at(12, 0), "late", scope="queue:sales", queue_id="sales", channels=["sms"]),  # after it
    ]
    tally = _score([SIMULATION, peak, SPIKE], lines)
    assert (tally.peaks.alerts, tally.peaks.incidents, tally.peaks.true_incidents) == (2, 2, 1)
    assert (tally.peaks.pages, tally.peaks.false_pages) == (2, 1)
    assert tally.peaks.days == pytest.approx(3 / 24)
    assert tally.labels == 1  # a peak is not an incident to detect
    assert (tally.overall.pages, tally.overall.false_pages) == (3, 2)


def test_first_detections_name_each_missed_and_detected_label() -> None:
    other = Label(
        "slow_slide", ("queue:sales",), DAY.replace(hour=3), DAY.replace(hour=3, minute=20), "sales", ""
    )
    rules = load_default_rules()
    found = first_detections([SIMULATION, SPIKE, other], [to_line(_line(_at(10, 2), "a1"), rules)])
    assert found == {SPIKE: DAY.replace(hour=10, minute=2), other: None}
