"""The authorizer and websocket Lambda handlers on real API Gateway v2 WebSocket event shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from floorwatch import names
from floorwatch.alerts.escalation import DEFAULT_CHAIN, EscalationPolicy
from floorwatch.delivery.memory import RecordingPoster
from floorwatch.security.tokens import mint
from floorwatch.settings import SettingsError, WebsocketSettings
from floorwatch.snapshot import SnapshotSources
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.audit_memory import InMemoryAuditLog
from floorwatch.store.connections_memory import InMemoryConnectionStore
from floorwatch.store.metrics_memory import InMemoryMetricStore
from floorwatch.supervisor_api import ApiPorts, SupervisorApi
from handlers import authorizer, websocket

from tests.unit.websocket.support import RULES, T0, Clock, open_alert

KEY = "s" * 48
API_ID = "a1b2c3d4e5"
DOMAIN = f"{API_ID}.execute-api.eu-west-1.amazonaws.com"
STAGE = "dev"
METHOD_ARN = f"arn:aws:execute-api:eu-west-1:123456789012:{API_ID}/{STAGE}/$connect"


def request_context(route: str, connection_id: str, event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "routeKey": route,
        "eventType": event_type,
        "extendedRequestId": "Q4oXyGqFjoEFk3Q=",
        "requestTime": "30/Nov/2026:09:00:00 +0000",
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": 1_796_029_200_000,
        "requestTimeEpoch": 1_796_029_200_100,
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
        "requestId": "Q4oXyGqFjoEFk3Q=",
        "domainName": DOMAIN,
        "connectionId": connection_id,
        "apiId": API_ID,
        **extra,
    }


def authorizer_event(token: str | None, connection_id: str = "conn-A=") -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": {"Host": DOMAIN, "Sec-WebSocket-Version": "13"},
        "multiValueHeaders": {"Host": [DOMAIN]},
        "queryStringParameters": None if token is None else {"token": token},
        "multiValueQueryStringParameters": None if token is None else {"token": [token]},
        "stageVariables": {},
        "requestContext": request_context("$connect", connection_id, "CONNECT"),
    }


def connect_event(connection_id: str, authorizer_context: dict[str, Any] | None) -> dict[str, Any]:
    extra = {} if authorizer_context is None else {"authorizer": {**authorizer_context, "principalId": "x"}}
    return {
        "headers": {"Host": DOMAIN},
        "multiValueHeaders": {"Host": [DOMAIN]},
        "queryStringParameters": {"token": "..."},
        "requestContext": request_context("$connect", connection_id, "CONNECT", **extra),
        "isBase64Encoded": False,
    }


def message_event(connection_id: str, body: dict[str, Any] | str, route: str | None = None) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    action = route or (body.get("action") if isinstance(body, dict) else None) or "$default"
    context = request_context(action, connection_id, "MESSAGE", messageId="Q4o1cdH1joEC")
    return {"requestContext": context, "body": text, "isBase64Encoded": False}


def disconnect_event(connection_id: str) -> dict[str, Any]:
    context = request_context("$disconnect", connection_id, "DISCONNECT", disconnectStatusCode=1001)
    return {"headers": {"Host": DOMAIN}, "requestContext": context, "isBase64Encoded": False}


class World:
    """The websocket handler over in-memory ports, with the authorizer in front of it."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.connections = InMemoryConnectionStore(clock=self.clock)
        self.alerts = InMemoryAlertStore()
        self.audit = InMemoryAuditLog()
        self.poster = RecordingPoster()
        self.endpoints: list[str] = []
        ports = ApiPorts(
            self.connections,
            self.alerts,
            self.audit,
            SnapshotSources(self.alerts, InMemoryMetricStore(), RULES),
            escalation=EscalationPolicy(("team-supervisor", "floor-manager")),
        )
        self.authorize = authorizer.build_handler(KEY, self.clock)
        self.handle = websocket.build_handler(SupervisorApi(ports, self.clock), self.poster_for)

    def poster_for(self, endpoint: str) -> RecordingPoster:
        self.endpoints.append(endpoint)
        return self.poster

    def connect(self, connection_id: str, role: str, user: str, teams: tuple[str, ...] = ()) -> None:
        token = mint(KEY, user=user, role=role, teams=teams, queues=teams, now=self.clock())
        answer = self.authorize(authorizer_event(token, connection_id), None)
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        assert self.handle(connect_event(connection_id, answer["context"]), None) == {"statusCode": 200}

    def send(
        self, connection_id: str, body: dict[str, Any] | str, route: str | None = None
    ) -> dict[str, Any]:
        assert self.handle(message_event(connection_id, body, route), None) == {"statusCode": 200}
        return self.poster.messages(connection_id)[-1]


