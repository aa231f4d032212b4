"""Least privilege per function: what each role may do to each table, topic, queue and API."""

from __future__ import annotations

from typing import Any

import pytest

from infrastructure.tables import AUDIT_FORBIDDEN_ACTIONS
from tests.infrastructure.support import (
    Statement,
    Synthesized,
    actions_on,
    all_actions,
    allowed,
    as_list,
    role_statements,
    roles_allowed,
)

pytestmark = pytest.mark.infra

READ = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}
WRITE = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
ANY_WRITE = WRITE | {"dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete"}


def _allowed(synthesized: Synthesized, role: Any) -> list[Statement]:
    return allowed(role_statements(synthesized, role))


def _on(synthesized: Synthesized, role: Any, resource: Any) -> set[str]:
    return actions_on(_allowed(synthesized, role), synthesized.logical_id(resource))


def _on_indexes(synthesized: Synthesized, role: Any, table: Any) -> set[str]:
    """Actions on `<table arn>/index/*`."""
    logical_id = synthesized.logical_id(table)
    return {
        action
        for statement in _allowed(synthesized, role)
        for resource in as_list(statement["Resource"])
        if resource == {"Fn::Join": ["", [{"Fn::GetAtt": [logical_id, "Arn"]}, "/index/*"]]}
        for action in as_list(statement["Action"])
    }


def test_evaluate_keeps_metrics_and_alerts_and_only_reads_baselines(synthesized: Synthesized) -> None:
    stack, role = synthesized.stack, synthesized.stack.alerting.evaluate.role
    tables = stack.tables
    assert _on(synthesized, role, tables.metrics) >= READ | WRITE
    # Alerts: conditional Puts only (test_least_privilege.py checks the rest).
    assert _on(synthesized, role, tables.alerts) >= READ | {"dynamodb:PutItem"}
    assert "dynamodb:Query" in _on_indexes(synthesized, role, tables.alerts)
    baselines = _on(synthesized, role, tables.baselines)
    assert baselines >= READ
    assert not ANY_WRITE & baselines
    for untouched in (tables.connections, tables.audit):
        assert _on(synthesized, role, untouched) == set()
    cx_events = _on(synthesized, role, stack.ingest.cx_events)
    assert "kinesis:GetRecords" in cx_events
    assert not {"kinesis:PutRecord", "kinesis:PutRecords"} & cx_events
    assert "sqs:SendMessage" in _on(synthesized, role, stack.alerting.evaluate_failures)


def test_baselines_read_metrics_and_write_baselines_only(synthesized: Synthesized) -> None:
    tables, role = synthesized.stack.tables, synthesized.stack.alerting.baselines.role
    metrics = _on(synthesized, role, tables.metrics)
    assert "dynamodb:Query" in metrics
    assert not ANY_WRITE & metrics
    assert _on(synthesized, role, tables.baselines) >= WRITE
    for untouched in (tables.alerts, tables.connections, tables.audit):
        assert _on(synthesized, role, untouched) == set()


def test_websocket_function_permissions(synthesized: Synthesized) -> None:
    tables, role = synthesized.stack.tables, synthesized.stack.websocket.handler.role
    assert _on(synthesized, role, tables.connections) >= READ | WRITE
    assert "dynamodb:Query" in _on_indexes(synthesized, role, tables.connections)
    assert READ | {"dynamodb:PutItem"} <= _on(synthesized, role, tables.alerts)
    assert "dynamodb:Query" in _on_indexes(synthesized, role, tables.alerts)
    metrics = _on(synthesized, role, tables.metrics)
    assert "dynamodb:Query" in metrics
    assert not ANY_WRITE & metrics
    assert _on(synthesized, role, tables.baselines) == set()
    services = {action.split(":")[0] for action in all_actions(_allowed(synthesized, role))}
    assert services == {"dynamodb", "execute-api", "logs"}


