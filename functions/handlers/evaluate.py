"""Lambda evaluate: cx-events Kinesis batches and the one-minute EventBridge tick -> floorwatch.engine.

Thin. Two triggers:

- a Kinesis batch of CxEvent JSON records: decode them, ``engine.process(shard, events)`` (fold, one
  metric write per touched item, rules, alert transitions). A record that is not a CxEvent is logged and
  counted, never retried (retrying cannot fix it, and it must not block the shard). When the stores
  fail, the batch's records are reported in ``batchItemFailures`` and Lambda delivers them again:
  the engine is idempotent (event-id dedup, conditional alert writes), so the retry converges. Any
  other failure is bisected down to the one record that fails alone, and only it is reported: one
  poison record never takes its neighbours with it;
- an EventBridge scheduled event (``"source": "aws.events"``, ``"detail-type": "Scheduled Event"``):
  ``engine.tick(now)`` evaluates pending/open alerts, quiet feeds and agents in a watched state.

``build_handler(settings, metric_store, alert_store, rules, clock)`` takes any ports (tests, the local
runtime); the module-level ``handler`` validates the environment and builds the DynamoDB ones on the
first invocation. Rules come from ``FLOORWATCH_RULES_FILE`` (YAML or JSON) or the shipped defaults.
"""

from __future__ import annotations

import binascii
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from floorwatch.alerts.live import DEFAULT_INTERVAL, LivePolicy
from floorwatch.alerts.model import Transition
from floorwatch.engine import Engine
from floorwatch.events.model import CxEvent
from floorwatch.events.normalize import describe_validation_error
from floorwatch.names import (
    ENV_ALERTS_TABLE,
    ENV_BASELINES_TABLE,
    ENV_LIVE_UPDATE_SECONDS,
    ENV_METRICS_TABLE,
    METRICS_NAMESPACE,
)
from floorwatch.rules.config import RuleSet
from floorwatch.security.redact import redact
from floorwatch.settings import RulesFileSettings
from floorwatch.store.alerts_dynamodb import AlertStoreRetriesExhausted, DynamoAlertStore
from floorwatch.store.alerts_port import AlertStore
from floorwatch.store.baselines_port import BaselineLookup, ScopeRegistry
from floorwatch.store.metrics_dynamodb import DynamoMetricStore, MetricStoreRetriesExhausted
from floorwatch.store.metrics_port import MetricStore
from floorwatch.store.watches import DynamoWatchList, WatchList
from pydantic import Field, ValidationError

from handlers import observability

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]
Clock = Callable[[], datetime]

TABLE_NAME_PATTERN = r"^[A-Za-z0-9_.-]{3,255}$"
MAX_LOGGED_UNDECODABLE = 10  # per batch: a poison storm must not flood the logs

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
# Failures of the stores themselves: retrying helps, bisecting would only multiply the failing calls.
_TRANSIENT = (
    MetricStoreRetriesExhausted,
    AlertStoreRetriesExhausted,
    BotoCoreError,
    ClientError,
    ConnectionError,
    TimeoutError,
)


class EvaluateSettings(RulesFileSettings):
    """The evaluate function: metric items, alert states, optional baselines, rules file."""

    metrics_table: str = Field(
        validation_alias=ENV_METRICS_TABLE, pattern=TABLE_NAME_PATTERN, description="DynamoDB metrics table"
    )
    alerts_table: str = Field(
        validation_alias=ENV_ALERTS_TABLE, pattern=TABLE_NAME_PATTERN, description="DynamoDB alerts table"
    )
    baselines_table: str | None = Field(
        default=None,
        validation_alias=ENV_BASELINES_TABLE,
        pattern=TABLE_NAME_PATTERN,
        description="DynamoDB baselines table (unset: static tiers only)",
    )
    live_update_seconds: int = Field(
        default=int(DEFAULT_INTERVAL.total_seconds()),
        validation_alias=ENV_LIVE_UPDATE_SECONDS,
        ge=0,
        le=3600,
        description="publish a firing alert's live value at most once per this many seconds (0: never)",
    )

    def live_policy(self) -> LivePolicy | None:
        seconds = self.live_update_seconds
        return LivePolicy(interval=timedelta(seconds=seconds)) if seconds else None


@logger.inject_lambda_context(correlation_id_path=observability.KINESIS_BATCH_OR_SCHEDULE, clear_state=True)
@observability.discard_unpublished(metrics)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    return _default_handler()(event, context)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


