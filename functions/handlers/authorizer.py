"""Lambda authorizer: the WebSocket API's $connect REQUEST authorizer.

Reads the token from ``queryStringParameters.token`` (the dashboard connects to ``wss://...?token=``),
verifies it (``security.tokens.verify``: HS256, expiry, known role) and answers an IAM policy for the
``methodArn``: Allow with ``context`` {user, role, teams, queues, expires} (strings; lists as JSON
arrays, so commas inside ids are safe; API Gateway passes it to the $connect route as
``requestContext.authorizer``), or Deny (HTTP 403) with the reason logged. A request without any
token raises ``Unauthorized``, which API Gateway answers with 401.

``build_handler(key, clock)`` for tests and the local runtime; the module-level ``handler`` loads the
signing key once per container (Secrets Manager in AWS, a file locally) and fails its first invocation
with a message naming the missing variable when neither is configured.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from botocore.exceptions import BotoCoreError, ClientError
from floorwatch.names import METRICS_NAMESPACE
from floorwatch.security.tokens import TokenError, load_signing_key, verify
from floorwatch.settings import AuthorizerSettings
from floorwatch.store.connections_port import Principal

from handlers import observability

Handler = Callable[[Mapping[str, Any], Any], dict[str, Any]]
Clock = Callable[[], datetime]

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


class SigningKeyUnavailable(RuntimeError):
    """Secrets Manager did not hand out the signing key at cold start (an outage, a missing grant)."""


class Unauthorized(Exception):
    """No token at all: API Gateway maps the message "Unauthorized" to HTTP 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@logger.inject_lambda_context(correlation_id_path=observability.WEBSOCKET_REQUEST, clear_state=True)
@observability.discard_unpublished(metrics)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    return _default_handler()(event, context)


@functools.cache
def _default_handler() -> Handler:
    settings = AuthorizerSettings.from_environ()
    observability.default_dimensions(metrics, settings.stage)
    try:
        key = load_signing_key(settings.key_source(), lambda: boto3.client("secretsmanager"))
    except (BotoCoreError, ClientError) as error:
        # Not cached (functools.cache keeps no exceptions): the next connection tries again. API Gateway
        # answers this $connect with 500 and the dashboard reconnects with backoff; the log says why.
        raise SigningKeyUnavailable(
            f"the token signing key could not be read ({type(error).__name__}): connections are refused "
            "until Secrets Manager answers; the next connection tries again"
        ) from error
    return build_handler(key)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_handler(key: str, clock: Clock = _utc_now) -> Handler:
    def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        method_arn = str(event.get("methodArn") or "")
        token = _token_of(event)
        if not token:
            logger.info("connect refused: no token")
            raise Unauthorized()
        try:
            principal = verify(key, token, clock())
        except TokenError as error:
            logger.info("connect refused", extra={"reason": error.reason, "detail": str(error)})
            return policy("anonymous", "Deny", method_arn)
        logger.info("connect allowed", extra={"user": principal.user, "role": principal.role})
        return policy(principal.user, "Allow", method_arn, authorizer_context(principal))

    return handle


def _token_of(event: Mapping[str, Any]) -> str:
    parameters = event.get("queryStringParameters") or {}
    token = parameters.get("token") if isinstance(parameters, Mapping) else None
    return token.strip() if isinstance(token, str) else ""


def policy(
    principal_id: str, effect: str, method_arn: str, context: Mapping[str, str] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}],
        },
    }
    if context:
        answer["context"] = dict(context)
    return answer


def authorizer_context(principal: Principal) -> dict[str, str]:
    """What $connect finds in ``requestContext.authorizer`` (API Gateway allows only flat scalars).

    Lists travel as JSON arrays, so an id holding a comma stays one id; ``expires`` is the token's
    expiry in epoch seconds, after which the connection may still receive but no longer act.
    """
    context = {
        "user": principal.user,
        "role": principal.role,
        "teams": json.dumps(list(principal.teams), separators=(",", ":")),
        "queues": json.dumps(list(principal.queues), separators=(",", ":")),
    }
    if principal.expires_at is not None:
        context["expires"] = str(principal.expires_at)
    return context


def principal_from_context(context: Mapping[str, Any]) -> Principal | None:
    """Inverse of ``authorizer_context`` (None when the context is not one of ours)."""
    user, role = context.get("user"), context.get("role")
    if not isinstance(user, str) or not isinstance(role, str) or not user or not role:
        return None
    teams, queues = _ids(context.get("teams")), _ids(context.get("queues"))
    if teams is None or queues is None:
        return None
    expires = context.get("expires")
    try:
        expires_at = (
            int(expires) if isinstance(expires, str | int) and not isinstance(expires, bool) else None
        )
    except ValueError:
        return None
    return Principal(user=user, role=role, teams=teams, queues=queues, expires_at=expires_at)


def _ids(value: Any) -> tuple[str, ...] | None:
    """A JSON array of strings (or nothing); None when it is not one."""
    if value is None or value == "":
        return ()
    if not isinstance(value, str):
        return None
    try:
        ids = json.loads(value)
    except ValueError:
        return None
    if not isinstance(ids, list) or not all(isinstance(item, str) and item for item in ids):
        return None
    return tuple(ids)
