"""One list of client actions (floorwatch.protocol): every place that names actions agrees with it.

The deployed routes are compared with it in tests/infrastructure/test_websocket.py (and the ping route's
MOCK answer with PONG_TEMPLATE); here the supervisor API, the authorization matrix, the local gateway's
routing and its own rendering of the pong, and the protocol document."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from floorwatch.protocol import (
    CLIENT_ACTIONS,
    GATEWAY_ACTIONS,
    PONG_TEMPLATE,
    AlertAction,
    GatewayAction,
    SessionAction,
    pong,
)
from floorwatch.security.roles import ACTIONS, ALLOWED_ACTIONS, Role
from floorwatch.snapshot import SnapshotSources
from floorwatch.supervisor_api import ApiPorts, SupervisorApi

from local.runtime.gateway import ROUTES, gateway_answer, render_template, route_key
from tests.unit.websocket.support import RULES, Clock
from tests.unit.websocket.test_handlers import World

PROTOCOL_DOC = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"


def test_client_actions_are_the_session_and_alert_actions_once_each() -> None:
    assert len(set(CLIENT_ACTIONS)) == len(CLIENT_ACTIONS)
    assert set(CLIENT_ACTIONS) == {*SessionAction, *GatewayAction, *AlertAction}
    assert {action.value for action in AlertAction} == ACTIONS
    assert {action.value for action in GatewayAction} == GATEWAY_ACTIONS
    assert not GATEWAY_ACTIONS & ACTIONS  # nothing the API answers alone may change an alert


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
    if action in GATEWAY_ACTIONS:
        assert reply == pong(int(world.clock().timestamp() * 1000))  # as the API's MOCK route answers
    else:
        assert reply["request_id"] == "r1"


def test_the_pong_template_renders_the_pong_the_function_answers() -> None:
    """API Gateway renders PONG_TEMPLATE (deployed), the local gateway renders it the same way, and the
    websocket function answers `pong()` when a ping reaches it through `$default`: one message."""
    rendered = render_template(PONG_TEMPLATE, {"requestTimeEpoch": 1796767200123})
    assert json.loads(rendered) == pong(1796767200123)


@pytest.mark.parametrize("action", sorted(GATEWAY_ACTIONS))
def test_the_local_gateway_answers_gateway_actions_itself(action: str) -> None:
    answer = gateway_answer(action, {"requestTimeEpoch": 1796767200123})
    assert answer is not None and json.loads(answer) == pong(1796767200123)
    assert gateway_answer("refresh", {"requestTimeEpoch": 1}) is None  # the function answers the rest


def test_a_template_variable_the_local_gateway_does_not_know_is_an_error() -> None:
    with pytest.raises(ValueError, match="connectionId"):
        render_template('{"id": "$context.connectionId"}', {"requestTimeEpoch": 1})


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


class _NoTable:
    """A store that fails the test on any use: a ping must not read or write one."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a ping used a table ({name})")


def test_a_ping_reaching_the_function_reads_no_table_and_needs_no_known_connection() -> None:
    clock = Clock()
    none: Any = _NoTable()
    api = SupervisorApi(ApiPorts(none, none, none, SnapshotSources(none, none, RULES)), clock)
    reply = api.message("conn-never-seen=", {"action": "ping", "request_id": "p1"}, "$default")
    assert reply == pong(int(clock().timestamp() * 1000))
