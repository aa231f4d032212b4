"""The in-memory connection store: what the fan-out and the handlers rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from floorwatch.store.connections_memory import InMemoryConnectionStore
from floorwatch.store.connections_port import ALL_SCOPES, Principal

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ANA = Principal(user="ana", role="supervisor", teams=("billing",), queues=("billing",))
BOSS = Principal(user="mo", role="manager")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_store(clock: Clock) -> InMemoryConnectionStore:
    return InMemoryConnectionStore(clock=clock)


def test_subscribers_by_scope_and_wildcard_each_once() -> None:
    store = make_store(Clock(T0))
    store.add("c1", ANA, T0)
    store.add("c2", BOSS, T0)
    store.add("c3", ANA, T0)
    store.subscribe("c1", ["queue:billing", "team:billing"])
    store.subscribe("c2", [ALL_SCOPES])
    store.subscribe("c3", ["queue:tech"])

    found = store.subscribers(["queue:billing", "team:billing"])

    assert sorted(connection.connection_id for connection in found) == ["c1", "c2"]
    assert store.get("c1") is not None
    assert store.get("c1").principal == ANA  # type: ignore[union-attr]


def test_unsubscribe_and_remove() -> None:
    store = make_store(Clock(T0))
    store.add("c1", ANA, T0)
    store.subscribe("c1", ["queue:billing", "queue:tech"])
    store.unsubscribe("c1", ["queue:billing"])

    assert store.subscribers(["queue:billing"]) == []
    assert [c.connection_id for c in store.subscribers(["queue:tech"])] == ["c1"]

    store.remove("c1")
    store.remove("c1")  # idempotent
    assert store.get("c1") is None
    assert store.subscribers(["queue:tech"]) == []


def test_connections_past_the_two_hour_limit_are_gone() -> None:
    clock = Clock(T0)
    store = make_store(clock)
    store.add("c1", ANA, T0)
    store.subscribe("c1", [ALL_SCOPES])

    clock.now = T0 + timedelta(hours=2)

    assert store.get("c1") is None
    assert store.subscribers(["queue:billing"]) == []


def test_subscribe_unknown_connection_is_ignored() -> None:
    store = make_store(Clock(T0))
    store.subscribe("nope", ["queue:billing"])
    assert store.get("nope") is None
