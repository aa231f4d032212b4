"""Weekly seasonality and quiet-hour incidents: the shapes docs/simulator.md describes, by seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.simulator import incidents as inc
from local.simulator.config import DEFAULT_QUEUES, CenterConfig
from local.simulator.engine import Simulation, placement
from local.simulator.labels import NORMAL_PEAK, read_labels, write_labels
from local.simulator.model import SimRecord
from local.simulator.weekly import Season, WeeklyPeak, WeeklyShape, is_quiet

MONDAY = datetime(2026, 9, 7, tzinfo=UTC)
WEEKLY = CenterConfig(agents=40, weekly=WeeklyShape())


def _at(day: int, hour: float) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour)


def _contacts(records: list[SimRecord], queue: str | None = None) -> int:
    """Contacts that arrived (each has exactly one first fact: queued, or a record of its own)."""
    seen: set[str] = set()
    for record in records:
        payload = record.payload
        contact = payload.get("detail", {}).get("contactId") or payload.get("ContactId")
        contact = contact or (payload.get("contact_id") if payload.get("type") != "queue_snapshot" else None)
        if contact and (queue is None or queue in str(payload)):
            seen.add(contact)
    return len(seen)


def test_weekdays_are_busier_than_the_weekend_and_nights_are_quiet() -> None:
    season = Season(WEEKLY, seed=1)
    tuesday, saturday, sunday = (
        season.arrivals(_at(1, 10)),
        season.arrivals(_at(5, 10)),
        season.arrivals(_at(6, 10)),
    )
    assert tuesday > 2 * saturday > 2 * sunday > 0
    assert season.arrivals(_at(1, 3)) < 0.1 * tuesday
    # the weekend starts later: Saturday 08:00 is a third of Saturday's midday, a weekday's 08:00 is 70 %
    assert season.arrivals(_at(5, 8)) < 0.5 * season.arrivals(_at(5, 12))
    assert season.arrivals(_at(1, 8)) > 0.6 * season.arrivals(_at(1, 12))


def test_the_monday_peak_recurs_every_week_drifting_a_little_and_the_roster_covers_only_part_of_it() -> None:
    season = Season(WEEKLY, seed=1)
    peaks = season.peaks(MONDAY, MONDAY + timedelta(weeks=8))
    peak = WeeklyPeak()
    assert len(peaks) == 8
    for week, draw in enumerate(peaks):
        monday = MONDAY + timedelta(weeks=week)
        assert abs((draw.top - monday) / timedelta(hours=1) - peak.hour) <= peak.drift_hours
        assert abs(draw.extra / peak.extra - 1) <= peak.drift_size
        top, same_hour_tuesday = season.arrivals(draw.top), season.arrivals(draw.top + timedelta(days=1))
        assert top > 1.6 * same_hour_tuesday  # arrivals x(1 + extra) at the top
        staffed = season.staffing(draw.top) / season.staffing(draw.top + timedelta(days=1))
        assert staffed < 1.25  # ... the roster adds a fifth of that
    assert len({draw.top for draw in peaks}) == 8 and len({round(draw.extra, 6) for draw in peaks}) == 8
    assert peaks == Season(WEEKLY, seed=1).peaks(MONDAY, MONDAY + timedelta(weeks=8))
    assert peaks != Season(WEEKLY, seed=2).peaks(MONDAY, MONDAY + timedelta(weeks=8))


def test_without_a_weekly_shape_every_day_is_the_same() -> None:
    season = Season(CenterConfig(), seed=1)
    assert season.arrivals(_at(0, 9.75)) == season.arrivals(_at(6, 9.75))
    assert season.peaks(MONDAY, MONDAY + timedelta(weeks=2)) == []


def test_a_simulated_monday_morning_brings_more_contacts_than_tuesday_and_labels_its_peak() -> None:
    center = CenterConfig(queues=DEFAULT_QUEUES[:3], agents=20, snapshot_seconds=300, weekly=WeeklyShape())

    def morning(day: int) -> tuple[int, Simulation]:
        simulation = Simulation(_at(day, 8), timedelta(hours=3.5), 3, center=center, incidents=())
        return _contacts(list(simulation.run())), simulation

    monday, simulation = morning(0)
    tuesday, _ = morning(1)
    assert monday > 1.3 * tuesday
    (label,) = simulation.peak_labels()
    assert label.kind == NORMAL_PEAK and not label.is_incident
    assert read_labels(write_labels([label])) == [label]


def test_the_peak_keeps_its_local_hour_across_a_daylight_saving_change() -> None:
    london = CenterConfig(
        agents=40, weekly=WeeklyShape(peak=WeeklyPeak(drift_hours=0)), timezone="Europe/London"
    )
    before, after = Season(london, seed=1).peaks(
        datetime(2026, 10, 19, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert before.top.hour == 8 and after.top.hour == 9  # 09:30 BST is 08:30 UTC, 09:30 GMT is 09:30 UTC
    with pytest.raises(ValueError, match="unknown time zone"):
        CenterConfig(timezone="Mars/Olympus")


def test_a_quiet_stall_at_night_stops_every_answer_on_its_queue_for_an_hour() -> None:
    center = CenterConfig(queues=DEFAULT_QUEUES[:3], agents=20, snapshot_seconds=60, weekly=WeeklyShape())
    chosen = inc.select_incidents("quiet_stall@3h/billing", [queue.name for queue in center.queues])
    simulation = Simulation(_at(1, 0), timedelta(hours=6), 4, center=center, incidents=chosen)
    records = list(simulation.run())
    (label,) = simulation.labels()
    assert (label.kind, label.queue, label.scopes) == ("quiet_stall", "billing", ("queue:billing",))
    assert (label.start, label.end) == (_at(1, 3), _at(1, 4))
    assert is_quiet(center, label.start)
    during = [
        record.payload["values"]
        for record in records
        if record.payload.get("type") == "queue_snapshot"
        and record.payload.get("queue_id") == "billing"
        and label.start + timedelta(minutes=1) <= record.at < label.end
    ]
    assert during and all(values["agents_available"] == 0 for values in during)
    assert any(values["agents_online"] >= 1 for values in during)  # logged in, not answering


def test_random_placement_puts_quiet_stalls_at_night_and_is_deterministic() -> None:
    where = placement(MONDAY, timedelta(weeks=1), WEEKLY)
    kinds = (*inc.KIND_NAMES, inc.QUIET_STALL)
    chosen = inc.random_incidents(where, seed=3, per_day=4, kinds=kinds)
    stalls = [incident for incident in chosen if incident.name == inc.QUIET_STALL]
    assert stalls
    for stall in stalls:
        start = MONDAY + stall.offset
        assert 0 <= start.hour < 5 and is_quiet(WEEKLY, start)
    assert chosen == inc.random_incidents(where, seed=3, per_day=4, kinds=kinds)
    # the daily quality set's rotation is unchanged: quiet kinds come only when asked for
    assert inc.QUIET_STALL not in inc.KIND_NAMES
