"""The connections store port: who is connected to the supervisor WebSocket API and what they watch.

Written by the WebSocket handlers ($connect, subscribe, unsubscribe, $disconnect), read by the
fan-out (who gets a transition) and deleted from when API Gateway answers 410 Gone. DynamoDB layout:
``floorwatch.names.CONNECTIONS_TABLE`` (TTL at the 2-hour connection limit; stale items are filtered
on read because TTL deletion is late).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

ALL_SCOPES = "*"  # a subscription to every scope the principal may see


@dataclass(frozen=True)
class Principal:
    """Who holds a connection, from the verified token: role, user, and the teams / queues they cover."""

    user: str
    role: str  # agent | supervisor | manager | ops
    teams: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    # When the token expires (epoch seconds): a live connection refuses actions after it. None: unknown
    # (a connection stored before expiries were kept), judged by the connection's 2-hour limit alone.
    expires_at: int | None = None


@dataclass(frozen=True)
class Connection:
    connection_id: str
    principal: Principal
    connected_at: datetime
    subscriptions: frozenset[str] = field(default_factory=frozenset)  # scopes ("queue:billing") or "*"


class ConnectionStore(Protocol):
    def add(self, connection_id: str, principal: Principal, at: datetime) -> None: ...

    def get(self, connection_id: str) -> Connection | None: ...

    def subscribe(self, connection_id: str, scopes: Iterable[str]) -> None: ...

    def unsubscribe(self, connection_id: str, scopes: Iterable[str]) -> None: ...

    def remove(self, connection_id: str) -> None:
        """Delete the connection and its subscriptions (disconnect, or 410 Gone); idempotent."""
        ...

    def subscribers(self, scopes: Iterable[str]) -> list[Connection]:
        """Live connections subscribed to any of ``scopes`` or to ALL_SCOPES (each once).
        The fan-out still checks each principal may see the alert."""
        ...
