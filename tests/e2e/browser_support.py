"""What the browser tests share: Debian's chromium, screenshots, locators, the axe-core scan and a
WebSocket relay that can stall (a connection that stays open but carries nothing, as when a proxy or a
NAT silently drops it: no close frame ever arrives).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, WebSocketRoute, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
# The pinned copy `make test` installs (tests/e2e/a11y/package.json); nothing is fetched at test time.
AXE_SCRIPT = Path(__file__).with_name("a11y") / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
UI_TIMEOUT_MS = 20_000  # a hop may take seconds on 2 shared cores
# What the page shows only after its next `refresh` (dashboard/app.js REFRESH_MS, 15 s) may take that long
# and a hop more.
REFRESH_WAIT_MS = 25_000
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def screenshot(page: Page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def expect_live(page: Page) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")


def card_about(page: Page, text: str) -> Locator:
    return page.locator("#alerts li.alert", has_text=text)


def card(page: Page, alert_id: str) -> Locator:
    return page.locator(f"#alerts li.alert[data-alert-id='{alert_id}']")


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations of the given impacts, as {id, impact, help, targets}."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate(
        """async () => {
            const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
              targets: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


class StallableRelay:
    """Relays the page's WebSockets to the real server; ``stall()`` makes every open one go silent in
    both directions without closing it. ``block`` refuses new connections (the API unreachable)."""

    def __init__(self, page: Page, pattern: str = "**/ws*") -> None:
        self.stalled: set[int] = set()
        self.routes: list[WebSocketRoute] = []
        self.block = threading.Event()
        self.sent: list[dict[str, Any]] = []
        page.route_web_socket(pattern, self._route)

    def stall(self) -> None:
        self.stalled.update(id(route) for route in self.routes)

    def _route(self, route: WebSocketRoute) -> None:
        if self.block.is_set():
            route.close(code=1011, reason="blocked by the test")
            return
        self.routes.append(route)
        server = route.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if id(route) in self.stalled:
                return
            if isinstance(message, str):
                self.sent.append(json.loads(message))
            server.send(message)

        def to_page(message: str | bytes) -> None:
            if id(route) not in self.stalled:
                route.send(message)

        route.on_message(to_server)
        server.on_message(to_page)


def wait_in_page(page: Page, predicate: Callable[[], Any], timeout_ms: int = UI_TIMEOUT_MS) -> Any:
    """Poll ``predicate`` while Playwright keeps serving the page's routes (a plain sleep would stall
    them: the sync API runs route handlers only while it is called)."""
    waited = 0
    while waited <= timeout_ms:
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(200)
        waited += 200
    raise AssertionError(f"condition not met within {timeout_ms} ms")
