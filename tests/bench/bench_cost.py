"""Cost benchmark: the monthly AWS bill of a reference center and the cost per million events.

Reference center: 500 agents taking 5,000 contacts an hour at the peak, traffic following the
simulator's hour-of-day curve, 30.4 days a month. What is measured here, with the real code:

- traffic: `BENCH_COST_MINUTES` (default 3) of peak traffic from the simulator, sized so that its
  contacts per hour match the reference (the simulator's handle times need more agents than 500 for
  5,000 contacts an hour, so agent-state traffic is overstated: conservative);
- normalize: records and events per second, CxEvent sizes (Kinesis PUT units), CPU per record
  (the handler with in-memory ports);
- evaluate: the Lambda batching of one invocation per shard per second, through the DynamoDB stores on
  moto with every request's read and write units counted from the item sizes (transactions at twice
  the units, as DynamoDB bills them), a tick a minute, and CPU per event (in-memory stores);
- dashboards: a supervisor's snapshot read from the same DynamoDB tables (units and bytes); their
  heartbeat is a `ping` API Gateway answers itself (a MOCK route: two messages, nothing else);
- transitions and which of them notify (SNS publishes, e-mails).

What is assumed (constants below, explained in docs/performance.md): dashboards open, their refresh
and ping periods (the page's), dashboards reached per transition, e-mail recipients, an AWS call's
latency seen from Lambda, and the CPU share of a 512 MB function. `tests/bench/cost.py` turns the
month's usage into dollars with list prices and their date.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from floorwatch.engine import Engine
from floorwatch.events.model import CxEvent, EventType
from floorwatch.events.normalize import normalize_document
from floorwatch.metrics.model import ScopeKind
from floorwatch.rules.config import load_default_rules

from local.simulator import generate
from local.simulator.config import HOUR_OF_DAY_CURVE, CenterConfig
from tests.bench.cost import HOURS_PER_MONTH, PRICES, Usage, monthly_cost, per_million_events, total

# --- the reference center, and what is assumed about it -------------------------------------------------
REFERENCE_AGENTS = 500
REFERENCE_PEAK_CONTACTS_PER_HOUR = 5_000
# The simulator's contacts last longer than a 500-agent, 5,000-an-hour center's: this many simulated
# agents produce ~5,000 contacts an hour at the peak (measured: 500 agents give ~2,350).
SIMULATED_AGENTS = 1_070
DASHBOARDS = 40  # supervisors (1 per ~15 agents), managers, wallboards, open while the center is staffed
MANAGER_DASHBOARDS = 4  # of them, those that see every queue (managers, wallboards): larger snapshots
WEBSOCKET_CONTAINERS = 2  # warm websocket functions, each reading the scope registry once a minute
REFRESH_SECONDS = 15  # dashboard/app.js REFRESH_MS: each open page asks for a snapshot this often
# dashboard/app.js PING_AFTER_SILENCE_MS: a page pings (answered by API Gateway, no function) only when
# it has heard nothing this long; its checks run every second, so a ping goes out 8-9 s into a silence.
PING_AFTER_SILENCE_SECONDS = 8
PING_FUNCTION_SECONDS = 0.002  # what a ping would cost the websocket function instead (no table read)
DASHBOARDS_PER_TRANSITION = 8  # its queue's supervisors and wallboard, managers
EMAIL_RECIPIENTS = 2  # alert_contacts.email
AWS_CALL_SECONDS = 0.010  # one DynamoDB / Kinesis / SNS call from Lambda, round trip
LAMBDA_MEMORY_GB = 0.5  # infrastructure.python_function.DEFAULT_MEMORY_MB
CPU_SHARE = 512 / 1769  # Lambda gives one full vCPU at 1,769 MB
INVOCATION_OVERHEAD_SECONDS = 0.003  # runtime and Powertools per invocation (measured locally: ~1-3 ms)
SHARDS = 1  # per stream: the stack's default kinesis_shards
STAFFED_THRESHOLD = 0.1  # hours whose traffic is at least this share of the peak have dashboards open
LOG_BYTES_PER_INVOCATION = 700  # a batch summary line with Powertools' context keys
LOG_BYTES_PER_TRANSITION = 900  # `transition stored`, the fan-out's and SNS's lines
ALARMS = 27  # infrastructure/alarms.py (tests/infrastructure/test_operations.py counts them)
# Custom metrics that receive data in every hour of a healthy month (CloudWatch bills a metric for each
# hour it gets data): ColdStart of the 7 functions (counted every hour, which errs high), normalize's
# RecordsReceived, EventsPublished, RecordsSkipped, evaluate's EventsEvaluated, Transitions,
# TickTransitions, PipelineLatency, the fan-out's TransitionsDelivered, escalate's EscalationChecksFailed,
# the learner's three. The 13 failure counters (quarantined, failed, undecodable and undelivered records
# of normalize, evaluate and fan-out; LayerVersionMismatch of every function) are sent only when something
# failed (handlers.observability.count_failures): nothing in a healthy month. Before: 32, all every hour.
CUSTOM_METRICS = 19
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
METRICS_RETENTION_DAYS = 8  # floorwatch.store.metrics_dynamodb: a week of history for the baselines

# The deployed mappings (no batching window: Lambda polls each shard about once a second), and what a
# 10 s batching window on the cx-events mapping would cost instead (latency +10 s).
WINDOWS = (
    (1, "deployed (no batching window: one batch per shard-second)"),
    (10, "with a 10 s batching window"),
)
BUSY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday; warm-up, then the peak hour
WARM_UP = timedelta(minutes=20)


@dataclass
class Sample:
    """Peak traffic of the simulated reference center, per second of arrival."""

    seconds: float
    records: list[tuple[datetime, bytes]] = field(default_factory=list)
    events_by_second: dict[int, list[CxEvent]] = field(default_factory=lambda: defaultdict(list))
    contacts: set[str] = field(default_factory=set)

    @property
    def stream_bytes(self) -> int:
        """What both streams carry: the raw records, and the CxEvents normalize writes (JSON)."""
        return sum(len(data) for _, data in self.records) + sum(
            len(event.model_dump_json()) for event in self.events
        )

    @property
    def events(self) -> list[CxEvent]:
        return [event for second in sorted(self.events_by_second) for event in self.events_by_second[second]]

    def per_hour(self, count: float) -> float:
        return count * 3600 / self.seconds


def peak_sample(minutes: float) -> Sample:
    center = CenterConfig(agents=SIMULATED_AGENTS)
    start = BUSY + WARM_UP
    sample = Sample(seconds=minutes * 60)
    for record in generate(BUSY, WARM_UP + timedelta(minutes=minutes), seed=3, center=center, incidents=()):
        if record.at < start:
            continue
        data = json.dumps(record.payload, separators=(",", ":")).encode()
        sample.records.append((record.at, data))
        second = int((record.at - start).total_seconds())
        for event in normalize_document(record.payload).events:
            sample.events_by_second[second].append(event)
            if event.type in (EventType.CONTACT_ANSWERED, EventType.CONTACT_ABANDONED) and event.contact_id:
                sample.contacts.add(event.contact_id)
    return sample


# --- normalize -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NormalizeFigures:
    cpu_per_record: float  # seconds
    events: int  # CxEvents written to the cx-events sink
    quarantined: int  # records the handler refused (the sample's are all valid: 0 expected)


def normalize_records(sample: Sample) -> NormalizeFigures:
    """The normalize handler over the sample, one trigger per second of arrival, each record stamped with
    its own arrival time (the handler refuses events too far from it, as it does in AWS)."""
    from floorwatch.store.memory import InMemoryEventSink, InMemoryQuarantine
    from handlers import normalize

    from tests.bench.bench_normalize import SETTINGS

    by_second: dict[int, list[bytes]] = defaultdict(list)
    start = sample.records[0][0]
    for at, data in sample.records:
        by_second[int((at - start).total_seconds())].append(data)
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    handle = normalize.build_handler(SETTINGS, sink, quarantine)
    normalize.logger.setLevel("WARNING")  # a line per batch otherwise
    triggers = [
        _kinesis_event(records, second, start + timedelta(seconds=second))
        for second, records in sorted(by_second.items())
    ]
    started = time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):  # Powertools flushes a metric at 100 values
        for trigger in triggers:
            handle(trigger, None)
    cpu = (time.process_time() - started) / len(sample.records)
    normalize.metrics.clear_metrics()  # build_handler's metrics are flushed by the decorated handler only
    return NormalizeFigures(cpu, len(sink.events), len(quarantine.items))


def _kinesis_event(records: Sequence[bytes], second: int, arrival: datetime) -> dict[str, Any]:
    return {
        "Records": [
            {
                "kinesis": {
                    "partitionKey": f"pk-{index}",
                    "sequenceNumber": f"{second:012d}{index:06d}",
                    "data": base64.b64encode(data).decode("ascii"),
                    "approximateArrivalTimestamp": arrival.timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventID": f"shardId-000000000000:{second:012d}{index:06d}",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/floorwatch-dev-raw-events",
            }
            for index, data in enumerate(records)
        ]
    }


# --- DynamoDB request units, counted from item sizes ------------------------------------------------------


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (numbers ~1 byte per 2 digits)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    return 1  # BOOL, NULL


class CapacityMeter:
    """Counts the read and write request units of every call a DynamoDB client makes."""

    def __init__(self, client: Any, lookup: Any) -> None:
        self.read_units = 0.0
        self.write_units = 0.0
        self.calls = 0
        self._lookup = lookup  # an uncounted client on the same tables: item sizes after a write
        self._params: dict[str, Any] = {}
        client.meta.events.register("provide-client-params.dynamodb.*", self._remember)
        client.meta.events.register("after-call.dynamodb.*", self._count)

    def _remember(self, params: dict[str, Any], **_: Any) -> None:
        self._params = params

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls += 1
        params, operation = self._params, model.name
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (kind, request), *_ = entry.items()
                size = item_size(request["Item"]) if kind == "Put" else self._stored_size(request)
                self.write_units += 2 * max(1, math.ceil(size / 1024))
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            size = item_size(params["Item"]) if operation == "PutItem" else self._stored_size(params)
            self.write_units += max(1, math.ceil(size / 1024))
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    put = request.get("PutRequest")
                    self.write_units += max(1, math.ceil(item_size(put["Item"]) / 1024)) if put else 1
        elif operation == "GetItem":
            self.read_units += self._read(parsed.get("Item"), params.get("ConsistentRead", False))
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                consistent = params["RequestItems"][table].get("ConsistentRead", False)
                keys = len(params["RequestItems"][table]["Keys"])
                self.read_units += sum(self._read(item, consistent) for item in items)
                self.read_units += (keys - len(items)) * (1 if consistent else 0.5)
        elif operation == "TransactGetItems":
            items = [response.get("Item") for response in parsed.get("Responses", [])]
            self.read_units += sum(2 * self._read(item, True) for item in items)
        elif operation in ("Query", "Scan"):
            size = sum(item_size(item) for item in parsed.get("Items", []))
            units = max(1, math.ceil(size / 4096))
            self.read_units += units * (1 if params.get("ConsistentRead") else 0.5)

    @staticmethod
    def _read(item: dict[str, Any] | None, consistent: bool) -> float:
        units = max(1, math.ceil(item_size(item or {}) / 4096))
        return units * (1.0 if consistent else 0.5)

    def _stored_size(self, request: dict[str, Any]) -> int:
        found = self._lookup.get_item(TableName=request["TableName"], Key=request["Key"]).get("Item")
        return item_size(found or request["Key"])


# --- evaluate and the dashboards on moto ---------------------------------------------------------------


@dataclass(frozen=True)
class EvaluateFigures:
    window_seconds: int  # the evaluate mapping's batching: one invocation per shard per window
    invocations: int
    ticks: int
    read_units: float
    write_units: float
    calls: int
    transitions: int
    notified_emails: int  # warning/critical transitions that notify: e-mailed
    critical_opened: int
    metrics_table_bytes: int
    snapshot_read_units: float
    snapshot_calls: int
    snapshot_bytes: int
    manager_snapshot_read_units: float  # every queue's tiles (the directory read apart, cached a minute)
    manager_snapshot_calls: int
    manager_snapshot_bytes: int
    directory_read_units: float  # one registry Query of the center's queues
    registry_write_units: float  # the evaluator's scope registry (in write_units too)


def evaluate_on_moto(sample: Sample, window_seconds: int = 1) -> EvaluateFigures:
    import boto3
    from floorwatch.names import ALERTS_TABLE, METRICS_TABLE
    from floorwatch.snapshot import SnapshotSources
    from floorwatch.store.alerts_dynamodb import DynamoAlertStore
    from floorwatch.store.baselines_dynamodb import DynamoScopeDirectory
    from floorwatch.store.metrics_dynamodb import DynamoMetricStore
    from floorwatch.store.watches import DynamoWatchList
    from moto import mock_aws

    from local.runtime import moto_patches
    from tests.integration.ddb_tables import create_table

    moto_patches.apply()  # moto 5.2 deep-copies whole tables per transaction otherwise (minutes per run)
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    rules = load_default_rules()
    with mock_aws():
        lookup = boto3.client("dynamodb", region_name="us-east-1")
        create_table(lookup, METRICS_TABLE, "cost-metrics")
        create_table(lookup, ALERTS_TABLE, "cost-alerts")
        client = boto3.client("dynamodb", region_name="us-east-1")
        meter = CapacityMeter(client, lookup)
        metrics = DynamoMetricStore(client, "cost-metrics", learned_kinds=rules.learned_kinds())
        alerts = DynamoAlertStore(client, "cost-alerts")
        engine = Engine(rules, metrics, alerts, watches=DynamoWatchList(client, "cost-metrics"))
        directory = DynamoScopeDirectory(client, "cost-metrics")  # the registry, as the handler notes it
        registry_units = 0.0
        start = BUSY + WARM_UP
        transitions = []
        invocations = ticks = 0
        next_tick = start + timedelta(minutes=1)
        for window, batch in _batches(sample, window_seconds):
            now = start + timedelta(seconds=window + window_seconds)
            while next_tick <= now:
                transitions += engine.tick(next_tick)
                ticks += 1
                next_tick += timedelta(minutes=1)
            transitions += engine.process("shardId-000000000000", batch, now)
            before_note = meter.write_units
            directory.note(_scopes(batch), now)
            registry_units += meter.write_units - before_note
            invocations += 1
        read_units, write_units, calls = meter.read_units, meter.write_units, meter.calls
        table_bytes = sum(
            item_size(item)
            for page in lookup.get_paginator("scan").paginate(TableName="cost-metrics")
            for item in page["Items"]
        )
        queue = next(event.queue_id for event in sample.events if event.queue_id)
        snapshots = _measure_snapshots(meter, SnapshotSources(alerts, metrics, rules), directory, queue, now)
    notifying = [
        t
        for t in transitions
        if t.notify
        and t.transition.value in ("opened", "upgraded", "downgraded", "resolved", "flapping_started")
        and t.severity.value in ("warning", "critical")
    ]
    return EvaluateFigures(
        window_seconds=window_seconds,
        invocations=invocations,
        ticks=ticks,
        read_units=read_units,
        write_units=write_units,
        calls=calls,
        transitions=len(transitions),
        notified_emails=len(notifying),
        critical_opened=sum(
            1 for t in notifying if t.severity.value == "critical" and t.transition.value == "opened"
        ),
        metrics_table_bytes=table_bytes,
        registry_write_units=registry_units,
        **snapshots,
    )


def _measure_snapshots(
    meter: CapacityMeter, sources: Any, directory: Any, queue: str, now: datetime
) -> dict[str, Any]:
    """A supervisor's refresh (the alerts they may see, their queue's tiles), the directory's Query, and a
    manager's refresh (every queue the directory lists; the directory apart: cached a minute)."""
    from floorwatch.snapshot import DIRECTORY_LOOKBACK, build_snapshot
    from floorwatch.store.connections_port import Principal

    def measured(principal: Any, with_sources: Any) -> tuple[float, int, int]:
        before = (meter.read_units, meter.calls)
        snapshot = build_snapshot(principal, now, with_sources)
        size = len(json.dumps({"type": "snapshot", **snapshot}, default=str).encode())
        return meter.read_units - before[0], meter.calls - before[1], size

    supervisor = measured(Principal(user="ana", role="supervisor", queues=(queue,)), sources)
    before = meter.read_units
    queues = directory.scopes_seen(ScopeKind.QUEUE, now - DIRECTORY_LOOKBACK, now)
    directory_units = meter.read_units - before
    manager = measured(Principal(user="mia", role="manager"), replace(sources, directory=_Listed(queues)))
    return {
        "snapshot_read_units": supervisor[0],
        "snapshot_calls": supervisor[1],
        "snapshot_bytes": supervisor[2],
        "manager_snapshot_read_units": manager[0],
        "manager_snapshot_calls": manager[1],
        "manager_snapshot_bytes": manager[2],
        "directory_read_units": directory_units,
    }


