"""The normalize function may read raw-events, write cx-events, add quarantine objects, log, trace
and report failed batches: nothing more."""

from __future__ import annotations

import pytest

from tests.infrastructure.support import (
    Statement,
    Synthesized,
    actions_on,
    all_actions,
    allowed,
    as_list,
    role_statements,
)

pytestmark = pytest.mark.infra


def _normalize_statements(synthesized: Synthesized) -> list[Statement]:
    statements = role_statements(synthesized, synthesized.stack.ingest.normalize.role)
    assert statements, "the normalize role has no policies at all"
    assert all(statement["Effect"] == "Allow" for statement in statements)
    return statements


def test_reads_raw_events_but_never_writes_them(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    raw = actions_on(statements, synthesized.logical_id(synthesized.stack.ingest.raw_events))
    assert {"kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStreamSummary"} <= raw
    assert not {"kinesis:PutRecord", "kinesis:PutRecords"} & raw


def test_writes_cx_events_but_never_reads_them(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    cx = actions_on(statements, synthesized.logical_id(synthesized.stack.ingest.cx_events))
    assert {"kinesis:PutRecord", "kinesis:PutRecords"} <= cx
    assert not {"kinesis:GetRecords", "kinesis:GetShardIterator"} & cx


def test_can_only_put_objects_into_quarantine(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    quarantine = synthesized.stack.ingest.quarantine
    on_bucket = actions_on(statements, synthesized.logical_id(quarantine.bucket))
    assert on_bucket == {"s3:PutObject"}
    s3_actions = {action for action in all_actions(statements) if action.startswith("s3:")}
    assert s3_actions == {"s3:PutObject"}
    assert not {"s3:GetObject", "s3:DeleteObject", "s3:ListBucket"} & s3_actions
    assert actions_on(statements, synthesized.logical_id(quarantine.access_logs)) == set()


def test_can_send_failed_batch_records_to_the_failure_queue(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    queue_actions = actions_on(
        statements, synthesized.logical_id(synthesized.stack.ingest.normalize_failures)
    )
    assert "sqs:SendMessage" in queue_actions
    assert not {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue"} & queue_actions


def test_logs_only_to_its_own_log_group(synthesized: Synthesized) -> None:
    statements = _normalize_statements(synthesized)
    log_group_id = synthesized.logical_id(synthesized.stack.ingest.normalize.log_group)
    log_actions = {action for action in all_actions(statements) if action.startswith("logs:")}
    assert log_actions == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert actions_on(statements, log_group_id) == log_actions


def test_no_service_wide_actions_and_no_star_resources(synthesized: Synthesized) -> None:
    statements = allowed(_normalize_statements(synthesized))
    assert not [a for a in all_actions(statements) if a == "*" or a.endswith(":*")]
    star_resource_actions = {
        action
        for statement in statements
        if "*" in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    }
    assert star_resource_actions == set()
