"""The whole local runtime for end-to-end and browser tests: one per test module. Handlers read
their environment (AWS_ENDPOINT_URL, FLOORWATCH_*) from this process's os.environ, so the runtime
sets it while it runs and restores it when it stops; module scope keeps that window to the modules
that need it (pytest-randomly reorders modules but never interleaves them).

``local_runtime`` yields a ``RunningSystem``: its URLs, ``token(...)`` to mint dashboard tokens,
``push(payloads)`` to PutRecords raw payloads like a platform, ``outbox()`` for what SNS would have
sent, and payload builders for an incident (``compliance_breach``, ``queue_snapshot``). Rules:
tests/e2e/rules.yaml (critical alerts must be acknowledged within 2 s; escalations repeat every 2 s).
Everything binds 127.0.0.1.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from floorwatch.names import ENV_LIVE_UPDATE_SECONDS
from playwright.sync_api import Browser, Page, sync_playwright

from local.runtime import LocalRuntime, RuntimeOptions
from tests.e2e.browser_fakes import FakeFloor
from tests.e2e.browser_support import UI_TIMEOUT_MS, chromium_path
from tests.e2e.support import RunningSystem

E2E_RULES = Path(__file__).with_name("rules.yaml")


@pytest.fixture(scope="module")
def local_runtime() -> Iterator[RunningSystem]:
    options = RuntimeOptions(
        rules_file=E2E_RULES,
        tick_seconds=1.0,  # `for` and resolve timers move with ticks
        batching_window=0.1,  # sub-second hops (the deployed mappings wait up to 1 s)
        escalation_repeat_seconds=2,
        log_level="WARNING",
        # Cards' live values at most once per second of event time (30 s deployed), so tests see them.
        extra_environment={ENV_LIVE_UPDATE_SECONDS: "1"},
    )
    runtime = LocalRuntime(options).start()
    try:
        yield RunningSystem(runtime)
    finally:
        runtime.stop()


@pytest.fixture
def contact_id() -> str:
    return f"call-{uuid.uuid4().hex[:10]}"


# --- the browser (test_browser.py, test_screen.py) ---------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "chromium not found at /usr/bin/chromium: `make browser` installs it (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def _page(browser: Browser, **context: object) -> Iterator[Page]:
    opened_context = browser.new_context(**context)  # type: ignore[arg-type]
    opened = opened_context.new_page()
    opened.set_default_timeout(UI_TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    opened_context.close()
    assert not errors, f"the page threw: {errors}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, viewport={"width": 1600, "height": 1000})


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A 390 x 844 phone (touch, mobile viewport)."""
    yield from _page(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )


@pytest.fixture
def scan_page(browser: Browser) -> Iterator[Page]:
    """A desktop page whose CSP lets the test inject axe-core (the page's own policy forbids it)."""
    yield from _page(browser, viewport={"width": 1600, "height": 1000}, bypass_csp=True)


@pytest.fixture
def floor(page: Page) -> FakeFloor:
    return FakeFloor(page)
