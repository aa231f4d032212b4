"""Lambda websocket: every route of the supervisor WebSocket API (API Gateway v2, route selection
``$request.body.action``).

- ``$connect``: the REQUEST authorizer already verified the token; its context
  (``requestContext.authorizer``: user, role, teams, queues) is stored as the connection's principal.
- ``$disconnect``: the connection is forgotten.
- ``subscribe`` / ``unsubscribe`` / ``refresh`` / ``ack`` / ``snooze`` / ``note`` / ``feedback`` /
  ``escalate`` / ``resolve`` and ``$default``: ``floorwatch.supervisor_api`` answers; the reply is
  posted to the caller through the @connections management API (a ``Poster``). ``$default`` also
  serves known actions, so a stack that routes everything to ``$default`` works the same.

Every invocation answers ``{"statusCode": 200}`` except a $connect without authorizer context (403):
replies travel over the @connections API, not as route responses. The endpoint is
``names.ENV_WEBSOCKET_ENDPOINT`` when set, else ``https://{domainName}/{stage}`` from the request.

``build_handler(api, poster_for)`` for tests and the local runtime; the module-level ``handler``
validates ``WebsocketSettings`` and builds the DynamoDB stores on the first invocation.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from botocore.config import Config
from floorwatch.alerts.escalation import EscalationPolicy
from floorwatch.delivery.websocket import ApiGatewayPoster, ConnectionGone, Poster
from floorwatch.names import METRICS_NAMESPACE
from floorwatch.security.redact import redact
from floorwatch.settings import WebsocketSettings
from floorwatch.snapshot import CachedScopeDirectory, SnapshotSources
from floorwatch.store.alerts_dynamodb import DynamoAlertStore
from floorwatch.store.audit_dynamodb import DynamoAuditLog
from floorwatch.store.baselines_dynamodb import DynamoScopeDirectory
from floorwatch.store.connections_dynamodb import DynamoConnectionStore
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from floorwatch.supervisor_api import ApiPorts, Reply, SupervisorApi, error_reply

from handlers import observability
from handlers.authorizer import principal_from_context

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]
PosterFor = Callable[[str], Poster]  # endpoint URL -> poster

OK = {"statusCode": 200}
# Which queues exist (for managers' tiles) comes from the scope registry the evaluator writes (one Query,
# a read unit or two): at most once per container per DIRECTORY_CACHE (snapshot.CachedScopeDirectory).
DIRECTORY_CACHE = timedelta(minutes=1)
FORBIDDEN = {"statusCode": 403}
# API Gateway accepts messages up to 128 KB; the largest legitimate one is a 10,000-character note.
MAX_MESSAGE_BYTES = 64 * 1024
MAX_MESSAGE_DEPTH = 8  # the protocol's messages nest two levels (an object holding a list of scopes)

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


@logger.inject_lambda_context(correlation_id_path=observability.WEBSOCKET_REQUEST, clear_state=True)
@observability.discard_unpublished(metrics)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    return _default_handler()(event, context)


@functools.cache
def _default_handler() -> Handler:
    """Cold start: settings, rules and clients once per container (not cached when it raises)."""
    settings = WebsocketSettings.from_environ()
    observability.default_dimensions(metrics, settings.stage)
    rules = settings.rules()
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
    dynamodb = boto3.client("dynamodb", config=config)
    alerts = DynamoAlertStore(dynamodb, settings.alerts_table)
    ports = ApiPorts(
        connections=DynamoConnectionStore(dynamodb, settings.connections_table),
        alerts=alerts,
        audit=DynamoAuditLog(dynamodb, settings.audit_table),
        snapshot_sources=SnapshotSources(
            alerts,
            DynamoMetricStore(dynamodb, settings.metrics_table),
            rules,
            CachedScopeDirectory(DynamoScopeDirectory(dynamodb, settings.metrics_table), DIRECTORY_CACHE),
            cards=settings.card_settings(),
        ),
        escalation=EscalationPolicy(settings.escalation_levels()),
    )

    @functools.cache
    def poster_for(endpoint: str) -> Poster:
        return ApiGatewayPoster(boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, config=config))

    return build_handler(SupervisorApi(ports, _utc_now), poster_for, settings.websocket_endpoint)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_handler(api: SupervisorApi, poster_for: PosterFor, endpoint: str | None = None) -> Handler:
    def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request = event.get("requestContext") or {}
        route = str(request.get("routeKey") or "$default")
        connection_id = str(request.get("connectionId") or "")
        if route == "$connect":
            return _connect(api, connection_id, request)
        if route == "$disconnect":
            api.disconnect(connection_id)
            logger.info("disconnected", extra={"connection_id": connection_id})
            return OK
        body, problem = decode_body(event.get("body"))
        try:
            reply = api.message(connection_id, body, route, problem)
        except Exception:
            logger.exception("message not handled", extra={"connection_id": connection_id, "route": route})
            reply = error_reply(None, None, "unavailable", "the request could not be completed; try again")
        if reply is not None:
            _post(poster_for(endpoint or endpoint_of(request)), api, connection_id, reply)
        return OK

    return handle


def _connect(api: SupervisorApi, connection_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
    authorizer = request.get("authorizer")
    principal = principal_from_context(authorizer) if isinstance(authorizer, Mapping) else None
    if principal is None or not connection_id:
        logger.warning("connect without authorizer context refused", extra={"connection_id": connection_id})
        return FORBIDDEN
    api.connect(connection_id, principal)
    logger.info("connected", extra={"connection_id": connection_id, "user": principal.user})
    return OK


def endpoint_of(request: Mapping[str, Any]) -> str:
    """The @connections endpoint of the API that delivered ``request``."""
    return f"https://{request.get('domainName')}/{request.get('stage')}"


def decode_body(raw: Any) -> tuple[Mapping[str, Any] | None, str | None]:
    """(the message, None) or (None, why not): size and nesting are bounded before parsing, so a small
    deeply nested message cannot exhaust the parser's recursion and a large one costs nothing."""
    if not isinstance(raw, str):
        return None, "messages are JSON objects with an action"
    size = len(raw.encode("utf-8", "replace"))
    if size > MAX_MESSAGE_BYTES:
        return None, f"message too large ({size} bytes; at most {MAX_MESSAGE_BYTES})"
    if _nesting(raw) > MAX_MESSAGE_DEPTH:
        return None, f"message nested too deeply (at most {MAX_MESSAGE_DEPTH} levels)"
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None, "not valid JSON: messages are JSON objects with an action"
    if not isinstance(body, Mapping):
        return None, "messages are JSON objects with an action"
    return body, None


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _nesting(raw: str) -> int:
    """The deepest bracket nesting of a JSON text, strings skipped (a cheap pre-parse bound)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub("", raw)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _post(poster: Poster, api: SupervisorApi, connection_id: str, reply: Reply) -> None:
    data = json.dumps(reply, separators=(",", ":"), default=str).encode()
    try:
        poster.post(connection_id, data)
    except ConnectionGone:
        api.disconnect(connection_id)  # the browser left before the answer; nothing else to do
    except Exception as error:  # noqa: BLE001 - a lost reply is resynced by the dashboard's next refresh
        logger.warning(
            "reply not posted",
            extra={"connection_id": connection_id, "error": f"{type(error).__name__}: {error}"},
        )
    if reply.get("type") == "error":
        reason = redact(str(reply.get("message") or ""))
        refused = {"action": reply.get("action"), "code": reply.get("code"), "reason": reason}
        logger.info("request refused", extra={"connection_id": connection_id, **refused})
