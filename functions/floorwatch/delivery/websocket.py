"""Push transitions to the supervisors' dashboards over the WebSocket API's @connections endpoint.

``WebSocketFanout.push`` posts one transition (docs/protocol.md: ``{"type": "transition", ...}``) to every
connection subscribed to its scope (or its queue / team, or everything) whose principal may see it.

- Concurrent: one post per connection on a thread pool (boto3 clients are thread-safe), so a slow or
  dead connection never holds the others back.
- 410 Gone: the connection is closed; it is deleted from the connection store at once, never retried.
- Other failures (throttling, 5xx, timeouts) are retried in rounds with exponential backoff and full
  jitter, each round only for the connections that have not received the message yet - a connection
  that got it is never posted to again in this push. After ``attempts`` rounds what is left is
  reported as undelivered; dashboards resync with a ``refresh`` snapshot, and receivers drop
  transition ids they have already seen, so a later re-push would be harmless too.

The poster is a port: ``ApiGatewayPoster`` (boto3 ``apigatewaymanagementapi``) in AWS and against
the local gateway, ``RecordingPoster`` (delivery/memory.py) in tests.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from floorwatch.alerts.model import Transition
from floorwatch.store.connections_port import Connection, ConnectionStore, Principal

DEFAULT_WORKERS = 16
DEFAULT_ATTEMPTS = 3
DEFAULT_BASE_DELAY_SECONDS = 0.05
DEFAULT_MAX_DELAY_SECONDS = 1.0


class ConnectionGone(Exception):
    """The connection no longer exists (API Gateway answered 410 Gone)."""


class PostRejected(Exception):
    """The post can never succeed (payload too large, forbidden): not worth a retry."""


class Poster(Protocol):
    def post(self, connection_id: str, data: bytes) -> None:
        """Send ``data`` to one connection. Raises ConnectionGone (410), PostRejected (permanent), or
        anything else for a failure worth retrying."""
        ...


class ApiGatewayPoster:
    """The @connections management API through a boto3 ``apigatewaymanagementapi`` client, built with
    ``endpoint_url`` = ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`` (or the local
    gateway's URL)."""

    _PERMANENT = frozenset({"PayloadTooLargeException", "ForbiddenException", "BadRequestException"})

    def __init__(self, client: Any) -> None:
        self._client = client

    def post(self, connection_id: str, data: bytes) -> None:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except Exception as error:
            code, status = _error_code(error)
            if code == "GoneException" or status == 410:
                raise ConnectionGone(connection_id) from error
            if code in self._PERMANENT:
                raise PostRejected(f"{connection_id}: {code}") from error
            raise


def _error_code(error: Exception) -> tuple[str | None, int | None]:
    """(error code, HTTP status) of a botocore ClientError; (None, None) for anything else."""
    response: Mapping[str, Any] = getattr(error, "response", None) or {}
    code = (response.get("Error") or {}).get("Code")
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return (str(code) if code else None, int(status) if status else None)


Describe = Callable[[Transition], Mapping[str, Any]]


def transition_message(transition: Transition, describe: Describe | None = None) -> bytes:
    """The server push of docs/protocol.md for one transition; ``describe`` adds the card's fields
    (``floorwatch.cards.transition_card``: title, action, links, ...) that the snapshot also carries."""
    extra = describe(transition) if describe is not None else {}
    return json.dumps({"type": "transition", **transition.to_dict(), **extra}, separators=(",", ":")).encode()


def audience_scopes(transition: Transition) -> list[str]:
    """Subscriptions that may want this transition: its own scope and the queue / team it belongs to
    (a supervisor subscribed to "team:billing" follows the agents of that team)."""
    scopes = [transition.scope]
    if transition.queue_id:
        scopes.append(f"queue:{transition.queue_id}")
    if transition.team_id:
        scopes.append(f"team:{transition.team_id}")
    return list(dict.fromkeys(scopes))


@dataclass
class PushReport:
    """What one push achieved, by connection id."""

    transition_id: str
    delivered: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    undelivered: dict[str, str] = field(default_factory=dict)  # connection id -> last error
    posts: int = 0  # post attempts made (retries included)

    @property
    def complete(self) -> bool:
        return not self.undelivered


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded rounds with exponential backoff and full jitter (sleep in [0, min(max, base*2^n)))."""

    attempts: int = DEFAULT_ATTEMPTS
    base_delay: float = DEFAULT_BASE_DELAY_SECONDS
    max_delay: float = DEFAULT_MAX_DELAY_SECONDS

    def delay(self, retry: int, jitter: Callable[[], float]) -> float:
        return jitter() * min(self.max_delay, self.base_delay * 2.0**retry)


class WebSocketFanout:
    def __init__(
        self,
        connections: ConnectionStore,
        poster: Poster,
        may_see: Callable[[Principal, Transition], bool],
        *,
        executor: ThreadPoolExecutor | None = None,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        describe: Describe | None = None,
    ) -> None:
        self._describe = describe
        self._connections = connections
        self._poster = poster
        self._may_see = may_see
        # One pool for the container's life: threads are reused across invocations.
        self._executor = executor or ThreadPoolExecutor(max_workers=DEFAULT_WORKERS)
        self._retry = retry
        self._sleep = sleep
        self._jitter = jitter

    def audience(self, transition: Transition) -> list[Connection]:
        subscribed = self._connections.subscribers(audience_scopes(transition))
        return [connection for connection in subscribed if self._may_see(connection.principal, transition)]

    def push(self, transition: Transition) -> PushReport:
        """Post ``transition`` to its audience; never raises for a connection's failure."""
        report = PushReport(transition.transition_id)
        data = transition_message(transition, self._describe)
        pending = [connection.connection_id for connection in self.audience(transition)]
        failures: dict[str, str] = {}
        for attempt in range(self._retry.attempts):
            if attempt:
                self._sleep(self._retry.delay(attempt - 1, self._jitter))
            failures = self._round(pending, data, report)
            pending = list(failures)
            if not pending:
                break
        report.undelivered.update(failures)
        return report

    def _round(self, connection_ids: Iterable[str], data: bytes, report: PushReport) -> dict[str, str]:
        """One concurrent round of posts; returns the connections worth another try (id -> error).
        Rejected posts go straight to ``report.undelivered``: retrying them cannot help."""
        outcomes = list(self._executor.map(lambda cid: (cid, self._post_once(cid, data)), connection_ids))
        retry: dict[str, str] = {}
        for connection_id, outcome in outcomes:
            report.posts += 1
            if outcome is None:
                report.delivered.append(connection_id)
            elif isinstance(outcome, ConnectionGone):
                report.gone.append(connection_id)
            elif isinstance(outcome, PostRejected):
                report.undelivered[connection_id] = str(outcome)
            else:
                retry[connection_id] = f"{type(outcome).__name__}: {outcome}"
        return retry

    def _post_once(self, connection_id: str, data: bytes) -> Exception | None:
        try:
            self._poster.post(connection_id, data)
        except ConnectionGone as gone:
            self._forget(connection_id)
            return gone
        except Exception as error:  # noqa: BLE001 - every failure is reported per connection
            return error
        return None

    def _forget(self, connection_id: str) -> None:
        """Delete a gone connection in the worker that saw the 410 (nobody else waits for it)."""
        try:
            self._connections.remove(connection_id)
        except Exception:  # noqa: BLE001 - the 2-hour TTL removes it anyway; the push goes on
            return
