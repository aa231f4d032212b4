from __future__ import annotations

import json

import pytest
from floorwatch import names

from tests.infrastructure.support import Synthesized, event_source_mapping

pytestmark = pytest.mark.infra


def _on_failure(synthesized: Synthesized, queue: object) -> dict[str, object]:
    return {"OnFailure": {"Destination": {"Fn::GetAtt": [synthesized.logical_id(queue), "Arn"]}}}


def test_raw_events_feed_the_normalizer_with_the_shared_mapping_settings(synthesized: Synthesized) -> None:
    ingest = synthesized.stack.ingest
    mapping = event_source_mapping(synthesized, ingest.normalize.function)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [synthesized.logical_id(ingest.raw_events), "Arn"]}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == names.NORMALIZE_BATCH_SIZE
    assert mapping["MaximumBatchingWindowInSeconds"] == names.NORMALIZE_BATCHING_WINDOW_SECONDS
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == names.NORMALIZE_MAX_RETRY_ATTEMPTS
    assert mapping["MaximumRecordAgeInSeconds"] == names.NORMALIZE_MAX_RECORD_AGE_SECONDS
    assert mapping["DestinationConfig"] == _on_failure(synthesized, ingest.normalize_failures)


def test_cx_events_feed_the_evaluator_with_the_shared_mapping_settings(synthesized: Synthesized) -> None:
    alerting = synthesized.stack.alerting
    mapping = event_source_mapping(synthesized, alerting.evaluate.function)
    cx_events = synthesized.logical_id(synthesized.stack.ingest.cx_events)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [cx_events, "Arn"]}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == names.EVALUATE_BATCH_SIZE
    assert mapping["MaximumBatchingWindowInSeconds"] == names.EVALUATE_BATCHING_WINDOW_SECONDS
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == names.EVALUATE_MAX_RETRY_ATTEMPTS
    assert mapping["MaximumRecordAgeInSeconds"] == names.EVALUATE_MAX_RECORD_AGE_SECONDS
    assert mapping["DestinationConfig"] == _on_failure(synthesized, alerting.evaluate_failures)


def test_the_alerts_table_stream_feeds_the_fanout(synthesized: Synthesized) -> None:
    fanout = synthesized.stack.fanout
    mapping = event_source_mapping(synthesized, fanout.fanout.function)
    alerts = synthesized.logical_id(synthesized.stack.tables.alerts)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [alerts, "StreamArn"]}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == names.FANOUT_BATCH_SIZE
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == names.FANOUT_MAX_RETRY_ATTEMPTS
    assert mapping["DestinationConfig"] == _on_failure(synthesized, fanout.failures)
    # Only inserted transition items invoke it: the very pattern the local runtime applies.
    [only] = mapping["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == names.ALERTS_STREAM_FILTER


def test_escalation_checks_feed_the_escalate_function(synthesized: Synthesized) -> None:
    notifications = synthesized.stack.notifications
    mapping = event_source_mapping(synthesized, notifications.escalate.function)
    queue = synthesized.logical_id(notifications.escalation_queue)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert mapping["BatchSize"] == names.ESCALATE_BATCH_SIZE
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_mapping_is_one_of_the_above(synthesized: Synthesized) -> None:
    # Nothing else polls a stream or queue: a new mapping needs its own test.
    mappings = synthesized.template.find_resources("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 4
