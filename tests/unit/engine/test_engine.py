"""The engine on hand-built event sequences: every alert semantic of issue 3, end to end through the
fold, the in-memory metric store, the state machine and the in-memory alert store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from floorwatch.alerts.model import Severity, TransitionKind
from floorwatch.engine import Engine
from floorwatch.events.model import EventType
from floorwatch.metrics.fold import fold
from floorwatch.rules.config import INCIDENT_RULE_ID

from tests.unit.engine.helpers import (
    LONGEST_WAIT,
    LONGEST_WAIT_NOW,
    SHARD,
    Harness,
    at,
    event,
    kinds,
    snapshot,
)


def breach(*seconds: float, wait: float = 130.0, queue: str = "billing") -> list:
    return [snapshot(second, queue, longest_wait_seconds=wait) for second in seconds]


# --- for / pending ---------------------------------------------------------------------------------


def test_opens_after_exactly_for_and_not_before() -> None:
    harness = Harness(LONGEST_WAIT)
    assert harness.each(*breach(0, 20, 40, 59)) == []
    opened = harness.each(*breach(60))
    assert kinds(opened) == [("opened", "warning", "queue:billing")]
    assert opened[0].at == at(60)
    assert opened[0].value == 130.0 and opened[0].threshold == 120.0


def test_a_breach_shorter_than_for_raises_nothing() -> None:
    harness = Harness(LONGEST_WAIT)
    harness.each(*breach(0, 30, 50))
    harness.each(snapshot(55, longest_wait_seconds=100))  # one evaluation back in range resets the timer
    harness.each(*breach(70, 100, 125))
    assert harness.recorded == []
    assert kinds(harness.each(*breach(130))) == [("opened", "warning", "queue:billing")]


def test_a_tick_opens_a_pending_alert_when_events_stop() -> None:
    harness = Harness(LONGEST_WAIT)
    harness.each(*breach(0))
    assert harness.tick(30) == []
    opened = harness.tick(60)
    assert kinds(opened) == [("opened", "warning", "queue:billing")]
    assert opened[0].at == at(60)


# --- tiers, hysteresis, resolve ---------------------------------------------------------------------


def test_upgrade_then_downgrade_only_past_the_hysteresis_band_then_resolve() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    steps = [
        (0, 130, [("opened", "warning")]),
        (10, 310, [("upgraded", "critical")]),
        (20, 280, []),  # inside the critical band (270..300): stays critical
        (30, 271, []),
        (40, 260, [("downgraded", "warning")]),
        (50, 110, []),  # inside the warning band (108..120)
        (60, 100, [("resolved", "warning")]),
        (70, 100, []),
    ]
    for second, wait, expected in steps:
        found = harness.each(snapshot(second, longest_wait_seconds=wait))
        assert [(item.transition.value, item.severity.value) for item in found] == expected, second
    thresholds = [(item.transition.value, item.threshold) for item in harness.recorded]
    assert thresholds == [("opened", 120.0), ("upgraded", 300.0), ("downgraded", 300.0), ("resolved", 120.0)]
    # One alert: every transition carries the same alert id, versions count up.
    assert len({item.alert_id for item in harness.recorded}) == 1
    assert [item.version for item in harness.recorded] == [1, 2, 3, 4]


def test_flapping_alert_is_marked_and_muted() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    for round_ in range(5):
        harness.each(snapshot(round_ * 60, longest_wait_seconds=130))
        harness.each(snapshot(round_ * 60 + 30, longest_wait_seconds=50))
    names = [item.transition.value for item in harness.recorded]
    assert names.count("flapping_started") == 1
    started = names.index("flapping_started")
    assert names[: started + 1] == ["opened", "resolved"] * 3 + ["opened", "flapping_started"]
    flapping_notice = harness.recorded[started]
    assert flapping_notice.notify is True
    assert all(not item.notify for item in harness.recorded[started + 1 :])
    # Stable for 30 minutes (no open, no resolve) -> flapping stops, said once, at a tick.
    stopped = harness.live(4 * 60 + 30 + 30 * 60)
    assert [item.transition for item in stopped] == [TransitionKind.FLAPPING_STOPPED]


# --- duplicates, late events, isolation ---------------------------------------------------------------

ABANDONS = """
- id: queue-abandons
  metric: contacts_abandoned
  scope: queue
  direction: above
  tiers: {warning: 2}
  window: 5m
