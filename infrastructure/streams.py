"""The two Kinesis data streams: raw platform events in, unified CxEvents out."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct
from floorwatch.names import ResourceNames

# Kinesis' own minimum: consumers keep up within seconds, and a day is enough to replay after an
# incident. Longer retention is billed per shard-hour (on demand: per GB-month).
RETENTION = Duration.hours(24)


def event_stream(scope: Construct, construct_id: str, *, stream_name: str, shards: int) -> kinesis.Stream:
    """A stream encrypted at rest with the AWS-managed key alias/aws/kinesis (no key policy to
    maintain, no per-request KMS cost to producers).

    `shards` > 0: provisioned with that many shards (each takes 1,000 records or 1 MB a second;
    $0.015 a shard-hour). 0: on-demand (no shard planning, but $0.04 a stream-hour plus data: about
    2.7 times one shard's fixed price; docs/performance.md).
    """
    if shards == 0:
        return kinesis.Stream(
            scope,
            construct_id,
            stream_name=stream_name,
            stream_mode=kinesis.StreamMode.ON_DEMAND,
            encryption=kinesis.StreamEncryption.MANAGED,
            retention_period=RETENTION,
        )
    return kinesis.Stream(
        scope,
        construct_id,
        stream_name=stream_name,
        stream_mode=kinesis.StreamMode.PROVISIONED,
        shard_count=shards,
        encryption=kinesis.StreamEncryption.MANAGED,
        retention_period=RETENTION,
    )


class EventStreams(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, names: ResourceNames, shards: int) -> None:
        super().__init__(scope, construct_id)
        # Platforms PutRecords raw JSON here; the normalizer is its only consumer.
        self.raw_events = event_stream(self, "RawEvents", stream_name=names.raw_events_stream, shards=shards)
        # The normalizer writes CxEvents here, partitioned by scope; the evaluator consumes it.
        self.cx_events = event_stream(self, "CxEvents", stream_name=names.cx_events_stream, shards=shards)
