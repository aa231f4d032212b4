"""Learning offline (`local.baselines_offline`) is the scheduled function on a recording: the baselines
learned from a file, learned while replaying, and learned by the baselines handler over the evaluator's
metric store give the same thresholds; a baselines file reads back to the same thresholds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from floorwatch.engine import Engine
from floorwatch.events.normalize import normalize_document
from floorwatch.rules.baselines import adaptive_thresholds, hour_start
from floorwatch.rules.baselines_learner import BaselineLearner
from floorwatch.rules.config import RuleSet, ThresholdRule, parse_rules
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.baselines_memory import InMemoryBaselineStore, InMemoryScopeDirectory
from floorwatch.store.baselines_port import BaselineLookup
from floorwatch.store.metrics_memory import InMemoryMetricStore
from handlers.baselines import build_handler

from local import baselines_file
from local.baselines_offline import learn, learn_from_events, replay_with_baselines

START = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # Sunday 21:00 in Berlin
END = START + timedelta(hours=30)
SHARD = "shardId-000000000000"
RULES = """\
timezone: UTC
centers:
  acme: {timezone: Europe/Berlin}
rules:
  - id: queue-longest-wait
    metric: longest_wait_seconds
    scope: queue
    direction: above
    window: 5m
    tiers: {warning: 120, critical: 300}
    baseline: {warning_sigma: 3, critical_sigma: 5, min_history: 2h, min_periods: 1}
  - id: center-waiting
    metric: contacts_in_queue
    scope: center
    direction: above
    window: 5m
    tiers: {warning: 40}
    baseline: {min_periods: 1}
"""


def wait(at: datetime) -> float:
    """Busy from 08:00 to 11:00 Berlin time, calm otherwise, with a wobble."""
    local_hour = (at + timedelta(hours=1)).hour
    wobble = (at.minute * 7) % 11
    return (90.0 if 8 <= local_hour < 11 else 15.0) + wobble


def recording() -> list[str]:
    """A snapshot a minute for two queues of center acme (generic payloads, one JSON line each)."""
    lines: list[str] = []
    minute = START
    while minute < END:
        for queue in ("billing", "sales"):
            lines.append(
                json.dumps(
                    {
                        "source": "generic",
                        "type": "queue_snapshot",
                        "occurred_at": (minute + timedelta(seconds=7)).isoformat(),
                        "center_id": "acme",
                        "queue_id": queue,
                        "values": {
                            "longest_wait_seconds": wait(minute),
                            "contacts_in_queue": wait(minute) / 4,
                        },
                    }
                )
            )
        minute += timedelta(minutes=1)
    return lines


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return parse_rules(RULES)


@pytest.fixture(scope="module")
def scheduled(rules: RuleSet) -> InMemoryBaselineStore:
    """The deployed path: the evaluator's engine folds each batch; the baselines handler runs hourly."""
    metrics = InMemoryMetricStore()
    store = InMemoryBaselineStore()
    engine = Engine(rules, metrics, InMemoryAlertStore(), baselines=store)
    handle = build_handler(rules, BaselineLearner(metrics, store, InMemoryScopeDirectory(metrics)))
    next_run = hour_start(START) + timedelta(hours=1)
    batch = []
    for line in recording():
        event = normalize_document(json.loads(line)).events[0]
        if event.occurred_at >= next_run:
            engine.process(SHARD, batch)
            batch = []
            while next_run <= event.occurred_at:
                handle({"source": "aws.events", "time": next_run.isoformat()}, None)
                next_run += timedelta(hours=1)
        batch.append(event)
    engine.process(SHARD, batch)
    while next_run <= hour_start(END) + timedelta(hours=1):
        handle({"time": next_run.isoformat()}, None)
        next_run += timedelta(hours=1)
    return store


