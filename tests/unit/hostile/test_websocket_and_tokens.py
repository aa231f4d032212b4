"""Hostile input to the WebSocket API and its tokens (issue items 3, 4 and 5): every bad message gets a
clear answer, nothing raises to API Gateway, and the connection keeps working afterwards."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from floorwatch.security.tokens import TokenMalformed, mint, verify
from floorwatch.store.connections_port import Principal
from floorwatch.supervisor_api import MAX_SCOPE_LENGTH, MAX_SUBSCRIPTIONS
from handlers import authorizer, websocket

from tests.unit.websocket.support import T0, open_alert
from tests.unit.websocket.test_handlers import KEY, World, authorizer_event, connect_event

SHORT = timedelta(minutes=30)

CONNECTION = "conn-A="


@pytest.fixture
def world() -> World:
    world = World()
    world.connect(CONNECTION, "supervisor", "ana", ("billing",))
    return world


def still_works(world: World) -> None:
    assert world.send(CONNECTION, {"action": "refresh", "request_id": "r"})["type"] == "snapshot"


def test_a_small_message_nested_a_thousand_deep_is_refused_clearly(world: World) -> None:
    body = '{"action":"refresh","x":' + "[" * 1000 + "]" * 1000 + "}"
    assert len(body) < 2100
    reply = world.send(CONNECTION, body, route="$default")
    assert (reply["type"], reply["code"]) == ("error", "invalid")
    assert "nested too deeply" in reply["message"]
    still_works(world)


def test_brackets_inside_strings_do_not_count_as_nesting(world: World) -> None:
    reply = world.send(CONNECTION, {"action": "refresh", "request_id": "[" * 50})
    assert reply["type"] == "snapshot"


def test_an_oversized_message_is_refused_before_parsing(world: World) -> None:
    body = json.dumps({"action": "note", "alert_id": "a", "text": "x" * (websocket.MAX_MESSAGE_BYTES + 1)})
    reply = world.send(CONNECTION, body, route="note")
    assert reply["code"] == "invalid" and "message too large" in reply["message"]
    still_works(world)


def test_a_scope_longer_than_dynamodb_keys_allow_is_invalid_not_an_internal_error(world: World) -> None:
    reply = world.send(CONNECTION, {"action": "subscribe", "scopes": ["queue:" + "b" * 2100]})
    assert reply["code"] == "invalid" and "scopes.0" in reply["message"]
    assert str(MAX_SCOPE_LENGTH) in reply["message"]
    assert world.connections.get(CONNECTION).subscriptions == frozenset()  # type: ignore[union-attr]


def test_subscriptions_per_connection_are_capped(world: World) -> None:
    world.connect("conn-M=", "manager", "mo")
    for first in range(0, MAX_SUBSCRIPTIONS, 50):
        scopes = [f"queue:q{number}" for number in range(first, first + 50)]
        assert world.send("conn-M=", {"action": "subscribe", "scopes": scopes})["type"] == "snapshot"
    reply = world.send("conn-M=", {"action": "subscribe", "scopes": ["queue:one-more"]})
    assert reply["code"] == "limit" and str(MAX_SUBSCRIPTIONS) in reply["message"]
    held = world.connections.get("conn-M=").subscriptions  # type: ignore[union-attr]
    assert len(held) == MAX_SUBSCRIPTIONS and "queue:one-more" not in held
    # Re-subscribing to what is held is no growth, and '*' stays possible after unsubscribing.
    assert world.send("conn-M=", {"action": "subscribe", "scopes": ["queue:q0"]})["type"] == "snapshot"


def exploding(*_: Any) -> Any:
    raise RuntimeError("DynamoDB said: ValidationException ... 4111 1111 1111 1111")


def test_an_unexpected_failure_is_answered_not_raised(world: World) -> None:
    world.alerts.find = exploding  # type: ignore[method-assign]
    reply = world.send(CONNECTION, {"action": "ack", "alert_id": "a-1"})
    assert (reply["type"], reply["code"]) == ("error", "unavailable")
    assert "4111" not in json.dumps(reply)


def test_an_expired_token_refuses_actions_on_a_live_connection(world: World) -> None:
    alert = open_alert(world.alerts)
    token = mint(KEY, user="ana", role="supervisor", teams=["billing"], queues=["billing"], now=T0, ttl=SHORT)
    answer = world.authorize(authorizer_event(token, "conn-S="), None)
    assert world.handle(connect_event("conn-S=", answer["context"]), None) == {"statusCode": 200}
    world.clock.advance(SHORT.total_seconds())  # the socket itself may live on for up to 2 hours
    reply = world.send("conn-S=", {"action": "ack", "alert_id": alert.alert_id})
    assert (reply["type"], reply["code"]) == ("error", "expired")
    assert "reconnect" in reply["message"]
    assert world.alerts.find(str(alert.alert_id)).acknowledged_by is None  # type: ignore[union-attr]
    assert world.send("conn-S=", {"action": "refresh"})["code"] == "expired"
    still_works(world)  # an 8-hour token connected at the same time still acts


def test_a_refusal_on_another_teams_alert_does_not_reveal_its_scope(world: World) -> None:
    alert = open_alert(world.alerts, scope="queue:tech-b1", queue_id="tech-b1")
    reply = world.send(CONNECTION, {"action": "ack", "alert_id": alert.alert_id})
    assert reply["code"] == "forbidden"
    assert "tech-b1" not in reply["message"]


# --- tokens and the authorizer -------------------------------------------------------------------


def forged(claims: dict[str, Any]) -> str:
    """A correctly signed token with arbitrary claims (json.dumps writes NaN and Infinity literally)."""
    return jwt.encode({"sub": "ana", "role": "supervisor", "iat": 0, "exp": 2**33, **claims}, KEY, "HS256")


@pytest.mark.parametrize("exp", [float("nan"), float("inf"), float("-inf"), True, "2099-01-01", [1]])
def test_exp_must_be_a_finite_number(exp: object) -> None:
    with pytest.raises(TokenMalformed, match="exp must be a finite number"):
        verify(KEY, forged({"exp": exp}), T0)


@pytest.mark.parametrize("exp", [float("nan"), float("inf")])
def test_a_token_that_never_expires_is_denied_by_the_authorizer(exp: float) -> None:
    answer = authorizer.build_handler(KEY, lambda: T0)(authorizer_event(forged({"exp": exp})), None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"


@pytest.mark.parametrize("role", [["manager"], {"r": 1}, 7, None])
def test_a_role_that_is_not_a_string_is_denied_not_a_crash(role: object) -> None:
    answer = authorizer.build_handler(KEY, lambda: T0)(authorizer_event(forged({"role": role})), None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "context" not in answer


@pytest.mark.parametrize("teams", [["x" * 201], [""], ["a"] * 201, [1]])
def test_team_and_queue_claims_are_bounded_strings(teams: object) -> None:
    with pytest.raises(TokenMalformed, match="teams"):
        verify(KEY, forged({"teams": teams}), T0)


def test_queue_names_with_commas_survive_the_authorizer_context(world: World) -> None:
    token = mint(KEY, user="ana", role="supervisor", queues=["billing,vip", "tech"], now=T0)
    answer = authorizer.build_handler(KEY, lambda: T0)(authorizer_event(token), None)
    principal = authorizer.principal_from_context(answer["context"])
    assert principal is not None and principal.queues == ("billing,vip", "tech")
    assert principal.expires_at == verify(KEY, token, T0).expires_at


def test_a_context_that_is_not_ours_is_refused_at_connect(world: World) -> None:
    context = {"user": "ana", "role": "supervisor", "teams": "billing,tech", "queues": "[1]"}
    assert authorizer.principal_from_context(context) is None
    assert world.handle(
        {"requestContext": {"routeKey": "$connect", "connectionId": "c", "authorizer": context}}, None
    ) == {"statusCode": 403}


def test_the_principal_keeps_its_expiry_through_the_connections_store(world: World) -> None:
    stored = world.connections.get(CONNECTION)
    assert stored is not None and isinstance(stored.principal, Principal)
    assert stored.principal.expires_at == int(T0.timestamp()) + 8 * 3600
