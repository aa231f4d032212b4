"""In-memory connection store: the same semantics as the DynamoDB one (tests, local runtime).

Connections older than ``max_age`` (API Gateway's 2-hour limit) are treated as gone, as the DynamoDB
store filters items whose TTL passed but that DynamoDB has not deleted yet. The clock is injected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from threading import Lock

from floorwatch.names import CONNECTION_MAX_AGE_SECONDS
from floorwatch.store.connections_port import ALL_SCOPES, Connection, Principal

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class InMemoryConnectionStore:
    """Connections by id. Thread-safe: the local gateway calls it from several tasks/threads."""

    def __init__(
        self,
        clock: Clock = _utc_now,
        max_age: timedelta = timedelta(seconds=CONNECTION_MAX_AGE_SECONDS),
    ) -> None:
        self._clock = clock
        self._max_age = max_age
        self._connections: dict[str, Connection] = {}
        self._lock = Lock()

    def add(self, connection_id: str, principal: Principal, at: datetime) -> None:
        with self._lock:
            self._connections[connection_id] = Connection(connection_id, principal, at)

    def get(self, connection_id: str) -> Connection | None:
        with self._lock:
            connection = self._connections.get(connection_id)
        return connection if connection is not None and self._alive(connection) else None

    def subscribe(self, connection_id: str, scopes: Iterable[str]) -> None:
        """Add scopes to a live connection; unknown connections are ignored (it may have just gone)."""
        with self._lock:
            connection = self._connections.get(connection_id)
            if connection is not None:
                subscriptions = connection.subscriptions | frozenset(scopes)
                self._connections[connection_id] = replace(connection, subscriptions=subscriptions)

    def unsubscribe(self, connection_id: str, scopes: Iterable[str]) -> None:
        with self._lock:
            connection = self._connections.get(connection_id)
            if connection is not None:
                subscriptions = connection.subscriptions - frozenset(scopes)
                self._connections[connection_id] = replace(connection, subscriptions=subscriptions)

    def remove(self, connection_id: str) -> None:
        with self._lock:
            self._connections.pop(connection_id, None)

    def subscribers(self, scopes: Iterable[str]) -> list[Connection]:
        wanted = frozenset(scopes) | {ALL_SCOPES}
        with self._lock:
            connections = list(self._connections.values())
        return [
            connection
            for connection in connections
            if connection.subscriptions & wanted and self._alive(connection)
        ]

    def all(self) -> list[Connection]:
        """Every live connection (inspection by the local runtime and tests)."""
        with self._lock:
            connections = list(self._connections.values())
        return [connection for connection in connections if self._alive(connection)]

    def _alive(self, connection: Connection) -> bool:
        return self._clock() - connection.connected_at < self._max_age