_clock: Clock = _wall_clock


def now() -> datetime:
    """What the default handler takes as "now" (the wall clock, unless `use_clock` set another)."""
    return _clock()


def use_clock(clock: Clock | None) -> None:
    """Point the default handler's "now" at ``clock`` (None: back to the wall clock).

    Lambda never calls this. `floorwatch demo` does: its simulated center's event time runs faster
    than the wall clock, and ticks judge silence and time-in-state at "now".
    """
    global _clock  # noqa: PLW0603 - one process-wide clock, as the handler is one per process
    _clock = clock or _wall_clock


@functools.cache
def _default_handler() -> Handler:
    """Cold start: validate the environment, load the rules, build the clients (not cached on error)."""
    from floorwatch.store.baselines_dynamodb import (  # noqa: PLC0415 - optional ports
        DynamoBaselineStore,
        DynamoScopeDirectory,
    )

    settings = EvaluateSettings.from_environ()
    observability.default_dimensions(metrics, settings.stage)
    rules = settings.rules()  # an invalid rules file fails here, naming file, line, rule and field
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)
    client = boto3.client("dynamodb", config=config)
    baselines = DynamoBaselineStore(client, settings.baselines_table) if settings.baselines_table else None
    return build_handler(
        settings,
        DynamoMetricStore(client, settings.metrics_table, learned_kinds=rules.learned_kinds()),
        DynamoAlertStore(client, settings.alerts_table),
        rules,
        now,
        baselines=baselines,
        watches=DynamoWatchList(client, settings.metrics_table),
        registry=DynamoScopeDirectory(client, settings.metrics_table),
    )


def build_handler(
    settings: EvaluateSettings,
    metric_store: MetricStore,
    alert_store: AlertStore,
    rules: RuleSet,
    clock: Clock,
    *,
    baselines: BaselineLookup | None = None,
    watches: WatchList | None = None,
    registry: ScopeRegistry | None = None,
) -> Handler:
    """``registry``: where the scopes of every batch are noted for the dashboards' and the baselines
    learner's directory (None: nobody looks them up, e.g. an in-memory runtime)."""
    engine = Engine(
        rules,
        metric_store,
        alert_store,
        baselines=baselines,
        watches=watches,
        live_policy=settings.live_policy(),
    )

    def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        if is_scheduled(event):
            return _tick(settings, engine, clock(), str(event.get("id") or "") or None)
        return _process(settings, engine, event, clock(), registry)

    return handle


def is_scheduled(event: Mapping[str, Any]) -> bool:
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def _tick(settings: EvaluateSettings, engine: Engine, now: datetime, event_id: str | None) -> dict[str, Any]:
    transitions = engine.tick(now, correlation_id=event_id)  # what time passing changed names the tick
    _record_transitions(transitions, now, latency=False)
    logger.info(
        "tick", extra={"stage": settings.stage, "at": now.isoformat(), "transitions": len(transitions)}
    )
    _count(settings, {"TickTransitions": len(transitions)})
    return {"ticked_at": now.isoformat(), "transitions": len(transitions)}


# --- Kinesis batches -------------------------------------------------------------------------------


def _process(
    settings: EvaluateSettings,
    engine: Engine,
    event: Mapping[str, Any],
    now: datetime,
    registry: ScopeRegistry | None = None,
) -> dict[str, Any]:
    by_shard: dict[str, list[tuple[str, CxEvent]]] = {}
    undecodable = 0
    for item in event.get("Records") or ():
        decoded = _decode(item)
        if isinstance(decoded, str):
            undecodable += 1
            if undecodable <= MAX_LOGGED_UNDECODABLE:
                # Validation messages may quote the payload: redact them like any free text.
                logger.warning("record is not a CxEvent, skipped", extra={"problem": redact(decoded[:300])})
            continue
        shard, sequence, cx_event = decoded
        by_shard.setdefault(shard, []).append((sequence, cx_event))
    failed: list[str] = []
    transitions = evaluated = 0
    for shard, records in by_shard.items():
        shard_transitions, shard_evaluated = _evaluate(engine, shard, records, now, failed)
        transitions += shard_transitions
        evaluated += shard_evaluated
    if registry is not None:
        registry.note(_scopes(cx_event for records in by_shard.values() for _, cx_event in records), now)
    logger.info(
        "batch evaluated",
        extra={
            "stage": settings.stage,
            "events": evaluated,
            "undecodable": undecodable,
            "failed": len(failed),
            "transitions": transitions,
        },
    )
    _count(settings, {"EventsEvaluated": evaluated, "Transitions": transitions})
    observability.count_failures(metrics, name="RecordsUndecodable", value=undecodable)
    observability.count_failures(metrics, name="RecordsFailed", value=len(failed))
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}


