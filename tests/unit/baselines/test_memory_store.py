"""The in-memory baselines store: lookup by the slot of the instant asked about, freshness, scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from floorwatch.rules.baselines import Baseline, Seasonality, SlotHistory, SlotKey, hour_of_week
from floorwatch.store.baselines_memory import InMemoryBaselineStore

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def learned(at: datetime, seasonality: Seasonality = "hour_of_week") -> Baseline:
    slot = hour_of_week(at) if seasonality == "hour_of_week" else at.hour
    return Baseline(
        "queue:billing",
        "longest_wait_seconds",
        seasonality,
        slot,
        center=20,
        sigma=5,
        samples=48,
        window=timedelta(minutes=15),
        since=at - timedelta(days=14),
        until=at + timedelta(hours=1),
    )


def test_lookup_finds_the_slot_of_the_instant_and_nothing_in_other_hours() -> None:
    store = InMemoryBaselineStore()
    store.put(learned(MONDAY_9))
    assert store.lookup("queue:billing", "longest_wait_seconds", MONDAY_9 + timedelta(minutes=59)) == learned(
        MONDAY_9
    )
    assert (
        store.lookup("queue:billing", "longest_wait_seconds", MONDAY_9 + timedelta(weeks=1, minutes=3))
        is not None
    )
    assert store.lookup("queue:billing", "longest_wait_seconds", MONDAY_9 + timedelta(hours=1)) is None
    assert store.lookup("queue:billing", "longest_wait_seconds", MONDAY_9 + timedelta(days=1)) is None
    assert store.lookup("queue:sales", "longest_wait_seconds", MONDAY_9) is None


def test_hour_of_day_baselines_serve_every_day() -> None:
    store = InMemoryBaselineStore()
    store.put(learned(MONDAY_9, "hour_of_day"))
    assert (
        store.lookup("queue:billing", "longest_wait_seconds", MONDAY_9 + timedelta(days=3, minutes=10))
        is not None
    )


def test_a_baseline_nobody_refreshed_for_five_weeks_is_not_returned() -> None:
    store = InMemoryBaselineStore()
    store.put(learned(MONDAY_9))
    assert store.lookup("queue:billing", "longest_wait_seconds", MONDAY_9 + timedelta(weeks=5)) is not None
    assert store.lookup("queue:billing", "longest_wait_seconds", MONDAY_9 + timedelta(weeks=6)) is None


def test_saving_a_slot_without_baseline_forgets_it() -> None:
    store = InMemoryBaselineStore()
    key = SlotKey.of(learned(MONDAY_9))
    store.save_slot(key, SlotHistory({MONDAY_9: (1.0, 2.0)}), learned(MONDAY_9))
    assert store.slot_history(key).values() == [1.0, 2.0]
    store.save_slot(key, SlotHistory({}), None)
    assert store.slot_history(key).values() == []
    assert store.lookup("queue:billing", "longest_wait_seconds", MONDAY_9) is None
