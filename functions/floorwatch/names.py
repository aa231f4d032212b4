"""The one source of resource names, key schemas and environment variable names.

The CDK constructs, the Lambda handlers, the local runtime and the tests all import this module,
so the local emulation cannot drift from what `cdk deploy` creates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# --- environment variables read by the handlers (validated at cold start) -----------------------
ENV_STAGE = "FLOORWATCH_STAGE"
ENV_CX_EVENTS_STREAM = "FLOORWATCH_CX_EVENTS_STREAM"
ENV_QUARANTINE_BUCKET = "FLOORWATCH_QUARANTINE_BUCKET"
ENV_METRICS_TABLE = "FLOORWATCH_METRICS_TABLE"
ENV_ALERTS_TABLE = "FLOORWATCH_ALERTS_TABLE"
ENV_RULES_FILE = "FLOORWATCH_RULES_FILE"
ENV_CONNECTIONS_TABLE = "FLOORWATCH_CONNECTIONS_TABLE"
ENV_AUDIT_TABLE = "FLOORWATCH_AUDIT_TABLE"
ENV_BASELINES_TABLE = "FLOORWATCH_BASELINES_TABLE"
ENV_DELIVERIES_TABLE = "FLOORWATCH_DELIVERIES_TABLE"  # the fan-out's publish markers
ENV_ESCALATION_QUEUE_URL = "FLOORWATCH_ESCALATION_QUEUE_URL"
ENV_ALERTS_TOPIC_ARN = "FLOORWATCH_ALERTS_TOPIC_ARN"  # every notifying transition, filtered by attributes
ENV_ESCALATION_TOPIC_ARN = "FLOORWATCH_ESCALATION_TOPIC_ARN"  # escalation SMS, filtered by `level`
ENV_ESCALATION_CHAIN = "FLOORWATCH_ESCALATION_CHAIN"  # comma-separated level names, first = level 1
ENV_ESCALATION_REPEAT_SECONDS = "FLOORWATCH_ESCALATION_REPEAT_SECONDS"
ENV_TOKEN_SECRET_ARN = "FLOORWATCH_TOKEN_SECRET_ARN"  # AWS: Secrets Manager secret holding the signing key
ENV_TOKEN_SECRET_FILE = "FLOORWATCH_TOKEN_SECRET_FILE"  # local runtime: a file holding the signing key
ENV_WEBSOCKET_ENDPOINT = "FLOORWATCH_WEBSOCKET_ENDPOINT"  # @connections management API endpoint URL
ENV_DASHBOARD_URL = "FLOORWATCH_DASHBOARD_URL"  # base of the short link in SMS / e-mail
ENV_LIVE_UPDATE_SECONDS = "FLOORWATCH_LIVE_UPDATE_SECONDS"  # live values on cards: at most one per N s
ENV_CONNECT_CONSOLE_URL = "FLOORWATCH_CONNECT_CONSOLE_URL"  # Amazon Connect admin website (monitor links)
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
# Batching windows are 0: Lambda then invokes as soon as a shard poll returns records, which already
# gathers what arrived since the last poll (batches fill by themselves under load, where the write
# savings matter). Each second of window is a second added to every alert's path, twice (two hops).
NORMALIZE_BATCH_SIZE = 500
NORMALIZE_BATCHING_WINDOW_SECONDS = 0
NORMALIZE_MAX_RETRY_ATTEMPTS = 5
NORMALIZE_MAX_RECORD_AGE_SECONDS = 6 * 3600

# --- DynamoDB key schemas --------------------------------------------------------------------------
AttributeType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: AttributeType = "S"


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index (projection ALL). Sparse when only some items carry its keys."""

    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None


@dataclass(frozen=True)
class TableSpec:
    """A table's logical id and key schema; the physical name depends on the stage."""

    logical_name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    ttl_attribute: str | None = None
    stream: bool = False  # NEW_IMAGE stream (the alerts table feeds the fan-out)
    indexes: tuple[IndexSpec, ...] = ()

    def index(self, name: str) -> IndexSpec:
        return next(index for index in self.indexes if index.name == name)