@pytest.fixture
def world() -> World:
    return World()


# --- authorizer -------------------------------------------------------------------------------------


def test_authorizer_allows_a_valid_token_with_the_principal_as_context() -> None:
    clock = Clock()
    token = mint(KEY, user="ana", role="supervisor", teams=["billing", "tech"], queues=["vip"], now=clock())
    answer = authorizer.build_handler(KEY, clock)(authorizer_event(token), None)
    assert answer == {
        "principalId": "ana",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}],
        },
        "context": {
            "user": "ana",
            "role": "supervisor",
            "teams": '["billing","tech"]',
            "queues": '["vip"]',
            "expires": str(int(clock().timestamp()) + 8 * 3600),
        },
    }


def test_authorizer_denies_expired_forged_and_garbage_tokens() -> None:
    clock = Clock()
    handle = authorizer.build_handler(KEY, clock)
    expired = mint(KEY, user="ana", role="manager", now=clock())
    clock.advance(8 * 3600)
    forged = mint("f" * 48, user="ana", role="manager", now=clock())
    for token in (expired, forged, "garbage"):
        answer = handle(authorizer_event(token), None)
        assert answer["policyDocument"]["Statement"][0] == {
            "Action": "execute-api:Invoke",
            "Effect": "Deny",
            "Resource": METHOD_ARN,
        }
        assert "context" not in answer


def test_authorizer_without_token_is_unauthorized() -> None:
    handle = authorizer.build_handler(KEY, Clock())
    with pytest.raises(authorizer.Unauthorized, match=r"^Unauthorized$"):
        handle(authorizer_event(None), None)


# --- websocket routes -----------------------------------------------------------------------------


def test_connect_stores_the_principal_and_disconnect_forgets_it(world: World) -> None:
    world.connect("conn-A=", "supervisor", "ana", ("billing",))
    connection = world.connections.get("conn-A=")
    assert connection is not None
    assert (connection.principal.user, connection.principal.teams, connection.connected_at) == (
        "ana",
        ("billing",),
        T0,
    )
    assert world.handle(disconnect_event("conn-A="), None) == {"statusCode": 200}
    assert world.connections.get("conn-A=") is None


def test_connect_without_authorizer_context_is_forbidden(world: World) -> None:
    assert world.handle(connect_event("conn-X=", None), None) == {"statusCode": 403}
    assert world.connections.get("conn-X=") is None


def test_subscribe_answers_a_snapshot_through_the_connections_endpoint(world: World) -> None:
    alert = open_alert(world.alerts)
    world.connect("conn-A=", "supervisor", "ana", ("billing",))

    reply = world.send("conn-A=", {"action": "subscribe", "scopes": ["*"], "request_id": "r1"})

    assert world.endpoints == [f"https://{DOMAIN}/{STAGE}"]
    assert (reply["type"], reply["request_id"], reply["at"]) == ("snapshot", "r1", "2026-11-30T09:00:00Z")
    assert [a["alert_id"] for a in reply["alerts"]] == [alert.alert_id]
    assert [t["queue_id"] for t in reply["tiles"]] == ["billing"]
    connection = world.connections.get("conn-A=")
    assert connection is not None and connection.subscriptions == {"*"}

    refreshed = world.send("conn-A=", {"action": "refresh", "request_id": "r2"})
    assert (refreshed["type"], refreshed["request_id"]) == ("snapshot", "r2")

    unsubscribed = world.send("conn-A=", {"action": "unsubscribe", "scopes": ["*"], "request_id": "r3"})
    assert unsubscribed == {"type": "ok", "request_id": "r3", "action": "unsubscribe"}
    assert world.connections.subscribers(["queue:billing"]) == []


