"""Scripted incidents happen at their documented offsets, with the effect the rules should see."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from floorwatch.events.model import CxEvent

from local.simulator import DEFAULT_INCIDENTS, LIGHT_CENTER, generate, select_incidents
from local.simulator.incidents import INCIDENT_NAMES, timeline
from tests.unit.simulator.conftest import BUSY_START, Normalized

OFFSETS = {incident.name: incident for incident in DEFAULT_INCIDENTS}


def _at(name: str) -> datetime:
    return BUSY_START + OFFSETS[name].offset


def _until(name: str) -> datetime:
    return BUSY_START + OFFSETS[name].end_offset


def _events(items: list[Normalized]) -> list[CxEvent]:
    return [event for item in items for event in item.events]


def _snapshots(items: list[Normalized], queue: str, start: datetime, end: datetime) -> list[dict[str, float]]:
    return [
        event.values
        for event in _events(items)
        if event.type == "queue_snapshot" and event.queue_id == queue and start <= event.occurred_at < end
    ]


def test_volume_spike_piles_contacts_up_and_drags_service_level_down(busy_events: list[Normalized]) -> None:
    start, end = _at("volume_spike"), _until("volume_spike")
    before = _snapshots(busy_events, "billing", BUSY_START, start)
    during = _snapshots(busy_events, "billing", start + timedelta(minutes=3), end)
    assert max(s["contacts_in_queue"] for s in during) >= 20
    quiet_peak = max([1.0, *(s["contacts_in_queue"] for s in before)])
    assert max(s["contacts_in_queue"] for s in during) > 4 * quiet_peak
    others = [
        max(s["contacts_in_queue"] for s in _snapshots(busy_events, queue, start, end))
        for queue in ("sales", "general", "onboarding")
    ]
    assert max(others) < 10

    def service_level(window_start: datetime, window_end: datetime, min_samples: int) -> float:
        answered = within = abandoned = 0
        for event in _events(busy_events):
            if event.queue_id != "billing" or not window_start <= event.occurred_at < window_end:
                continue
            if event.type == "contact_answered":
                answered += 1
                within += event.values["wait_seconds"] <= 20
            elif event.type == "contact_abandoned":
                abandoned += 1
        assert answered + abandoned >= min_samples
        return within / (answered + abandoned)

    assert service_level(BUSY_START, start, min_samples=5) >= 0.8
    assert service_level(start + timedelta(minutes=3), end, min_samples=30) < 0.5


def test_long_wait_pileup_pushes_the_oldest_wait_past_five_minutes(busy_events: list[Normalized]) -> None:
    start, end = _at("long_wait_pileup"), _until("long_wait_pileup")
    before = _snapshots(busy_events, "claims", BUSY_START, start)
    during = _snapshots(busy_events, "claims", start, end + timedelta(minutes=1))
    assert max(s["longest_wait_seconds"] for s in before) < 120
    assert max(s["longest_wait_seconds"] for s in during) > 300
    assert min(s["agents_available"] for s in during) == 0
    meeting = [
        event
        for item in busy_events
        if item.record.incident == "long_wait_pileup" and item.record.source == "amazon_connect.agent"
        for event in item.events
    ]
    assert meeting
    assert {event.labels["status"] for event in meeting} == {"Meeting"}
    assert all(event.labels["state"] == "not_ready" for event in meeting)


def test_sentiment_collapses_on_one_retention_contact(busy_events: list[Normalized]) -> None:
    marked = [item for item in busy_events if item.record.incident == "sentiment_collapse"]
    contacts = {event.contact_id for item in marked for event in item.events}
    assert len(contacts) == 1
    customer = [
        event
        for item in marked
        for event in item.events
        if event.type == "sentiment" and event.labels.get("participant_role") == "customer"
    ]
    assert len(customer) >= 5
    first = min(event.occurred_at for event in customer)
    assert _at("sentiment_collapse") <= first < _at("sentiment_collapse") + timedelta(minutes=2)
    scores = [event.values["sentiment"] for event in sorted(customer, key=lambda e: e.occurred_at)]
    assert scores[1:] == [-1.0] * (len(scores) - 1)
    queues = {event.queue_id for item in marked for event in item.events if event.queue_id}
    assert queues == {"retention"}


def test_compliance_breach_is_a_card_number_category_and_the_number_is_redacted(
    busy_events: list[Normalized],
) -> None:
    breaches = [
        event
        for event in _events(busy_events)
        if event.type == "compliance" and event.labels["category"] == "card-number-spoken"
    ]
    assert len(breaches) == 1
    assert (
        _at("compliance_breach") < breaches[0].occurred_at < _at("compliance_breach") + timedelta(minutes=3)
    )
    contact = breaches[0].contact_id
    queues = {
        event.queue_id for event in _events(busy_events) if event.contact_id == contact and event.queue_id
    }
    assert queues == {"payments"}
    spoken = [
        event.text or "" for event in _events(busy_events) if event.contact_id == contact and event.text
    ]
    assert any("card number" in text for text in spoken)
    assert not any("4111" in text for text in spoken)


def test_an_agent_is_stuck_on_hold_past_five_minutes(busy_events: list[Normalized]) -> None:
    holds = [
        event
        for item in busy_events
        if item.record.incident == "agent_stuck_on_hold"
        for event in item.events
        if event.type == "agent_state" and event.labels["state"] == "on_hold"
    ]
    assert len({event.agent_id for event in holds}) == 1
    hold_start = min(event.occurred_at for event in holds)
    assert _at("agent_stuck_on_hold") <= hold_start < _at("agent_stuck_on_hold") + timedelta(minutes=2)
    # Heartbeats during the hold report the time already spent on hold.
    assert max(event.values["state_seconds"] for event in holds) >= 300
    assert {event.labels["queue"] for event in holds} == {"tech-support"}


def test_silent_feed_stops_contact_lens_for_ten_minutes(busy_events: list[Normalized]) -> None:
    start, end = _at("silent_feed"), _until("silent_feed")
    lens = [item.record.at for item in busy_events if item.record.source == "contact_lens"]
    assert any(at < start for at in lens)
    assert any(at >= end for at in lens)
    assert not any(start <= at < end for at in lens)
    others = [item.record.at for item in busy_events if item.record.source != "contact_lens"]
    assert any(start <= at < end for at in others)


def test_no_incidents_means_none_of_their_signatures() -> None:
    records = list(generate(BUSY_START, timedelta(minutes=25), seed=7, incidents=()))
    assert not any(record.incident for record in records)
    card = [
        r
        for r in records
        if r.source == "contact_lens" and "card-number-spoken" in str(r.payload.get("Segments"))
    ]
    assert not card


def test_incidents_at_shifts_the_whole_timeline() -> None:
    start = BUSY_START - timedelta(hours=2)
    records = list(generate(start, timedelta(hours=2, minutes=10), seed=7, incidents_at=timedelta(hours=2)))
    marked = [record for record in records if record.incident == "compliance_breach"]
    assert marked
    assert min(record.at for record in marked) >= start + timedelta(hours=2, minutes=3)


def test_select_incidents_accepts_all_none_and_names() -> None:
    assert select_incidents("all") == DEFAULT_INCIDENTS
    assert select_incidents("none") == ()
    chosen = select_incidents("silent_feed, volume_spike")
    assert [incident.name for incident in chosen] == ["volume_spike", "silent_feed"]
    with pytest.raises(ValueError, match="unknown incident"):
        select_incidents("volume_spike,meteor_strike")


def test_the_default_timeline_fits_two_wall_minutes_at_demo_speed() -> None:
    assert all(incident.offset <= timedelta(minutes=20) for incident in DEFAULT_INCIDENTS)
    lines = timeline(DEFAULT_INCIDENTS, speed=10)
    assert len(lines) == len(INCIDENT_NAMES)
    assert "compliance_breach" in lines[1]
    assert "wall +18s" in lines[1]


def test_a_light_day_with_shifted_incidents_has_every_incident_at_ten() -> None:
    midnight = BUSY_START.replace(hour=0)
    records = list(
        generate(midnight, timedelta(hours=11), seed=2, center=LIGHT_CENTER, incidents_at=timedelta(hours=10))
    )
    first_seen: dict[str, datetime] = {}
    for record in records:
        if record.incident:
            first_seen.setdefault(record.incident, record.at)
    silent = OFFSETS["silent_feed"]
    lens = [r.at for r in records if r.source == "contact_lens"]
    assert not any(
        midnight + timedelta(hours=10) + silent.offset
        <= at
        < midnight + timedelta(hours=10) + silent.end_offset
        for at in lens
    )
    assert set(first_seen) == set(INCIDENT_NAMES) - {"silent_feed"}
    for name, at in first_seen.items():
        assert at >= midnight + timedelta(hours=10) + OFFSETS[name].offset
        assert at < midnight + timedelta(hours=10) + OFFSETS[name].offset + timedelta(minutes=3)
