"""The pure generator: deterministic, ordered, and every payload accepted by the normalizer."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from local.simulator import CenterConfig, SimRecord, generate
from local.simulator.engine import (
    SRC_AGENT,
    SRC_CONTACT_EVENT,
    SRC_CONTACT_RECORD,
    SRC_GENERIC,
    SRC_LENS,
)
from tests.unit.simulator.conftest import BUSY_START, WINDOW, Normalized, normalize_all


def _dump(records: list[SimRecord]) -> list[str]:
    return [f"{r.at.isoformat()}|{r.partition_key}|{json.dumps(r.payload, sort_keys=True)}" for r in records]


def test_same_seed_gives_identical_records() -> None:
    first = list(generate(BUSY_START, timedelta(minutes=15), seed=11))
    second = list(generate(BUSY_START, timedelta(minutes=15), seed=11))
    assert len(first) > 500
    assert _dump(first) == _dump(second)


def test_another_seed_gives_other_traffic() -> None:
    first = list(generate(BUSY_START, timedelta(minutes=15), seed=11))
    other = list(generate(BUSY_START, timedelta(minutes=15), seed=12))
    assert _dump(first) != _dump(other)


def test_records_come_in_event_time_order_inside_the_window(busy_records: list[SimRecord]) -> None:
    instants = [record.at for record in busy_records]
    assert instants == sorted(instants)
    assert instants[0] >= BUSY_START
    assert instants[-1] < BUSY_START + WINDOW


def test_every_payload_normalizes_and_every_feed_is_present(busy_events: list[Normalized]) -> None:
    # normalize_all (in the fixture) already failed on any quarantine; here: every record yields events
    # and the mix covers every platform feed the simulator speaks.
    assert all(item.events for item in busy_events)
    sources = Counter(item.record.source for item in busy_events)
    assert set(sources) == {SRC_AGENT, SRC_CONTACT_EVENT, SRC_CONTACT_RECORD, SRC_LENS, SRC_GENERIC}
    normalized_sources = {event.source.value for item in busy_events for event in item.events}
    assert normalized_sources == set(sources)


def test_event_times_follow_simulated_time(busy_events: list[Normalized]) -> None:
    for item in busy_events:
        for event in item.events:
            # A CTR is emitted after the contact is over: its events lie before the record, never after.
            assert event.occurred_at <= item.record.at + timedelta(seconds=1)
            assert event.occurred_at >= BUSY_START - timedelta(minutes=1)


def test_one_queue_id_per_simulated_queue_across_feeds(busy_events: list[Normalized]) -> None:
    queues = {event.queue_id for item in busy_events for event in item.events if event.queue_id}
    assert queues == {
        "billing", "tech-support", "sales", "retention", "claims", "payments", "onboarding", "general",
    }  # fmt: skip


def test_every_event_type_the_engine_counts_is_produced(busy_events: list[Normalized]) -> None:
    types = Counter(event.type.value for item in busy_events for event in item.events)
    for kind in (
        "queue_snapshot",
        "contact_queued",
        "contact_answered",
        "contact_abandoned",
        "contact_ended",
        "agent_state",
        "sentiment",
        "compliance",
    ):
        assert types[kind] > 0, kind
    states = Counter(
        event.labels["state"] for item in busy_events for event in item.events if event.type == "agent_state"
    )
    for state in ("available", "connecting", "on_contact", "on_hold", "after_contact_work", "not_ready"):
        assert states[state] > 0, state


def test_handle_times_are_log_normal_around_the_configured_median(busy_events: list[Normalized]) -> None:
    talks = sorted(
        event.values["talk_seconds"]
        for item in busy_events
        for event in item.events
        if event.type == "contact_ended" and event.channel == "voice" and "talk_seconds" in event.values
    )
    assert len(talks) > 50
    median = talks[len(talks) // 2]
    assert 180 < median < 400  # configured median 270 s
    assert talks[-1] > 2 * median  # a long right tail


def test_rejects_a_naive_start_and_an_empty_duration() -> None:
    with pytest.raises(ValueError, match="time zone"):
        list(generate(datetime(2026, 11, 23, 10), timedelta(minutes=1)))
    with pytest.raises(ValueError, match="positive"):
        list(generate(BUSY_START, timedelta(0)))


def test_arrivals_follow_the_hour_of_day_curve() -> None:
    small = CenterConfig(agents=40, contact_lens_share=0.0, snapshot_seconds=600.0)
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    records = list(generate(start, timedelta(hours=24), seed=3, center=small, incidents=()))
    offered = Counter(
        event.occurred_at.hour
        for item in normalize_all(records)
        for event in item.events
        if event.type == "contact_queued"
    )
    night, morning_peak, evening = offered[3], offered[10], offered[20]
    assert morning_peak > 8 * max(night, 1)
    assert morning_peak > 2 * evening > 0
    # The hourly volumes track the configured curve (its mean over each hour): correlation above 0.95.
    expected = [sum(small.curve_at(hour + step / 10) for step in range(10)) / 10 for hour in range(24)]
    assert _correlation([offered[hour] for hour in range(24)], expected) > 0.95


def _correlation(xs: list[int], ys: list[float]) -> float:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    spread_x = sum((x - mean_x) ** 2 for x in xs) ** 0.5
    spread_y = sum((y - mean_y) ** 2 for y in ys) ** 0.5
    return covariance / (spread_x * spread_y)


def test_local_time_zone_moves_the_curve() -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 02:00 UTC is 10:00 at UTC+8
    quiet = list(generate(start, timedelta(minutes=20), seed=5, incidents=()))
    busy = list(
        generate(start, timedelta(minutes=20), seed=5, center=CenterConfig(utc_offset_hours=8), incidents=())
    )
    assert len(busy) > 3 * len(quiet)