METRICS_TABLE = TableSpec(
    logical_name="metrics",
    # The scope, e.g. "queue:billing" (one row per bucket: every field); agents, contacts and feeds (and
    # teams and centers, unless a baseline rule keeps their rows) are in the delta log instead
    # ("deltas#<day>", sk: write time; floorwatch.store.metrics_log).
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),  # bucket start, ISO 8601 UTC
    ttl_attribute="expires_at",
)
# Alerts: one state item per (rule, scope) and one item per transition, under the same partition
# ("alert#<rule>#<scope>"; sk "state" / "t#<version, 10 digits>"). Only state items carry the keys of
# the two sparse indexes: ACTIVE_INDEX (pending, firing, flapping or snoozed states: ticks and
# dashboard snapshots) and ALERT_ID_INDEX (find the state of an alert named by a supervisor's action).
ALERTS_ACTIVE_INDEX = "active"
ALERTS_ALERT_ID_INDEX = "by-alert-id"
ALERTS_TABLE = TableSpec(
    logical_name="alerts",
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    ttl_attribute="expires_at",
    stream=True,
    indexes=(
        IndexSpec(ALERTS_ACTIVE_INDEX, KeyAttribute("active"), KeyAttribute("pk")),
        IndexSpec(ALERTS_ALERT_ID_INDEX, KeyAttribute("current_alert_id")),
    ),
)
# WebSocket connections: "conn#<id>" / "meta" (who, role, teams) and one item per subscription
# ("sub#<scope or *>") carrying `subscription` for fan-out by scope. TTL at the 2-hour connection limit.
CONNECTIONS_SUBSCRIPTION_INDEX = "by-subscription"
CONNECTION_MAX_AGE_SECONDS = 2 * 3600
CONNECTIONS_TABLE = TableSpec(
    logical_name="connections",
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    ttl_attribute="expires_at",
    indexes=(IndexSpec(CONNECTIONS_SUBSCRIPTION_INDEX, KeyAttribute("subscription"), KeyAttribute("pk")),),
)
# Append-only audit log: pk "alert#<alert_id>" (or "user#<user>" for actions on no alert),
# sk "<ISO time>#<entry id>". Functions get dynamodb:PutItem with attribute_not_exists only.
AUDIT_TABLE = TableSpec(
    logical_name="audit",
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
)
# Seasonal baselines: pk "<scope>#<metric>", sk "how#<hour of week, 3 digits>" (median, sigma, n).
BASELINES_TABLE = TableSpec(
    logical_name="baselines",
    partition_key=KeyAttribute("pk"),
    sort_key=KeyAttribute("sk"),
    ttl_attribute="expires_at",
)
# Publish markers of the fan-out (floorwatch.delivery.once): pk "<transition id>@<topic ARN>", status
# "publishing" (with its lease) or "sent"; expire two days after (the stream keeps records 24 hours).
DELIVERIES_TABLE = TableSpec(
    logical_name="deliveries",
    partition_key=KeyAttribute("pk"),
    ttl_attribute="expires_at",
)
TABLES: tuple[TableSpec, ...] = (
    METRICS_TABLE,
    ALERTS_TABLE,
    CONNECTIONS_TABLE,
    AUDIT_TABLE,
    BASELINES_TABLE,
    DELIVERIES_TABLE,
)

# --- evaluate / escalation settings shared by the CDK stack and the local runtime ------------------
EVALUATE_BATCH_SIZE = 500
EVALUATE_BATCHING_WINDOW_SECONDS = 0
EVALUATE_MAX_RETRY_ATTEMPTS = 5
EVALUATE_MAX_RECORD_AGE_SECONDS = 6 * 3600
FANOUT_BATCH_SIZE = 100
FANOUT_MAX_RETRY_ATTEMPTS = 5
# Lambda event filtering on the alerts-stream mapping (the event-pattern syntax; the local runtime
# applies the same pattern): only new transition items invoke the fan-out. State items (one write per
# change of an alert) and TTL removals are not news; without the filter each costs an invocation.
ALERTS_STREAM_FILTER: dict[str, Any] = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"item_type": {"S": ["transition"]}}},
}
ESCALATION_REPEAT_SECONDS = 90
DEFAULT_ESCALATION_CHAIN = ("team-supervisor", "floor-manager", "ops-on-call")
ESCALATION_LEVEL_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"
SQS_MAX_DELAY_SECONDS = 900
BASELINES_SCHEDULE_MINUTES = 60
EVALUATE_TICK_MINUTES = 1  # EventBridge invokes evaluate this often for pending/open alerts (tick)
ESCALATE_BATCH_SIZE = 10
# SNS message attributes the subscriptions' filter policies match (the publishers must set them).
SNS_ATTRIBUTE_SEVERITY = "severity"  # alerts topic: info | warning | critical
SNS_ATTRIBUTE_LEVEL = "level"  # escalation topic: the level's name from the escalation chain
SNS_ATTRIBUTE_TEAM = "team"  # alerts / escalation topics: the alert's team (omitted when unknown)
SNS_ATTRIBUTE_QUEUE = "queue"  # alerts / escalation topics: the alert's queue (omitted when unknown)
SNS_ATTRIBUTE_RULE = "rule"  # alerts / escalation topics: the rule id
# alerts / escalation topics: the raw record behind the transition (Transition.correlation_id), for tracing;
# no subscription filters on it
SNS_ATTRIBUTE_CORRELATION = "correlation_id"
SNS_ATTRIBUTE_CHANNELS = "channels"  # alerts topic, String.Array: what the rule asks for ("sms", "email")


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

    @property
    def evaluate_failures_queue(self) -> str:
        return f"floorwatch-{self.stage}-evaluate-failures"

    @property
    def fanout_failures_queue(self) -> str:
        return f"floorwatch-{self.stage}-fanout-failures"

    @property
    def escalation_queue(self) -> str:
        return f"floorwatch-{self.stage}-escalation-checks"

    @property
    def escalation_dead_letter_queue(self) -> str:
        return f"floorwatch-{self.stage}-escalation-checks-dlq"

    @property
    def alerts_topic(self) -> str:
        return f"floorwatch-{self.stage}-alerts"

    @property
    def escalation_topic(self) -> str:
        return f"floorwatch-{self.stage}-escalations"

    @property
    def token_secret(self) -> str:
        return f"floorwatch/{self.stage}/token-signing-key"

    @property
    def websocket_api(self) -> str:
        return f"floorwatch-{self.stage}-supervisors"

    def table(self, spec: TableSpec) -> str:
        return f"floorwatch-{self.stage}-{spec.logical_name}"

    def function(self, logical_name: str) -> str:
        return f"floorwatch-{self.stage}-{logical_name}"


# The WebSocket protocol's client actions (docs/protocol.md): each is a route of the stack's API (route
# selection on `$request.body.action`) and of the local gateway; anything else goes to $default.
WEBSOCKET_ACTION_ROUTES: tuple[str, ...] = (
    "subscribe",
    "unsubscribe",
    "refresh",
    "ack",
    "snooze",
    "note",
    "feedback",
    "escalate",
    "resolve",
    "join",
)