def thresholds(rules: RuleSet, lookup: BaselineLookup) -> list[tuple[str, str, list[tuple[str, float]]]]:
    """Every rule's effective tiers for every scope, at every quarter hour of the recording."""
    found = []
    zone = rules.zone_of("acme")
    at = START
    while at < END + timedelta(hours=2):
        for rule in rules.threshold_rules():
            assert isinstance(rule, ThresholdRule)
            scopes = ["center:acme"] if rule.scope.value == "center" else ["queue:billing", "queue:sales"]
            for scope in scopes:
                tiers = adaptive_thresholds(rule, lookup.lookup(scope, rule.metric, at, zone)).levels()
                found.append((at.isoformat(), f"{rule.id} {scope}", [(s.value, v) for s, v in tiers]))
        at += timedelta(minutes=15)
    return found


def test_learning_a_recording_gives_the_scheduled_functions_thresholds(
    rules: RuleSet, scheduled: InMemoryBaselineStore
) -> None:
    learned = learn(recording(), rules)
    assert learned.counts.events == 2 * 30 * 60 and learned.counts.rejected == 0
    assert (
        learned.baselines.pairs()
        == scheduled.pairs()
        == [
            ("center:acme", "contacts_in_queue"),
            ("queue:billing", "longest_wait_seconds"),
            ("queue:sales", "longest_wait_seconds"),
        ]
    )
    assert thresholds(rules, learned.baselines) == thresholds(rules, scheduled)
    # Not trivially equal: the busy local morning has adapted warnings the calm night does not.
    state = learned.baselines.pair("queue:billing", "longest_wait_seconds")
    assert state is not None and state.timezone == "Europe/Berlin"
    distinct = {str(tiers) for _, name, tiers in thresholds(rules, learned.baselines) if "billing" in name}
    assert len(distinct) >= 3


def test_replay_with_learning_learns_what_the_scheduled_function_learns(
    rules: RuleSet, scheduled: InMemoryBaselineStore
) -> None:
    result = replay_with_baselines(rules, recording(), learn_as_it_goes=True)
    assert isinstance(result.baselines, InMemoryBaselineStore)
    # The replay stops with the last event: the scheduled function's last runs (after it) are not in it.
    last_run = hour_start(END - timedelta(seconds=1))
    for scope, metric in scheduled.pairs():
        replayed = result.baselines.pair(scope, metric)
        assert replayed is not None and replayed.learned_until == last_run - timedelta(hours=1)
    cutoff = (last_run - timedelta(hours=1)).isoformat()
    early = [row for row in thresholds(rules, scheduled) if row[0] < cutoff]
    assert [row for row in thresholds(rules, result.baselines) if row[0] < cutoff] == early


def test_a_baselines_file_reads_back_to_the_same_thresholds(
    rules: RuleSet, scheduled: InMemoryBaselineStore, tmp_path: Path
) -> None:
    learned = learn_from_events(recording(), rules)
    path = tmp_path / "baselines.json"
    assert baselines_file.save(learned, path, {"rules": "rules.yaml"}) == 3
    loaded = baselines_file.load(path)
    assert thresholds(rules, loaded) == thresholds(rules, scheduled)
    # Saving what was loaded gives the same bytes (a stable format), and it names its version.
    again = tmp_path / "again.json"
    baselines_file.save(loaded, again, {"rules": "rules.yaml"})
    assert again.read_bytes() == path.read_bytes()
    assert json.loads(path.read_text())["version"] == 1


def test_replay_with_baselines_alerts_on_what_is_unusual_for_the_hour(rules: RuleSet) -> None:
    # 70 s at 03:00 Berlin time on a Monday, whose usual wait is about 20 s: the learned warning (tightened
    # to its floor, 60 s) is breached; the static warning (120 s) stays quiet.
    learned = learn_from_events(recording(), rules)
    night = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    recorded = [
        json.dumps(
            {
                "source": "generic",
                "type": "queue_snapshot",
                "occurred_at": (night + timedelta(minutes=m)).isoformat(),
                "center_id": "acme",
                "queue_id": "billing",
                "values": {"longest_wait_seconds": 70.0},
            }
        )
        for m in range(3)
    ]
    with_baselines = replay_with_baselines(rules, recorded, baselines=learned)
    static = replay_with_baselines(rules, recorded)
    assert static.transitions == []
    opened = [t for t in with_baselines.transitions if t.rule == "queue-longest-wait"]
    assert [(t.transition.value, t.severity.value, t.threshold) for t in opened[:1]] == [
        ("opened", "warning", 60)
    ]