class _Listed:
    """A directory answering what the registry listed (the websocket function caches it a minute)."""

    def __init__(self, scopes: list[str]) -> None:
        self._scopes = scopes

    def scopes_seen(self, kind: ScopeKind, since: datetime, until: datetime) -> list[str]:
        return [scope for scope in self._scopes if scope.startswith(kind.value + ":")]


def _scopes(events: Sequence[CxEvent]) -> set[str]:
    from handlers.evaluate import _scopes as scopes_of  # what the handler notes per batch

    return scopes_of(events)


def _batches(sample: Sample, window_seconds: int) -> list[tuple[int, list[CxEvent]]]:
    """(window start second, events) per batching window: what one shard's invocations carry."""
    batches: dict[int, list[CxEvent]] = defaultdict(list)
    for second in sorted(sample.events_by_second):
        batches[second - second % window_seconds] += sample.events_by_second[second]
    return sorted(batches.items(), key=lambda item: item[0])


def evaluate_cpu_per_event(sample: Sample) -> float:
    from floorwatch.store.alerts_memory import InMemoryAlertStore
    from floorwatch.store.metrics_memory import InMemoryMetricStore

    engine = Engine(load_default_rules(), InMemoryMetricStore(), InMemoryAlertStore())
    start = BUSY + WARM_UP
    started = time.process_time()
    for second in sorted(sample.events_by_second):
        engine.process(
            "shardId-000000000000", sample.events_by_second[second], start + timedelta(seconds=second)
        )
    return (time.process_time() - started) / max(1, len(sample.events))


