"""WebSocket API costs in-process: token verification, snapshot building, an acknowledgement.

In memory (no DynamoDB): these are the CPU costs a Lambda invocation adds to its store round trips.
The snapshot is built for a manager (every alert, every queue) over 100 firing alerts and 40 queues
with 15 minutes of metric data each. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from itertools import count

from floorwatch.alerts.actions import ActionRequest, perform
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.fold import fold
from floorwatch.security.tokens import mint, verify
from floorwatch.snapshot import SnapshotSources, build_snapshot
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.audit_memory import InMemoryAuditLog
from floorwatch.store.metrics_memory import InMemoryMetricStore

from tests.unit.websocket.support import MANAGER, RULES, SUPERVISOR, T0, open_alert

QUEUES = 40
ALERTS = 100
KEY = "b" * 48


def _per_second(runs: int, seconds: float) -> str:
    return f"{runs / seconds:,.0f}/s ({seconds / runs * 1e6:,.0f} us each)"


def bench_tokens(runs: int = 5000) -> None:
    token = mint(KEY, user="ana", role="supervisor", teams=["billing", "tech"], now=T0)
    started = time.perf_counter()
    for _ in range(runs):
        verify(KEY, token, T0)
    print(f"   token verify: {_per_second(runs, time.perf_counter() - started)}")


def _metric_store() -> InMemoryMetricStore:
    ids = count()
    events = []
    for queue in range(QUEUES):
        for minute in range(15):
            at = T0 - timedelta(minutes=15 - minute)
            events.append(
                CxEvent(
                    event_id=f"s{next(ids)}",
                    source=Source.GENERIC,
                    type=EventType.QUEUE_SNAPSHOT,
                    occurred_at=at,
                    queue_id=f"q{queue}",
                    values={"contacts_in_queue": 12, "longest_wait_seconds": 45, "agents_available": 4},
                )
            )
            events.extend(
                CxEvent(
                    event_id=f"a{next(ids)}",
                    source=Source.GENERIC,
                    type=EventType.CONTACT_ANSWERED,
                    occurred_at=at,
                    queue_id=f"q{queue}",
                    values={"wait_seconds": 12},
                )
                for _ in range(3)
            )
    store = InMemoryMetricStore()
    store.apply("shard", events, fold(events))
    return store


def bench_snapshot(runs: int = 50) -> None:
    alerts = InMemoryAlertStore()
    # Up to three alerts per queue: (rule, a value that fires it).
    kinds = (
        ("queue-longest-wait", 400.0),
        ("queue-contacts-waiting", 400.0),
        ("queue-agents-available-low", 0.0),
    )
    for n in range(ALERTS):
        queue = f"q{n % QUEUES}"
        rule_id, value = kinds[n // QUEUES]
        open_alert(alerts, scope=f"queue:{queue}", rule_id=rule_id, queue_id=queue, value=value)
    sources = SnapshotSources(alerts, _metric_store(), RULES)
    snapshot = build_snapshot(MANAGER, T0, sources)
    size = len(json.dumps({"type": "snapshot", **snapshot}, separators=(",", ":")).encode())
    started = time.perf_counter()
    for _ in range(runs):
        build_snapshot(MANAGER, T0, sources)
    elapsed = time.perf_counter() - started
    shape = f"{len(snapshot['alerts'])} alerts, {len(snapshot['tiles'])} tiles, {size / 1024:.0f} KB"
    print(f"   snapshot ({shape}): {elapsed / runs * 1000:.1f} ms each")


def bench_ack(runs: int = 500) -> None:
    alerts = InMemoryAlertStore()
    audit = InMemoryAuditLog()
    ids = [open_alert(alerts, scope=f"queue:b{n}", queue_id="billing").alert_id for n in range(runs)]
    started = time.perf_counter()
    for alert_id in ids:
        perform(ActionRequest("ack", str(alert_id), SUPERVISOR, T0, "c1"), alerts, audit)
    print(f"   ack (authorize, apply, save, audit): {_per_second(runs, time.perf_counter() - started)}")


def main() -> None:
    bench_tokens()
    bench_snapshot()
    bench_ack()


if __name__ == "__main__":
    main()
