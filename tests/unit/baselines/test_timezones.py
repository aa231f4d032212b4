"""Slots in the center's local time: a rush hour stays in its local slot across daylight-saving changes,
and the learner, the lookup and the engine agree on the zone of a scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from floorwatch.engine import Engine
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.fold import fold
from floorwatch.rules.baselines import (
    hour_of_week,
    hour_start,
    hours_between,
    slot_label,
    slot_of,
)
from floorwatch.rules.baselines_learner import BaselineLearner
from floorwatch.rules.config import RulesError, RuleSet, parse_rules
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.baselines_memory import InMemoryBaselineStore, InMemoryScopeDirectory
from floorwatch.store.metrics_memory import InMemoryMetricStore

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SHARD = "shardId-000000000000"
STEP = timedelta(minutes=5)
MONDAY_09 = hour_of_week(datetime(2026, 1, 5, 9, tzinfo=UTC))  # 9: Monday 09:00


def test_a_local_0900_rush_stays_in_the_monday_0900_slot_in_winter_and_summer_time() -> None:
    winter = datetime(2026, 3, 23, 8, 30, tzinfo=UTC)  # Monday 09:30 CET (UTC+1)
    summer = datetime(2026, 3, 30, 7, 30, tzinfo=UTC)  # Monday 09:30 CEST (UTC+2), the day after the change
    autumn = datetime(2026, 10, 26, 8, 30, tzinfo=UTC)  # Monday 09:30 CET again
    assert {slot_of(at, "hour_of_week", BERLIN) for at in (winter, summer, autumn)} == {MONDAY_09}
    # In UTC hours the same rush would move from slot 8 to slot 7 and back.
    assert [slot_of(at, "hour_of_week") for at in (winter, summer, autumn)] == [8, 7, 8]
    assert slot_of(summer, "hour_of_day", BERLIN) == 9
    assert slot_label(MONDAY_09, "hour_of_week") == "Mon 09:00"


def test_the_23_hour_spring_day_skips_0200_and_the_25_hour_autumn_day_repeats_it() -> None:
    def local_day(day: datetime) -> list[datetime]:
        start = datetime(day.year, day.month, day.day, tzinfo=NEW_YORK)
        return hours_between(start, start + timedelta(days=1) + timedelta(hours=1), NEW_YORK)

    spring = [h for h in local_day(datetime(2026, 3, 8)) if h.astimezone(NEW_YORK).day == 8]
    autumn = [h for h in local_day(datetime(2026, 11, 1)) if h.astimezone(NEW_YORK).day == 1]
    assert len(spring) == 23 and len(autumn) == 25
    sunday_02 = 6 * 24 + 2
    assert sunday_02 not in [slot_of(h, "hour_of_week", NEW_YORK) for h in spring]
    assert [slot_of(h, "hour_of_week", NEW_YORK) for h in autumn].count(sunday_02 - 1) == 2  # 01:00 twice
    # Every hour starts on a local whole hour and is a real hour long.
    assert all(h.astimezone(NEW_YORK).minute == 0 for h in spring + autumn)


def test_a_half_hour_zone_starts_its_hours_at_half_past_utc() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    at = datetime(2026, 11, 23, 3, 40, tzinfo=UTC)  # 09:10 IST
    assert hour_start(at, kolkata) == datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    assert slot_of(at, "hour_of_week", kolkata) == MONDAY_09


RULES = """\
timezone: Europe/Berlin
centers:
  nyc: {timezone: America/New_York}
  lon: {timezone: Europe/London}
rules:
  - id: queue-longest-wait
    metric: longest_wait_seconds
    scope: queue
    direction: above
    window: 5m
    tiers: {warning: 120, critical: 300}
    baseline: {warning_sigma: 3, critical_sigma: 5, min_history: 1d}