# --- a month -------------------------------------------------------------------------------------------


def _hourly_shares() -> list[float]:
    peak = max(HOUR_OF_DAY_CURVE)
    return [share / peak for share in HOUR_OF_DAY_CURVE]


def _stream_invocations_per_hour(records_per_hour: float, window_seconds: int = 1) -> float:
    """Lambda polls each shard about once a second (or once per batching window) and invokes when
    records are there (Poisson arrivals)."""
    per_shard_window = records_per_hour / 3600 / SHARDS * window_seconds
    return SHARDS * 3600 / window_seconds * (1 - math.exp(-per_shard_window))


def _duration(cpu_seconds: float, calls: float) -> float:
    return INVOCATION_OVERHEAD_SECONDS + cpu_seconds / CPU_SHARE + calls * AWS_CALL_SECONDS


@dataclass(frozen=True)
class Dashboards:
    """What the open dashboards send. ``ping_after_silence``: a ping when nothing was heard that long
    (None: no heartbeat message; the refresh was the heartbeat before 2026-12-07); ``ping_every``: a
    ping at that period whatever else arrives, instead; ``pings_by_function``: pings answered by the
    websocket function (no table read) instead of API Gateway's MOCK route."""

    refresh_seconds: float = REFRESH_SECONDS
    ping_after_silence: float | None = PING_AFTER_SILENCE_SECONDS
    ping_every: float | None = None
    pings_by_function: bool = False

    def pings_per_second(self) -> float:
        """A dashboard's pings. Between two snapshots (one a refresh period) the silence is filled with a
        ping every ping_after_silence plus half a check; pushes, which would spare some, are not counted
        (the bill errs high)."""
        if self.ping_every:
            return 1 / self.ping_every
        if not self.ping_after_silence:
            return 0.0
        per_refresh = math.ceil(self.refresh_seconds / (self.ping_after_silence + 0.5)) - 1
        return max(0, per_refresh) / self.refresh_seconds

    def load(
        self,
        staffed_hours: float,
        figures: EvaluateFigures,
        invocations: dict[str, float],
        gb_seconds: dict[str, float],
    ) -> tuple[float, float, float]:
        """(supervisors' refreshes, managers' refreshes, pings) a month, while the center is staffed;
        the websocket function's invocations and GB-seconds are added to the dictionaries given."""
        refreshes = DASHBOARDS * staffed_hours * 3600 / self.refresh_seconds
        pings = DASHBOARDS * staffed_hours * 3600 * self.pings_per_second()
        managers = refreshes * MANAGER_DASHBOARDS / DASHBOARDS
        supervisors = refreshes - managers
        invocations["websocket"] += refreshes
        gb_seconds["websocket"] += supervisors * LAMBDA_MEMORY_GB * _duration(0.005, figures.snapshot_calls)
        gb_seconds["websocket"] += (
            managers * LAMBDA_MEMORY_GB * _duration(0.02, figures.manager_snapshot_calls)
        )
        if self.pings_by_function:
            invocations["websocket"] += pings
            gb_seconds["websocket"] += pings * LAMBDA_MEMORY_GB * _duration(PING_FUNCTION_SECONDS, 0)
        return supervisors, managers, pings


