"""`floorwatch rules report` against DynamoDB tables (moto): the recorded week stored as the deployed
functions store it, read back with paginated, window-filtered scans, gives the report the files give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from floorwatch.names import ALERTS_TABLE, AUDIT_TABLE, METRICS_TABLE, ResourceNames
from moto import mock_aws

from local.cli import main
from local.report_sources import Tables, read_files, read_tables
from tests.integration.ddb_tables import create_table, use_fake_credentials
from tests.unit.rules_report.record import ALERTS, AUDIT, EVENTS, RULES, events, store_recorded_week

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
STAGE = "reporttest"
NAMES = ResourceNames(stage=STAGE)
# The metrics table holds Monday morning's billing snapshots (moto copies a table at every transaction).
MONDAY = [
    event
    for event in events()
    if event["queue_id"] == "billing" and "2026-11-23T09:00" <= event["occurred_at"] < "2026-11-23T10:00"
]
WEEK = ["--since", "2026-11-23T00:00:00Z", "--until", "2026-11-30T00:00:00Z"]


@pytest.fixture(scope="module")
def tables() -> Iterator[object]:
    """Filled once for the module (the tests only read)."""
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        use_fake_credentials(monkeypatch, REGION)
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, ALERTS_TABLE, NAMES.table(ALERTS_TABLE))
        create_table(client, AUDIT_TABLE, NAMES.table(AUDIT_TABLE))
        create_table(client, METRICS_TABLE, NAMES.table(METRICS_TABLE))
        store_recorded_week(
            client, NAMES.table(AUDIT_TABLE), NAMES.table(ALERTS_TABLE), (NAMES.table(METRICS_TABLE), MONDAY)
        )
        yield client


def _report(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[dict[str, Any], str]:
    assert main(["rules", "report", "--rules", str(RULES), *WEEK, "--json", *argv]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def _billing(document: dict[str, Any]) -> dict[str, Any]:
    return next(row for row in document["scopes"] if row["scope"] == "queue:billing" and row["alerts"] == 6)


def test_the_report_from_the_tables_equals_the_report_from_the_files(
    tables: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from_tables, progress = _report(capsys, "--stage", STAGE, "--region", REGION, "--metrics-table", "nosuch")
    from_files, _ = _report(capsys, "--audit", str(AUDIT), "--alerts", str(ALERTS))
    assert from_tables["source"] == f"tables floorwatch-{STAGE}-audit, floorwatch-{STAGE}-alerts"
    assert "metrics table 'nosuch' not found" in progress  # a warning: the transitions' values serve
    assert f"floorwatch-{STAGE}-alerts: 1 page(s)" in progress
    del from_tables["source"], from_files["source"]
    assert from_tables == from_files
    assert from_tables["flagged"]  # not an empty report that trivially matches


def test_peaks_are_re_judged_from_the_metrics_table_as_from_the_recorded_events(
    tables: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from_tables, _ = _report(capsys, "--stage", STAGE, "--region", REGION)
    # Monday morning's two alerts (longest wait, contacts waiting) of the week's nine.
    assert from_tables["peaks_from"].startswith(f"the metric history (floorwatch-{STAGE}-metrics) for 2 of 9")
    from_events, _ = _report(capsys, "--audit", str(AUDIT), "--alerts", str(ALERTS), "--events", str(EVENTS))
    monday_peak = max(_billing(from_events)["peaks"]["not_useful"])  # Monday's was the highest
    assert monday_peak in _billing(from_tables)["peaks"]["not_useful"]
    without, _ = _report(capsys, "--stage", STAGE, "--region", REGION, "--metrics-table", "nosuch")
    assert monday_peak not in _billing(without)["peaks"]["not_useful"]  # its opening value was lower


def test_scans_are_paginated_and_bounded_by_the_window(tables: object) -> None:
    lines: list[str] = []
    names = Tables(NAMES.table(AUDIT_TABLE), NAMES.table(ALERTS_TABLE))
    since = datetime(2026, 11, 26, 12, tzinfo=UTC)
    history = read_tables(names, since, tables, progress=lines.append, page_size=7)
    everything = read_files(str(AUDIT), str(ALERTS))
    assert sorted(item.transition_id for item in history.transitions) == sorted(
        item.transition_id for item in everything.transitions if since <= item.at
    )
    assert {entry.entry_id for entry in history.audit} == {
        entry.entry_id for entry in everything.audit if since <= entry.at and entry.alert_id
    }
    assert history.transitions and history.audit
    assert sum(1 for line in lines if line.startswith(names.alerts)) > 5  # many small pages


def test_an_unknown_table_exits_2(tables: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "report", "--stage", "nosuchstage", "--region", REGION]) == 2
    assert "not found" in capsys.readouterr().err