def _scopes(events: Iterable[CxEvent]) -> set[str]:
    """The scopes the directory lists (the registry leaves out the kinds nobody looks up)."""
    scopes: set[str] = set()
    for event in events:
        scopes.add("center:" + event.center_id)
        scopes.add("feed:" + event.source.value)
        for kind, ident in (("queue:", event.queue_id), ("team:", event.team_id), ("agent:", event.agent_id)):
            if ident is not None:
                scopes.add(kind + ident)
    return scopes


def _record_transitions(made: Sequence[Transition], now: datetime, *, latency: bool = True) -> None:
    """One log line per transition, its correlation id the raw record behind it (as in the fan-out's
    and the escalation's lines and the SNS message), with the alert id (the one in the SMS link).

    ``latency``: the pipeline's own latency, event time (the instant a transition is judged at, its
    batch's newest event) to the moment this invocation started evaluating it. Not for ticks: what time
    passing changes is judged at the tick's time, not at an event's."""
    batch = logger.get_correlation_id()
    try:
        for transition in made:
            extra: dict[str, Any] = {
                "alert_id": transition.alert_id,
                "transition_id": transition.transition_id,
                "transition": transition.transition.value,
                "event_time": transition.at.isoformat(),
            }
            if latency:
                latency_ms = max(0.0, (now - transition.at).total_seconds() * 1000)
                metrics.add_metric(name="PipelineLatency", unit=MetricUnit.Milliseconds, value=latency_ms)
                extra["pipeline_latency_ms"] = round(latency_ms)
            logger.set_correlation_id(transition.correlation_id or batch)
            logger.info("transition stored", extra=extra)
    finally:
        logger.set_correlation_id(batch)


def _evaluate(
    engine: Engine, shard: str, records: list[tuple[str, CxEvent]], now: datetime, failed: list[str]
) -> tuple[int, int]:
    """(transitions, events evaluated) for one shard's records; the sequence numbers to retry go to
    ``failed``.

    A store that keeps failing (throttling exhausted, an outage) fails all the records: they are retried.
    Any other error is taken for a poison record and bisected: each half is evaluated on its own until
    the record that fails alone is found, and only it is reported. Its neighbours are evaluated now; those
    after it come again with the retry (Kinesis re-delivers from the lowest failed sequence number) and
    the engine's idempotence makes that harmless.
    """
    try:
        made = engine.process(shard, [cx_event for _, cx_event in records], now)
    except _TRANSIENT:
        logger.exception("stores unavailable, records reported for retry", extra={"shard": shard})
        failed += [sequence for sequence, _ in records]
        return 0, 0
    except Exception as error:  # noqa: BLE001 - isolate the poison record below
        if len(records) == 1:
            logger.error(
                "record not evaluated, reported for retry",
                extra={
                    "shard": shard,
                    "sequence_number": records[0][0],
                    "error": redact(f"{type(error).__name__}: {error}"[:300]),
                },
            )
            failed.append(records[0][0])
            return 0, 0
    else:
        _record_transitions(made, now)
        return len(made), len(records)
    middle = len(records) // 2
    first = _evaluate(engine, shard, records[:middle], now, failed)
    second = _evaluate(engine, shard, records[middle:], now, failed)
    return first[0] + second[0], first[1] + second[1]


def _decode(item: Any) -> tuple[str, str, CxEvent] | str:
    """(shard id, sequence number, event), or why the record is unusable."""
    try:
        kinesis = item["kinesis"]
        sequence = str(kinesis["sequenceNumber"])
        data = binascii.a2b_base64(kinesis["data"], strict_mode=True)
        shard = str(item.get("eventID") or "").partition(":")[0] or str(item.get("eventSourceARN") or "")
        return shard, sequence, CxEvent.model_validate_json(data)
    except ValidationError as error:  # the fields and problems, never the input (payload content)
        return f"not a CxEvent: {describe_validation_error(error)}"
    except Exception as error:  # noqa: BLE001 - one bad record must not fail the batch
        return f"{type(error).__name__}: {error}"


def _count(settings: EvaluateSettings, figures: Mapping[str, int]) -> None:
    for name, value in figures.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
