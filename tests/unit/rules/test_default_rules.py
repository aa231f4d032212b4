"""The rule set shipped in the package validates against the real catalog and covers the floor's KPIs."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources

import pytest
from floorwatch.alerts.model import Severity
from floorwatch.events.model import EventType
from floorwatch.metrics.catalog import known_metrics
from floorwatch.metrics.model import ScopeKind
from floorwatch.rules.config import (
    Direction,
    MatchRule,
    NotifyChannel,
    RuleSet,
    ThresholdRule,
    load_default_rules,
    parse_rules,
)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_default_rules()


def threshold(rules: RuleSet, metric: str) -> ThresholdRule:
    [rule] = [rule for rule in rules.threshold_rules() if rule.metric == metric]
    return rule


def test_the_file_is_package_data_and_validates_against_the_catalog() -> None:
    text = resources.files("floorwatch.rules").joinpath("default_rules.yaml").read_text(encoding="utf-8")
    assert len(parse_rules(text, "default_rules.yaml", known_metrics())) == len(load_default_rules())


def test_it_covers_the_kpis_supervisors_watch(rules: RuleSet) -> None:
    assert rules.metrics() == {
        "service_level",
        "longest_wait_seconds",
        "contacts_in_queue",
        "abandon_rate",
        "average_speed_of_answer",
        "average_handle_time",
        "agents_available",
        "agents_not_ready_share",
        "agent_on_hold_seconds",
        "agent_after_contact_work_seconds",
        "agent_not_ready_seconds",
        "sentiment",
        "silence_surprise",
    }


def test_service_level_pages_under_half_and_warns_clearly_under_target(rules: RuleSet) -> None:
    rule = threshold(rules, "service_level")
    assert (rule.scope, rule.direction) == (ScopeKind.QUEUE, Direction.BELOW)
    assert rule.threshold(Severity.WARNING) == 0.70  # judged by the Wilson bound: clearly under 80/20
    assert rule.threshold(Severity.CRITICAL) == 0.50  # the page: where customers feel it
    assert rule.window == timedelta(minutes=5)  # a spike shows within minutes
    assert rule.min_samples > 0 and rule.confidence is not None and rule.sparse_window is not None
    # A ratio tops out at 1: the clear levels must be reachable or the alert could never resolve.
    assert all(rule.clear_level(level) < 1 for _, level in rule.tiers.levels())


def test_usual_targets(rules: RuleSet) -> None:
    wait = threshold(rules, "longest_wait_seconds")
    assert [level for _, level in wait.tiers.levels()] == [120, 300]
    abandon = threshold(rules, "abandon_rate")
    assert (abandon.threshold(Severity.WARNING), abandon.threshold(Severity.CRITICAL)) == (0.10, 0.20)
    assert abandon.confidence is not None and abandon.sparse_window is not None  # small queues judged
    hold = threshold(rules, "agent_on_hold_seconds")
    assert (hold.scope, hold.threshold(Severity.WARNING), hold.threshold(Severity.CRITICAL)) == (
        ScopeKind.AGENT,
        300,
        420,
    )
    aht = threshold(rules, "average_handle_time")
    assert aht.severities() == (Severity.WARNING,)
    available = threshold(rules, "agents_available")
    assert available.direction is Direction.BELOW
    stale = rules.get("feed-stale")
    # Judged against the feed's own cadence: a dead pipeline at a busy hour pages, a quiet night does not.
    assert isinstance(stale, ThresholdRule) and stale.metric == "silence_surprise"
    assert (stale.scope, stale.severities()) == (ScopeKind.FEED, (Severity.WARNING,))
    center = rules.get("center-stopped-reporting")  # the whole pipeline silent: that pages
    assert isinstance(center, ThresholdRule) and center.metric == "silence_surprise"
    assert "sms" in [channel.value for channel in center.channels(Severity.CRITICAL)]
    stopped = rules.get("queue-stopped-reporting")
    assert isinstance(stopped, ThresholdRule) and stopped.scope is ScopeKind.QUEUE


def test_sentiment_collapse_is_per_contact_over_a_few_minutes(rules: RuleSet) -> None:
    rule = threshold(rules, "sentiment")
    assert (rule.scope, rule.direction) == (ScopeKind.CONTACT, Direction.BELOW)
    assert (rule.threshold(Severity.WARNING), rule.threshold(Severity.CRITICAL)) == (-0.6, -0.7)
    assert rule.min_samples == 5  # four of five remarks negative: an unhappy caller is not a collapse
    assert rule.window <= timedelta(minutes=5)


def test_compliance_breaches_are_critical_and_text_someone(rules: RuleSet) -> None:
    [compliance] = [rule for rule in rules.match_rules() if rule.severity is Severity.CRITICAL]
    assert compliance.match.type is EventType.COMPLIANCE
    assert "card-number-spoken" in compliance.match.labels["category"]
    assert NotifyChannel.SMS in compliance.channels(Severity.CRITICAL)
    assert compliance.scope is ScopeKind.CONTACT


def test_a_customer_asking_for_a_supervisor_raises_an_alert_on_the_contact(rules: RuleSet) -> None:
    matches: list[MatchRule] = [
        rule
        for rule in rules.match_rules()
        if "supervisor-requested" in rule.match.labels.get("category", ())
    ]
    assert [rule.scope for rule in matches] == [ScopeKind.CONTACT]


def test_every_critical_expects_an_acknowledgement_within_30_seconds(rules: RuleSet) -> None:
    criticals = [rule for rule in rules if Severity.CRITICAL in rule.severities()]
    assert len(criticals) >= 8
    assert all(rule.ack_within == timedelta(seconds=30) for rule in criticals), [
        rule.id for rule in criticals if rule.ack_within != timedelta(seconds=30)
    ]