def month(
    sample: Sample,
    normalize_cpu: float,
    evaluate_cpu: float,
    figures: EvaluateFigures,
    dashboards: Dashboards = Dashboards(),  # frozen: a shared default is safe
) -> Usage:
    shares = _hourly_shares()
    days = DAYS_PER_MONTH
    peak_records = sample.per_hour(len(sample.records))
    peak_events = sample.per_hour(len(sample.events))
    sample_events = len(sample.events)
    invocations: dict[str, float] = defaultdict(float)
    gb_seconds: dict[str, float] = defaultdict(float)
    log_bytes = 0.0
    for share in shares:
        records, events = peak_records * share, peak_events * share
        # Stream functions are invoked per shard and polling interval (or batching window) with records.
        for name, count, cpu_each, calls_per_unit, hourly in (
            ("normalize", records, normalize_cpu, 0.0, _stream_invocations_per_hour(records)),
            (
                "evaluate",
                events,
                evaluate_cpu,
                figures.calls / max(1, sample_events),
                _stream_invocations_per_hour(records, figures.window_seconds),
            ),
        ):
            invocations[name] += hourly * days
            per_invocation = count / max(1.0, hourly)
            calls = 1.0 if name == "normalize" else calls_per_unit * per_invocation
            duration = _duration(cpu_each * per_invocation, calls)
            gb_seconds[name] += hourly * days * LAMBDA_MEMORY_GB * duration
            log_bytes += hourly * days * LOG_BYTES_PER_INVOCATION
    # The evaluator's tick (every minute, day and night) and the hourly baselines run.
    invocations["evaluate"] += 60 * 24 * days
    gb_seconds["evaluate"] += 60 * 24 * days * LAMBDA_MEMORY_GB * _duration(0.02, 5)
    invocations["baselines"] += 24 * days
    gb_seconds["baselines"] += 24 * days * LAMBDA_MEMORY_GB * 5.0
    # Transitions: the fan-out (one invocation per transition at this rate), SNS and escalation checks.
    per_peak_hour = sample.per_hour
    transitions = sum(per_peak_hour(figures.transitions) * share for share in shares) * days
    emails = sum(per_peak_hour(figures.notified_emails) * share for share in shares) * days
    criticals = sum(per_peak_hour(figures.critical_opened) * share for share in shares) * days
    invocations["fanout"] += transitions
    gb_seconds["fanout"] += transitions * LAMBDA_MEMORY_GB * _duration(0.01, 4)
    log_bytes += transitions * LOG_BYTES_PER_TRANSITION
    invocations["escalate"] += criticals
    gb_seconds["escalate"] += criticals * LAMBDA_MEMORY_GB * _duration(0.005, 3)
    # Dashboards: open while the center is staffed, a snapshot every refresh period, a ping (answered by
    # API Gateway itself: a message each way) every ping period.
    staffed_hours = sum(1 for share in shares if share >= STAFFED_THRESHOLD) * days
    supervisors, managers, pings = dashboards.load(staffed_hours, figures, invocations, gb_seconds)
    reconnects = DASHBOARDS * staffed_hours / 2  # API Gateway closes a connection after 2 hours
    invocations["authorizer"] += reconnects
    gb_seconds["authorizer"] += reconnects * LAMBDA_MEMORY_GB * _duration(0.002, 0)
    messages = (
        supervisors * (1 + _message_units(figures.snapshot_bytes))
        + managers * (1 + _message_units(figures.manager_snapshot_bytes))
        + transitions * DASHBOARDS_PER_TRANSITION
        + pings * 2  # the ping and its pong, each far under a 32 KB unit
    )
    # DynamoDB: the evaluator's measured units per event (ticks and the scope registry included), the
    # snapshots, the directory's registry queries (websocket containers, the hourly learner).
    events_month = sum(peak_events * share for share in shares) * days
    evaluate_writes = figures.write_units / sample_events * events_month
    evaluate_reads = figures.read_units / sample_events * events_month
    table_gb = figures.metrics_table_bytes / sample.seconds * 86_400 * METRICS_RETENTION_DAYS / 1e9
    snapshot_reads = (
        supervisors * figures.snapshot_read_units + managers * figures.manager_snapshot_read_units
    )
    reads = {
        "evaluate": evaluate_reads,
        "snapshots": snapshot_reads,
        "directory": (WEBSOCKET_CONTAINERS * 60 * staffed_hours + 24 * days) * figures.directory_read_units,
    }
    writes = {
        "evaluate": evaluate_writes - figures.registry_write_units / sample_events * events_month,
        # Each registered scope is written once an hour it reports (the sample, from a cold process,
        # wrote each once): agents report while the center is staffed.
        "registry": figures.registry_write_units * staffed_hours,
        "fan-out": transitions * 1,  # the fan-out's audit / connections
    }
    return Usage(
        events=events_month,
        raw_records=sum(peak_records * share for share in shares) * days,
        lambda_invocations=dict(invocations),
        lambda_gb_seconds=dict(gb_seconds),
        kinesis_streams=2,
        kinesis_shards_per_stream=SHARDS,
        kinesis_put_units=sum((peak_records + peak_events) * share for share in shares) * days,
        kinesis_gb=sample.per_hour(sample.stream_bytes) * sum(shares) * days / 1e9,
        dynamodb_write_units=sum(writes.values()),
        dynamodb_read_units=sum(reads.values()),
        dynamodb_read_parts=reads,
        dynamodb_write_parts=writes,
        dynamodb_gb=table_gb,
        apigw_messages=messages,
        apigw_connection_minutes=DASHBOARDS * staffed_hours * 60,
        sns_publishes=emails,
        sns_emails=emails * EMAIL_RECIPIENTS,
        sqs_requests=criticals * 3,
        alarms=ALARMS,
        custom_metrics=CUSTOM_METRICS,
        log_gb=log_bytes / 1e9,
    )


