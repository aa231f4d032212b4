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

from local.runtime import LocalRuntime, RuntimeOptions
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
