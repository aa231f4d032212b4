"""One list of client actions (floorwatch.protocol): every place that names actions agrees with it.

The deployed routes are compared with it in tests/infrastructure/test_websocket.py; here the supervisor
API, the authorization matrix, the local gateway's routing and the protocol document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from floorwatch.protocol import CLIENT_ACTIONS, AlertAction, SessionAction
from floorwatch.security.roles import ACTIONS, ALLOWED_ACTIONS, Role

from local.runtime.gateway import ROUTES, route_key
from tests.unit.websocket.test_handlers import World

PROTOCOL_DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def test_client_actions_are_the_session_and_alert_actions_once_each() -> None:
    assert len(set(CLIENT_ACTIONS)) == len(CLIENT_ACTIONS)
    assert set(CLIENT_ACTIONS) == {*SessionAction, *AlertAction}
    assert {action.value for action in AlertAction} == ACTIONS


def test_every_role_has_a_decision_on_the_alert_actions() -> None:
    assert set(ALLOWED_ACTIONS) == set(Role)
    assert set().union(*ALLOWED_ACTIONS.values()) <= set(AlertAction)


@pytest.mark.parametrize("action", CLIENT_ACTIONS)
def test_the_local_gateway_routes_each_action_to_its_own_route(action: str) -> None:
    assert action in ROUTES
    assert route_key(f'{{"action": "{action}"}}') == action


@pytest.mark.parametrize("action", CLIENT_ACTIONS)
def test_the_supervisor_api_knows_each_action(action: str) -> None:
    world = World()
    world.connect("conn-A=", "manager", "mo")
    reply = world.send("conn-A=", {"action": action, "request_id": "r1"})
    # It may be refused for a missing field, never as an unknown action.
    assert "unknown action" not in str(reply.get("message"))
    assert reply["request_id"] == "r1"


def test_an_unknown_action_lists_every_client_action() -> None:
    world = World()
    world.connect("conn-A=", "manager", "mo")
    reply = world.send("conn-A=", {"action": "dance"})
    assert reply["code"] == "invalid"
    for action in CLIENT_ACTIONS:
        assert re.search(rf"\b{action}\b", reply["message"])


def test_the_protocol_document_describes_each_action() -> None:
    text = PROTOCOL_DOC.read_text(encoding="utf-8")
    table = text.split("## Client -> server", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)
    assert documented == list(CLIENT_ACTIONS)
