from __future__ import annotations

import pytest
from floorwatch import names

from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra


def test_raw_events_feed_the_normalizer_with_the_shared_mapping_settings(synthesized: Synthesized) -> None:
    ingest = synthesized.stack.ingest
    mappings = synthesized.template.find_resources("AWS::Lambda::EventSourceMapping")
    [mapping] = [m["Properties"] for m in mappings.values()]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [synthesized.logical_id(ingest.raw_events), "Arn"]}
    assert mapping["FunctionName"] == {"Ref": synthesized.logical_id(ingest.normalize.function)}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == names.NORMALIZE_BATCH_SIZE
    assert mapping["MaximumBatchingWindowInSeconds"] == names.NORMALIZE_BATCHING_WINDOW_SECONDS
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == names.NORMALIZE_MAX_RETRY_ATTEMPTS
    assert mapping["MaximumRecordAgeInSeconds"] == names.NORMALIZE_MAX_RECORD_AGE_SECONDS
    failure_queue_arn = {"Fn::GetAtt": [synthesized.logical_id(ingest.normalize_failures), "Arn"]}
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": failure_queue_arn}}