"""


def test_duplicate_events_are_counted_once_and_alert_once() -> None:
    harness = Harness(ABANDONS)
    first = [event(EventType.CONTACT_ABANDONED, second, queue_id="billing") for second in (1, 2)]
    harness.feed(*first)
    harness.feed(*first)  # the same Kinesis batch delivered again
    harness.feed(first[0], first[1], first[0])
    assert harness.recorded == []
    third = event(EventType.CONTACT_ABANDONED, 3, queue_id="billing")
    assert kinds(harness.feed(third)) == [("opened", "warning", "queue:billing")]
    assert harness.feed(third) == []  # re-delivered: no second transition
    assert [item.value for item in harness.recorded] == [3.0]


def test_a_late_event_does_not_rewind_an_alert() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    harness.each(snapshot(100, longest_wait_seconds=310))
    late = harness.each(snapshot(50, longest_wait_seconds=10))  # older than what was evaluated
    assert late == []
    assert harness.alerts.active()[0].severity is Severity.CRITICAL
    assert kinds(harness.each(snapshot(110, longest_wait_seconds=10))) == [
        ("resolved", "critical", "queue:billing")
    ]


def test_late_counters_still_count() -> None:
    harness = Harness(ABANDONS)
    harness.feed(event(EventType.CONTACT_ABANDONED, 100, queue_id="billing"))
    harness.feed(event(EventType.CONTACT_ABANDONED, 10, queue_id="billing"))  # late, same window
    opened = harness.feed(event(EventType.CONTACT_ABANDONED, 110, queue_id="billing"))
    assert kinds(opened) == [("opened", "warning", "queue:billing")]


def test_scopes_are_isolated() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    harness.feed(*breach(0, queue="billing"), snapshot(0, "sales", longest_wait_seconds=10))
    assert {item.scope for item in harness.recorded} == {"queue:billing"}
    harness.feed(snapshot(10, "sales", longest_wait_seconds=400))
    assert kinds(harness.recorded) == [
        ("opened", "warning", "queue:billing"),
        ("opened", "critical", "queue:sales"),
    ]
    harness.feed(snapshot(20, "sales", longest_wait_seconds=10))
    alerts = [state for state in harness.alerts.active() if state.rule_id != INCIDENT_RULE_ID]
    assert [state.scope for state in alerts] == ["queue:billing"]


def test_one_open_alert_per_rule_and_scope() -> None:
    harness = Harness(LONGEST_WAIT_NOW)
    harness.each(*breach(0, 10, 20, 30, wait=200))
    assert kinds(harness.recorded) == [("opened", "warning", "queue:billing")]


# --- match rules --------------------------------------------------------------------------------------

COMPLIANCE = """
- id: contact-compliance-breach
  match:
    type: compliance
    labels: {category: [card-number-spoken]}
  scope: contact
  severity: critical
  resolve_after: 10m
  join_url: "https://connect.example.com/contacts/{contact_id}?queue={queue_id}"
"""


def compliance(seconds: float, contact: str = "c-1", category: str = "card-number-spoken") -> object:
    return event(
        EventType.COMPLIANCE,
        seconds,
        contact_id=contact,
        queue_id="billing",
        team_id="team-a",
        agent_id="a-1",
        labels={"category": category},
    )


def test_a_match_opens_at_once_with_context_and_repeats_do_not_open_again() -> None:
    harness = Harness(COMPLIANCE)
    assert harness.feed(compliance(0, category="small-talk")) == []
    opened = harness.feed(compliance(5))
    assert kinds(opened) == [("opened", "critical", "contact:c-1")]
    transition = opened[0]
    assert (transition.queue_id, transition.team_id) == ("billing", "team-a")
    assert transition.link == "https://connect.example.com/contacts/c-1?queue=billing"
    assert transition.metric is None
    assert harness.feed(compliance(30), compliance(40)) == []
    assert harness.alerts.active()[0].match_count == 3
    assert harness.live(30 + 9 * 60) == []
    resolved = harness.live(40 + 10 * 60)
    assert kinds(resolved) == [("resolved", "critical", "contact:c-1")]


def test_a_redelivered_match_is_not_counted_twice() -> None:
    harness = Harness(COMPLIANCE)
    batch = [compliance(5), compliance(6)]
    harness.feed(*batch)
    harness.feed(*batch)
    assert harness.alerts.active()[0].match_count == 2
    assert len(harness.recorded) == 1


# --- context, staleness, agents -----------------------------------------------------------------------

AGENT_HOLD = """
- id: agent-on-hold-too-long
  metric: agent_on_hold_seconds
  scope: agent
  direction: above
  tiers: {warning: 180}
  join_url: "https://floor.example.com/agents/{agent_id}/team/{team_id}"
