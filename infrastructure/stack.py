"""FloorwatchStack: one stack per stage, composed of one construct per concern.

Environment-agnostic on purpose: nothing here looks anything up in an AWS account, so `python app.py`
synthesizes offline; account and region come from the deploying credentials.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from infrastructure.ingest import IngestConstruct
from infrastructure.settings import Settings

STACK_ID = "FloorwatchStack"

# CloudFormation output keys: what `cdk deploy --outputs-file` hands to producers and operators.
OUTPUT_RAW_EVENTS_STREAM = "RawEventsStreamName"
OUTPUT_CX_EVENTS_STREAM = "CxEventsStreamName"
OUTPUT_QUARANTINE_BUCKET = "QuarantineBucketName"
OUTPUT_NORMALIZE_FAILURES_QUEUE = "NormalizeFailuresQueueUrl"


class FloorwatchStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"floorwatch ({settings.stage}): real-time contact-center monitoring",
        )
        self.settings = settings
        Tags.of(self).add("project", "floorwatch")
        Tags.of(self).add("stage", settings.stage)

        self.ingest = IngestConstruct(self, "Ingest", settings=settings)
        self._outputs()

    def _outputs(self) -> None:
        ingest = self.ingest
        CfnOutput(
            self,
            OUTPUT_RAW_EVENTS_STREAM,
            value=ingest.raw_events.stream_name,
            description="Kinesis stream that contact-center platforms PutRecords raw events to",
        )
        CfnOutput(
            self,
            OUTPUT_CX_EVENTS_STREAM,
            value=ingest.cx_events.stream_name,
            description="Kinesis stream of normalized CxEvents",
        )
        CfnOutput(
            self,
            OUTPUT_QUARANTINE_BUCKET,
            value=ingest.quarantine.bucket.bucket_name,
            description="S3 bucket holding raw records the normalizer rejected, with the reason",
        )
        CfnOutput(
            self,
            OUTPUT_NORMALIZE_FAILURES_QUEUE,
            value=ingest.normalize_failures.queue_url,
            description="SQS queue describing raw-events batches the normalizer gave up on",
        )
