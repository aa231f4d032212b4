"""Issue 14, item 8: the narrowed grants (infrastructure/least_privilege.py) as the template has them.

Nothing updates or deletes alert items (every write is a conditional Put in a transaction); the fan-out
only finds and deletes connections and posts to them; the publish markers belong to the fan-out alone.
Each narrowing is also an explicit Deny, so a broader grant added later cannot undo it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infrastructure.least_privilege import (
    ALERT_FORBIDDEN_ACTIONS,
    CONNECTION_FORBIDDEN_ACTIONS,
    PUBLISH_MARKER_ACTIONS,
)
from tests.infrastructure.support import (
    Synthesized,
    actions_on,
    allowed,
    as_list,
    role_statements,
    roles_allowed,
)

pytestmark = pytest.mark.infra

READ = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}
ALERT_WRITERS = ("evaluate", "websocket", "escalate")


def _role(synthesized: Synthesized, name: str) -> Any:
    stack = synthesized.stack
    return {
        "evaluate": stack.alerting.evaluate.role,
        "websocket": stack.websocket.handler.role,
        "escalate": stack.notifications.escalate.role,
        "fanout": stack.fanout.fanout.role,
    }[name]


def _allowed_on(synthesized: Synthesized, role: Any, resource: Any) -> set[str]:
    return actions_on(allowed(role_statements(synthesized, role)), synthesized.logical_id(resource))


def _denied_on(synthesized: Synthesized, role: Any, resource: Any) -> set[str]:
    denied = [s for s in role_statements(synthesized, role) if s["Effect"] == "Deny"]
    return actions_on(denied, synthesized.logical_id(resource))


@pytest.mark.parametrize("writer", ALERT_WRITERS)
def test_alert_writers_read_and_put_but_never_update_or_delete_alert_items(
    synthesized: Synthesized, writer: str
) -> None:
    role, alerts = _role(synthesized, writer), synthesized.stack.tables.alerts
    granted = _allowed_on(synthesized, role, alerts)
    assert READ | {"dynamodb:PutItem"} <= granted
    assert not set(ALERT_FORBIDDEN_ACTIONS) & granted
    assert set(ALERT_FORBIDDEN_ACTIONS) <= _denied_on(synthesized, role, alerts)


def test_no_role_may_update_or_delete_alert_items(synthesized: Synthesized) -> None:
    alerts = synthesized.logical_id(synthesized.stack.tables.alerts)
    for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
        assert roles_allowed(synthesized, action, alerts) == set(), action


def test_the_fanout_only_finds_and_deletes_connections(synthesized: Synthesized) -> None:
    role, connections = _role(synthesized, "fanout"), synthesized.stack.tables.connections
    assert _allowed_on(synthesized, role, connections) == {"dynamodb:Query", "dynamodb:DeleteItem"}
    assert set(CONNECTION_FORBIDDEN_ACTIONS) <= _denied_on(synthesized, role, connections)


def test_the_publish_markers_belong_to_the_fanout_alone(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    deliveries = stack.tables.by_spec["deliveries"]
    assert _allowed_on(synthesized, _role(synthesized, "fanout"), deliveries) == set(PUBLISH_MARKER_ACTIONS)
    for other in ALERT_WRITERS:
        assert _allowed_on(synthesized, _role(synthesized, other), deliveries) == set()
    environment = synthesized.resource(stack.fanout.fanout.function)["Properties"]["Environment"]
    assert environment["Variables"]["FLOORWATCH_DELIVERIES_TABLE"] == {
        "Ref": synthesized.logical_id(deliveries)
    }


@pytest.mark.parametrize("poster", ["websocket", "fanout"])
def test_connections_are_only_posted_to_never_read_or_closed(synthesized: Synthesized, poster: str) -> None:
    statements = [
        statement
        for statement in allowed(role_statements(synthesized, _role(synthesized, poster)))
        if "execute-api:ManageConnections" in as_list(statement["Action"])
    ]
    resources = [
        json.dumps(resource) for statement in statements for resource in as_list(statement["Resource"])
    ]
    assert resources, f"{poster} cannot post to dashboards"
    assert all("/POST/@connections/*" in resource for resource in resources), resources
