"""The escalation policy with an injected clock: when checks are scheduled, what stops the chain, and
that each level is paged exactly once even when checks are delivered twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from floorwatch.alerts.escalation import (
    ESCALATION_ACTOR,
    EscalationCheck,
    EscalationPolicy,
    EscalationService,
    Verdict,
)
from floorwatch.alerts.model import Severity, TransitionKind
from floorwatch.alerts.state_machine import AlertState
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.alerts_port import AlertConflict

from tests.unit.delivery.world import CHAIN, ESCALATION_TOPIC, T0, World


def test_an_unacknowledged_critical_climbs_the_chain_in_order_every_90_seconds() -> None:
    world = World()
    world.observe(340)  # opens critical at T0; ack_within 30s

    world.advance(600)

    assert world.escalation_pages() == [(30, "team-supervisor"), (120, "floor-manager"), (210, "ops-on-call")]
    assert [t.note for t in world.escalated()] == list(CHAIN)
    assert world.state().escalation_level == 3
    assert world.queue.messages == []  # the chain ended: nothing left scheduled


def test_the_first_check_is_sent_with_the_ack_deadline_as_delay() -> None:
    world = World()
    world.observe(340)
    ((sent_at, check, delay),) = world.queue.sent
    assert (sent_at, delay, check.level) == (T0, 30, 1)
    assert check.due_at == T0 + timedelta(seconds=30)
    assert (check.queue_id, check.team_id, check.metric) == ("billing", "tier1", "longest_wait_seconds")


def test_acknowledging_stops_the_chain() -> None:
    world = World()
    world.observe(340)
    world.advance(100)  # level 1 paged at 30 s
    world.acknowledge()

    world.advance(600)

    assert world.escalation_pages() == [(30, "team-supervisor")]
    assert world.outcomes[-1].verdict is Verdict.STOP
    assert world.outcomes[-1].reason == "acknowledged by ana"


def test_acknowledging_before_the_deadline_pages_nobody() -> None:
    world = World()
    world.observe(340)
    world.advance(10)
    world.acknowledge()
    world.advance(600)
    assert world.escalation_pages() == []


def test_resolving_stops_the_chain() -> None:
    world = World()
    world.observe(340)
    world.advance(150)  # levels 1 (30 s) and 2 (120 s)
    world.observe(20)  # back under every tier: resolved

    world.advance(600)

    assert world.escalation_pages() == [(30, "team-supervisor"), (120, "floor-manager")]
    assert world.outcomes[-1].reason == "the alert resolved"


def test_a_new_alert_after_resolution_starts_its_own_chain_and_the_old_checks_stop() -> None:
    world = World()
    world.observe(340)
    world.advance(40)  # level 1 of the first alert
    world.observe(20)
    world.observe(400)  # a new alert (new id) opens at 40 s
    world.advance(600)
    # The old chain's level-2 check (due at 130 s) finds another alert and stops.
    assert world.escalation_pages() == [
        (30, "team-supervisor"),
        (70, "team-supervisor"),
        (160, "floor-manager"),
        (250, "ops-on-call"),
    ]
    assert any("superseded" in outcome.reason for outcome in world.outcomes)


def test_a_warning_does_not_escalate_but_its_upgrade_to_critical_does() -> None:
    world = World()
    world.observe(150)  # warning
    world.advance(60)
    assert world.queue.sent == []
    world.observe(340)  # upgraded at 60 s
    world.advance(300)
    assert world.escalation_pages()[:2] == [(90, "team-supervisor"), (180, "floor-manager")]


def test_downgrading_below_critical_stops_the_chain() -> None:
    world = World()
    world.observe(340)
    world.advance(60)
    world.observe(150)  # back to warning (past the 0.9 hysteresis of 300)
    world.advance(600)
    assert world.escalation_pages() == [(30, "team-supervisor")]
    assert "warning" in world.outcomes[-1].reason


def test_a_snooze_postpones_the_check_to_its_end() -> None:
    world = World()
    world.observe(340)
    world.advance(10)
    world.snooze(minutes=5)  # until 310 s

    world.advance(500)

    assert world.escalation_pages() == [
        (310, "team-supervisor"),
        (400, "floor-manager"),
        (490, "ops-on-call"),
    ]


def test_deadlines_beyond_the_sqs_delay_limit_are_rescheduled() -> None:
    world = World()
    world.observe(50, rule_id="queue-contacts-waiting")  # ack_within 30m

    world.advance(1900, step=10)

    assert [delay for _, _, delay in world.queue.sent][:2] == [900, 900]
    assert world.escalation_pages()[0] == (1800, "team-supervisor")


def test_a_check_delivered_twice_pages_its_level_once() -> None:
    world = World()
    world.observe(340)
    world.clock.advance(30)
    (check,) = world.queue.receive()

    first = world.service.run(check)
    second = world.service.run(check)  # SQS delivered the same message again
    world.stream()

    assert first.verdict is Verdict.ESCALATE
    assert second.verdict is Verdict.STOP
    assert "already reached" in second.reason
    assert world.escalation_pages() == [(30, "team-supervisor")]
    assert len(world.escalated()) == 1
    assert len(world.queue.messages) == 1  # one next check, not two


def test_duplicate_next_checks_collapse_into_one_chain() -> None:
    """The fan-out record of an escalation is delivered twice: two level-2 checks, one page."""
    world = World()
    world.observe(340)
    world.advance(30)
    escalated = world.escalated()[0]
    world.delivery.deliver(escalated)  # the stream redelivers the record
    assert len(world.queue.messages) == 2

    world.advance(600)

    levels = [level for _, level in world.escalation_pages()]
    assert levels.count("floor-manager") == 1
    assert levels.count("ops-on-call") == 1
    assert (
        len(world.audit.for_alert(escalated.alert_id)) == 3
    )  # one entry per level, the redelivery added none


class RacingStore(InMemoryAlertStore):
    """Another escalate instance claims the level between our read and our save."""

    def __init__(self) -> None:
        super().__init__()
        self.rival: EscalationService | None = None
        self.rival_check: EscalationCheck | None = None

    def save(self, previous_version: int, state: AlertState, transitions: list) -> None:  # type: ignore[override]
        rival, self.rival = self.rival, None
        if rival is not None and self.rival_check is not None:
            rival.run(self.rival_check)
        super().save(previous_version, state, transitions)


def test_two_concurrent_deliveries_of_one_check_claim_the_level_once() -> None:
    world = World(alerts=RacingStore())
    world.observe(340)
    world.clock.advance(30)
    (check,) = world.queue.receive()
    store = world.alerts
    assert isinstance(store, RacingStore)
    store.rival = EscalationService(world.policy, store, world.queue, world.clock)
    store.rival_check = check

    ours = world.service.run(check)

    assert ours.verdict is Verdict.STOP  # the rival saved first; we reloaded and found the level taken
    assert len(world.escalated()) == 1


def test_policy_escalations_are_audited_once_per_level() -> None:
    world = World()
    world.observe(340)
    world.advance(300)
    entries = world.audit.for_alert(world.escalated()[0].alert_id)
    assert [(entry.actor, entry.action, entry.details["level_name"]) for entry in entries] == [
        (ESCALATION_ACTOR, "escalate", name) for name in CHAIN
    ]
    assert [entry.entry_id for entry in entries] == [t.transition_id for t in world.escalated()]


def test_a_person_escalating_pages_the_next_level_and_the_chain_continues_from_there() -> None:
    world = World()
    world.observe(340)
    world.advance(10)
    world.escalate_by_hand()  # level 1 at 10 s, by ana

    world.advance(600)

    assert world.escalation_pages() == [(10, "team-supervisor"), (100, "floor-manager"), (190, "ops-on-call")]
    assert world.escalated()[0].actor == "ana"
    # The policy's first check (due at 30 s, level 1) found level 1 reached and stopped.
    assert "already reached" in world.outcomes[0].reason
    # People's escalations are audited by the action handler, not again by the fan-out.
    assert [
        entry.details["level_name"] for entry in world.audit.for_alert(world.escalated()[0].alert_id)
    ] == [
        "floor-manager",
        "ops-on-call",
    ]


def test_escalated_transitions_reach_the_dashboards_and_name_the_level() -> None:
    world = World()
    world.observe(340)
    world.advance(30)
    pushed = [m for m in world.poster.messages("c-ana") if m["transition"] == "escalated"]
    assert [(m["note"], m["queue_id"], m["metric"]) for m in pushed] == [
        ("team-supervisor", "billing", "longest_wait_seconds")
    ]
    (page,) = [page for page in world.pages if page.topic_arn == ESCALATION_TOPIC]
    assert page.message.sms is not None
    assert page.message.sms.startswith("ESC 1/3 team-supervisor: CRITICAL queue:billing")


def test_muted_openings_schedule_nothing() -> None:
    world = World()
    opened = world.observe(340)[0]
    policy = world.policy
    rule = world.rule()
    assert policy.first_check(replace(opened, notify=False), rule, T0) is None
    assert policy.first_check(replace(opened, severity=Severity.WARNING), rule, T0) is None
    assert policy.first_check(replace(opened, transition=TransitionKind.RESOLVED), rule, T0) is None
    assert policy.first_check(opened, rule.model_copy(update={"ack_within": None}), T0) is None
    assert policy.first_check(opened, rule, T0, current_level=3) is None


def test_check_messages_round_trip_and_refuse_garbage() -> None:
    check = EscalationCheck(
        alert_id="a1", rule="r", scope="queue:q", level=2, due_at=T0 + timedelta(seconds=90), team_id="t"
    )
    assert EscalationCheck.from_message(check.to_message()) == check
    assert check.delay_seconds(T0) == 90
    assert check.delay_seconds(T0 + timedelta(hours=1)) == 0
    assert check.delay_seconds(T0 - timedelta(hours=1)) == 900
    for body in (
        "",
        "{}",
        '{"alert_id": "a", "rule": "r", "scope": "s", "level": 0, "due_at": "2026-11-30T09:00:00Z"}',
        '{"alert_id": "a", "rule": "r", "scope": "s", "level": 1, "due_at": "2026-11-30T09:00:00"}',
    ):
        with pytest.raises(ValueError, match="not an escalation check"):
            EscalationCheck.from_message(body)


def test_a_chain_naming_a_level_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        EscalationPolicy(("a", "b", "a"))


def test_a_conflict_storm_is_raised_for_the_queue_to_retry() -> None:
    class AlwaysConflicting(InMemoryAlertStore):
        def save(self, previous_version: int, state: AlertState, transitions: list) -> None:  # type: ignore[override]
            if any(t.transition is TransitionKind.ESCALATED for t in transitions):
                raise AlertConflict(state.key, previous_version)
            super().save(previous_version, state, transitions)

    world = World(alerts=AlwaysConflicting())
    world.observe(340)
    world.clock.advance(30)
    (check,) = world.queue.receive()
    with pytest.raises(AlertConflict):
        world.service.run(check)
