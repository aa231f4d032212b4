"""The WebSocket protocol's client actions: the one list every other place derives from.

Each member is one ``action`` a dashboard may send (docs/protocol.md): API Gateway gets one route per
action (infrastructure/websocket.py), the local gateway routes the same keys (local/runtime/gateway.py),
the supervisor API answers each (``floorwatch.supervisor_api``) and the authorization matrix decides who
may take the alert actions (``floorwatch.security.roles``). The tests compare all of them with this
module, so adding an action is one line here plus its behaviour (see CONTRIBUTING.md, "Add an action").
"""

from __future__ import annotations

from enum import StrEnum


class SessionAction(StrEnum):
    """Actions on the caller's own connection: any role may send them (subscriptions are checked)."""

    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    REFRESH = "refresh"


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
CLIENT_ACTIONS: tuple[str, ...] = (*(a.value for a in SessionAction), *(a.value for a in AlertAction))