def test_subscribing_outside_ones_coverage_is_forbidden(world: World) -> None:
    world.connect("conn-A=", "supervisor", "ana", ("billing",))
    reply = world.send("conn-A=", {"action": "subscribe", "scopes": ["queue:tech"], "request_id": "r1"})
    assert reply == {
        "type": "error",
        "request_id": "r1",
        "action": "subscribe",
        "code": "forbidden",
        "message": "ana (supervisor) may not subscribe to queue:tech",
    }


def test_supervisor_acks_and_the_action_is_audited(world: World) -> None:
    alert = open_alert(world.alerts)
    world.connect("conn-A=", "supervisor", "ana", ("billing",))

    reply = world.send("conn-A=", {"action": "ack", "alert_id": alert.alert_id, "request_id": "r9"})

    assert reply == {
        "type": "ok",
        "request_id": "r9",
        "action": "ack",
        "alert_id": alert.alert_id,
        "changed": True,
    }
    [entry] = world.audit.for_alert(str(alert.alert_id))
    assert (entry.actor, entry.action, entry.connection_id) == ("ana", "ack", "conn-A=")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "snooze", "minutes": 15}, "snoozed"),
        ({"action": "note", "text": "two agents moved over"}, "noted"),
        ({"action": "escalate"}, "escalated"),
        ({"action": "resolve"}, "resolved"),
    ],
)
def test_each_alert_action_route_answers_ok_and_records_a_transition(
    world: World, body: dict[str, Any], message: str
) -> None:
    alert = open_alert(world.alerts)
    world.connect("conn-M=", "manager", "mo")
    reply = world.send("conn-M=", {**body, "alert_id": alert.alert_id, "request_id": "r"})
    assert (reply["type"], reply["action"], reply["changed"]) == ("ok", body["action"], True)
    [transition] = world.alerts.transitions(alert.key, since_version=alert.version)
    assert (transition.transition.value, transition.actor) == (message, "mo")
    assert world.audit.for_alert(str(alert.alert_id))[0].action == body["action"]


def test_feedback_route_is_audited_only(world: World) -> None:
    alert = open_alert(world.alerts)
    world.connect("conn-A=", "supervisor", "ana", ("billing",))
    body = {"action": "feedback", "alert_id": alert.alert_id, "useful": False, "reason": "known outage"}
    reply = world.send("conn-A=", body)
    assert (reply["type"], reply["changed"]) == ("ok", False)
    [entry] = world.audit.for_alert(str(alert.alert_id))
    assert (entry.action, entry.details["useful"], entry.details["reason"]) == (
        "feedback",
        False,
        "known outage",
    )


@pytest.mark.parametrize("action", ["ack", "snooze", "note", "feedback", "escalate", "resolve"])
def test_agent_actions_are_refused_with_a_clear_error(world: World, action: str) -> None:
    alert = open_alert(
        world.alerts, scope="agent:bob", rule_id="agent-on-hold-too-long", queue_id=None, team_id="billing"
    )
    world.connect("conn-B=", "agent", "bob", ("billing",))
    body = {"action": action, "alert_id": alert.alert_id, "request_id": "r1", "minutes": 5, "text": "x"}
    body["useful"] = True
    reply = world.send("conn-B=", body)
    assert reply == {
        "type": "error",
        "request_id": "r1",
        "action": action,
        "code": "forbidden",
        "message": f"the agent role is read-only: '{action}' is refused",
        "alert_id": alert.alert_id,
    }
    assert world.audit.for_alert(str(alert.alert_id))[0].action == f"refused:{action}"