def _message_units(size: int) -> int:
    return max(1, math.ceil(size / 32_768))  # API Gateway bills WebSocket messages in 32 KB units


def print_bill(usage: Usage) -> None:
    lines = monthly_cost(usage)
    print(
        f"   AWS list prices: us-east-1 as of {PRICES.as_of}; SMS excluded (priced per country and carrier)"
    )
    for line in lines:
        print(
            f"   {line.service:<22} {line.what:<42} ${line.dollars:>9,.2f}{'  (fixed)' if line.fixed else ''}"
        )
        parts = {
            "write request units": usage.dynamodb_write_parts,
            "read request units": usage.dynamodb_read_parts,
        }.get(line.what.split(" ", 1)[-1], {})
        if line.service == "DynamoDB" and parts:
            shares = ", ".join(f"{name} {units / 1e6:,.1f} M" for name, units in parts.items())
            print(f"      of which {shares}")
    print(f"   {'monthly total':<65} ${total(lines):>9,.2f}")
    print(
        f"   cost per million events: ${per_million_events(lines, usage):.3f} all in, "
        f"${per_million_events(lines, usage, fixed=False):.3f} of it proportional to traffic "
        f"({usage.events / 1e6:,.1f} M events a month; goal <= $0.30)"
    )


def main() -> None:
    minutes = float(os.environ.get("BENCH_COST_MINUTES", "3"))
    sample = peak_sample(minutes)
    contacts = sample.per_hour(len(sample.contacts))
    records, events = sample.per_hour(len(sample.records)), sample.per_hour(len(sample.events))
    print(
        f"   reference center: {REFERENCE_AGENTS} agents, {REFERENCE_PEAK_CONTACTS_PER_HOUR:,} contacts/h "
        f"at the peak; simulated {minutes:g} min of peak with {SIMULATED_AGENTS} agents: "
        f"{contacts:,.0f} contacts/h, {records:,.0f} raw records/h, {events:,.0f} events/h"
    )
    normalized = normalize_records(sample)
    normalize_cpu = normalized.cpu_per_record
    evaluate_cpu = evaluate_cpu_per_event(sample)
    print(
        f"   normalize: {len(sample.records):,} records -> {normalized.events:,} events, "
        f"{normalized.quarantined} quarantined, {normalize_cpu * 1e6:.0f} us CPU/record"
    )
    print(
        f"   assumed: {DASHBOARDS} dashboards refreshing every {REFRESH_SECONDS} s and pinging after "
        f"{PING_AFTER_SILENCE_SECONDS} s of silence (answered by API Gateway; "
        f"{Dashboards().pings_per_second() * 3600:.0f} pings an hour) while staffed, "
        f"{DASHBOARDS_PER_TRANSITION} dashboards per transition, {EMAIL_RECIPIENTS} e-mail recipients, "
        f"{AWS_CALL_SECONDS * 1000:.0f} ms per AWS call, a 512 MB function's CPU share {CPU_SHARE:.2f}, "
        f"{SHARDS} shard per stream"
    )
    for window, label in WINDOWS:
        figures = evaluate_on_moto(sample, window)
        events = len(sample.events)
        print(f"   -- evaluate batches: {label}")
        print(
            f"   measured: normalize {normalize_cpu * 1e6:.0f} us CPU/record; evaluate "
            f"{evaluate_cpu * 1e6:.0f} us CPU/event; {figures.invocations} batches + {figures.ticks} ticks: "
            f"{(figures.write_units - figures.registry_write_units) / events:.3f} write units (the scope "
            f"registry's apart) and {figures.read_units / events:.3f} read "
            f"units per event, {figures.calls / figures.invocations:.1f} DynamoDB calls per batch; "
            f"{figures.transitions} transitions ({figures.notified_emails} e-mailed); a supervisor's "
            f"snapshot {figures.snapshot_read_units:.1f} read units, {figures.snapshot_bytes / 1024:.1f} KB, "
            f"a manager's {figures.manager_snapshot_read_units:.1f} read units, "
            f"{figures.manager_snapshot_bytes / 1024:.1f} KB; the scope registry: "
            f"{figures.registry_write_units:,.0f} items, a Query of its queues "
            f"{figures.directory_read_units:.1f} read units"
        )
        usage = month(sample, normalize_cpu, evaluate_cpu, figures)
        print_bill(usage)
        if window == 1:
            dashboards = {
                "the refresh as the heartbeat, every 5 s, no ping (before 2026-12-07)": Dashboards(
                    refresh_seconds=5, ping_after_silence=None
                ),
                "a ping every 5 s whatever else arrives, instead of after 8 s of silence": Dashboards(
                    ping_after_silence=None, ping_every=5
                ),
                "pings answered by the websocket function (no table read), not API Gateway": Dashboards(
                    pings_by_function=True
                ),
                "tiles refreshed every 30 s instead of 15 s (not deployed)": Dashboards(refresh_seconds=30),
            }
            priced = {
                label: month(sample, normalize_cpu, evaluate_cpu, figures, other)
                for label, other in dashboards.items()
            }
            print_alternatives(sample, usage, priced, figures)


