"""The engine's writes: conflicts with other writers, failures half-way, what is (not) saved, watch list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import AlertState, snooze
from floorwatch.engine import AlertRetriesExhausted, Engine
from floorwatch.events.model import EventType
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.alerts_port import AlertConflict
from floorwatch.store.metrics_memory import InMemoryMetricStore
from floorwatch.store.watches import InMemoryWatchList, Watch

from tests.unit.engine.helpers import (
    LONGEST_WAIT_NOW,
    SHARD,
    Harness,
    at,
    event,
    kinds,
    members_only,
    rules,
    snapshot,
)
from tests.unit.engine.test_engine import AGENT_HOLD, agent_state


class RacingStore(InMemoryAlertStore):
    """Before our first save of a key, another writer saves the same state first (a concurrent batch)."""

    def __init__(self) -> None:
        super().__init__()
        self.raced = False

    def save(self, previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
        if not self.raced and transitions:
            self.raced = True
            super().save(previous_version, state, transitions)  # the other writer wins
        super().save(previous_version, state, transitions)


def test_a_conflict_reloads_and_recomputes_without_a_duplicate_transition() -> None:
    alerts = RacingStore()
    engine = Engine(rules(LONGEST_WAIT_NOW), InMemoryMetricStore(), alerts)
    found = engine.process(SHARD, [snapshot(0, longest_wait_seconds=130)])
    # The other writer recorded the opening; ours, recomputed on its state, had nothing more to say.
    assert found == []
    assert kinds(alerts.all_transitions()) == [("opened", "warning", "queue:billing")]


class AlwaysConflicting(InMemoryAlertStore):
    def save(self, previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
        raise AlertConflict(state.key, previous_version)


def test_endless_conflicts_fail_the_batch() -> None:
    engine = Engine(rules(LONGEST_WAIT_NOW), InMemoryMetricStore(), AlwaysConflicting(), max_attempts=3)
    with pytest.raises(AlertRetriesExhausted, match="queue-longest-wait"):
        engine.process(SHARD, [snapshot(0, longest_wait_seconds=130)])


class FailingOnce(InMemoryAlertStore):
    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    def save(self, previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("DynamoDB went away")
        super().save(previous_version, state, transitions)


def test_a_batch_failing_after_the_metric_write_converges_when_retried() -> None:
    batch = [event(EventType.CONTACT_ABANDONED, second, queue_id="billing") for second in range(3)]
    batch.append(snapshot(5, longest_wait_seconds=130))
    rule_text = LONGEST_WAIT_NOW + (
        "\n- id: queue-abandons\n  metric: contacts_abandoned\n  scope: queue\n  direction: above\n"
        "  tiers: {warning: 2}\n"
    )
    clean = Harness(rule_text)
    clean.feed(*batch)

    flaky = FailingOnce()
    engine = Engine(rules(rule_text), InMemoryMetricStore(), flaky)
    with pytest.raises(ConnectionError):
        engine.process(SHARD, batch)
    retried = members_only(engine.process(SHARD, batch))  # Lambda delivers the batch again
    assert [item.to_dict() for item in retried] == [item.to_dict() for item in clean.recorded]
    assert flaky.load(k for k in [("queue-abandons", "queue:billing")]) == clean.alerts.load(
        [("queue-abandons", "queue:billing")]
    )


def test_evaluations_that_change_nothing_write_nothing() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    harness.each(*[snapshot(second, longest_wait_seconds=10) for second in range(0, 300, 5)])
    assert harness.alerts.saves == 0
    harness.each(snapshot(300, longest_wait_seconds=130))
    harness.each(*[snapshot(second, longest_wait_seconds=140) for second in range(305, 400, 5)])
    # The opening (the alert, then its incident); a firing alert that stays put is not rewritten.
    assert harness.alerts.saves == 2  # the opening: the alert, then its incident


def test_a_pending_breach_is_written_when_it_starts_and_when_it_opens_not_in_between() -> None:
    harness = Harness(LONGEST_WAIT_NOW.replace("for: 0s", "for: 60s"))
    harness.each(*[snapshot(second, longest_wait_seconds=130) for second in range(0, 60, 5)])
    assert harness.alerts.saves == 1 and harness.recorded == []
    opened = harness.each(snapshot(60, longest_wait_seconds=130))
    assert [item.at for item in opened] == [at(60)]  # the unsaved evaluations still counted
    assert harness.alerts.saves == 3  # the pending breach, the opening, its incident


def test_an_expired_snooze_leaves_the_active_set_at_the_next_tick() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    harness.feed(snapshot(0, longest_wait_seconds=130))
    harness.feed(snapshot(10, longest_wait_seconds=10))  # resolved
    key = ("queue-longest-wait", "queue:billing")
    stored = harness.alerts.load([key])[key]
    snoozed, more = snooze(stored, at(600), at=at(20), user="sup")
    harness.alerts.save(stored.version, snoozed, more)
    assert key in [state.key for state in harness.alerts.active()]
    harness.live(300)
    assert key in [state.key for state in harness.alerts.active()]  # still snoozed
    harness.live(660)
    assert harness.alerts.active() == []


def test_agents_in_a_watched_state_are_on_the_watch_list_until_they_leave_it() -> None:
    watches = InMemoryWatchList()
    harness = Harness(AGENT_HOLD, watches=watches)
    harness.feed(agent_state(0, "available", agent="a-1"), agent_state(0, "available", agent="a-2"))
    assert watches.watched() == {} and watches.writes == 0
    harness.feed(agent_state(10, "on_hold", agent="a-1"))
    # Due when the 180 s tier can breach; with where the agent works, for a tick in another process.
    assert watches.watched() == {SHARD: {"agent:a-1": Watch(at(190), "billing", "team-a")}}
    harness.feed(agent_state(20, "available", agent="a-2"))
    assert watches.writes == 1  # unchanged membership is not rewritten
    # Another container (a cold engine on the same stores) ticks and finds the agent once due.
    cold = Engine(harness.engine.rules, harness.metrics, harness.alerts, watches=watches)
    assert cold.tick(at(185)) == []
    opened = members_only(cold.tick(at(195)))
    assert kinds(opened) == [("opened", "warning", "agent:a-1")]
    assert (opened[0].queue_id, opened[0].team_id) == ("billing", "team-a")
    harness.feed(agent_state(230, "available", agent="a-1"))
    assert watches.watched() == {SHARD: {}}


def test_replace_keeps_states_comparable() -> None:
    state = AlertState.initial("r", "queue:q")
    assert replace(state, last_value=1.0) != state
