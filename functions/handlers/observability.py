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
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Metrics

F = TypeVar("F", bound=Callable[..., Any])

# JMESPath of the correlation id in each trigger's event (Powertools' correlation_id_path):
# a Kinesis or DynamoDB-stream batch is named by its first record (shard and sequence number),
# an SQS batch by its first message, a WebSocket request by API Gateway's request id.
KINESIS_BATCH = "Records[0].eventID"
KINESIS_BATCH_OR_SCHEDULE = "Records[0].eventID || id"  # evaluate: a batch, or the tick's event id
SQS_BATCH = "Records[0].messageId"
WEBSOCKET_REQUEST = "requestContext.requestId"
SCHEDULED_EVENT = "id"


def default_dimensions(metrics: Metrics, stage: str) -> None:
    """Every metric of this container carries the stage (set once, at cold start)."""
    if metrics.default_dimensions.get("stage") != stage:  # a cold start retried after a bad setting
        metrics.set_default_dimensions(stage=stage)


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
