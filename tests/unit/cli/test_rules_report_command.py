"""`floorwatch rules report` from files: the table, --json, the replay of a suggestion, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from tests.unit.rules_report.record import ALERTS, AUDIT, EVENTS, RULES

FILES = ["--rules", str(RULES), "--audit", str(AUDIT), "--alerts", str(ALERTS)]
WEEK = ["--since", "2026-11-23T00:00:00Z", "--until", "2026-11-30T00:00:00Z"]


def report(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["rules", "report", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def scope_of(document: dict[str, Any], rule: str, scope: str) -> dict[str, Any]:
    return next(row for row in document["scopes"] if (row["rule"], row["scope"]) == (rule, scope))


def test_the_table_shows_each_rule_and_scope_flags_and_the_suggestion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = report(capsys, *FILES, *WEEK)
    assert status == 0
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("rule "))
    assert header.split()[:6] == ["rule", "scope", "alerts", "incidents", "pages", "acked"]
    billing = next(
        line for line in lines if line.startswith("queue-longest-wait") and "queue:billing" in line
    )
    assert billing.split()[2:4] == ["6", "6"] and "5 (83%)" in billing and billing.endswith("FLAGGED")
    assert any('"usual morning peak" x3' in line for line in lines)
    assert any("suggestion: warning >120 -> >200" in line for line in lines)
    # Without events, the suggestion says what the replay needs.
    assert any("the replay needs recorded events: add --events EVENTS.jsonl" in line for line in lines)
    assert "queue-longest-wait on queue:billing: 5 of 6 alerts (83%)" in out


def test_json_carries_the_same_figures(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = report(capsys, *FILES, *WEEK, "--json")
    assert status == 0
    document = json.loads(out)
    assert (document["since"], document["until"]) == ("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")
    billing = scope_of(document, "queue-longest-wait", "queue:billing")
    assert (billing["alerts"], billing["acknowledged"], billing["not_useful"]) == (6, 6, 5)
    assert billing["flagged"] is True
    assert billing["suggestion"]["suggested"] == 200 and billing["suggestion"]["tier"] == "warning"
    assert billing["replay"] is None and "--events" in billing["replay_note"]
    tech = scope_of(document, "queue-longest-wait", "queue:tech-support")
    assert tech["suggestion"] is None and tech["median_ack_seconds"] == 95
    assert {"rule": "queue-longest-wait", "scope": "queue:billing"} in document["flagged"]


def test_with_events_the_suggestion_is_replayed_on_the_week(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = report(capsys, *FILES, *WEEK, "--events", str(EVENTS), "--tick", "1m", "--json")
    assert status == 0
    replayed = scope_of(json.loads(out), "queue-longest-wait", "queue:billing")["replay"]
    # The recorded events reproduce the history (6 alerts); with a 200 s warning only the real
    # incident opens: every not-useful alert silenced, no other alert lost, fewer pages.
    assert replayed["before"]["alerts"] == replayed["recorded"] == 6
    assert replayed["after"]["alerts"] == 1
    assert (replayed["not_useful_silenced"], replayed["not_useful"], replayed["others_lost"]) == (5, 5, 0)
    assert replayed["after"]["pages"] < replayed["before"]["pages"]
    assert "replaying" in err  # progress on stderr


def test_a_recorded_log_is_reported_as_of_its_newest_record_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = report(capsys, *FILES, "--json")
    assert status == 0
    document = json.loads(out)
    assert document["until"].startswith("2026-11-27")  # the last recorded transition, not today
    assert scope_of(document, "queue-longest-wait", "queue:billing")["alerts"] == 6


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--audit", str(AUDIT)], "give both --audit AUDIT.jsonl and --alerts ALERTS.jsonl"),
        ([], "say what to read"),
        ([*FILES, "--stage", "prod"], "not both"),
        (["--audit", "missing.jsonl", "--alerts", str(ALERTS)], "no such file: missing.jsonl"),
        (["--audit", str(EVENTS), "--alerts", str(ALERTS)], "line 1: not an audit entry (missing 'at')"),
        (["--audit", str(AUDIT), "--alerts", str(AUDIT)], "not an alert transition"),
        ([*FILES, "--since", "last week"], "neither a duration"),
        ([*FILES, "--until", "yesterday"], "not an ISO 8601 time"),
        ([*FILES, "--since", "2026-12-01T00:00:00Z", "--until", "2026-11-30T00:00:00Z"], "must be before"),
        ([*FILES, "--tick", "0s"], "--tick must be longer than 0s"),
        (["--stage", "x", "--endpoint-url", "localhost:4566"], "must be an http(s) URL"),
    ],
)
def test_unusable_input_exits_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = report(capsys, *argv)
    assert status == 2
    assert message in err
    assert out == ""


def test_a_line_that_is_not_json_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit = write(tmp_path, "audit.jsonl", AUDIT.read_text(encoding="utf-8") + "{oops\n")
    status, _, err = report(capsys, "--audit", audit, "--alerts", str(ALERTS))
    assert status == 2
    assert "audit.jsonl line 17: not valid JSON" in err


def test_an_invalid_rules_file_exits_2_with_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = write(tmp_path, "rules.yaml", "rules:\n  - id: x\n    metric: nope\n")
    status, _, err = report(capsys, "--rules", rules, "--audit", str(AUDIT), "--alerts", str(ALERTS))
    assert status == 2
    assert "rules.yaml" in err and "no report" in err


def test_a_dynamodb_scan_export_is_read_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`aws dynamodb scan --table-name floorwatch-prod-audit > audit.json` works as input."""
    from floorwatch.store.audit_dynamodb import DynamoAuditLog

    from local.report_sources import read_files

    items: list[dict[str, Any]] = []

    class Recorder:
        def put_item(self, **kwargs: Any) -> dict[str, Any]:
            items.append(kwargs["Item"])
            return {}

        def query(self, **kwargs: Any) -> dict[str, Any]:
            return {"Items": []}

    log = DynamoAuditLog(Recorder(), "audit")
    for entry in read_files(str(AUDIT), str(ALERTS)).audit:
        log.append(entry)
    scan = write(tmp_path, "audit.json", json.dumps({"Items": items, "Count": len(items)}, indent=2))
    _, from_scan, _ = report(capsys, "--rules", str(RULES), "--audit", scan, "--alerts", str(ALERTS), *WEEK)
    _, from_lines, _ = report(capsys, *FILES, *WEEK)
    assert from_scan.splitlines()[1:] == from_lines.splitlines()[1:]  # all but the header naming the files


def test_a_window_without_alerts_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    quiet = ["--since", "2026-11-28T00:00:00Z", "--until", "2026-11-29T00:00:00Z"]
    status, out, _ = report(capsys, *FILES, *quiet)
    assert status == 0
    assert "No alert opened in the window." in out
    status, out, _ = report(capsys, *FILES, *quiet, "--json")
    assert json.loads(out)["scopes"] == [] and json.loads(out)["flagged"] == []
