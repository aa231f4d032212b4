"""Lambda baselines: the scheduled learner of hour-of-week KPI baselines (EventBridge, hourly).

Thin: take the schedule's time from the EventBridge event (``time``; the local runtime's scheduler sends
the same shape), run ``floorwatch.rules.baselines_learner.BaselineLearner`` over the rules with
``baseline:`` config, log and count what it learned. Learning is idempotent and catches up missed hours,
so a failed run is simply redone by the next one (no retry needed).

``build_handler(rules, learner)`` injects any stores (tests, the local runtime); the module-level
``handler`` validates the environment and builds the DynamoDB ones on the first invocation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import botocore.session
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from floorwatch.names import ENV_BASELINES_TABLE, ENV_METRICS_TABLE, METRICS_NAMESPACE
from floorwatch.rules.baselines_learner import BaselineLearner, LearnReport
from floorwatch.rules.config import RuleSet
from floorwatch.settings import TABLE_NAME_PATTERN, RulesFileSettings
from floorwatch.store.baselines_dynamodb import DynamoBaselineStore, DynamoScopeDirectory
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from pydantic import Field

from handlers import observability

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]
Clock = Callable[[], datetime]

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


class BaselinesSettings(RulesFileSettings):
    """The baselines function: metric history in, seasonal baselines out."""

    metrics_table: str = Field(
        validation_alias=ENV_METRICS_TABLE, pattern=TABLE_NAME_PATTERN, description="DynamoDB metrics table"
    )
    baselines_table: str = Field(
        validation_alias=ENV_BASELINES_TABLE,
        pattern=TABLE_NAME_PATTERN,
        description="DynamoDB baselines table",
    )


@logger.inject_lambda_context(correlation_id_path=observability.SCHEDULED_EVENT, clear_state=True)
@observability.discard_unpublished(metrics)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    return _default_handler()(event, context)


@functools.cache
def _default_handler() -> Handler:
    """Cold start: validate the environment, load the rules, build the clients (not cached on error)."""
    settings = BaselinesSettings.from_environ()
    observability.default_dimensions(metrics, settings.stage)
    config = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
    client = botocore.session.get_session().create_client("dynamodb", config=config)
    rules = settings.rules()
    learner = BaselineLearner(
        DynamoMetricStore(client, settings.metrics_table, learned_kinds=rules.learned_kinds()),
        DynamoBaselineStore(client, settings.baselines_table),
        DynamoScopeDirectory(client, settings.metrics_table),
    )
    return build_handler(rules, learner, stage=settings.stage)


def build_handler(
    rules: RuleSet, learner: BaselineLearner, *, stage: str = "local", clock: Clock | None = None
) -> Handler:
    wall_clock: Clock = clock or (lambda: datetime.now(UTC))

    def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        now = schedule_time(event) or wall_clock()
        report = learner.learn(rules, now)
        _report(stage, now, report)
        return summary(now, report)

    return handle


def schedule_time(event: Mapping[str, Any]) -> datetime | None:
    """The EventBridge event's ``time`` ("2026-11-23T09:00:00Z"), or None when absent or unreadable."""
    text = event.get("time") if isinstance(event, Mapping) else None
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def summary(now: datetime, report: LearnReport) -> dict[str, Any]:
    return {
        "at": now.astimezone(UTC).isoformat(),
        "pairs": report.pairs,
        "hours_learned": report.hours_learned,
        "samples": report.samples,
        "slots_written": report.slots_written,
        "restarted": report.restarted,
        "shadowed_rules": report.shadowed,
    }


def _report(stage: str, now: datetime, report: LearnReport) -> None:
    logger.info("baselines learned", extra=summary(now, report))
    if report.shadowed:
        logger.warning(
            "rules share a (scope, metric) with an earlier rule of another window or seasonality: "
            "they keep their static tiers",
            extra={"rules": report.shadowed},
        )
    metrics.add_metric(name="BaselinePairsLearned", unit=MetricUnit.Count, value=report.pairs)
    metrics.add_metric(name="BaselineHoursLearned", unit=MetricUnit.Count, value=report.hours_learned)
    metrics.add_metric(name="BaselineSlotsWritten", unit=MetricUnit.Count, value=report.slots_written)
