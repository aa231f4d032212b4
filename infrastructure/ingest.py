"""Ingest: raw-events stream -> normalize Lambda -> cx-events stream, rejects to quarantine.

The event source mapping settings come from floorwatch.names, which the local Kinesis poller uses
too, so a laptop run batches, bisects and gives up exactly like the deployed mapping.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct
from floorwatch.names import (
    ENV_CX_EVENTS_STREAM,
    ENV_QUARANTINE_BUCKET,
    NORMALIZE_BATCH_SIZE,
    NORMALIZE_BATCHING_WINDOW_SECONDS,
    NORMALIZE_MAX_RECORD_AGE_SECONDS,
    NORMALIZE_MAX_RETRY_ATTEMPTS,
    ResourceNames,
)

from infrastructure.nag import objects_finding, suppress
from infrastructure.python_function import PythonFunction
from infrastructure.quarantine import Quarantine
from infrastructure.queues import failure_queue
from infrastructure.settings import Settings
from infrastructure.streams import EventStreams

NORMALIZE_HANDLER = "handlers.normalize.handler"


class IngestConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        names = ResourceNames(settings.stage)

        self.streams = EventStreams(self, "Streams", names=names, shards=settings.kinesis_shards)
        self.raw_events = self.streams.raw_events
        self.cx_events = self.streams.cx_events  # the evaluator (alerting) consumes this
        self.quarantine = Quarantine(self, "Quarantine", expiry_days=settings.quarantine_expiry_days)
        self.normalize_failures = failure_queue(
            self, "NormalizeFailures", queue_name=names.normalize_failures_queue, source="raw-events"
        )
        self.normalize = PythonFunction(
            self,
            "Normalize",
            settings=settings,
            name="normalize",
            handler=NORMALIZE_HANDLER,
            description="Normalizes raw contact-center events into CxEvents; quarantines the rest",
            environment={
                ENV_CX_EVENTS_STREAM: self.cx_events.stream_name,
                ENV_QUARANTINE_BUCKET: self.quarantine.bucket.bucket_name,
            },
        )
        self._connect_normalizer()

    def _connect_normalizer(self) -> None:
        function = self.normalize.function
        # The event source grants kinesis read on raw-events (stream.grant_read) and sqs:SendMessage on
        # the failure queue; the normalizer never reads its output nor writes its input.
        function.add_event_source(
            event_sources.KinesisEventSource(
                self.raw_events,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=NORMALIZE_BATCH_SIZE,
                max_batching_window=Duration.seconds(NORMALIZE_BATCHING_WINDOW_SECONDS),
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                retry_attempts=NORMALIZE_MAX_RETRY_ATTEMPTS,
                max_record_age=Duration.seconds(NORMALIZE_MAX_RECORD_AGE_SECONDS),
                on_failure=event_sources.SqsDlq(self.normalize_failures),
            )
        )
        self.cx_events.grant_write(function)
        self.quarantine.grant_put_records(function)
        suppress(
            self.normalize.role,
            "IAM5",
            "The normalizer writes one object per rejected record under keys it derives at run time; the "
            "wildcard covers object keys of the quarantine bucket only, for s3:PutObject only.",
            applies_to=[objects_finding(self.quarantine.bucket)],
            apply_to_children=True,
        )
