"""The alert state machine on hand-built sequences, with a virtual clock (event time, no wall clock)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import (
    AlertState,
    AlertStatus,
    acknowledge,
    alert_id_for,
    escalate,
    evaluate_threshold,
    snooze,
)
from floorwatch.metrics.model import MetricValue
from floorwatch.rules.config import ThresholdRule

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

OPENED, UPGRADED = TransitionKind.OPENED, TransitionKind.UPGRADED
DOWNGRADED, RESOLVED = TransitionKind.DOWNGRADED, TransitionKind.RESOLVED
INFO, WARNING, CRITICAL = Severity.INFO, Severity.WARNING, Severity.CRITICAL


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def longest_wait(**fields: Any) -> ThresholdRule:
    document: dict[str, Any] = {
        "id": "queue-longest-wait",
        "metric": "longest_wait_seconds",
        "scope": "queue",
        "direction": "above",
        "tiers": {"info": 60, "warning": 120, "critical": 300},
    }
    document.update(fields)
    return ThresholdRule.model_validate(document)


def service_level(**fields: Any) -> ThresholdRule:
    document: dict[str, Any] = {
        "id": "queue-service-level",
        "metric": "service_level",
        "scope": "queue",
        "direction": "below",
        "tiers": {"warning": 0.8, "critical": 0.7},
        "clear": 0.95,
        "min_samples": 10,
    }
    document.update(fields)
    return ThresholdRule.model_validate(document)


class Run:
    """Feeds one rule observations for one scope, keeping the state and every transition."""

    def __init__(self, rule: ThresholdRule, scope: str = "queue:billing") -> None:
        self.rule = rule
        self.state = AlertState.initial(rule.id, scope)
        self.transitions: list[Transition] = []

    def at(self, second: float, value: float | None, samples: int = 100) -> list[Transition]:
        self.state, new = evaluate_threshold(self.rule, self.state, MetricValue(value, samples), t(second))
        self.transitions += new
        return new

    def series(self, *points: tuple[float, float | None]) -> list[Transition]:
        new: list[Transition] = []
        for second, value in points:
            new += self.at(second, value)
        return new

    def do(self, action: tuple[AlertState, list[Transition]]) -> list[Transition]:
        self.state, new = action
        self.transitions += new
        return new


def summary(
    transitions: list[Transition],
) -> list[tuple[TransitionKind, Severity, float | None, float | None]]:
    return [(item.transition, item.severity, item.value, item.threshold) for item in transitions]


# --- pending and `for` --------------------------------------------------------------------------------


def test_an_alert_opens_after_exactly_for_and_not_before() -> None:
    run = Run(longest_wait(**{"for": "60s"}))
    assert run.series((0, 130), (30, 140), (59, 150)) == []
    assert run.state.status is AlertStatus.PENDING
    assert run.state.pending_severity is WARNING
    assert run.state.pending_since == t(0)
    [opened] = run.at(60, 150)
    assert (opened.transition, opened.severity, opened.value, opened.threshold) == (OPENED, WARNING, 150, 120)
    assert opened.at == t(60)
    assert opened.notify
    assert run.state.status is AlertStatus.FIRING
    assert run.state.opened_at == t(60)
    assert run.state.pending_since is None


def test_without_for_the_first_breach_opens() -> None:
    run = Run(longest_wait())
    assert summary(run.at(0, 65)) == [(OPENED, INFO, 65, 60)]


def test_a_value_equal_to_the_threshold_is_not_a_breach() -> None:
    run = Run(longest_wait())
    assert run.at(0, 60) == []
    assert run.state.status is AlertStatus.INACTIVE


def test_a_breach_shorter_than_for_raises_nothing() -> None:
    run = Run(longest_wait(**{"for": "2m"}))
    assert run.series((0, 400), (60, 400), (110, 400), (120, 30), (300, 30)) == []
    assert run.state.status is AlertStatus.INACTIVE


def test_one_non_breaching_evaluation_resets_the_pending_timer() -> None:
    run = Run(longest_wait(**{"for": "60s"}))
    assert run.series((0, 130), (30, 130), (45, 50), (60, 130), (90, 130)) == []
    assert run.state.pending_since == t(60)
    # 60 s after the restart, not after the first breach.
    assert summary(run.at(120, 130)) == [(OPENED, WARNING, 130, 120)]


def test_an_alert_opens_at_the_tier_breached_when_for_is_reached() -> None:
    run = Run(longest_wait(**{"for": "60s"}))
    run.series((0, 70), (30, 200))
    assert run.state.pending_severity is WARNING
    assert summary(run.at(60, 310)) == [(OPENED, CRITICAL, 310, 300)]


# --- upgrade, downgrade, hysteresis, resolve ---------------------------------------------------------------


def test_upgrades_are_immediate_even_with_for() -> None:
    run = Run(longest_wait(**{"for": "60s"}))
    run.series((0, 130), (60, 130))
    assert summary(run.at(61, 301)) == [(UPGRADED, CRITICAL, 301, 300)]
    assert run.state.severity is CRITICAL


def test_downgrade_and_resolve_only_past_the_hysteresis_band() -> None:
    run = Run(longest_wait(clear=0.9))
    run.at(0, 310)
    assert run.state.severity is CRITICAL
    # critical holds down to 270 (300 x 0.9), warning down to 108, info down to 54
    assert run.series((10, 280), (20, 270)) == []
    assert summary(run.at(30, 260)) == [(DOWNGRADED, WARNING, 260, 300)]
    assert run.series((40, 115), (50, 108)) == []
    assert summary(run.at(60, 100)) == [(DOWNGRADED, INFO, 100, 120)]
    assert run.series((70, 59), (80, 54)) == []
    assert run.state.status is AlertStatus.FIRING
    assert summary(run.at(90, 53)) == [(RESOLVED, INFO, 53, 60)]
    assert run.state.status is AlertStatus.INACTIVE
    assert run.state.severity is INFO  # of the most recent alert
    assert run.state.resolved_at == t(90)


def test_a_big_drop_downgrades_straight_to_the_tier_still_held_or_resolves() -> None:
    run = Run(longest_wait())
    run.at(0, 400)
    assert summary(run.at(10, 70)) == [(DOWNGRADED, INFO, 70, 300)]
    run.at(20, 400)
    assert summary(run.at(30, 5)) == [(RESOLVED, CRITICAL, 5, 60)]


def test_service_level_below_direction() -> None:
    run = Run(service_level())
    assert summary(run.at(0, 0.79)) == [(OPENED, WARNING, 0.79, 0.8)]
    assert summary(run.at(60, 0.69)) == [(UPGRADED, CRITICAL, 0.69, 0.7)]
    # critical holds up to 0.7 / 0.95 = 0.737
    assert run.at(120, 0.73) == []
    assert summary(run.at(180, 0.75)) == [(DOWNGRADED, WARNING, 0.75, 0.7)]
    # warning holds up to 0.8 / 0.95 = 0.842
    assert run.at(240, 0.84) == []
    assert summary(run.at(300, 0.85)) == [(RESOLVED, WARNING, 0.85, 0.8)]


def test_negative_thresholds_keep_the_band_on_the_safe_side() -> None:
    rule = ThresholdRule.model_validate(
        {
            "id": "contact-sentiment",
            "metric": "sentiment",
            "scope": "contact",
            "direction": "below",
            "tiers": {"warning": -0.3},
            "clear": 0.9,
        }
    )
    run = Run(rule, scope="contact:c-1")
    assert summary(run.at(0, -0.35)) == [(OPENED, WARNING, -0.35, -0.3)]
    assert run.at(10, -0.28) == []  # above the threshold but inside the band (up to -0.267)
    assert summary(run.at(20, -0.25)) == [(RESOLVED, WARNING, -0.25, -0.3)]


def test_a_resolved_alert_reopens_with_a_new_id() -> None:
    run = Run(longest_wait())
    [first] = run.at(0, 130)
    run.at(60, 10)
    [second] = run.at(120, 130)
    assert second.transition is OPENED
    assert second.alert_id != first.alert_id
    assert run.state.alert_id == second.alert_id


# --- no verdict ----------------------------------------------------------------------------------------


def test_no_data_neither_opens_nor_resolves() -> None:
    run = Run(longest_wait())
    assert run.at(0, None) == []
    assert run.state.status is AlertStatus.INACTIVE
    run.at(10, 400)
    assert run.series((20, None), (3600, None)) == []
    assert run.state.status is AlertStatus.FIRING
    assert run.state.severity is CRITICAL
    assert run.state.last_value == 400


def test_no_data_pauses_the_pending_timer_without_resetting_it() -> None:
    run = Run(longest_wait(**{"for": "60s"}))
    run.series((0, 130), (30, 130))  # 30 s of breach confirmed
    assert run.at(40, None) == []  # 30..40 and 40..50 were not observed: they do not count
    assert run.at(50, 130) == []
    assert run.state.status is AlertStatus.PENDING
    assert run.state.pending_since == t(0)
    assert run.at(79, 130) == []  # 30 + 29
    assert summary(run.at(80, 130)) == [(OPENED, WARNING, 130, 120)]  # 30 + 30


def test_no_data_while_pending_cannot_open_even_after_for() -> None:
    run = Run(longest_wait(**{"for": "60s"}))
    run.at(0, 130)
    assert run.at(120, None) == []
    assert run.state.status is AlertStatus.PENDING


def test_fewer_samples_than_min_samples_is_no_verdict() -> None:
    run = Run(service_level(min_samples=10))
    assert run.at(0, 0.1, samples=9) == []
    assert run.state.status is AlertStatus.INACTIVE
    assert summary(run.at(60, 0.5, samples=10)) == [(OPENED, CRITICAL, 0.5, 0.7)]
    # A perfect ratio over 2 contacts does not resolve it either.
    assert run.at(120, 1.0, samples=2) == []
    assert run.state.status is AlertStatus.FIRING


# --- scopes, identity, event time ----------------------------------------------------------------------


def test_states_are_per_rule_and_scope() -> None:
    rule = longest_wait(**{"for": "60s"})
    billing, sales = Run(rule, "queue:billing"), Run(rule, "queue:sales")
    billing.at(0, 130)
    sales.at(0, 10)
    billing.at(30, 130)
    sales.at(30, 130)
    [opened] = billing.at(60, 130)
    assert opened.scope == "queue:billing"
    assert sales.at(60, 130) == []  # sales' breach began at 30 s
    assert sales.state.status is AlertStatus.PENDING
    [sales_opened] = sales.at(90, 130)
    assert sales_opened.alert_id != opened.alert_id


def test_a_state_cannot_be_evaluated_with_another_rule_or_scope_kind() -> None:
    rule = longest_wait()
    with pytest.raises(ValueError, match="state of rule 'other'"):
        evaluate_threshold(rule, AlertState.initial("other", "queue:billing"), MetricValue(1, 1), t(0))
    with pytest.raises(ValueError, match="watches queue scopes"):
        evaluate_threshold(rule, AlertState.initial(rule.id, "agent:a-1"), MetricValue(1, 1), t(0))
    with pytest.raises(ValueError, match="time zone"):
        evaluate_threshold(
            rule, AlertState.initial(rule.id, "queue:q"), MetricValue(1, 1), datetime(2026, 1, 1)
        )


def test_ids_are_deterministic_and_transition_ids_follow_the_version() -> None:
    def replay() -> list[Transition]:
        run = Run(longest_wait())
        run.series((0, 130), (10, 310), (20, 100), (30, 10), (40, 70))
        return run.transitions

    first, second = replay(), replay()
    assert first == second
    # open, upgrade, downgrade, resolve, open: the fourth open-or-tier-change in 30 minutes is flapping.
    assert [item.version for item in first] == [1, 2, 3, 4, 5, 6]
    assert first[-1].transition is TransitionKind.FLAPPING_STARTED
    assert [item.transition_id for item in first] == [f"{item.alert_id}:{item.version}" for item in first]
    assert len({item.transition_id for item in first}) == 6
    assert first[0].alert_id == alert_id_for("queue-longest-wait", "queue:billing", t(0))
    assert first[4].alert_id == alert_id_for("queue-longest-wait", "queue:billing", t(40))
    assert alert_id_for("queue-longest-wait", "queue:sales", t(0)) != first[0].alert_id


def test_an_evaluation_earlier_than_the_last_one_is_ignored() -> None:
    run = Run(longest_wait())
    run.at(100, 400)
    before = run.state
    assert run.at(50, 10) == []
    assert run.state == before


# --- flapping ------------------------------------------------------------------------------------------


def flap(run: Run, start: float, cycles: int, period: float = 120) -> None:
    """Open and resolve `cycles` times, one cycle per `period` seconds."""
    for cycle in range(cycles):
        run.at(start + cycle * period, 130)
        run.at(start + cycle * period + period / 2, 10)


def test_three_opens_in_30_minutes_is_not_flapping() -> None:
    run = Run(longest_wait())
    flap(run, 0, 3)
    assert not run.state.flapping
    assert all(item.notify for item in run.transitions)


def test_the_fourth_open_in_30_minutes_starts_flapping_and_mutes_the_alert() -> None:
    run = Run(longest_wait())
    flap(run, 0, 3)
    new = run.at(360, 130)
    assert [(item.transition, item.notify) for item in new] == [
        (OPENED, False),
        (TransitionKind.FLAPPING_STARTED, True),
    ]
    assert run.state.flapping
    # While flapping, transitions are recorded but not pushed.
    muted = run.series((370, 400), (380, 130), (390, 10), (400, 130))
    assert [item.transition for item in muted] == [UPGRADED, DOWNGRADED, RESOLVED, OPENED]
    assert not any(item.notify for item in muted)


def test_opens_spread_wider_than_the_window_never_flap() -> None:
    run = Run(longest_wait())
    flap(run, 0, 8, period=11 * 60)  # 4 opens take 33 minutes
    assert not run.state.flapping
    assert all(item.notify for item in run.transitions)


def test_flapping_stops_after_30_stable_minutes_and_says_so() -> None:
    run = Run(longest_wait())
    flap(run, 0, 4)  # flapping from the 4th open (360 s); last change: its resolve at 420 s
    assert run.state.flapping
    assert run.at(420 + 1799, 10) == []
    new = run.at(420 + 1800, 10)
    assert [(item.transition, item.notify) for item in new] == [(TransitionKind.FLAPPING_STOPPED, True)]
    assert not run.state.flapping
    [reopened] = run.at(420 + 1860, 130)
    assert reopened.transition is OPENED and reopened.notify


def test_the_flapping_policy_comes_from_the_rule() -> None:
    run = Run(longest_wait(flapping={"opens": 2, "within": "5m", "stable_for": "10m"}))
    flap(run, 0, 2)
    assert run.state.flapping
    assert [item.transition for item in run.transitions][-2:] == [TransitionKind.FLAPPING_STARTED, RESOLVED]


# --- people's actions ------------------------------------------------------------------------------------


def test_acknowledge_records_who_and_is_idempotent() -> None:
    run = Run(longest_wait())
    run.at(0, 130)
    [ack] = run.do(acknowledge(run.state, t(20), "ana"))
    assert (ack.transition, ack.actor, ack.notify, ack.severity) == (
        TransitionKind.ACKNOWLEDGED,
        "ana",
        True,
        WARNING,
    )
    assert run.state.acknowledged and run.state.acknowledged_by == "ana"
    assert run.do(acknowledge(run.state, t(25), "ben")) == []
    assert run.state.acknowledged_by == "ana"


def test_an_upgrade_needs_a_new_acknowledgement() -> None:
    run = Run(longest_wait())
    run.at(0, 130)
    run.do(acknowledge(run.state, t(20), "ana"))
    run.at(30, 310)
    assert not run.state.acknowledged
    run.at(40, 200)  # a downgrade keeps whatever acknowledgement there is
    run.do(acknowledge(run.state, t(50), "ana"))
    run.at(60, 100)
    assert run.state.acknowledged


def test_nothing_to_acknowledge_when_nothing_fires() -> None:
    run = Run(longest_wait(**{"for": "60s"}))
    assert run.do(acknowledge(run.state, t(0), "ana")) == []
    run.at(0, 130)  # pending only
    assert run.do(acknowledge(run.state, t(1), "ana")) == []
    assert not run.state.acknowledged


def test_a_snooze_mutes_the_rule_and_scope_until_it_ends_without_deleting_anything() -> None:
    run = Run(longest_wait(flapping={"opens": 10}))  # four changes in 40 s: not what this test is about
    run.at(0, 130)
    [snoozed] = run.do(snooze(run.state, t(600), at=t(10), user="ana"))
    assert (snoozed.transition, snoozed.actor, snoozed.notify) == (TransitionKind.SNOOZED, "ana", True)
    # Recorded, not pushed: upgrade, resolve, and a new alert opened during the snooze.
    muted = run.series((20, 310), (30, 10), (40, 130))
    assert [item.transition for item in muted] == [UPGRADED, RESOLVED, OPENED]
    assert not any(item.notify for item in muted)
    assert run.state.status is AlertStatus.FIRING  # still tracked while snoozed
    [after] = run.at(600, 310)
    assert after.transition is UPGRADED and after.notify


def test_snoozing_before_anything_fired_still_mutes_the_next_alert() -> None:
    run = Run(longest_wait())
    assert run.do(snooze(run.state, t(300), at=t(0), user="ana")) == []
    [opened] = run.at(10, 130)
    assert not opened.notify


def test_a_snooze_must_end_after_it_starts() -> None:
    state = AlertState.initial("queue-longest-wait", "queue:billing")
    with pytest.raises(ValueError, match="must end after it starts"):
        snooze(state, t(0), at=t(0))


def test_escalation_goes_only_up_and_never_for_acknowledged_or_snoozed_alerts() -> None:
    run = Run(longest_wait())
    run.at(0, 310)
    [first] = run.do(escalate(run.state, t(30), 1))
    assert (first.transition, run.state.escalation_level) == (TransitionKind.ESCALATED, 1)
    assert run.do(escalate(run.state, t(31), 1)) == []  # a re-delivered escalation
    assert len(run.do(escalate(run.state, t(120), 2))) == 1
    run.do(acknowledge(run.state, t(130), "ops"))
    assert run.do(escalate(run.state, t(200), 3)) == []
    other = Run(longest_wait())
    other.at(0, 310)
    other.do(snooze(other.state, t(600), at=t(5)))
    assert other.do(escalate(other.state, t(30), 1)) == []


# --- persistence --------------------------------------------------------------------------------------------


def test_state_round_trips_through_plain_json() -> None:
    firing = Run(longest_wait())
    flap(firing, 0, 4)
    firing.at(500, 310)
    firing.do(escalate(firing.state, t(510), 1))
    firing.do(acknowledge(firing.state, t(520), "ana"))
    firing.do(snooze(firing.state, t(900), at=t(530), user="ana"))
    pending = Run(longest_wait(**{"for": "60s"}))
    pending.series((0, 130), (30, 130), (40, None))
    for state in (firing.state, pending.state):
        data = json.loads(json.dumps(state.to_dict()))
        assert AlertState.from_dict(data) == state
    assert firing.state.flapping and firing.state.acknowledged and firing.state.snoozed_until == t(900)
    assert pending.state.status is AlertStatus.PENDING and pending.state.pending_for == timedelta(seconds=30)


def test_from_dict_accepts_dynamodb_numbers_and_missing_optional_keys() -> None:
    state = AlertState.from_dict(
        {
            "rule_id": "queue-longest-wait",
            "scope": "queue:billing",
            "status": "firing",
            "alert_id": "abc",
            "severity": "warning",
            "version": Decimal(3),
            "last_value": Decimal("130.5"),
            "opened_at": "2026-11-23T09:00:00Z",
        }
    )
    assert state.version == 3 and state.last_value == 130.5
    assert state.opened_at == T0
    assert state.snoozed_until is None and state.recent_opens == ()
    # ...and the machine carries on from it.
    _, [upgraded] = evaluate_threshold(longest_wait(), state, MetricValue(400, 1), t(60))
    assert (upgraded.transition, upgraded.transition_id) == (UPGRADED, "abc:4")


def test_initial_state_is_inactive_and_needs_a_well_formed_scope() -> None:
    state = AlertState.initial("queue-longest-wait", "queue:billing")
    assert state == replace(state, status=AlertStatus.INACTIVE, version=0, alert_id=None)
    assert state.key == ("queue-longest-wait", "queue:billing")
    with pytest.raises(ValueError):
        AlertState.initial("queue-longest-wait", "galaxy:far")