"""


def agent_state(seconds: float, state: str, agent: str = "a-1") -> object:
    return event(
        EventType.AGENT_STATE,
        seconds,
        agent_id=agent,
        team_id="team-a",
        queue_id="billing",
        labels={"state": state},
    )


def test_agent_alerts_open_on_ticks_and_carry_team_and_queue() -> None:
    harness = Harness(AGENT_HOLD)
    harness.feed(agent_state(0, "on_hold"))
    assert harness.tick(180) == []
    opened = harness.tick(190)
    assert kinds(opened) == [("opened", "warning", "agent:a-1")]
    assert (opened[0].queue_id, opened[0].team_id, opened[0].metric) == (
        "billing",
        "team-a",
        "agent_on_hold_seconds",
    )
    assert opened[0].link == "https://floor.example.com/agents/a-1/team/team-a"


def test_a_cold_engine_takes_context_from_the_previous_transition() -> None:
    harness = Harness(AGENT_HOLD)
    harness.feed(agent_state(0, "on_hold"))
    harness.tick(190)
    cold = Engine(harness.engine.rules, harness.metrics, harness.alerts)  # knows no agent yet
    available = agent_state(200, "available")  # applied by another process: `cold` never saw it
    harness.metrics.apply(SHARD, [available], fold([available]))
    resolved = cold.tick(at(210))
    assert kinds(resolved) == [("resolved", "warning", "agent:a-1")]
    assert (resolved[0].queue_id, resolved[0].team_id) == ("billing", "team-a")
    assert resolved[0].link == "https://floor.example.com/agents/a-1/team/team-a"


FEED_STALE = """
- id: feed-stale
  metric: feed_staleness_seconds
  scope: feed
  direction: above
  tiers: {warning: 120, critical: 300}
"""


def test_a_quiet_feed_alerts_on_ticks_and_resolves_when_it_speaks() -> None:
    harness = Harness(FEED_STALE)
    harness.feed(snapshot(0, longest_wait_seconds=1))
    assert harness.tick(120) == []
    assert kinds(harness.tick(130)) == [("opened", "warning", "feed:generic")]
    assert kinds(harness.tick(310)) == [("upgraded", "critical", "feed:generic")]
    assert kinds(harness.tick(3600)) == []  # still critical, however long the silence
    assert kinds(harness.feed(snapshot(320, longest_wait_seconds=1))) == [
        ("resolved", "critical", "feed:generic")
    ]


# --- queue rules with filters and ratios ---------------------------------------------------------------

SERVICE_LEVEL = """
- id: queue-service-level
  metric: service_level
  scope: queue
  queues: [billing]
  direction: below
  tiers: {warning: 0.8, critical: 0.7}
  clear: 0.95
  min_samples: 10
"""


def answered(seconds: float, wait: float, queue: str = "billing") -> object:
    return event(EventType.CONTACT_ANSWERED, seconds, queue_id=queue, values={"wait_seconds": wait})


def test_min_samples_and_filters() -> None:
    harness = Harness(SERVICE_LEVEL)
    # Nine slow answers: below target but fewer samples than min_samples -> no verdict.
    harness.feed(*[answered(second, 60) for second in range(9)])
    assert harness.recorded == []
    opened = harness.feed(answered(9, 60))
    assert kinds(opened) == [("opened", "critical", "queue:billing")]
    assert opened[0].value == 0.0 and opened[0].metric == "service_level"
    # The rule only watches billing.
    harness.feed(*[answered(second, 60, queue="sales") for second in range(20)])
    assert {item.scope for item in harness.recorded} == {"queue:billing"}


# --- baselines --------------------------------------------------------------------------------------------

BASELINED = """
- id: queue-longest-wait
  metric: longest_wait_seconds
  scope: queue
  direction: above
  tiers: {warning: 120, critical: 300}
  baseline: {warning_sigma: 3, critical_sigma: 5, min_history: 1h, min_periods: 1}
