"""SQS queues that receive what an event source mapping gave up on (on-failure destinations)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infrastructure.nag import suppress

# A failure destination only receives batch metadata (shard / stream, sequence number range); the
# records themselves stay readable in their stream for its 24 h retention, so operators get the
# maximum time to look.
FAILURE_QUEUE_RETENTION = Duration.days(14)


def failure_queue(scope: Construct, construct_id: str, *, queue_name: str, source: str) -> sqs.Queue:
    """An encrypted, TLS-only queue for the failed batches of `source` (named in the nag reason)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        queue_name=queue_name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=FAILURE_QUEUE_RETENTION,
    )
    suppress(
        queue,
        "SQS3",
        f"This queue is itself the dead-letter destination of the {source} event source mapping; it "
        "has no automatic consumer, so a further DLQ would never receive anything.",
    )
    return queue
