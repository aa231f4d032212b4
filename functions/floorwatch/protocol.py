"""The WebSocket protocol's client actions: the one list every other place derives from.

Each member is one ``action`` a dashboard may send (docs/protocol.md): API Gateway gets one route per
action (infrastructure/websocket.py), the local gateway routes the same keys (local/runtime/gateway.py),
the supervisor API answers each (``floorwatch.supervisor_api``) and the authorization matrix decides who
may take the alert actions (``floorwatch.security.roles``). The tests compare all of them with this
module, so adding an action is one line here plus its behaviour (see CONTRIBUTING.md, "Add an action").

``GatewayAction`` members are answered by the API itself, with no function and no table: in AWS a MOCK
integration whose response template is ``PONG_TEMPLATE``, locally the gateway rendering the same
template. They are what the dashboard's heartbeat costs: two API Gateway messages, nothing else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class SessionAction(StrEnum):
    """Actions on the caller's own connection: any role may send them (subscriptions are checked)."""

    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    REFRESH = "refresh"


class GatewayAction(StrEnum):
    """Actions the API answers without a function or a table read: any role, any connection."""

    PING = "ping"  # the heartbeat: a socket that stops answering it has stalled (docs/dashboard.md)


class AlertAction(StrEnum):
    """Actions on one alert (``alert_id``): ``roles.ALLOWED_ACTIONS`` says which role may take which."""

    ACK = "ack"
    SNOOZE = "snooze"
    NOTE = "note"
    FEEDBACK = "feedback"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    JOIN = "join"  # a Join / Monitor link was opened: counts as acting on the alert (the action clock)


# Every client action, in the order the docs list them; each is an API Gateway route key.
CLIENT_ACTIONS: tuple[str, ...] = (
    *(a.value for a in SessionAction),
    *(a.value for a in GatewayAction),
    *(a.value for a in AlertAction),
)
# Those answered by an integration of the API itself (MOCK), not by the websocket function.
GATEWAY_ACTIONS: frozenset[str] = frozenset(a.value for a in GatewayAction)

PONG_TYPE = "pong"
# The answer to `ping` as API Gateway renders it (a response template, VTL): the only variable is the
# time API Gateway received the ping, in epoch milliseconds. The local gateway renders the same text.
PONG_TEMPLATE = '{"type": "pong", "at_ms": $context.requestTimeEpoch}'


# What the API answers each gateway action with, as a response template: the CDK stack's MOCK
# integrations and the local gateway both take it from here.
GATEWAY_RESPONSE_TEMPLATES: dict[str, str] = {GatewayAction.PING.value: PONG_TEMPLATE}


def pong(received_at_ms: int) -> dict[str, Any]:
    """The answer to `ping`, as PONG_TEMPLATE renders it (the websocket function's fallback, tests)."""
    return {"type": PONG_TYPE, "at_ms": received_at_ms}
