"""`floorwatch rules report` against DynamoDB tables (moto): the recorded week stored as the deployed
functions store it, read back with paginated, window-filtered scans, gives the report the files give."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from floorwatch.names import ALERTS_TABLE, AUDIT_TABLE, ResourceNames
from moto import mock_aws

from local.cli import main
from local.report_sources import Tables, read_files, read_tables
from tests.integration.ddb_tables import create_table, use_fake_credentials
from tests.unit.rules_report.record import ALERTS, AUDIT, RULES, store_recorded_week

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
STAGE = "reporttest"
NAMES = ResourceNames(stage=STAGE)
WEEK = ["--since", "2026-11-23T00:00:00Z", "--until", "2026-11-30T00:00:00Z"]


@pytest.fixture(scope="module")
def tables() -> Iterator[object]:
    """Filled once for the module (the tests only read)."""
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        use_fake_credentials(monkeypatch, REGION)
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, ALERTS_TABLE, NAMES.table(ALERTS_TABLE))
        create_table(client, AUDIT_TABLE, NAMES.table(AUDIT_TABLE))
        store_recorded_week(client, NAMES.table(AUDIT_TABLE), NAMES.table(ALERTS_TABLE))
        yield client


def test_the_report_from_the_tables_equals_the_report_from_the_files(
    tables: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            ["rules", "report", "--rules", str(RULES), "--stage", STAGE, "--region", REGION, *WEEK, "--json"]
        )
        == 0
    )
    from_tables, progress = capsys.readouterr()
    assert (
        main(
            [
                "rules",
                "report",
                "--rules",
                str(RULES),
                "--audit",
                str(AUDIT),
                "--alerts",
                str(ALERTS),
                *WEEK,
                "--json",
            ]
        )
        == 0
    )
    from_files = capsys.readouterr().out
    tables_report, files_report = json.loads(from_tables), json.loads(from_files)
    assert tables_report["source"] == f"tables floorwatch-{STAGE}-audit, floorwatch-{STAGE}-alerts"
    del tables_report["source"], files_report["source"]
    assert tables_report == files_report
    assert tables_report["flagged"]  # not an empty report that trivially matches
    assert f"floorwatch-{STAGE}-alerts: 1 page(s)" in progress


def test_scans_are_paginated_and_bounded_by_the_window(tables: object) -> None:
    lines: list[str] = []
    names = Tables(NAMES.table(AUDIT_TABLE), NAMES.table(ALERTS_TABLE))
    since, until = datetime(2026, 11, 26, 12, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    history = read_tables(names, since, until, tables, progress=lines.append, page_size=7)
    everything = read_files(str(AUDIT), str(ALERTS))
    assert sorted(item.transition_id for item in history.transitions) == sorted(
        item.transition_id for item in everything.transitions if since <= item.at < until
    )
    assert {entry.entry_id for entry in history.audit} == {
        entry.entry_id for entry in everything.audit if since <= entry.at < until and entry.alert_id
    }
    assert history.transitions and history.audit
    assert sum(1 for line in lines if line.startswith(names.alerts)) > 5  # many small pages


def test_an_unknown_table_exits_2(tables: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "report", "--stage", "nosuchstage", "--region", REGION]) == 2
    assert "not found" in capsys.readouterr().err
