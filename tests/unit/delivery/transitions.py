"""One alert transition for delivery tests: a critical queue-longest-wait opening on queue billing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from floorwatch.alerts.model import Severity, Transition, TransitionKind


def critical_opening(alert_id: str = "a1", **changes: object) -> Transition:
    base = Transition(
        transition_id=f"{alert_id}:1",
        alert_id=alert_id,
        transition=TransitionKind.OPENED,
        rule="queue-longest-wait",
        scope="queue:billing",
        severity=Severity.CRITICAL,
        value=340.0,
        threshold=300.0,
        at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        version=1,
        queue_id="billing",
        metric="longest_wait_seconds",
    )
    return replace(base, **changes)  # type: ignore[arg-type]