def print_alternatives(
    sample: Sample, usage: Usage, dashboards: dict[str, Usage], figures: EvaluateFigures
) -> None:
    """What the deployed choices save: the same measurements priced the other way."""
    bill = total(monthly_cost(usage))
    on_demand = replace(usage, kinesis_shards_per_stream=0)
    staffed_hours = sum(1 for share in _hourly_shares() if share >= STAFFED_THRESHOLD) * DAYS_PER_MONTH
    table_units = figures.metrics_table_bytes / sample.seconds * 86_400 * METRICS_RETENTION_DAYS / 4096 * 0.5
    scans = WEBSOCKET_CONTAINERS * 12 * staffed_hours + 24 * DAYS_PER_MONTH  # every 5 min; the learner hourly
    scanned = replace(usage, dynamodb_read_units=usage.dynamodb_read_units + scans * table_units)
    print("   what the deployed choices save (the same measurements, priced the other way):")
    for label, other in (
        *dashboards.items(),
        (
            f"the directory scanning the metrics table ({scans:,.0f} scans of {table_units:,.0f} read units; "
            "before 2026-12-07)",
            scanned,
        ),
        ("Kinesis on-demand instead of one provisioned shard per stream", on_demand),
    ):
        extra = total(monthly_cost(other)) - bill
        print(f"     {label}: {'+' if extra >= 0 else '-'}${abs(extra):,.2f} a month")


if __name__ == "__main__":
    main()
