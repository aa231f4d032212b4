"""What every handler shares for Powertools: the stage dimension and the local runtime's metric reset.

Each handler's module-level ``handler`` is decorated the way Powertools users expect::

    @logger.inject_lambda_context(correlation_id_path=..., clear_state=True)  # request id, cold start
    @observability.discard_unpublished(metrics)
    @metrics.log_metrics(capture_cold_start_metric=True)                      # flush, ColdStart metric
    def handler(event, context): ...

and its cold start calls ``observability.default_dimensions(metrics, settings.stage)``, so every metric
the function emits carries ``stage`` (the alarms in infrastructure/alarms.py select on it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared import version as powertools_version

F = TypeVar("F", bound=Callable[..., Any])
# Written into the deployment package at synth time, next to handlers/ (LAMBDA_TASK_ROOT).
RUNTIME_VERSIONS_FILE = Path(__file__).resolve().parent.parent / "runtime_versions.json"
_log = Logger(child=True)

# JMESPath of the correlation id in each trigger's event (Powertools' correlation_id_path):
# a Kinesis or DynamoDB-stream batch is named by its first record (shard and sequence number),
# an SQS batch by its first message, a WebSocket request by API Gateway's request id.
KINESIS_BATCH = "Records[0].eventID"
KINESIS_BATCH_OR_SCHEDULE = "Records[0].eventID || id"  # evaluate: a batch, or the tick's event id
SQS_BATCH = "Records[0].messageId"
WEBSOCKET_REQUEST = "requestContext.requestId"
SCHEDULED_EVENT = "id"


def default_dimensions(metrics: Metrics, stage: str) -> None:
    """Every metric of this container carries the stage (set once, at cold start); and the layer's
    Powertools and pydantic are checked against the ones the code was tested with (``check_layer``)."""
    if metrics.default_dimensions.get("stage") != stage:  # a cold start retried after a bad setting
        metrics.set_default_dimensions(stage=stage)
    check_layer(metrics)


def check_layer(metrics: Metrics, expected_file: Path = RUNTIME_VERSIONS_FILE) -> dict[str, str]:
    """Compare the Powertools layer's packages with the versions the code was tested with.

    The deployment package records those (infrastructure/assets.py writes ``runtime_versions.json``
    from the locked environment that synthesized it); Powertools and pydantic come from the public
    layer whose version is a deployment setting. A mismatch is logged as an error and counted
    (``LayerVersionMismatch``, alarmed in infrastructure/alarms.py) rather than stopping the function:
    a newer patch release usually works, and a stopped pipeline pages no one about the floor. Returns
    the mismatches, ``{package: "layer X, tested Y"}``; none outside Lambda (no recorded file)."""
    if not expected_file.is_file():
        return {}
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    found = {"aws-lambda-powertools": powertools_version.VERSION, "pydantic": pydantic.VERSION}
    mismatches = {
        package: f"layer {found.get(package)}, tested {version}"
        for package, version in expected.items()
        if found.get(package) != version
    }
    if mismatches:
        _log.error(
            "the Powertools layer does not carry the versions this code was tested with: set "
            "powertools_layer_version to the layer release of the pinned aws-lambda-powertools "
            "(docs/deploying.md)",
            extra={"mismatches": mismatches},
        )
    count_failures(metrics, name="LayerVersionMismatch", value=len(mismatches))
    return mismatches


def count_failures(metrics: Metrics, *, name: str, value: int) -> None:
    """A failure counter (quarantined, failed, undelivered records; a layer mismatch), published only when
    something failed. CloudWatch bills a custom metric for each hour it receives data (prorated), and every
    alarm on these treats missing data as not breaching, so a zero sent every batch only cost money: a
    healthy month pays nothing for them (docs/performance.md)."""
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def discard_unpublished(metrics: Metrics) -> Callable[[F], F]:
    """Clear what ``log_metrics`` could not publish.

    With POWERTOOLS_METRICS_DISABLED (the local runtime: no CloudWatch to read EMF) a flush keeps
    the metrics, and they would pile up invocation after invocation.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            finally:
                metrics.clear_metrics()

        return wrapper  # type: ignore[return-value]

    return decorate
