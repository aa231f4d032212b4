"""The local gateway speaks API Gateway's WebSocket contract to handlers and to boto3.

Scripted authorizer / websocket handlers record the events they get; a real `websockets` client
connects over loopback and boto3's ``apigatewaymanagementapi`` client calls @connections.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from floorwatch.names import ResourceNames
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from local.runtime.functions import LocalFunction
from local.runtime.gateway import Gateway, route_key

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
GOOD_TOKEN = "good"


class Handlers:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.disconnected = threading.Event()

    def authorizer(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(dict(event))
        token = (event.get("queryStringParameters") or {}).get("token")
        if token is None:
            raise Exception("Unauthorized")  # what API Gateway maps to 401
        effect = "Allow" if token == GOOD_TOKEN else "Deny"
        return {
            "principalId": "ana",
            "policyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": "x"}]},
            "context": {"user": "ana", "role": "supervisor"},
        }

    def websocket(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(dict(event))
        if event["requestContext"]["routeKey"] == "$disconnect":
            self.disconnected.set()
        return {"statusCode": 200}

    def of_route(self, route: str) -> list[dict[str, Any]]:
        return [
            e for e in self.events if e.get("requestContext", {}).get("routeKey") == route and "type" not in e
        ]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[Gateway, Handlers]]:
    (tmp_path / "index.html").write_text("<html>dashboard</html>")
    handlers = Handlers()
    names = ResourceNames("local")
    gateway = Gateway(
        authorizer=LocalFunction("authorizer", names, handler=handlers.authorizer),
        websocket=LocalFunction("websocket", names, handler=handlers.websocket),
        dashboard_dir=tmp_path,
        outbox=lambda: [{"channel": "sms", "message": "hi"}],
    )
    gateway.start()
    try:
        yield gateway, handlers
    finally:
        gateway.stop()


def management_client(gateway: Gateway) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=gateway.management_endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def open_socket(gateway: Gateway, token: str | None = GOOD_TOKEN) -> ClientConnection:
    url = gateway.ws_url + ("" if token is None else f"?token={token}")
    return connect(url, open_timeout=10).__enter__()


def test_connect_runs_the_authorizer_then_the_connect_route_with_its_context(
    gateway: tuple[Gateway, Handlers],
) -> None:
    server, handlers = gateway
    with open_socket(server):
        authorizer_event = handlers.events[0]
        connect_event = handlers.of_route("$connect")[0]

    assert authorizer_event["type"] == "REQUEST"
    assert authorizer_event["queryStringParameters"] == {"token": GOOD_TOKEN}
    assert authorizer_event["methodArn"].endswith("/local/$connect")
    context = connect_event["requestContext"]
    assert context["eventType"] == "CONNECT"
    assert context["authorizer"] == {"user": "ana", "role": "supervisor", "principalId": "ana"}
    assert context["domainName"] == server.domain_name
    assert context["stage"] == "local"
    assert context["connectionId"]


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("bad", 403)])
def test_a_refused_token_gets_the_status_api_gateway_answers(
    gateway: tuple[Gateway, Handlers], token: str | None, status: int
) -> None:
    server, handlers = gateway
    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, token)

    assert refused.value.response.status_code == status
    assert not handlers.of_route("$connect")


def test_messages_are_routed_by_action_and_pushed_back_through_connections(
    gateway: tuple[Gateway, Handlers],
) -> None:
    server, handlers = gateway
    with open_socket(server) as socket:
        socket.send(json.dumps({"action": "subscribe", "scopes": ["*"]}))
        socket.send(json.dumps({"action": "dance"}))
        socket.send("not json")
        connection_id = handlers.of_route("$connect")[0]["requestContext"]["connectionId"]
        client = management_client(server)
        client.post_to_connection(ConnectionId=connection_id, Data=b'{"type":"transition"}')

        assert json.loads(socket.recv(timeout=10)) == {"type": "transition"}
        described = client.get_connection(ConnectionId=connection_id)
        assert described["Identity"]["SourceIp"] == "127.0.0.1"

    routes = [e["requestContext"]["routeKey"] for e in handlers.events if "type" not in e]
    assert routes[:4] == ["$connect", "subscribe", "$default", "$default"]
    message = handlers.of_route("subscribe")[0]
    assert message["body"] == json.dumps({"action": "subscribe", "scopes": ["*"]})
    assert message["requestContext"]["eventType"] == "MESSAGE"
    assert message["requestContext"]["authorizer"]["user"] == "ana"


def test_a_ping_is_answered_by_the_gateway_itself_without_running_a_function(
    gateway: tuple[Gateway, Handlers],
) -> None:
    """As the deployed API's MOCK route does: the heartbeat costs no invocation and no table read."""
    server, handlers = gateway
    with open_socket(server) as socket:
        before = time.time()
        socket.send(json.dumps({"action": "ping", "request_id": "p1"}))
        answer = json.loads(socket.recv(timeout=10))
        socket.send(json.dumps({"action": "refresh"}))  # the function still answers everything else
        deadline = time.monotonic() + 10
        while not handlers.of_route("refresh") and time.monotonic() < deadline:
            time.sleep(0.02)

    assert answer["type"] == "pong"
    assert before * 1000 - 1000 <= answer["at_ms"] <= time.time() * 1000 + 1000
    assert not handlers.of_route("ping")
    assert handlers.of_route("refresh")


def test_delete_closes_the_socket_runs_disconnect_and_later_posts_are_gone(
    gateway: tuple[Gateway, Handlers],
) -> None:
    server, handlers = gateway
    client = management_client(server)
    with open_socket(server):
        connection_id = handlers.of_route("$connect")[0]["requestContext"]["connectionId"]
        client.delete_connection(ConnectionId=connection_id)
        assert handlers.disconnected.wait(10)

    with pytest.raises(ClientError) as gone:
        client.post_to_connection(ConnectionId=connection_id, Data=b"late")
    assert gone.value.response["Error"]["Code"] == "GoneException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    disconnect = handlers.of_route("$disconnect")[0]["requestContext"]
    assert disconnect["eventType"] == "DISCONNECT"
    assert disconnect["connectionId"] == connection_id


def test_route_selection_expression() -> None:
    assert route_key('{"action": "ack", "alert_id": "a"}') == "ack"
    assert route_key('{"action": "drop tables"}') == "$default"
    assert route_key("[1, 2]") == "$default"
    assert route_key("") == "$default"