def test_fanout_permissions(synthesized: Synthesized) -> None:
    stack, role = synthesized.stack, synthesized.stack.fanout.fanout.role
    tables, notifications = stack.tables, stack.notifications
    assert _on(synthesized, role, tables.connections) >= {"dynamodb:Query", "dynamodb:DeleteItem"}
    assert "dynamodb:Query" in _on_indexes(synthesized, role, tables.connections)
    alerts = _on(synthesized, role, tables.alerts)
    assert alerts >= {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:Query"}
    assert not ANY_WRITE & alerts  # it delivers transitions, never makes them
    assert _on(synthesized, role, notifications.alerts_topic) == {"sns:Publish"}
    assert _on(synthesized, role, notifications.escalation_topic) == {"sns:Publish"}
    queue = _on(synthesized, role, notifications.escalation_queue)
    assert "sqs:SendMessage" in queue
    assert "sqs:ReceiveMessage" not in queue
    for untouched in (tables.metrics, tables.baselines):
        assert _on(synthesized, role, untouched) == set()


def test_escalate_claims_levels_and_reschedules_but_sends_nothing(synthesized: Synthesized) -> None:
    stack, role = synthesized.stack, synthesized.stack.notifications.escalate.role
    tables, notifications = stack.tables, stack.notifications
    queue = _on(synthesized, role, notifications.escalation_queue)
    assert queue >= {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"}
    assert _on(synthesized, role, tables.alerts) >= READ | {"dynamodb:PutItem"}
    for untouched in (tables.connections, tables.audit, tables.metrics, tables.baselines):
        assert _on(synthesized, role, untouched) == set()
    services = {action.split(":")[0] for action in all_actions(_allowed(synthesized, role))}
    assert services == {"dynamodb", "sqs", "logs"}


def test_audit_log_is_append_only_for_every_role(synthesized: Synthesized) -> None:
    audit = synthesized.logical_id(synthesized.stack.tables.audit)
    writers = {
        synthesized.logical_id(synthesized.stack.websocket.handler.role),
        synthesized.logical_id(synthesized.stack.fanout.fanout.role),
    }
    assert roles_allowed(synthesized, "dynamodb:PutItem", audit) == writers
    for action in ANY_WRITE - {"dynamodb:PutItem"}:
        assert roles_allowed(synthesized, action, audit) == set(), action
    allowed_on_audit = {
        action
        for resource in synthesized.template.find_resources("AWS::IAM::Policy").values()
        for action in actions_on(allowed(resource["Properties"]["PolicyDocument"]["Statement"]), audit)
    }
    assert allowed_on_audit == {"dynamodb:PutItem"}


@pytest.mark.parametrize("writer", ["websocket", "fanout"])
def test_audit_writers_are_explicitly_denied_update_and_delete(synthesized: Synthesized, writer: str) -> None:
    stack = synthesized.stack
    role = stack.websocket.handler.role if writer == "websocket" else stack.fanout.fanout.role
    audit = synthesized.logical_id(stack.tables.audit)
    denied = actions_on([s for s in role_statements(synthesized, role) if s["Effect"] == "Deny"], audit)
    assert set(AUDIT_FORBIDDEN_ACTIONS) <= denied
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= denied


def test_only_websocket_and_fanout_manage_connections_of_this_api(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    api = synthesized.logical_id(stack.websocket.api)
    expected = {
        synthesized.logical_id(stack.websocket.handler.role),
        synthesized.logical_id(stack.fanout.fanout.role),
    }
    assert roles_allowed(synthesized, "execute-api:ManageConnections") == expected
    assert roles_allowed(synthesized, "execute-api:ManageConnections", api) == expected


def test_no_role_has_service_wide_actions(synthesized: Synthesized) -> None:
    for policy in synthesized.template.find_resources("AWS::IAM::Policy").values():
        actions = all_actions(allowed(policy["Properties"]["PolicyDocument"]["Statement"]))
        assert not [a for a in actions if a == "*" or a.endswith(":*")]
