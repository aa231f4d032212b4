"""Local WebSocket gateway: API Gateway's WebSocket contract on 127.0.0.1, plus the dashboard.

One aiohttp server (in its own thread and event loop) serves:
- ``GET /ws?token=...`` the WebSocket API. ``$connect`` runs ``handlers.authorizer`` with a REQUEST
  authorizer event (an exception "Unauthorized" -> 401, a Deny policy -> 403), then
  ``handlers.websocket`` with the ``$connect`` event (a non-2xx statusCode refuses the upgrade).
  Each text frame is routed by ``$request.body.action`` (an unknown action or non-JSON -> ``$default``)
  and closing runs ``$disconnect``; the events carry API Gateway's ``requestContext`` (routeKey,
  eventType, connectionId, domainName, stage, authorizer context, ...). A handler's ``body``, when it
  returns one, is sent back as the route response. Gateway actions (``ping``) are answered here from
  the response template the deployed API's MOCK integration renders, without running any function.
- ``POST/GET/DELETE [/<stage>]/@connections/{id}`` the management API exactly as botocore's
  ``apigatewaymanagementapi`` client calls it (410 GoneException for an unknown connection).
- ``GET /outbox`` what SNS would have sent (SMS / e-mail), as JSON, for the ops-outbox panel.
- ``GET /`` and every other path: static files of the dashboard directory.
Handlers are synchronous and call back into this server (``post_to_connection``), so they run on a
thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from floorwatch.protocol import CLIENT_ACTIONS, GATEWAY_RESPONSE_TEMPLATES

from local.runtime.aws import ACCOUNT_ID, REGION
from local.runtime.functions import LocalFunction

log = logging.getLogger("floorwatch.local")

API_ID = "local0api"
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's WebSocket message limit
# The routes the stack defines (route selection `$request.body.action`, one per client action of
# floorwatch.protocol); anything else is $default.
ROUTES = frozenset(CLIENT_ACTIONS)
HANDLER_THREADS = 8


@dataclass
class LiveConnection:
    connection_id: str
    socket: web.WebSocketResponse
    connected_at: float  # epoch seconds
    source_ip: str
    user_agent: str
    authorizer: dict[str, Any]
    last_active_at: float = field(default_factory=time.time)


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class Gateway:
    def __init__(
        self,
        *,
        authorizer: LocalFunction,
        websocket: LocalFunction,
        dashboard_dir: Path,
        outbox: Callable[[], list[dict[str, Any]]],
        stage: str = "local",
        port: int = 0,
    ) -> None:
        self._authorizer = authorizer
        self._websocket = websocket
        self._dashboard_dir = dashboard_dir.resolve()
        self._outbox = outbox
        self.stage = stage
        self._requested_port = port
        self.port = 0
        self.connections: dict[str, LiveConnection] = {}
        self._pool = ThreadPoolExecutor(max_workers=HANDLER_THREADS, thread_name_prefix="gateway-handler")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # --- addresses ----------------------------------------------------------------------------------

    @property
    def domain_name(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.domain_name}/"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.domain_name}/ws"

    @property
    def management_endpoint(self) -> str:
        """What handlers give boto3's apigatewaymanagementapi client (AWS: https://<api>.../<stage>)."""
        return f"http://{self.domain_name}/{self.stage}"

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="gateway", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._startup_error is not None:
            raise RuntimeError(f"the local gateway did not start: {self._startup_error}")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            with contextlib.suppress(Exception):
                future.result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as error:  # noqa: BLE001 - reported to start()
            self._startup_error = error
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.close()

    async def _startup(self) -> None:
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES + 1024)
        management = "/@connections/{connection_id}"
        for prefix in ("", f"/{self.stage}"):
            app.router.add_post(prefix + management, self._post_to_connection)
            app.router.add_get(prefix + management, self._get_connection)
            app.router.add_delete(prefix + management, self._delete_connection)
        app.router.add_get("/ws", self._websocket_route)
        app.router.add_get("/outbox", self._outbox_route)
        app.router.add_get("/{path:.*}", self._static)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._requested_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._requested_port

    async def _shutdown(self) -> None:
        for connection in list(self.connections.values()):
            with contextlib.suppress(Exception):
                await connection.socket.close(code=1001, message=b"Going away")
        if self._runner is not None:
            await self._runner.cleanup()

    async def _call(self, function: LocalFunction, event: Mapping[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, function.invoke, event)

    # --- the WebSocket API ----------------------------------------------------------------------------

    async def _websocket_route(self, request: web.Request) -> web.StreamResponse:
        connection_id = secrets.token_urlsafe(12)
        now = time.time()
        headers = dict(request.headers)
        query = dict(request.query)
        identity = {
            "sourceIp": request.remote or "127.0.0.1",
            "userAgent": request.headers.get("User-Agent", ""),
        }
        try:
            authorizer = await self._authorize(connection_id, now, headers, query, identity)
            context = self._request_context(
                "$connect",
                "CONNECT",
                connection_id=connection_id,
                connected_at=now,
                identity=identity,
                authorizer=authorizer,
            )
            connect_event = {
                **_header_fields(headers, query),
                "requestContext": context,
                "isBase64Encoded": False,
            }
            await self._expect_success(connect_event)
        except Refused as refused:
            log.info("connection refused (%d): %s", refused.status, refused)
            return web.json_response({"message": str(refused)}, status=refused.status)
        socket = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, autoping=True, heartbeat=None)
        await socket.prepare(request)
        connection = LiveConnection(
            connection_id, socket, now, identity["sourceIp"], identity["userAgent"], authorizer
        )
        self.connections[connection_id] = connection
        try:
            await self._receive(connection)
        finally:
            self.connections.pop(connection_id, None)
            await self._disconnect(connection, headers, query)
        return socket

    async def _authorize(
        self,
        connection_id: str,
        now: float,
        headers: dict[str, str],
        query: dict[str, str],
        identity: dict[str, str],
    ) -> dict[str, Any]:
        if not self._authorizer.available() or not self._websocket.available():
            raise Refused(503, "the WebSocket handlers are not available yet")
        event = {
            "type": "REQUEST",
            "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{self.stage}/$connect",
            **_header_fields(headers, query),
            "stageVariables": {},
            "requestContext": self._request_context(
                "$connect", "CONNECT", connection_id=connection_id, connected_at=now, identity=identity
            ),
        }
        try:
            response = await self._call(self._authorizer, event)
        except Exception as error:  # noqa: BLE001 - API Gateway: "Unauthorized" -> 401, anything else -> 500
            if str(error) == "Unauthorized":
                raise Refused(401, "Unauthorized") from None
            log.warning("authorizer failed: %s: %s", type(error).__name__, error)
            raise Refused(500, "Internal server error") from None
        return _authorizer_context(response)

    async def _expect_success(self, event: Mapping[str, Any]) -> None:
        try:
            response = await self._call(self._websocket, event)
        except Exception as error:  # noqa: BLE001 - a function error refuses the connection (502 in AWS)
            log.warning("$connect handler failed: %s: %s", type(error).__name__, error)
            raise Refused(502, "Internal server error") from None
        status = response.get("statusCode", 200) if isinstance(response, Mapping) else 200
        if not 200 <= int(status) < 300:
            raise Refused(int(status), "refused by the $connect route")

    async def _receive(self, connection: LiveConnection) -> None:
        async for message in connection.socket:
            if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            connection.last_active_at = time.time()
            body = message.data if message.type == WSMsgType.TEXT else message.data.decode("utf-8", "replace")
            route = route_key(body)
            context = {
                **self._connection_context(connection, route, "MESSAGE"),
                "messageId": secrets.token_urlsafe(12),
            }
            answer = gateway_answer(route, context)
            if answer is not None:  # the deployed API answers it itself (MOCK): no function runs
                await _send_quietly(connection.socket, answer)
                continue
            event = {"requestContext": context, "body": body, "isBase64Encoded": False}
            try:
                response = await self._call(self._websocket, event)
            except Exception as error:  # noqa: BLE001 - API Gateway answers an internal error, keeps the socket
                log.warning("route %s failed: %s: %s", route, type(error).__name__, error)
                await _send_quietly(connection.socket, json.dumps({"message": "Internal server error"}))
                continue
            reply = response.get("body") if isinstance(response, Mapping) else None
            if isinstance(reply, str) and reply:
                await _send_quietly(connection.socket, reply)

    async def _disconnect(
        self, connection: LiveConnection, headers: dict[str, str], query: dict[str, str]
    ) -> None:
        context = self._connection_context(connection, "$disconnect", "DISCONNECT")
        close_code = connection.socket.close_code or 1006
        context["disconnectStatusCode"] = close_code
        context["disconnectReason"] = "Client-side close frame" if close_code == 1000 else ""
        event = {**_header_fields(headers, {}), "requestContext": context, "isBase64Encoded": False}
        try:
            await self._call(self._websocket, event)
        except Exception as error:  # noqa: BLE001 - $disconnect is best effort in AWS too
            log.warning("$disconnect handler failed: %s: %s", type(error).__name__, error)

    def _connection_context(self, connection: LiveConnection, route: str, event_type: str) -> dict[str, Any]:
        return self._request_context(
            route,
            event_type,
            connection_id=connection.connection_id,
            connected_at=connection.connected_at,
            identity={"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            authorizer=connection.authorizer,
        )

    def _request_context(
        self,
        route: str,
        event_type: str,
        *,
        connection_id: str,
        connected_at: float,
        identity: Mapping[str, str],
        authorizer: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        context: dict[str, Any] = {
            "routeKey": route,
            "eventType": event_type,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": int(connected_at * 1000),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": dict(identity),
            "requestId": uuid.uuid4().hex[:16],
            "domainName": self.domain_name,
            "connectionId": connection_id,
            "apiId": API_ID,
        }
        if authorizer is not None:
            context["authorizer"] = dict(authorizer)
        return context

    # --- @connections management API ----------------------------------------------------------------

    async def _post_to_connection(self, request: web.Request) -> web.Response:
        connection = self.connections.get(request.match_info["connection_id"])
        if connection is None or connection.socket.closed:
            return _gone()
        data = await request.read()
        if len(data) > MAX_MESSAGE_BYTES:
            return _error(413, "PayloadTooLargeException", "Message too long")
        try:
            await connection.socket.send_str(data.decode("utf-8", "replace"))
        except (ConnectionError, RuntimeError):
            return _gone()
        return web.Response(status=200)

    async def _get_connection(self, request: web.Request) -> web.Response:
        connection = self.connections.get(request.match_info["connection_id"])
        if connection is None:
            return _gone()
        return web.json_response(
            {
                "connectedAt": _iso(connection.connected_at),
                "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                "lastActiveAt": _iso(connection.last_active_at),
            }
        )

    async def _delete_connection(self, request: web.Request) -> web.Response:
        connection = self.connections.get(request.match_info["connection_id"])
        if connection is None:
            return _gone()
        await connection.socket.close(code=1000, message=b"")
        return web.Response(status=204)

    # --- outbox and dashboard -----------------------------------------------------------------------

    async def _outbox_route(self, request: web.Request) -> web.Response:
        loop = asyncio.get_running_loop()
        messages = await loop.run_in_executor(self._pool, self._outbox)
        return web.json_response({"messages": messages}, headers={"Cache-Control": "no-store"})

    async def _static(self, request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"] or "index.html"
        path = (self._dashboard_dir / relative).resolve()
        if not path.is_relative_to(self._dashboard_dir) or not path.is_file():
            return web.Response(status=404, text="not found")
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


def route_key(body: str) -> str:
    """API Gateway's route selection ``$request.body.action``."""
    try:
        action = json.loads(body).get("action")
    except (ValueError, AttributeError):
        return "$default"
    return action if isinstance(action, str) and action in ROUTES else "$default"


def gateway_answer(route: str, context: Mapping[str, Any]) -> str | None:
    """What the API itself answers a gateway action with (its MOCK integration's response template,
    rendered with this request's context); None for routes the websocket function answers."""
    template = GATEWAY_RESPONSE_TEMPLATES.get(route)
    return None if template is None else render_template(template, context)


_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z]+)")


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """API Gateway's ``$context.<name>`` substitution, the only mapping-template feature the protocol's
    templates use; anything else left in the template is an error rather than a silently wrong reply."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in context:
            raise ValueError(f"the local gateway does not know $context.{name}")
        return str(context[name])

    rendered = _CONTEXT_VARIABLE.sub(value, template)
    if "$" in rendered or "#" in rendered:
        raise ValueError(f"the local gateway renders only $context variables: {template}")
    return rendered


def _header_fields(headers: Mapping[str, str], query: Mapping[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
    }
    if query:
        fields["queryStringParameters"] = dict(query)
        fields["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    return fields


def _authorizer_context(response: Any) -> dict[str, Any]:
    """requestContext.authorizer from an IAM-policy authorizer response; Deny -> 403."""
    if not isinstance(response, Mapping):
        raise Refused(500, "Internal server error")
    statements = (response.get("policyDocument") or {}).get("Statement") or []
    effects = {
        str(statement.get("Effect", "")).lower() for statement in statements if isinstance(statement, Mapping)
    }
    if "allow" not in effects or "deny" in effects:
        raise Refused(403, "Forbidden")
    context = dict(response.get("context") or {})
    context["principalId"] = response.get("principalId", "")
    return context


def _gone() -> web.Response:
    return _error(410, "GoneException", "")


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status, headers={"x-amzn-ErrorType": code})


async def _send_quietly(socket: web.WebSocketResponse, text: str) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        await socket.send_str(text)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")