"""


def _lookup(center: float, sigma: float) -> object:
    from floorwatch.rules.baselines import Baseline

    class Lookup:
        def lookup(self, scope: str, metric: str, when: object, zone: object = None) -> Baseline:
            return Baseline(
                scope=scope,
                metric="longest_wait_seconds",
                seasonality="hour_of_week",
                slot=0,
                center=center,
                sigma=sigma,
                samples=48,
                window=timedelta(minutes=15),
                since=at(-7 * 86400),
                until=at(0),
            )

    return Lookup()


def test_a_usable_baseline_tightens_the_tiers_and_the_alert_says_why() -> None:
    static = Harness(BASELINED)
    adaptive = Harness(BASELINED, baselines=_lookup(20.0, 10.0))
    for harness in (static, adaptive):
        harness.feed(snapshot(0, longest_wait_seconds=70))
    assert static.recorded == []
    assert kinds(adaptive.recorded) == [("opened", "warning", "queue:billing")]
    opened = adaptive.recorded[0]
    assert opened.threshold == 60.0  # center 20 + 3 sigma, floored at half of 120
    assert opened.basis == "usual for Mon 00:00 is 20s ± 10s; warning at 60s (rule limit)"


def test_a_normal_peak_for_the_hour_does_not_alert_where_the_static_tier_would() -> None:
    static = Harness(BASELINED)
    adaptive = Harness(BASELINED, baselines=_lookup(170.0, 20.0))
    for harness in (static, adaptive):
        harness.feed(snapshot(0, longest_wait_seconds=180))
    assert kinds(static.recorded) == [("opened", "warning", "queue:billing")]
    assert static.recorded[0].basis is None  # no baselines in this engine: nothing adaptive to explain
    assert adaptive.recorded == []  # warning at 230 s for this hour
    adaptive.feed(snapshot(60, longest_wait_seconds=400))  # past the absolute critical: pages anyway
    assert kinds(adaptive.recorded) == [("opened", "critical", "queue:billing")]
    assert adaptive.recorded[0].basis == "usual for Mon 00:00 is 170s ± 20s; critical at 300s (rule limit)"


@pytest.mark.parametrize("empty", [[], ()])
def test_an_empty_batch_does_nothing(empty: list) -> None:
    harness = Harness(LONGEST_WAIT)
    assert harness.engine.process(SHARD, empty) == []


# --- no data for a whole window ------------------------------------------------------------------------

SENTIMENT = """
- id: contact-sentiment-collapse
  metric: sentiment
  scope: contact
  direction: below
  tiers: {warning: -0.3, critical: -0.6}
  window: 5m
  min_samples: 2
"""


def utterance(seconds: float, score: float) -> object:
    return event(EventType.SENTIMENT, seconds, contact_id="c-7", queue_id="billing", values={"score": score})


def test_an_alert_on_a_contact_that_went_quiet_resolves_once_its_window_is_empty() -> None:
    harness = Harness(SENTIMENT)
    opened = harness.each(utterance(0, -0.9), utterance(10, -0.8))
    assert kinds(opened) == [("opened", "critical", "contact:c-7")]
    # The contact ended: no utterance any more. Within the window nothing changes...
    assert harness.tick(240) == []
    # ...once the 5-minute window holds no sample at all, the alert closes instead of firing forever.
    resolved = harness.tick(370)
    assert kinds(resolved) == [("resolved", "critical", "contact:c-7")]
    assert resolved[0].value is None
    # Its incident stays open close_after (5 minutes) to take a relapse back, then closes.
    harness.live(370 + 300)
    assert harness.alerts.active() == []
    # No page: the rule notifies the dashboard only.
    assert [item.transition.value for item in harness.incidents] == ["opened", "resolved"]


def test_fewer_samples_than_min_samples_is_still_no_verdict() -> None:
    harness = Harness(SENTIMENT)
    harness.each(utterance(0, -0.9), utterance(10, -0.8))
    harness.each(utterance(290, 0.9))
    # At 330 the window (buckets after 09:00:30) holds one sample: below min_samples, no verdict, it holds.
    assert harness.tick(330) == []
    alerts = [state for state in harness.alerts.active() if state.rule_id != INCIDENT_RULE_ID]
    assert [state.status.value for state in alerts] == ["firing"]


def test_a_tick_far_ahead_of_the_data_does_not_judge_what_is_not_processed_yet() -> None:
    """A Kinesis backlog: the wall-clock tick runs 20 minutes ahead of the newest event."""
    harness = Harness(LONGEST_WAIT_NOW + FEED_STALE)
    harness.feed(snapshot(0, longest_wait_seconds=310))
    assert kinds(harness.recorded) == [("opened", "critical", "queue:billing")]
    ticked = harness.tick(20 * 60)
    # The silence is reported (that is what staleness rules are for)...
    assert kinds(ticked) == [("opened", "critical", "feed:generic")]
    # ...but the gauge is judged at most 5 minutes past the data: still in its window, the alert holds.
    assert [state.scope for state in harness.alerts.active() if state.rule_id == "queue-longest-wait"] == [
        "queue:billing"
    ]
    # When the backlog drains, the late data is evaluated as usual (the feed alert, judged at the
    # tick's time, closes with the first event after it).
    assert kinds(harness.feed(snapshot(19 * 60, longest_wait_seconds=10))) == [
        ("resolved", "critical", "queue:billing")
    ]
    assert kinds(harness.feed(snapshot(20 * 60 + 5, longest_wait_seconds=10))) == [
        ("resolved", "critical", "feed:generic")
    ]
