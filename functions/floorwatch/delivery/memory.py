"""In-memory delivery ports (unit tests, the local runtime's inspection): they record what was sent and
can be told to fail, the way API Gateway, SNS and SQS fail."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from threading import Lock
from typing import Any

from floorwatch.alerts.escalation import EscalationCheck
from floorwatch.delivery.sns import SnsMessage
from floorwatch.delivery.websocket import ConnectionGone


class TransientPostError(RuntimeError):
    """A retryable failure (like a throttled or timed-out post)."""


class RecordingPoster:
    """Records posts per connection. ``gone``: connections that answer 410; ``flaky``: connection id ->
    how many posts fail (transiently) before one succeeds. Thread-safe (the fan-out posts concurrently)."""

    def __init__(self, gone: Iterable[str] = (), flaky: dict[str, int] | None = None) -> None:
        self.gone = set(gone)
        self._failures_left = dict(flaky or {})
        self.received: dict[str, list[bytes]] = {}
        self.attempts: Counter[str] = Counter()
        self._lock = Lock()

    def post(self, connection_id: str, data: bytes) -> None:
        with self._lock:
            self.attempts[connection_id] += 1
            if connection_id in self.gone:
                raise ConnectionGone(connection_id)
            if self._failures_left.get(connection_id, 0) > 0:
                self._failures_left[connection_id] -= 1
                raise TransientPostError(f"{connection_id}: throttled")
            self.received.setdefault(connection_id, []).append(data)

    def messages(self, connection_id: str) -> list[dict[str, Any]]:
        return [json.loads(data) for data in self.received.get(connection_id, [])]


@dataclass(frozen=True)
class Published:
    topic_arn: str
    message: SnsMessage


class RecordingPublisher:
    """Records publishes in order; ``fail_next`` publishes raise first (SNS unavailable)."""

    def __init__(self, fail_next: int = 0) -> None:
        self.published: list[Published] = []
        self.fail_next = fail_next
        self._lock = Lock()

    def publish(self, topic_arn: str, message: SnsMessage) -> str:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                raise RuntimeError("SNS unavailable")
            self.published.append(Published(topic_arn, message))
            return f"message-{len(self.published)}"

    def to(self, topic_arn: str) -> list[SnsMessage]:
        return [item.message for item in self.published if item.topic_arn == topic_arn]


@dataclass(frozen=True)
class Scheduled:
    check: EscalationCheck
    delay_seconds: int


class RecordingScheduler:
    """Keeps scheduled checks in order (tests deliver them by hand); ``fail_next`` schedules raise."""

    def __init__(self, fail_next: int = 0) -> None:
        self.scheduled: list[Scheduled] = []
        self.fail_next = fail_next

    def schedule(self, check: EscalationCheck, delay_seconds: int) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RuntimeError("SQS unavailable")
        self.scheduled.append(Scheduled(check, delay_seconds))

    def take(self) -> list[Scheduled]:
        """Everything scheduled so far, removed (as a queue consumer would)."""
        taken, self.scheduled = self.scheduled, []
        return taken
