"""The demo runs the evaluator on the simulation's clock: event time runs --speed times wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.store.memory import InMemoryEventSink, InMemoryQuarantine
from handlers import evaluate, normalize

from local.commands.demo import simulated_evaluator_clock
from local.simulator.pusher import SimulatedClock
from tests.unit.test_normalize_handler import SETTINGS, generic, kinesis_event

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Wall:
    def __init__(self) -> None:
        self.seconds = 500.0

    def __call__(self) -> float:
        return self.seconds


def test_simulated_time_stands_at_the_start_until_the_pusher_begins_then_runs_at_speed() -> None:
    wall = Wall()
    clock = SimulatedClock(START, 10.0, wall)
    wall.seconds += 30
    assert clock.now() == START
    clock.begin()
    wall.seconds += 12
    assert clock.now() == START + timedelta(minutes=2)


def test_a_simulated_clock_needs_a_positive_speed() -> None:
    with pytest.raises(ValueError, match="positive speed"):
        SimulatedClock(START, 0.0)


def test_the_evaluator_reads_the_simulated_clock_only_while_the_demo_runs() -> None:
    wall = Wall()
    clock = SimulatedClock(START, 10.0, wall)
    clock.begin()
    wall.seconds += 6
    with simulated_evaluator_clock(clock):
        assert evaluate.now() == START + timedelta(minutes=1)
    assert abs(evaluate.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_normalizer_judges_event_times_against_the_simulated_clock_only_while_the_demo_runs() -> None:
    wall = Wall()
    clock = SimulatedClock(datetime(2026, 11, 23, 11, 0, tzinfo=UTC), 10.0, wall)
    clock.begin()
    # Two hours after the record's arrival (09:00:05): the demo's simulated "now", not a wrong clock.
    ahead = {**generic("c-1"), "occurred_at": "2026-11-23T11:00:00Z"}
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    handle = normalize.build_handler(SETTINGS, sink, quarantine)
    with simulated_evaluator_clock(clock):
        handle(kinesis_event([ahead]), None)
    assert [event.contact_id for event in sink.events] == ["c-1"] and not quarantine.items
    handle(kinesis_event([ahead], first_sequence=7), None)
    [held] = quarantine.items.values()
    assert "outside the accepted window" in held.reason
