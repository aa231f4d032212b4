"""Time to acknowledge and time to act, per rule and per person (floorwatch.alerts.response_times) and
the `floorwatch response-times` command on a file of transitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.response_times import GroupBy, percentile, responses, summarize

from local.cli import main

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
K = TransitionKind


def tr(
    alert: str,
    version: int,
    kind: TransitionKind,
    seconds: float,
    actor: str | None = None,
    *,
    rule: str = "queue-longest-wait",
    **extra: object,
) -> Transition:
    return Transition(
        transition_id=f"{alert}:{version}",
        alert_id=alert,
        transition=kind,
        rule=rule,
        scope="queue:billing",
        severity=Severity.CRITICAL,
        value=None,
        threshold=None,
        at=T0 + timedelta(seconds=seconds),
        version=version,
        actor=actor,
        **extra,  # type: ignore[arg-type]
    )


FLOOR = [
    # a1: acknowledged by ana in 12 s, acted (note) at 50 s.
    tr("a1", 1, K.OPENED, 0),
    tr("a1", 2, K.ACKNOWLEDGED, 12, "ana"),
    tr("a1", 3, K.UPDATED, 20),
    tr("a1", 4, K.NOTED, 50, "ana"),
    # a2: the policy escalated (not acting), ana acknowledged late (45 s), tom joined at 120 s.
    tr("a2", 1, K.OPENED, 100),
    tr("a2", 2, K.ESCALATED, 130),
    tr("a2", 3, K.ACKNOWLEDGED, 145, "ana"),
    tr("a2", 4, K.JOINED, 220, "tom"),
    # a3: nobody answered; the engine resolved it (no actor: not acting).
    tr("a3", 1, K.OPENED, 200, rule="agent-on-hold-too-long"),
    tr("a3", 2, K.RESOLVED, 400, rule="agent-on-hold-too-long"),
]


def test_each_alert_gets_its_first_acknowledgement_and_first_action_by_a_person() -> None:
    found = {item.alert_id: item for item in responses(reversed(FLOOR))}  # any order
    assert found["a1"].time_to_acknowledge == timedelta(seconds=12)
    assert (found["a1"].time_to_act, found["a1"].acted_how) == (timedelta(seconds=50), "note")
    assert found["a2"].time_to_acknowledge == timedelta(seconds=45)
    assert (found["a2"].acted_by, found["a2"].acted_how, found["a2"].time_to_act) == (
        "tom",
        "join",
        timedelta(seconds=120),
    )
    assert (found["a3"].acknowledged_at, found["a3"].acted_at) == (None, None)


def test_figures_per_rule_and_per_person() -> None:
    found = responses(FLOOR)
    [hold, wait] = summarize(found, GroupBy.RULE)
    assert (wait.key, wait.alerts, wait.acknowledged, wait.ack_within_target) == (
        "queue-longest-wait",
        2,
        2,
        1,
    )
    assert (wait.ack_median, wait.ack_p90, wait.act_median, wait.act_p90) == (12.0, 45.0, 50.0, 120.0)
    assert wait.act_within_target == 1  # 50 s yes, 120 s no
    assert (hold.key, hold.acknowledged, hold.acted, hold.ack_median) == (
        "agent-on-hold-too-long",
        0,
        0,
        None,
    )
    people = {row.key: row for row in summarize(found, GroupBy.PERSON)}
    assert (people["ana"].acknowledged, people["ana"].acted, people["ana"].alerts) == (2, 1, 2)
    assert (people["tom"].acknowledged, people["tom"].acted) == (0, 1)
    assert people["(nobody)"].alerts == 1


def test_an_incident_counts_once_for_its_members() -> None:
    incident = [
        tr("i1", 1, K.OPENED, 0, rule="incident", trigger_rule="queue-longest-wait"),
        tr("i1", 2, K.ACKNOWLEDGED, 8, "ana", rule="incident"),
        tr("m1", 1, K.OPENED, 0, incident_id="i1"),
        tr("m1", 2, K.ACKNOWLEDGED, 8, "ana", incident_id="i1"),
    ]
    [only] = responses(incident)
    assert (only.alert_id, only.rule) == ("i1", "incident (queue-longest-wait)")


def test_percentile_is_a_value_that_occurred() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0, 10.0, 40.0], 0.5) == 10.0
    assert percentile([3.0, 10.0, 40.0], 0.9) == 40.0


def test_the_command_reads_transition_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "transitions.jsonl"
    path.write_text("".join(json.dumps(item.to_dict()) + "\n" for item in FLOOR), encoding="utf-8")
    assert main(["response-times", "--json", str(path)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["alerts"] == 3
    assert [row["key"] for row in document["by_person"]] == ["(nobody)", "ana", "tom"]
    assert main(["response-times", str(path), "--since", "2026-11-30T09:01:00Z"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("2 alerts; targets: acknowledge within 30 s, act within 90 s")
    assert "queue-longest-wait" in table and "agent-on-hold-too-long" in table


def test_the_command_says_which_line_is_not_a_transition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(FLOOR[0].to_dict()) + '\n{"alert_id": "x"}\n', encoding="utf-8")
    assert main(["response-times", str(path)]) == 2
    assert f"{path} line 2: not an alert transition (missing 'transition_id')" in capsys.readouterr().err
    assert main(["response-times"]) == 2
