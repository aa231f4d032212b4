"""Fan-out of one transition to many dashboards: concurrent posts vs one at a time, with 410s and
throttling mixed in; and the SMS text of every default rule's critical opening.

Each post sleeps a fixed latency (API Gateway's @connections answers in tens of milliseconds), so the
figures show what the thread pool buys, not this machine's speed. Prints figures; asserts nothing.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.delivery.memory import RecordingPoster
from floorwatch.delivery.messages import sms_bytes, sms_encoding, sms_text
from floorwatch.delivery.websocket import RetryPolicy, WebSocketFanout
from floorwatch.rules.config import Direction, ThresholdRule, load_default_rules
from floorwatch.security.roles import may_see
from floorwatch.store.connections_memory import InMemoryConnectionStore
from floorwatch.store.connections_port import Principal

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
POST_LATENCY_SECONDS = 0.02
CONNECTIONS = 200
GONE_EVERY = 10  # every 10th connection closed without $disconnect (410)
THROTTLED_EVERY = 25  # every 25th throttled once


class SlowPoster(RecordingPoster):
    def post(self, connection_id: str, data: bytes) -> None:
        time.sleep(POST_LATENCY_SECONDS)
        super().post(connection_id, data)


def transition() -> Transition:
    return Transition(
        transition_id="a1:1",
        alert_id="0123456789abcdef0123",
        transition=TransitionKind.OPENED,
        rule="queue-longest-wait",
        scope="queue:billing",
        severity=Severity.CRITICAL,
        value=340.0,
        threshold=300.0,
        at=NOW,
        version=1,
        queue_id="billing",
        metric="longest_wait_seconds",
    )


def run(workers: int) -> tuple[float, int, int, int]:
    store = InMemoryConnectionStore(clock=lambda: NOW)
    ids = [f"c-{n:04d}" for n in range(CONNECTIONS)]
    for connection_id in ids:
        store.add(connection_id, Principal(connection_id, "manager"), NOW)
        store.subscribe(connection_id, ["*"])
    poster = SlowPoster(
        gone=ids[::GONE_EVERY],
        flaky={cid: 1 for cid in ids[1::THROTTLED_EVERY] if cid not in ids[::GONE_EVERY]},
    )
    with ThreadPoolExecutor(max_workers=workers) as pool:
        fanout = WebSocketFanout(store, poster, may_see, executor=pool, retry=RetryPolicy(attempts=3))
        started = time.perf_counter()
        report = fanout.push(transition())
        elapsed = time.perf_counter() - started
    return elapsed, len(report.delivered), len(report.gone), report.posts


def main() -> None:
    print(
        f"fan-out of one transition to {CONNECTIONS} connections, "
        f"{POST_LATENCY_SECONDS * 1000:.0f} ms per post, "
        f"1 in {GONE_EVERY} gone (410), 1 in {THROTTLED_EVERY} throttled once"
    )
    for workers in (1, 4, 16, 32):
        elapsed, delivered, gone, posts = run(workers)
        print(
            f"   {workers:>2} workers: {elapsed:6.3f} s  delivered {delivered}, gone {gone} (deleted), "
            f"{posts} posts ({posts - CONNECTIONS} retries)"
        )
    print("SMS of each default rule's critical opening (link: 36-character CloudFront host)")
    dashboard = "https://d1a2b3c4d5e6f7.cloudfront.net"
    for rule in load_default_rules():
        if not isinstance(rule, ThresholdRule) or rule.threshold(Severity.CRITICAL) is None:
            continue
        scope = f"{rule.scope.value}:billing-emea-tier2"
        threshold = rule.threshold(Severity.CRITICAL) or 0.0
        past = abs(threshold) * 0.2 * (1 if rule.direction is Direction.ABOVE else -1)
        text = sms_text(
            Transition(
                transition_id="x:1",
                alert_id="0123456789abcdef0123",
                transition=TransitionKind.OPENED,
                rule=rule.id,
                scope=scope,
                severity=Severity.CRITICAL,
                value=threshold + past,
                threshold=threshold,
                at=NOW,
                version=1,
                metric=rule.metric,
            ),
            dashboard,
        )
        print(f"   {sms_bytes(text):>3} bytes {sms_encoding(text)}  {text}")


if __name__ == "__main__":
    main()
