"""The supervisor WebSocket API's behaviour, transport-free: one method per route, each returning the
reply message to post back (docs/protocol.md), or None when the route answers nothing.

The Lambda handler (handlers/websocket.py) decodes API Gateway's events and posts the replies; the
local runtime reaches this through the same handler with the same event shapes. Messages from the
browser are validated with pydantic: an unusable message is answered ``invalid`` with what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, assert_never

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from floorwatch.alerts.actions import DEFAULT_POLICY, ActionOutcome, ActionRequest, perform
from floorwatch.alerts.escalation import EscalationPolicy
from floorwatch.protocol import CLIENT_ACTIONS, GATEWAY_ACTIONS, SessionAction, pong
from floorwatch.security.redact import redact
from floorwatch.security.roles import ACTIONS, may_subscribe
from floorwatch.snapshot import SnapshotSources, build_snapshot
from floorwatch.store.alerts_port import AlertStore
from floorwatch.store.audit_port import AuditLog
from floorwatch.store.connections_port import ConnectionStore, Principal

Reply = dict[str, Any]
Clock = Callable[[], datetime]
MAX_SCOPES_PER_MESSAGE = 50
MAX_SUBSCRIPTIONS = 100  # per connection: each is an item the fan-out queries
# "queue:" and an id of at most 200 characters; DynamoDB refuses sort keys over 1,024 bytes.
MAX_SCOPE_LENGTH = 256
MAX_REQUEST_ID_LENGTH = 100
_SESSION_ACTIONS = frozenset(action.value for action in SessionAction)


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    action: str = Field(min_length=1, max_length=40)
    request_id: str | None = Field(default=None, max_length=MAX_REQUEST_ID_LENGTH)


class _ScopesMessage(_Message):
    scopes: list[Annotated[str, Field(max_length=MAX_SCOPE_LENGTH)]] = Field(
        min_length=1, max_length=MAX_SCOPES_PER_MESSAGE
    )


class _AlertMessage(_Message):
    alert_id: str = Field(min_length=1, max_length=200)
    minutes: StrictInt | None = None
    text: str | None = Field(default=None, max_length=10_000)
    useful: StrictBool | None = None
    reason: str | None = Field(default=None, max_length=10_000)


@dataclass(frozen=True)
class ApiPorts:
    connections: ConnectionStore
    alerts: AlertStore
    audit: AuditLog
    snapshot_sources: SnapshotSources
    escalation: EscalationPolicy = DEFAULT_POLICY


class SupervisorApi:
    def __init__(self, ports: ApiPorts, clock: Clock) -> None:
        self._ports = ports
        self._clock = clock

    # --- lifecycle ------------------------------------------------------------------------------

    def connect(self, connection_id: str, principal: Principal) -> None:
        self._ports.connections.add(connection_id, principal, self._clock())

    def disconnect(self, connection_id: str) -> None:
        self._ports.connections.remove(connection_id)

    # --- messages -------------------------------------------------------------------------------

    def message(
        self, connection_id: str, body: Mapping[str, Any] | None, route: str, problem: str | None = None
    ) -> Reply | None:
        """Answer one message; ``route`` is API Gateway's routeKey (the action, or "$default");
        ``problem``: why the transport could not decode the body (answered as ``invalid``)."""
        if body is None:
            return error_reply(None, None, "invalid", problem or "messages are JSON objects with an action")
        action = str(body.get("action") or route)[:40]
        if action in GATEWAY_ACTIONS:
            # API Gateway answers these itself (a MOCK route); reached here only through `$default`, the
            # answer is the same and still reads no table (it is the heartbeat, sent every few seconds).
            return pong(int(self._clock().timestamp() * 1000))
        request_id = _request_id(body)
        connection = self._ports.connections.get(connection_id)
        if connection is None:
            return error_reply(request_id, action, "forbidden", "this connection is not known (reconnect)")
        principal = connection.principal
        if principal.expires_at is not None and self._clock().timestamp() >= principal.expires_at:
            return error_reply(
                request_id, action, "expired", "your token has expired: reconnect with a new token"
            )
        try:
            if action in _SESSION_ACTIONS:
                return self._session(SessionAction(action), connection_id, principal, body)
            if action in ACTIONS:
                return self._act(connection_id, principal, _AlertMessage.model_validate(body))
        except ValidationError as error:
            return error_reply(request_id, action, "invalid", _explain(error))
        known = ", ".join(sorted(CLIENT_ACTIONS))
        return error_reply(request_id, action, "invalid", f"unknown action '{action}' (known: {known})")

    def _session(
        self, action: SessionAction, connection_id: str, principal: Principal, body: Mapping[str, Any]
    ) -> Reply:
        # Exhaustive on purpose: a SessionAction added without its behaviour here fails mypy.
        match action:
            case SessionAction.SUBSCRIBE | SessionAction.UNSUBSCRIBE:
                return self._scopes(connection_id, principal, action, _ScopesMessage.model_validate(body))
            case SessionAction.REFRESH:
                return self._snapshot(principal, _Message.model_validate(body).request_id)
            case _:
                assert_never(action)

    def _scopes(
        self, connection_id: str, principal: Principal, action: str, message: _ScopesMessage
    ) -> Reply:
        scopes = [scope for scope in dict.fromkeys(message.scopes) if scope]
        if action == "unsubscribe":
            self._ports.connections.unsubscribe(connection_id, scopes)
            return {"type": "ok", "request_id": message.request_id, "action": action}
        refused = [scope for scope in scopes if not may_subscribe(principal, scope)]
        if refused:
            return error_reply(
                message.request_id,
                action,
                "forbidden",
                f"{principal.user} ({principal.role}) may not subscribe to {', '.join(refused)}",
            )
        existing = self._ports.connections.get(connection_id)
        held = existing.subscriptions if existing is not None else frozenset()
        if len(held | set(scopes)) > MAX_SUBSCRIPTIONS:
            return error_reply(
                message.request_id,
                action,
                "limit",
                f"a connection may hold at most {MAX_SUBSCRIPTIONS} subscriptions ({len(held)} held): "
                "unsubscribe first, or subscribe to '*'",
            )
        self._ports.connections.subscribe(connection_id, scopes)
        return self._snapshot(principal, message.request_id)

    def _snapshot(self, principal: Principal, request_id: str | None) -> Reply:
        snapshot = build_snapshot(principal, self._clock(), self._ports.snapshot_sources)
        return {"type": "snapshot", "request_id": request_id, **snapshot}

    def _act(self, connection_id: str, principal: Principal, message: _AlertMessage) -> Reply:
        request = ActionRequest(
            action=message.action,
            alert_id=message.alert_id,
            principal=principal,
            at=self._clock(),
            connection_id=connection_id,
            minutes=message.minutes,
            text=message.text,
            useful=message.useful,
            reason=message.reason,
        )
        outcome = perform(request, self._ports.alerts, self._ports.audit, self._ports.escalation)
        return action_reply(message.request_id, outcome)


def action_reply(request_id: str | None, outcome: ActionOutcome) -> Reply:
    if outcome.ok:
        reply: Reply = {
            "type": "ok",
            "request_id": request_id,
            "action": outcome.action,
            "alert_id": outcome.alert_id,
            "changed": outcome.changed,
        }
        if outcome.message:
            reply["message"] = outcome.message
        return reply
    return error_reply(
        request_id, outcome.action, outcome.code or "invalid", outcome.message, outcome.alert_id
    )


def error_reply(
    request_id: str | None, action: str | None, code: str, message: str, alert_id: str | None = None
) -> Reply:
    reply: Reply = {
        "type": "error",
        "request_id": request_id,
        "action": action,
        "code": code,
        "message": message,
    }
    if alert_id is not None:
        reply["alert_id"] = alert_id
    return reply


def _request_id(body: Mapping[str, Any]) -> str | None:
    value = body.get("request_id")
    return redact(value[:MAX_REQUEST_ID_LENGTH]) if isinstance(value, str) else None


def _explain(error: ValidationError) -> str:
    """Pydantic's problems by field, never the offending input (it is the client's content)."""
    problems = []
    for item in error.errors(include_input=False, include_url=False)[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "message"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)
