"""The one source of resource names, key schemas and environment variable names.

The CDK constructs, the Lambda handlers, the local runtime and the tests all import this module,
so the local emulation cannot drift from what `cdk deploy` creates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# --- environment variables read by the handlers (validated at cold start) -----------------------
ENV_STAGE = "FLOORWATCH_STAGE"
ENV_CX_EVENTS_STREAM = "FLOORWATCH_CX_EVENTS_STREAM"
ENV_QUARANTINE_BUCKET = "FLOORWATCH_QUARANTINE_BUCKET"
ENV_METRICS_TABLE = "FLOORWATCH_METRICS_TABLE"
ENV_ALERTS_TABLE = "FLOORWATCH_ALERTS_TABLE"
ENV_RULES_FILE = "FLOORWATCH_RULES_FILE"
ENV_AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"  # honoured by boto3 itself; the local runtime sets it
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
LOG_LEVEL = "LOG_LEVEL"  # read by the Powertools Logger
POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"

DEFAULT_STAGE = "dev"

# --- Kinesis ---------------------------------------------------------------------------------------
KINESIS_MAX_RECORDS_PER_PUT = 500
KINESIS_MAX_BYTES_PER_PUT = 5 * 1024 * 1024
KINESIS_MAX_BYTES_PER_RECORD = 1024 * 1024
KINESIS_MAX_PARTITION_KEY_LENGTH = 256

# --- quarantine bucket layout (S3) -----------------------------------------------------------------
# Rejected raw records: quarantine/YYYY/MM/DD/<stream>/<shard>/<sequence>.json (day of Kinesis arrival).
QUARANTINE_PREFIX = "quarantine/"
# Re-driven records move here (same relative key) once the raw stream has accepted them again.
REDRIVEN_PREFIX = "redriven/"

# --- CloudWatch metrics (Powertools EMF) ------------------------------------------------------------
METRICS_NAMESPACE = "floorwatch"

# Event source mapping settings shared by the CDK stack and the local pollers.
NORMALIZE_BATCH_SIZE = 500
NORMALIZE_BATCHING_WINDOW_SECONDS = 1
NORMALIZE_MAX_RETRY_ATTEMPTS = 5
NORMALIZE_MAX_RECORD_AGE_SECONDS = 6 * 3600

# --- DynamoDB key schemas --------------------------------------------------------------------------
AttributeType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: AttributeType = "S"


@dataclass(frozen=True)
class TableSpec:
    """A table's logical id and key schema; the physical name depends on the stage."""

    logical_name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    ttl_attribute: str | None = None
    stream: bool = False


METRICS_TABLE = TableSpec(
    logical_name="metrics",
    partition_key=KeyAttribute("pk"),  # "<scope>#<metric>", e.g. "queue:billing#answered"
    sort_key=KeyAttribute("sk"),  # bucket start, ISO 8601 UTC
    ttl_attribute="expires_at",
)
ALERTS_TABLE = TableSpec(
    logical_name="alerts",
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    ttl_attribute="expires_at",
    stream=True,
)
TABLES: tuple[TableSpec, ...] = (METRICS_TABLE, ALERTS_TABLE)


@dataclass(frozen=True)
class ResourceNames:
    """Physical names for one stage (dev, prod, local, ...)."""

    stage: str = DEFAULT_STAGE

    @property
    def raw_events_stream(self) -> str:
        return f"floorwatch-{self.stage}-raw-events"

    @property
    def cx_events_stream(self) -> str:
        return f"floorwatch-{self.stage}-cx-events"

    @property
    def quarantine_bucket(self) -> str:
        # Only the local runtime uses this literal name: in AWS, CloudFormation names the bucket
        # (bucket names are global) and passes it to the functions through ENV_QUARANTINE_BUCKET.
        return f"floorwatch-{self.stage}-quarantine"

    @property
    def normalize_failures_queue(self) -> str:
        return f"floorwatch-{self.stage}-normalize-failures"

    def table(self, spec: TableSpec) -> str:
        return f"floorwatch-{self.stage}-{spec.logical_name}"

    def function(self, logical_name: str) -> str:
        return f"floorwatch-{self.stage}-{logical_name}"
