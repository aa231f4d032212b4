from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from floorwatch.names import DEFAULT_STAGE, ResourceNames

from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra

NAMES = ResourceNames(DEFAULT_STAGE)


@pytest.mark.parametrize("stream_name", [NAMES.raw_events_stream, NAMES.cx_events_stream])
def test_stream_is_on_demand_encrypted_with_the_kinesis_managed_key_and_keeps_a_day(
    synthesized: Synthesized, stream_name: str
) -> None:
    synthesized.template.has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "Name": stream_name,
            "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
            "RetentionPeriodHours": 24,
            "ShardCount": Match.absent(),
        },
    )


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
