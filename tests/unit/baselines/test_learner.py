"""The learner over hand-built metric histories, at injected instants (event time, no wall clock)."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.alerts.model import Severity
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.fold import fold
from floorwatch.rules.baselines import SlotKey, adaptive_thresholds, hour_of_week
from floorwatch.rules.baselines_learner import BaselineLearner
from floorwatch.rules.config import RulesError, RuleSet, ThresholdRule, parse_rules
from floorwatch.store.baselines_memory import InMemoryBaselineStore, InMemoryScopeDirectory
from floorwatch.store.metrics_memory import InMemoryMetricStore

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a Monday
NOW = START + timedelta(days=8, minutes=30)  # Tuesday 2026-11-24 00:30
SHARD = "shardId-000000000000"


def rules(extra: str = "", *, window: str = "5m", queues: str = "") -> RuleSet:
    text = textwrap.dedent(
        f"""\
        - id: queue-longest-wait
          metric: longest_wait_seconds
          scope: queue
          direction: above
          window: {window}
          tiers: {{warning: 120, critical: 300}}
          baseline: {{warning_sigma: 3, critical_sigma: 5, min_periods: 1}}
        {queues}
        - id: queue-abandon
          metric: abandon_rate
          scope: queue
          direction: above
          tiers: {{warning: 0.2}}
        """
    )
    return parse_rules(text + textwrap.dedent(extra), "rules.yaml")


def wait_pattern(at: datetime) -> float:
    """Busy Mondays 09:00-12:00 (90 s +- 10), calm otherwise (20 s +- 4)."""
    wobble = (at.day + at.minute // 5) % 5 - 2  # -2..2, shifting from day to day
    if at.weekday() == 0 and 9 <= at.hour < 12:
        return 90.0 + 5 * wobble
    return 20.0 + 2 * wobble


def history(
    queues: tuple[str, ...] = ("billing",), start: datetime = START, end: datetime = NOW
) -> InMemoryMetricStore:
    """One snapshot a minute per queue from ``start`` to ``end``."""
    store = InMemoryMetricStore()
    minute = start
    batch: list[CxEvent] = []
    while minute < end:
        for queue in queues:
            batch.append(
                CxEvent(
                    event_id=f"{queue}-{minute.isoformat()}",
                    source=Source.GENERIC,
                    type=EventType.QUEUE_SNAPSHOT,
                    occurred_at=minute + timedelta(seconds=10),
                    queue_id=queue,
                    values={"longest_wait_seconds": wait_pattern(minute)},
                )
            )
        if len(batch) >= 600:
            store.apply(SHARD, batch, fold(batch))
            batch = []
        minute += timedelta(minutes=1)
    if batch:
        store.apply(SHARD, batch, fold(batch))
    return store


def learner(metrics: InMemoryMetricStore) -> tuple[BaselineLearner, InMemoryBaselineStore]:
    store = InMemoryBaselineStore()
    return BaselineLearner(metrics, store, InMemoryScopeDirectory(metrics)), store


def watched_rule(ruleset: RuleSet) -> ThresholdRule:
    rule = ruleset.get("queue-longest-wait")
    assert isinstance(rule, ThresholdRule)
    return rule


@pytest.fixture(scope="module")
def week() -> InMemoryMetricStore:
    return history()


def test_a_first_run_learns_the_past_week_hour_by_hour(week: InMemoryMetricStore) -> None:
    learn, store = learner(week)
    report = learn.learn(rules(), NOW)
    # 2026-11-17 00:00 .. 2026-11-24 00:00: the hour ending 00:00 is the last one that settled
    assert report.pairs == 1 and report.hours_learned == 7 * 24
    assert report.samples == 7 * 24 * 12
    busy = store.lookup("queue:billing", "longest_wait_seconds", datetime(2026, 11, 30, 10, 17, tzinfo=UTC))
    calm = store.lookup("queue:billing", "longest_wait_seconds", datetime(2026, 11, 30, 14, 2, tzinfo=UTC))
    assert busy is not None and calm is not None
    assert busy.samples == 12 and 85 <= busy.center <= 95
    assert 18 <= calm.center <= 22
    assert busy.slot == hour_of_week(datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert busy.since == datetime(2026, 11, 17, 0, tzinfo=UTC)
    assert busy.until == datetime(2026, 11, 24, 0, tzinfo=UTC)
    # a pattern the static tiers would miss: a 60 s wait on a calm afternoon breaches the adapted warning
    adapted = dict(adaptive_thresholds(watched_rule(rules()), calm).levels())
    assert adapted[Severity.WARNING] == 60  # floor: 20 + 3 * sigma is lower
    busy_tiers = dict(adaptive_thresholds(watched_rule(rules()), busy).levels())
    # the busy Monday morning is normal for its hour: its warning loosens past the static 120 (at most
    # to the static critical, 300)
    assert 120 < busy_tiers[Severity.WARNING] <= 300


def test_runs_are_idempotent_and_only_learn_new_hours(week: InMemoryMetricStore) -> None:
    learn, store = learner(week)
    learn.learn(rules(), NOW - timedelta(hours=1))
    key = SlotKey(
        "queue:billing",
        "longest_wait_seconds",
        "hour_of_week",
        hour_of_week(START + timedelta(days=7, hours=23)),
    )
    before = store.slot_history(key)
    again = learn.learn(rules(), NOW - timedelta(hours=1))
    assert again.hours_learned == 0 and store.slot_history(key) == before
    later = learn.learn(rules(), NOW)
    assert later.hours_learned == 1 and later.samples == 12
    assert len(store.slot_history(key).values()) == 24  # Monday 23:00 of two weeks
    # a crash after the slots were saved but before the watermark moved: the hour is learned again
    state = store.pair("queue:billing", "longest_wait_seconds")
    assert state is not None
    store.save_pair(
        "queue:billing",
        "longest_wait_seconds",
        replace(state, learned_until=state.learned_until - timedelta(hours=1)),
    )
    assert learn.learn(rules(), NOW).hours_learned == 1
    assert len(store.slot_history(key).values()) == 24  # replaced, not appended


def test_only_rules_with_baseline_config_and_their_filtered_scopes_are_learned() -> None:
    metrics = history(queues=("billing", "sales"), start=NOW - timedelta(hours=3))
    learn, store = learner(metrics)
    report = learn.learn(rules(queues="  queues: [sales]"), NOW)
    assert store.pairs() == [("queue:sales", "longest_wait_seconds")]
    assert report.pairs == 1


def test_since_is_the_first_hour_with_data_so_young_pairs_stay_static() -> None:
    metrics = history(start=NOW - timedelta(days=2))
    learn, store = learner(metrics)
    learn.learn(rules(), NOW)
    baseline = store.lookup("queue:billing", "longest_wait_seconds", NOW - timedelta(hours=2))
    assert baseline is not None
    assert baseline.since == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    assert baseline.watched == timedelta(days=2)
    assert adaptive_thresholds(watched_rule(rules()), baseline) == watched_rule(rules()).tiers


def test_a_rule_whose_window_changes_restarts_its_pair(week: InMemoryMetricStore) -> None:
    learn, store = learner(week)
    learn.learn(rules(), NOW)
    report = learn.learn(rules(window="10m"), NOW)
    assert report.restarted == ["queue:billing#longest_wait_seconds"]
    assert report.hours_learned == 7 * 24
    baseline = store.lookup("queue:billing", "longest_wait_seconds", NOW - timedelta(hours=3))
    assert baseline is not None and baseline.window == timedelta(minutes=10)


def test_a_second_rule_on_the_same_metric_with_another_window_is_reported_shadowed(
    week: InMemoryMetricStore,
) -> None:
    extra = """\
    - id: queue-longest-wait-slow
      metric: longest_wait_seconds
      scope: queue
      direction: above
      window: 30m
      tiers: {critical: 600}
      baseline: {}
    """
    learn, _ = learner(week)
    report = learn.learn(rules(extra), NOW)
    assert report.shadowed == ["queue-longest-wait-slow"]


def test_instants_without_a_value_are_not_samples() -> None:
    # data only in the first 20 minutes of one hour: a 5-minute gauge window goes stale after that
    metrics = history(
        start=datetime(2026, 11, 23, 20, 0, tzinfo=UTC), end=datetime(2026, 11, 23, 20, 20, tzinfo=UTC)
    )
    learn, store = learner(metrics)
    report = learn.learn(rules(), NOW)
    key = SlotKey(
        "queue:billing",
        "longest_wait_seconds",
        "hour_of_week",
        hour_of_week(datetime(2026, 11, 23, 20, tzinfo=UTC)),
    )
    # instants 20:05 .. 20:20 see a snapshot within 5 minutes (20:00 precedes the first one at 20:00:10)
    assert store.slot_history(key).values() == [
        wait_pattern(datetime(2026, 11, 23, 20, m, tzinfo=UTC)) for m in (4, 9, 14, 19)
    ]
    assert report.samples == 4


def test_contact_scope_rules_cannot_ask_for_a_baseline() -> None:
    extra = """\
    - id: contact-sentiment
      metric: sentiment
      scope: contact
      direction: below
      tiers: {warning: -0.5}
      baseline: {}
    """
    # refused where rules are read, so the learner never sees one (it would have no weekly pattern)
    with pytest.raises(RulesError, match="learned for queue, team and center rules only"):
        rules(extra)