@pytest.mark.parametrize(
    ("body", "route", "code", "fragment"),
    [
        ("not json", "$default", "invalid", "messages are JSON objects"),
        ({"action": "dance"}, "$default", "invalid", "unknown action 'dance'"),
        ({"action": "snooze", "alert_id": "a", "minutes": "soon"}, None, "invalid", "minutes"),
        ({"action": "subscribe", "scopes": []}, None, "invalid", "scopes"),
        ({"action": "ack", "alert_id": "nope"}, None, "not_found", "no alert nope"),
    ],
)
def test_unusable_messages_get_clear_errors(
    world: World, body: dict[str, Any] | str, route: str | None, code: str, fragment: str
) -> None:
    world.connect("conn-A=", "supervisor", "ana", ("billing",))
    reply = world.send("conn-A=", body, route)
    assert (reply["type"], reply["code"]) == ("error", code)
    assert fragment in reply["message"]


def test_default_route_serves_known_actions(world: World) -> None:
    alert = open_alert(world.alerts)
    world.connect("conn-A=", "supervisor", "ana", ("billing",))
    reply = world.send("conn-A=", {"action": "ack", "alert_id": alert.alert_id}, route="$default")
    assert (reply["type"], reply["action"]) == ("ok", "ack")


def test_message_from_an_unknown_connection_is_refused(world: World) -> None:
    reply = world.send("conn-Z=", {"action": "refresh", "request_id": "r1"})
    assert (reply["code"], reply["message"]) == ("forbidden", "this connection is not known (reconnect)")


def test_a_reply_to_a_gone_connection_forgets_it(world: World) -> None:
    world.connect("conn-A=", "supervisor", "ana", ("billing",))
    world.poster.gone.add("conn-A=")
    world.handle(message_event("conn-A=", {"action": "refresh"}), None)
    assert world.connections.get("conn-A=") is None


def test_configured_endpoint_wins_over_the_request(world: World) -> None:
    ports = ApiPorts(
        world.connections,
        world.alerts,
        world.audit,
        SnapshotSources(world.alerts, InMemoryMetricStore(), RULES),
    )
    handle = websocket.build_handler(
        SupervisorApi(ports, world.clock), world.poster_for, "http://127.0.0.1:9000/ws"
    )
    world.connect("conn-A=", "manager", "mo")
    world.endpoints.clear()
    handle(message_event("conn-A=", {"action": "refresh"}), None)
    assert world.endpoints == ["http://127.0.0.1:9000/ws"]


# --- settings -------------------------------------------------------------------------------------

TABLE_VARIABLES = {
    names.ENV_CONNECTIONS_TABLE: "floorwatch-dev-connections",
    names.ENV_ALERTS_TABLE: "floorwatch-dev-alerts",
    names.ENV_METRICS_TABLE: "floorwatch-dev-metrics",
    names.ENV_AUDIT_TABLE: "floorwatch-dev-audit",
}


def test_websocket_settings_climb_the_fanouts_chain_by_default() -> None:
    settings = WebsocketSettings.from_environ(TABLE_VARIABLES)
    assert settings.escalation_levels() == DEFAULT_CHAIN
    custom = WebsocketSettings.from_environ({**TABLE_VARIABLES, names.ENV_ESCALATION_CHAIN: "lead, head"})
    assert custom.escalation_levels() == ("lead", "head")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (names.ENV_AUDIT_TABLE, None),
        (names.ENV_ALERTS_TABLE, "a"),
        (names.ENV_ESCALATION_CHAIN, "Team Lead!"),
        (names.ENV_WEBSOCKET_ENDPOINT, "wss://x"),
    ],
)
def test_websocket_settings_name_the_bad_variable(variable: str, value: str | None) -> None:
    environ = {**TABLE_VARIABLES, variable: value} if value is not None else dict(TABLE_VARIABLES)
    if value is None:
        del environ[variable]
    with pytest.raises(SettingsError, match=variable):
        WebsocketSettings.from_environ(environ)
