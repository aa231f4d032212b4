"""Publish each transition's SNS message once, however often the stream delivers the transition.

The alerts table's stream redelivers a record when the fan-out fails, times out or crashes after
publishing but before Lambda checkpoints the shard, and a bisected batch redelivers every record of the
failed half, including those already published. A ``PublishLedger`` keeps one marker per (transition,
topic): a conditional write *claims* the publish before SNS is called, and the marker turns ``sent``
right after SNS accepts. A redelivery that finds ``sent`` publishes nothing.

What remains (docs/delivery.md, "Paging exactly once"): a marker still ``publishing`` after its lease
means the earlier attempt died between the claim and the confirmation, and nobody can tell whether SNS
took the message. That attempt is repeated (at least once): a page may be doubled when a crash falls
in those few milliseconds, never lost. A failed publish releases its claim at once (the retry is not a
repeat); a confirmation that cannot be written is logged and left to the lease.

The lease is the claiming invocation's own deadline (Lambda's remaining time), so a retry after a
timeout takes over at once instead of waiting out a fixed lease and exhausting the stream's retries.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from floorwatch.delivery.sns import SnsMessage, TopicPublisher

log = logging.getLogger(__name__)

# How long a ``sent`` marker is kept: longer than the stream's 24-hour retention, so no redelivery
# can outlive it.
MARKER_RETENTION = timedelta(days=2)
# A claim's lease when the caller knows no deadline (tests, the local runtime): the fan-out's timeout.
DEFAULT_LEASE = timedelta(seconds=60)


class Claim(enum.Enum):
    FIRST = "first"  # nobody claimed it: publish
    AGAIN = "again"  # an earlier attempt died mid-publish (lease over): publish again, may repeat
    DONE = "done"  # sent already: publish nothing


class PublishInFlight(RuntimeError):
    """Another attempt holds an unexpired claim; the record is retried after it (never published twice
    concurrently)."""


class PublishLedger(Protocol):
    def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        """Claim ``key`` until ``lease_until``; raises ``PublishInFlight`` while another lease runs."""
        ...

    def confirm(self, key: str, now: datetime) -> None:
        """Mark ``key`` sent (kept ``MARKER_RETENTION``)."""
        ...

    def release(self, key: str) -> None:
        """Drop a claim whose publish failed (so the retry is a first attempt, not a repeat)."""
        ...


class PublishOutcome(enum.Enum):
    PUBLISHED = "published"
    REPEATED = "repeated"  # published after an attempt that died mid-publish: may be a duplicate
    ALREADY_SENT = "already-sent"
    UNCONFIRMED = "unconfirmed"  # published, but the marker could not say so (a redelivery repeats it)


def marker_key(transition_id: str, topic_arn: str) -> str:
    return f"{transition_id}@{topic_arn}"


class PublishOnce:
    def __init__(
        self, publisher: TopicPublisher, ledger: PublishLedger, clock: Callable[[], datetime]
    ) -> None:
        self._publisher = publisher
        self._ledger = ledger
        self._clock = clock

    def publish(
        self, topic_arn: str, message: SnsMessage, transition_id: str, deadline: datetime | None = None
    ) -> PublishOutcome:
        """Raises when SNS or the ledger fail before SNS accepted the message (retry the record)."""
        key = marker_key(transition_id, topic_arn)
        now = self._clock()
        claim = self._ledger.claim(key, now, deadline if deadline is not None else now + DEFAULT_LEASE)
        if claim is Claim.DONE:
            return PublishOutcome.ALREADY_SENT
        try:
            self._publisher.publish(topic_arn, message)
        except Exception:
            self._release(key)
            raise
        try:
            self._ledger.confirm(key, self._clock())
        except Exception:
            log.exception("publish not confirmed in the ledger", extra={"key": key})
            return PublishOutcome.UNCONFIRMED
        return PublishOutcome.REPEATED if claim is Claim.AGAIN else PublishOutcome.PUBLISHED

    def _release(self, key: str) -> None:
        try:
            self._ledger.release(key)
        except Exception:
            log.exception("claim not released", extra={"key": key})


@dataclass
class _Marker:
    status: str  # "publishing" | "sent"
    lease_until: datetime


class InMemoryPublishLedger:
    """The ledger in a dict (unit tests, in-process runs); ``fail_confirm`` makes confirmations fail."""

    def __init__(self) -> None:
        self.markers: dict[str, _Marker] = {}
        self.fail_confirm = 0
        self._lock = threading.Lock()

    def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        with self._lock:
            marker = self.markers.get(key)
            if marker is not None and marker.status == "sent":
                return Claim.DONE
            if marker is not None and marker.lease_until > now:
                raise PublishInFlight(key)
            self.markers[key] = _Marker("publishing", lease_until)
            return Claim.FIRST if marker is None else Claim.AGAIN

    def confirm(self, key: str, now: datetime) -> None:
        with self._lock:
            if self.fail_confirm > 0:
                self.fail_confirm -= 1
                raise RuntimeError("ledger unavailable")
            self.markers[key] = _Marker("sent", now + MARKER_RETENTION)

    def release(self, key: str) -> None:
        with self._lock:
            marker = self.markers.get(key)
            if marker is not None and marker.status == "publishing":
                del self.markers[key]
