"""Live values on cards: a firing alert's value is published as coalesced ``updated`` transitions
(floorwatch.alerts.live), and the snapshot shows the value, the worst and the threshold they said."""

from __future__ import annotations

from datetime import timedelta

from floorwatch.alerts.live import LivePolicy
from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState
from floorwatch.snapshot import alert_view

from tests.unit.engine.helpers import LONGEST_WAIT_NOW, Harness, snapshot

POLICY = LivePolicy(interval=timedelta(seconds=30), min_change=0.05)


def alert_state(harness: Harness) -> AlertState:
    """The rule's alert (its incident is active too)."""
    return next(state for state in harness.alerts.active() if state.rule_id == "queue-longest-wait")


def updates(found: list[Transition]) -> list[tuple[float | None, float | None]]:
    return [(item.value, item.worst_value) for item in found if item.transition is TransitionKind.UPDATED]


def test_the_value_now_and_the_worst_reach_the_card_at_most_once_per_interval() -> None:
    harness = Harness(LONGEST_WAIT_NOW, live_policy=POLICY)
    opened = harness.each(snapshot(0, longest_wait_seconds=130))
    assert [item.transition for item in opened] == [TransitionKind.OPENED]
    # Still warning (under 300 s): no tier change, so without live values the card would say 130 s.
    assert updates(harness.each(snapshot(10, longest_wait_seconds=200))) == []  # within 30 s: held back
    assert updates(harness.each(snapshot(30, longest_wait_seconds=250))) == [(250.0, 250.0)]
    assert updates(harness.each(snapshot(40, longest_wait_seconds=150))) == []  # within 30 s of the last
    assert updates(harness.each(snapshot(60, longest_wait_seconds=140))) == [(140.0, 250.0)]  # worst kept
    [update] = [item for item in harness.recorded if item.transition is TransitionKind.UPDATED][:1]
    assert (update.threshold, update.severity.value, update.notify) == (120.0, "warning", True)


def test_a_change_smaller_than_the_step_is_not_worth_a_message() -> None:
    harness = Harness(LONGEST_WAIT_NOW, live_policy=POLICY)
    harness.each(snapshot(0, longest_wait_seconds=130))
    # 5 % of the 120 s threshold is 6 s: 134 s is not news, 137 s is.
    assert updates(harness.each(snapshot(40, longest_wait_seconds=134))) == []
    assert updates(harness.each(snapshot(80, longest_wait_seconds=137))) == [(137.0, 137.0)]


def test_a_tier_change_publishes_the_value_itself_and_restarts_the_interval() -> None:
    harness = Harness(LONGEST_WAIT_NOW, live_policy=POLICY)
    harness.each(snapshot(0, longest_wait_seconds=130))
    upgraded = harness.each(snapshot(40, longest_wait_seconds=320))
    assert [item.transition for item in upgraded] == [TransitionKind.UPGRADED]
    assert updates(harness.each(snapshot(50, longest_wait_seconds=400))) == []  # 10 s after the upgrade
    assert updates(harness.each(snapshot(70, longest_wait_seconds=420))) == [(420.0, 420.0)]
    state = alert_state(harness)
    assert (state.shown_value, state.worst_value) == (420.0, 420.0)


def test_without_a_policy_nothing_extra_is_written() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    harness.each(snapshot(0, longest_wait_seconds=130))
    saves = harness.alerts.saves
    assert (
        updates(harness.each(snapshot(40, longest_wait_seconds=250), snapshot(80, longest_wait_seconds=290)))
        == []
    )
    assert harness.alerts.saves == saves  # a firing alert that stays put costs no write


def test_a_resolved_alert_gets_no_update() -> None:
    harness = Harness(LONGEST_WAIT_NOW, live_policy=POLICY)
    harness.each(snapshot(0, longest_wait_seconds=130))
    found = harness.each(snapshot(40, longest_wait_seconds=20))
    assert [item.transition for item in found] == [TransitionKind.RESOLVED]


def test_the_snapshot_shows_what_the_updates_said() -> None:
    harness = Harness(LONGEST_WAIT_NOW, live_policy=POLICY)
    harness.each(snapshot(0, longest_wait_seconds=130), snapshot(30, longest_wait_seconds=260))
    harness.each(snapshot(45, longest_wait_seconds=262))  # evaluated, not published (and not saved)
    state = alert_state(harness)
    latest = harness.alerts.transitions(state.key)[-1]
    view = alert_view(state, latest, harness.engine.rules)
    assert (view["value"], view["worst_value"], view["threshold"]) == (260.0, 260.0, 120.0)
    assert view["value_at"] == latest.at.isoformat().replace("+00:00", "Z")
