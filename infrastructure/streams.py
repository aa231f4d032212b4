"""The two Kinesis data streams: raw platform events in, unified CxEvents out."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct
from floorwatch.names import ResourceNames

# Kinesis' own minimum: consumers keep up within seconds, and a day is enough to replay after an
# incident. Longer retention is billed per shard-hour (on demand: per GB-month).
RETENTION = Duration.hours(24)


def event_stream(scope: Construct, construct_id: str, *, stream_name: str) -> kinesis.Stream:
    """An on-demand stream (contact-center traffic is bursty; no shard planning) encrypted at rest
    with the AWS-managed key alias/aws/kinesis (no key policy to maintain, no per-request KMS cost
    to producers)."""
    return kinesis.Stream(
        scope,
        construct_id,
        stream_name=stream_name,
        stream_mode=kinesis.StreamMode.ON_DEMAND,
        encryption=kinesis.StreamEncryption.MANAGED,
        retention_period=RETENTION,
    )


class EventStreams(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, names: ResourceNames) -> None:
        super().__init__(scope, construct_id)
        # Platforms PutRecords raw JSON here; the normalizer is its only consumer.
        self.raw_events = event_stream(self, "RawEvents", stream_name=names.raw_events_stream)
        # The normalizer writes CxEvents here, partitioned by scope; the evaluator consumes it.
        self.cx_events = event_stream(self, "CxEvents", stream_name=names.cx_events_stream)
