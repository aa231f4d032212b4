"""The normalize function may read raw-events, write cx-events, add quarantine objects, log, trace
and report failed batches: nothing more."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra

Statement = dict[str, Any]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _normalize_statements(synthesized: Synthesized) -> list[Statement]:
    role_id = synthesized.logical_id(synthesized.stack.ingest.normalize.role)
    role = synthesized.template_json["Resources"][role_id]["Properties"]
    documents = [policy["PolicyDocument"] for policy in role.get("Policies", [])]
    for policy in synthesized.template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            documents.append(policy["Properties"]["PolicyDocument"])
    statements = [statement for document in documents for statement in document["Statement"]]
    assert statements, "the normalize role has no policies at all"
    assert all(statement["Effect"] == "Allow" for statement in statements)
    return statements


def _actions_on(statements: list[Statement], logical_id: str) -> set[str]:
    """Actions allowed on any resource that refers to `logical_id` (its ARN or an ARN under it)."""
    return {
        action
        for statement in statements
        if any(f'"{logical_id}"' in json.dumps(resource) for resource in _as_list(statement["Resource"]))
        for action in _as_list(statement["Action"])
    }


def _all_actions(statements: list[Statement]) -> set[str]:
    return {action for statement in statements for action in _as_list(statement["Action"])}


def test_reads_raw_events_but_never_writes_them(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    raw = _actions_on(statements, synthesized.logical_id(synthesized.stack.ingest.raw_events))
    assert {"kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStreamSummary"} <= raw
    assert not {"kinesis:PutRecord", "kinesis:PutRecords"} & raw


def test_writes_cx_events_but_never_reads_them(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    cx = _actions_on(statements, synthesized.logical_id(synthesized.stack.ingest.cx_events))
    assert {"kinesis:PutRecord", "kinesis:PutRecords"} <= cx
    assert not {"kinesis:GetRecords", "kinesis:GetShardIterator"} & cx


def test_can_only_put_objects_into_quarantine(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    quarantine = synthesized.stack.ingest.quarantine
    on_bucket = _actions_on(statements, synthesized.logical_id(quarantine.bucket))
    assert on_bucket == {"s3:PutObject"}
    s3_actions = {action for action in _all_actions(statements) if action.startswith("s3:")}
    assert s3_actions == {"s3:PutObject"}
    assert not {"s3:GetObject", "s3:DeleteObject", "s3:ListBucket"} & s3_actions
    assert _actions_on(statements, synthesized.logical_id(quarantine.access_logs)) == set()


def test_can_send_failed_batch_records_to_the_failure_queue(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    queue_actions = _actions_on(
        statements, synthesized.logical_id(synthesized.stack.ingest.normalize_failures)
    )
    assert "sqs:SendMessage" in queue_actions
    assert not {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue"} & queue_actions


def test_logs_only_to_its_own_log_group(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    log_group_id = synthesized.logical_id(synthesized.stack.ingest.normalize.log_group)
    log_actions = {action for action in _all_actions(statements) if action.startswith("logs:")}
    assert log_actions == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert _actions_on(statements, log_group_id) == log_actions


def test_no_service_wide_actions_and_star_resources_only_for_xray(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    assert not [a for a in _all_actions(statements) if a == "*" or a.endswith(":*")]
    star_resource_actions = {
        action
        for statement in statements
        if "*" in _as_list(statement["Resource"])
        for action in _as_list(statement["Action"])
    }
    assert star_resource_actions <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