"""


def test_rules_name_each_centers_zone_and_a_default() -> None:
    rules = parse_rules(RULES)
    assert rules.timezone_of("nyc") == "America/New_York"
    assert rules.timezone_of("elsewhere") == "Europe/Berlin"
    assert rules.timezone_of(None) == "Europe/Berlin"
    assert parse_rules("rules: []\n").timezone_of("nyc") == "UTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "centers:\n  nyc:\n    timezone: America/Gotham\nrules: []\n",
            "rules.yaml line 3, field 'centers.nyc.timezone': 'America/Gotham' is not an IANA time zone",
        ),
        ("timezone: CEST\nrules: []\n", "rules.yaml line 1, field 'timezone': 'CEST' is not an IANA"),
        ("centers:\n  nyc: {zone: UTC}\nrules: []\n", "field 'centers.nyc.zone': unknown key"),
    ],
)
def test_an_unknown_zone_is_an_error_naming_its_line(text: str, expected: str) -> None:
    with pytest.raises(RulesError) as raised:
        parse_rules(text, "rules.yaml")
    assert expected in str(raised.value)


def rush(at: datetime) -> float:
    """Longest wait: 150 s at the local 09:00-10:00 rush on Mondays (New York), 20 s otherwise."""
    local = at.astimezone(NEW_YORK)
    return 150.0 if local.weekday() == 0 and local.hour == 9 else 20.0


def snapshot(minute: datetime, center: str) -> CxEvent:
    return CxEvent(
        event_id=f"s-{minute.isoformat()}",
        source=Source.GENERIC,
        type=EventType.QUEUE_SNAPSHOT,
        occurred_at=minute + timedelta(seconds=5),
        center_id=center,
        queue_id="billing",
        values={"longest_wait_seconds": rush(minute)},
    )


def learned_over(
    start: datetime,
    end: datetime,
    rules: RuleSet,
    *,
    center: str = "nyc",
    metrics: InMemoryMetricStore | None = None,
    store: InMemoryBaselineStore | None = None,
) -> tuple[InMemoryMetricStore, InMemoryBaselineStore]:
    """A snapshot every 5 minutes of each Monday (UTC) from ``start`` to ``end`` (the other days are
    quiet: fewer rows, a faster test), the learner run daily as the data arrives (the metric store keeps
    8 days, as the table does)."""
    metrics = metrics if metrics is not None else InMemoryMetricStore()
    store = store if store is not None else InMemoryBaselineStore()
    learner = BaselineLearner(metrics, store, InMemoryScopeDirectory(metrics))
    at = start
    while at < end:
        until = min(at + timedelta(days=1), end)
        batch = [
            snapshot(at + timedelta(minutes=m), center)
            for m in range(int((until - at) / timedelta(minutes=1)))
        ]
        if batch:
            metrics.apply(SHARD, batch, fold(batch))
        learner.learn(rules, until)
        at = until
    return metrics, store


@pytest.fixture(scope="module")
def new_york() -> tuple[InMemoryMetricStore, InMemoryBaselineStore]:
    """Five weeks of Monday rushes at 09:00 New York time, across the autumn change (Sunday 2026-11-01:
    the rush is at 13:00 UTC before it and at 14:00 UTC after), learned as they arrive."""
    start, end = datetime(2026, 10, 5, 4, tzinfo=UTC), datetime(2026, 11, 9, 13, 30, tzinfo=UTC)
    return learned_over(start, end, parse_rules(RULES))


def test_the_learner_files_the_rush_under_the_centers_local_hour_across_the_autumn_change(
    new_york: tuple[InMemoryMetricStore, InMemoryBaselineStore],
) -> None:
    _, store = new_york
    state = store.pair("queue:billing", "longest_wait_seconds")
    assert state is not None and state.timezone == "America/New_York"
    rush_slot = {
        key.slot: baseline for key, _, baseline, _ in store.slots("queue:billing", "longest_wait_seconds")
    }
    assert slot_label(MONDAY_09, "hour_of_week") == "Mon 09:00"
    assert rush_slot[MONDAY_09].center == 150.0
    assert rush_slot[MONDAY_09 + 1].center == 20.0  # 10:00 stays calm: the rush never leaked into it
    assert rush_slot[MONDAY_09 - 1].center == 20.0
    # The lookup finds it with the center's zone at 09:30 local in winter time, and not in another zone.
    monday = datetime(2026, 11, 9, 14, 30, tzinfo=UTC)
    assert store.lookup("queue:billing", "longest_wait_seconds", monday, NEW_YORK) == rush_slot[MONDAY_09]
    assert store.lookup("queue:billing", "longest_wait_seconds", monday, BERLIN) is None


def test_a_scope_moving_to_a_center_in_another_zone_restarts_its_pair() -> None:
    start, end = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC)
    rules = parse_rules(RULES)
    metrics, store = learned_over(start, end, rules)
    later = end + timedelta(hours=3)
    batch = [snapshot(end + STEP * step, "lon") for step in range(36)]  # now reported by London
    metrics.apply(SHARD, batch, fold(batch))
    report = BaselineLearner(metrics, store, InMemoryScopeDirectory(metrics)).learn(rules, later)
    assert report.restarted == ["queue:billing#longest_wait_seconds"]
    state = store.pair("queue:billing", "longest_wait_seconds")
    assert state is not None and state.timezone == "Europe/London"


def test_the_engine_judges_by_the_slot_of_the_scopes_center_clock(
    new_york: tuple[InMemoryMetricStore, InMemoryBaselineStore],
) -> None:
    # Five weeks of Monday rushes at 09:00 New York time, across the autumn change. On the next Monday a
    # 100 s wait at 09:30 New York time (14:30 UTC) is the usual rush: no alert. The same 100 s at 11:30,
    # an hour that is calm every week (20 s), is unusual and breaches the tightened warning.
    rules = parse_rules(RULES)
    metrics, store = new_york

    def wait_at(rules: RuleSet, at: datetime) -> set[str]:
        engine = Engine(rules, metrics, InMemoryAlertStore(), baselines=store)
        event = CxEvent(
            event_id=f"now-{at.isoformat()}",
            source=Source.GENERIC,
            type=EventType.QUEUE_SNAPSHOT,
            occurred_at=at,
            center_id="nyc",
            queue_id="billing",
            values={"longest_wait_seconds": 100.0},
        )
        return {t.severity.value for t in engine.process(SHARD, [event]) if t.severity is not None}

    assert wait_at(rules, datetime(2026, 11, 9, 14, 30, tzinfo=UTC)) == set()
    assert wait_at(rules, datetime(2026, 11, 9, 16, 30, tzinfo=UTC)) == {"warning"}
