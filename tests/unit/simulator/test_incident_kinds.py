"""The incident kinds for long simulations: what each does to the traffic, its label, random placement,
and determinism."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from floorwatch.events.model import CxEvent

from local.cli import main
from local.simulator import incidents as inc
from local.simulator.config import DEFAULT_QUEUES, SMALL_QUEUES, CenterConfig
from local.simulator.engine import Simulation, placement, queue_agents
from local.simulator.labels import Label, read_labels
from local.simulator.model import SimRecord
from tests.unit.simulator.conftest import normalize_all

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=90)
CENTER = CenterConfig(queues=DEFAULT_QUEUES + SMALL_QUEUES, agents=40)
PLACED = (
    "sentiment_collapse,compliance_breach,agent_stuck_on_hold,"
    "slow_slide@5m/billing,queue_stops_reporting@10m/claims,small_queue_failing@5m/vip,"
    "late_data@5m/sales,dead_feed@40m"
)


@dataclass(frozen=True)
class Run:
    records: list[SimRecord]
    events: list[CxEvent]
    labels: dict[str, Label]


def _simulate(seed: int = 5) -> tuple[list[SimRecord], list[Label]]:
    chosen = inc.select_incidents(PLACED, [queue.name for queue in CENTER.queues])
    simulation = Simulation(START, WINDOW, seed, center=CENTER, incidents=chosen)
    records = list(simulation.run())
    return records, simulation.labels()


@pytest.fixture(scope="module")
def run() -> Run:
    records, labels = _simulate()
    events = [event for item in normalize_all(records) for event in item.events]
    return Run(records, events, {label.kind: label for label in labels})


def _minutes(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def test_every_placed_incident_has_a_label_with_engine_scopes(run: Run) -> None:
    assert set(run.labels) == {
        "sentiment_collapse", "compliance_breach", "agent_stuck_on_hold", "slow_slide",
        "queue_stops_reporting", "small_queue_failing", "late_data", "dead_feed",
    }  # fmt: skip
    assert run.labels["slow_slide"].scopes == ("queue:billing",)
    assert run.labels["queue_stops_reporting"].scopes == ("queue:claims",)
    assert run.labels["small_queue_failing"].scopes == ("queue:vip",)
    assert run.labels["small_queue_failing"].end == START + WINDOW  # 3 h, cut at the end of the run
    late = run.labels["late_data"]
    assert late.scopes[0] == "queue:sales" and "feed:amazon_connect.contact_event" in late.scopes
    assert late.end == _minutes(5 + 20 + 30)  # until the last late record is delivered
    dead = run.labels["dead_feed"]
    assert {scope for scope in dead.scopes if scope.startswith("feed:")} == {
        f"feed:{event.source}" for event in run.events
    }
    assert f"center:{run.events[0].center_id}" in dead.scopes
    assert "queue:vip" in dead.affected


def test_single_contact_labels_name_ids_the_events_carry(run: Run) -> None:
    contacts = {f"contact:{event.contact_id}" for event in run.events if event.contact_id}
    agents = {f"agent:{event.agent_id}" for event in run.events if event.agent_id}
    for kind in ("sentiment_collapse", "compliance_breach", "agent_stuck_on_hold"):
        label = run.labels[kind]
        assert next(scope for scope in label.scopes if scope.startswith("contact:")) in contacts
        assert next(scope for scope in label.scopes if scope.startswith("agent:")) in agents
        offset = next(incident.offset for incident in inc.DEFAULT_INCIDENTS if incident.name == kind)
        assert label.start >= START + offset  # when it began on the call, not when the call arrived
    hold = run.labels["agent_stuck_on_hold"]
    assert hold.end - hold.start == inc.STUCK_HOLD


def test_labels_round_trip_through_json(run: Run) -> None:
    text = "".join(json.dumps(label.to_dict()) + "\n" for label in run.labels.values())
    assert {label.kind: label for label in read_labels(text)} == run.labels


def test_a_dead_feed_silences_every_source(run: Run) -> None:
    assert not [record for record in run.records if _minutes(40) <= record.at < _minutes(50)]
    assert [record for record in run.records if _minutes(50) <= record.at < _minutes(51)]


def test_a_queue_that_stops_reporting_goes_quiet_while_the_others_report(run: Run) -> None:
    def snapshots(queue: str, start: float, end: float) -> list[CxEvent]:
        return [
            event
            for event in run.events
            if event.type == "queue_snapshot"
            and event.queue_id == queue
            and _minutes(start) <= event.occurred_at < _minutes(end)
        ]

    assert snapshots("claims", 10, 12)
    quiet = [e for e in run.events if e.queue_id == "claims" and _minutes(12) <= e.occurred_at < _minutes(30)]
    assert not quiet
    assert snapshots("payments", 12, 30)
    assert snapshots("claims", 30, 32)
    assert max(event.values["agents_available"] for event in snapshots("claims", 10, 12)) == 0  # in trouble


def test_late_data_arrives_half_an_hour_after_it_happened(run: Run) -> None:
    late = [
        record
        for record in run.records
        if record.source == "amazon_connect.contact_event" and "/queue/sales" in json.dumps(record.payload)
    ]
    delays = {
        round(
            (
                record.at - datetime.fromisoformat(record.payload["time"].replace("Z", "+00:00"))
            ).total_seconds()
        )
        for record in late
    }
    assert 1800 in delays
    assert 0 in delays  # outside the incident, on time


def test_a_failing_small_queue_answers_after_two_minutes_and_loses_a_third(run: Run) -> None:
    during = [e for e in run.events if e.queue_id == "vip" and _minutes(5) <= e.occurred_at < START + WINDOW]
    answered = [e for e in during if e.type == "contact_answered" and "wait_seconds" in e.values]
    abandoned = [e for e in during if e.type == "contact_abandoned"]
    queued = {e.contact_id for e in during if e.type == "contact_queued"}
    assert answered and all(e.values["wait_seconds"] >= 100 for e in answered)
    assert abandoned
    assert 5 <= len(queued) <= 30  # ~10 an hour for 85 minutes


def test_a_slow_slide_takes_agents_away_one_by_one(run: Run) -> None:
    meeting = [r for r in run.records if r.incident == "slow_slide" and r.source == "amazon_connect.agent"]
    steps = sorted({record.at for record in meeting})
    assert len(steps) >= 3
    assert steps[-1] - steps[0] >= timedelta(minutes=8)  # spread over the ramp, not all at once
    waiting = [
        event.values["contacts_in_queue"]
        for event in run.events
        if event.type == "queue_snapshot" and event.queue_id == "billing"
        and _minutes(5) <= event.occurred_at < _minutes(25)
    ]  # fmt: skip
    assert max(waiting[len(waiting) // 2 :]) > max(waiting[: len(waiting) // 4])


def test_the_new_kinds_are_deterministic() -> None:
    first_records, first_labels = _simulate(seed=9)
    second_records, second_labels = _simulate(seed=9)
    assert first_records == second_records
    assert first_labels == second_labels


def test_random_placement_is_seeded_covers_the_kinds_and_spares_control_days() -> None:
    where = placement(START.replace(hour=0), timedelta(days=3), CENTER)
    chosen = inc.random_incidents(where, seed=4, per_day=len(inc.KIND_NAMES), control_days=(2,))
    assert chosen == inc.random_incidents(where, seed=4, per_day=len(inc.KIND_NAMES), control_days=(2,))
    assert chosen != inc.random_incidents(where, seed=5, per_day=len(inc.KIND_NAMES), control_days=(2,))
    assert {incident.name for incident in chosen} == set(inc.KIND_NAMES)
    assert not [i for i in chosen if timedelta(days=1) <= i.offset < timedelta(days=2)]
    agents = queue_agents(CENTER)
    for incident in chosen:
        kind = inc.KINDS[incident.name]
        hour = incident.offset.total_seconds() / 3600 % 24
        assert kind.hours[0] <= hour and hour + kind.duration.total_seconds() / 3600 <= kind.hours[1]
        if kind.queues == "small":
            assert agents[incident.queue or ""] <= inc.SMALL_QUEUE_AGENTS
        for other in chosen:
            assert other is incident or not inc._confusable(incident, other)


def test_simulate_writes_labels_with_the_period_and_control_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, labels = tmp_path / "day.jsonl", tmp_path / "labels.jsonl"
    status = main([
        "simulate", "--start", "2026-11-23T00:00:00Z", "--duration", "2d", "--agents", "20", "--small-queues",
        "--incidents", "random:3", "--control-days", "2", "--out", str(out), "--labels", str(labels),
    ])  # fmt: skip
    assert status == 0
    read = read_labels(labels.read_text())
    assert [label.kind for label in read[:2]] == ["simulation", "control_day"]
    assert read[1].start == datetime(2026, 11, 24, tzinfo=UTC)
    scripted = [label for label in read if label.is_incident]
    assert 1 <= len(scripted) <= 3
    assert all(label.start < datetime(2026, 11, 24, tzinfo=UTC) for label in scripted)
    assert f"{len(scripted)} incident labels written" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--labels", "x.jsonl"], "--labels needs --out"),
        (["--out", "-", "--control-days", "2"], "--control-days goes with --incidents random"),
        (["--out", "-", "--incidents", "random:0"], "random:N"),
        (["--out", "-", "--incidents", "slow_slide@5m/nowhere"], "no queue 'nowhere'"),
        (["--out", "-", "--incidents", "dead_feed@ten"], "not a duration"),
        (["--out", "-", "--incidents", "meteor@5m"], "unknown incident kind"),
    ],
)
def test_unusable_incident_options_exit_2(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--start", "2026-11-23T00:00:00Z", "--duration", "1m", *arguments]) == 2
    assert message in capsys.readouterr().err
