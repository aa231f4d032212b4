"""The audit log, in memory and on moto's DynamoDB: append-only, idempotent per entry, ordered reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from floorwatch.names import AUDIT_TABLE
from floorwatch.store.audit_dynamodb import DynamoAuditLog
from floorwatch.store.audit_memory import InMemoryAuditLog
from floorwatch.store.audit_port import AuditEntry, AuditLog
from moto import mock_aws

from tests.integration.ddb_tables import create_table, use_fake_credentials

pytestmark = pytest.mark.integration

TABLE = "floorwatch-test-audit"
REGION = "eu-west-1"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "dynamodb"])
def log(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[AuditLog]:
    if request.param == "memory":
        yield InMemoryAuditLog()
        return
    use_fake_credentials(monkeypatch, REGION)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, AUDIT_TABLE, TABLE)
        yield DynamoAuditLog(client, TABLE)


def test_entries_read_back_in_time_order_with_every_field(log: AuditLog) -> None:
    later = AuditEntry("ana", "snooze", T0 + timedelta(minutes=1), "a1", "supervisor", "c1", {"minutes": 15})
    first = AuditEntry("ana", "ack", T0, "a1", "supervisor", "c1", {"rule": "r", "ok": True, "none": None})
    other = AuditEntry("mo", "ack", T0, "a2", "manager", "c2")
    for entry in (later, first, other):
        assert log.append(entry) is True

    assert log.for_alert("a1") == [first, later]
    assert log.for_alert("a2") == [other]


def test_actions_on_no_alert_are_kept_under_the_user(log: AuditLog) -> None:
    entry = AuditEntry("bob", "refused:ack", T0, None, "agent", "c3", {"alert_id": "nope"})
    log.append(entry)
    assert log.for_user("bob") == [entry]
    assert log.for_alert("nope") == []


def test_the_same_entry_twice_is_stored_once(log: AuditLog) -> None:
    entry = AuditEntry("escalation", "escalate", T0, "a1", details={"level": 2}, entry_id="a1:7")
    assert log.append(entry) is True
    assert log.append(entry) is False
    assert log.for_alert("a1") == [entry]


def test_the_port_offers_no_way_to_change_history() -> None:
    for implementation in (InMemoryAuditLog, DynamoAuditLog):
        public = {name for name in dir(implementation) if not name.startswith("_")}
        assert not public & {"update", "delete", "remove", "put", "clear", "overwrite"}
