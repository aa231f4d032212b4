"""A fake floor for page-only browser tests: the dashboard's files and a scripted WebSocket server,
both served through Playwright's routing (no process, no port). The real pipeline is what
test_browser.py's runtime tests use; these pin down how the page handles what arrives.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from floorwatch.protocol import pong as protocol_pong
from playwright.sync_api import Page, Route, WebSocketRoute

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "dashboard"
ORIGIN = "http://floorwatch.test"


def unsigned_token(role: str, user: str, **claims: Any) -> str:
    """A JWT-shaped token; the page only decodes its payload for display (the server verifies)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': user, 'role': role, **claims})}.signature"


def transition(alert_id: str, kind: str, transition_id: str, **fields: Any) -> dict[str, Any]:
    """A transition push as the fan-out sends it."""
    message: dict[str, Any] = {
        "type": "transition",
        "at": now_iso(),
        "alert_id": alert_id,
        "transition_id": transition_id,
        "transition": kind,
        "rule": "contact-sentiment-collapse",
        "scope": "contact:call-1",
        "severity": "warning",
        "value": -0.45,
        "threshold": -0.3,
        "version": 1,
        "notify": True,
        "actor": None,
        "queue_id": "billing",
        "team_id": "billing-1",
        "metric": "sentiment",
        "link": None,
        "note": None,
    }
    message.update(fields)
    return message


def now_iso(seconds: float = 0.0) -> str:
    """Now (plus ``seconds``, negative for the past) as the server writes times."""
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def tile(queue_id: str, **metrics: dict[str, Any]) -> dict[str, Any]:
    return {"scope": f"queue:{queue_id}", "queue_id": queue_id, "metrics": metrics}


class FakeFloor:
    """Serves the page at ORIGIN and plays the server side of its WebSocket.

    ``alerts`` / ``tiles`` / ``you`` are what the next snapshot holds; ``refused`` maps an action to the
    error code the server answers it with; ``received`` lists what the page sent. ``server_time``
    False: snapshots carry no ``at`` (tests that drive the page's clock keep its timers uncorrected).
    """

    def __init__(self, page: Page, socket_url: str = "ws://floorwatch.test/ws**") -> None:
        self.page = page
        self.alerts: list[dict[str, Any]] = []
        self.tiles: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] | None = []  # None: no outbox here (AWS), GET /outbox is a 404
        self.you: dict[str, Any] | None = None
        self.server_time = True
        self.refused: dict[str, str] = {}
        self.received: list[dict[str, Any]] = []
        self.requested: list[str] = []  # the HTTP paths the page asked for
        self.sockets: list[WebSocketRoute] = []
        self.down = False  # True: every connection attempt is closed at once, as when the API is unreachable
        # False: snapshots and pongs are held (a backend or path too busy to answer yet) until
        # ``release()`` sends them.
        self.answering = True
        # False: snapshots are held but pings are answered (the API answers them itself, as in AWS): the
        # socket is fine, the backend behind it is not.
        self.snapshots_answered = True
        self.held: list[tuple[WebSocketRoute, str]] = []
        page.route(f"{ORIGIN}/**", self._http)
        page.route_web_socket(socket_url, self._socket)

    def open(self, token: str, query: str = "") -> None:
        self.page.goto(f"{ORIGIN}/?token={token}{query}")

    def push(self, message: dict[str, Any]) -> None:
        for socket in self.sockets:
            socket.send(json.dumps(message))

    def release(self) -> None:
        """Send the held snapshots, late, in order."""
        held, self.held = self.held, []
        for socket, text in held:
            socket.send(text)

    def _http(self, route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0].lstrip("/") or "index.html"
        self.requested.append("/" + path)
        if path == "outbox" and self.outbox is not None:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(self.outbox))
            return
        file = DASHBOARD_DIR / path
        if not file.is_file():
            route.fulfill(status=404, body="not found")
            return
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        route.fulfill(status=200, content_type=content_type, body=file.read_bytes())

    def _socket(self, socket: WebSocketRoute) -> None:
        if self.down:
            socket.close(code=1011, reason="down")
            return
        self.sockets.append(socket)
        socket.on_message(lambda raw: self._answer(socket, raw))

    def _answer(self, socket: WebSocketRoute, raw: str | bytes) -> None:
        message = json.loads(raw)
        self.received.append(message)
        action = message.get("action")
        request_id = message.get("request_id")
        if action == "ping":  # API Gateway's MOCK route: no function, no table
            pong = json.dumps(protocol_pong(int(datetime.now(UTC).timestamp() * 1000)))
            if self.answering:
                socket.send(pong)
            else:
                self.held.append((socket, pong))
            return
        if action in ("subscribe", "refresh"):
            snapshot: dict[str, Any] = {
                "type": "snapshot",
                "request_id": request_id,
                "alerts": self.alerts,
                "tiles": self.tiles,
            }
            if self.you is not None:
                snapshot["you"] = self.you
            if self.server_time:
                snapshot["at"] = now_iso()
            if self.answering and self.snapshots_answered:
                socket.send(json.dumps(snapshot))
            else:
                self.held.append((socket, json.dumps(snapshot)))
            return
        answer: dict[str, Any] = {
            "request_id": request_id,
            "action": action,
            "alert_id": message.get("alert_id"),
        }
        if action in self.refused:
            answer.update(
                type="error", code=self.refused[action], message=f"{action} refused: {self.refused[action]}"
            )
        else:
            answer.update(type="ok")
        socket.send(json.dumps(answer))
