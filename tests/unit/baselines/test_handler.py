"""handlers.baselines over in-memory stores: the schedule's time drives learning, else the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.rules.baselines_learner import BaselineLearner
from floorwatch.settings import SettingsError
from floorwatch.store.baselines_memory import InMemoryBaselineStore, InMemoryScopeDirectory
from handlers.baselines import BaselinesSettings, build_handler, schedule_time

from tests.unit.baselines.test_learner import NOW, history, rules


def test_a_scheduled_event_learns_up_to_its_own_time_not_the_wall_clock() -> None:
    metrics = history(start=NOW - timedelta(hours=4))
    store = InMemoryBaselineStore()
    learner = BaselineLearner(metrics, store, InMemoryScopeDirectory(metrics))
    wall = datetime(2030, 1, 1, tzinfo=UTC)  # a replay: the schedule's time is what counts
    handle = build_handler(rules(), learner, clock=lambda: wall)
    result = handle({"source": "aws.events", "time": "2026-11-24T00:30:00Z"}, None)
    assert result["pairs"] == 1 and result["hours_learned"] == 7 * 24
    state = store.pair("queue:billing", "longest_wait_seconds")
    assert state is not None and state.learned_until == datetime(2026, 11, 24, tzinfo=UTC)


def test_without_a_time_the_injected_clock_is_used() -> None:
    metrics = history(start=NOW - timedelta(hours=2))
    store = InMemoryBaselineStore()
    handle = build_handler(
        rules(), BaselineLearner(metrics, store, InMemoryScopeDirectory(metrics)), clock=lambda: NOW
    )
    assert handle({}, None)["at"] == NOW.isoformat()


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"time": "2026-11-23T09:00:00Z"}, datetime(2026, 11, 23, 9, tzinfo=UTC)),
        ({"time": "2026-11-23T09:00:00"}, datetime(2026, 11, 23, 9, tzinfo=UTC)),
        ({"time": "yesterday"}, None),
        ({"time": 5}, None),
        ({}, None),
    ],
)
def test_schedule_time(event: dict[str, object], expected: datetime | None) -> None:
    assert schedule_time(event) == expected


def test_settings_name_the_missing_variables() -> None:
    with pytest.raises(SettingsError, match=r"FLOORWATCH_METRICS_TABLE.*FLOORWATCH_BASELINES_TABLE"):
        BaselinesSettings.from_environ({})
    settings = BaselinesSettings.from_environ(
        {"FLOORWATCH_METRICS_TABLE": "m-table", "FLOORWATCH_BASELINES_TABLE": "b-table"}
    )
    assert len(settings.rules()) > 0  # the packaged default rules
