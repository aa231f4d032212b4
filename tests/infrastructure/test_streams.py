from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import aws_kinesis as kinesis
from floorwatch.names import DEFAULT_STAGE, ResourceNames

from infrastructure.application import build_app
from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra

NAMES = ResourceNames(DEFAULT_STAGE)


@pytest.mark.parametrize("stream_name", [NAMES.raw_events_stream, NAMES.cx_events_stream])
def test_stream_has_one_provisioned_shard_encrypted_with_the_kinesis_managed_key_and_keeps_a_day(
    synthesized: Synthesized, stream_name: str
) -> None:
    # One shard per stream by default: the cost model's figure (docs/performance.md).
    synthesized.template.has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "Name": stream_name,
            "StreamModeDetails": {"StreamMode": "PROVISIONED"},
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
            "RetentionPeriodHours": 24,
            "ShardCount": 1,
        },
    )


def test_zero_shards_means_on_demand(tmp_path: Path) -> None:
    stack = build_app(outdir=str(tmp_path), context={"kinesis_shards": "0"}).stack
    raw_events = stack.ingest.raw_events.node.default_child
    assert isinstance(raw_events, kinesis.CfnStream)
    assert stack.resolve(raw_events.stream_mode_details) == {"streamMode": "ON_DEMAND"}
    assert raw_events.shard_count is None


def test_there_are_exactly_the_two_event_streams(synthesized: Synthesized) -> None:
    streams = synthesized.template.find_resources("AWS::Kinesis::Stream")
    names = sorted(stream["Properties"]["Name"] for stream in streams.values())
    assert names == sorted([NAMES.raw_events_stream, NAMES.cx_events_stream])


def test_stream_names_and_quarantine_bucket_are_stack_outputs(synthesized: Synthesized) -> None:
    ingest = synthesized.stack.ingest
    outputs = synthesized.template_json["Outputs"]
    referenced = {key: output["Value"] for key, output in outputs.items()}
    assert referenced["RawEventsStreamName"] == {"Ref": synthesized.logical_id(ingest.raw_events)}
    assert referenced["CxEventsStreamName"] == {"Ref": synthesized.logical_id(ingest.cx_events)}
    assert referenced["QuarantineBucketName"] == {"Ref": synthesized.logical_id(ingest.quarantine.bucket)}
