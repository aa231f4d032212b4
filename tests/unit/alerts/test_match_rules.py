"""Match rules: single events open an alert on their scope; quiet resolves it; repeats never duplicate it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, AlertStatus, evaluate_match, tick_match
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.rules.config import MatchRule

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


CARD_NUMBER = MatchRule.model_validate(
    {
        "id": "card-number-spoken",
        "match": {"type": "compliance", "labels": {"category": "card-number-spoken"}},
        "scope": "contact",
        "severity": "critical",
        "resolve_after": "10m",
    }
)
VERY_NEGATIVE = MatchRule.model_validate(
    {
        "id": "very-negative",
        "match": {"type": "sentiment", "values": {"sentiment": "<= -0.8"}},
        "scope": "contact",
        "severity": "warning",
        "resolve_after": "5m",
    }
)


def event(second: float, contact: str = "c-1", **fields: Any) -> CxEvent:
    document: dict[str, Any] = {
        "event_id": f"e-{second}-{contact}",
        "source": Source.CONTACT_LENS,
        "type": EventType.COMPLIANCE,
        "occurred_at": t(second),
        "contact_id": contact,
        "labels": {"category": "card-number-spoken"},
    }
    document.update(fields)
    return CxEvent.model_validate(document)


class Run:
    def __init__(self, rule: MatchRule, scope: str = "contact:c-1") -> None:
        self.rule = rule
        self.state = AlertState.initial(rule.id, scope)
        self.transitions: list[Transition] = []

    def see(self, item: CxEvent) -> list[Transition]:
        self.state, new = evaluate_match(self.rule, self.state, item, item.occurred_at)
        self.transitions += new
        return new

    def tick(self, second: float) -> list[Transition]:
        self.state, new = tick_match(self.rule, self.state, t(second))
        self.transitions += new
        return new


def test_a_matching_event_opens_at_the_rule_severity() -> None:
    run = Run(CARD_NUMBER)
    [opened] = run.see(event(0))
    assert (opened.transition, opened.severity, opened.scope, opened.at) == (
        TransitionKind.OPENED,
        Severity.CRITICAL,
        "contact:c-1",
        t(0),
    )
    assert opened.notify
    assert run.state.match_count == 1


def test_repeated_matches_are_counted_not_reopened() -> None:
    run = Run(CARD_NUMBER)
    run.see(event(0))
    assert run.see(event(30)) == []
    assert run.see(event(60)) == []
    assert run.state.match_count == 3
    assert len(run.transitions) == 1


def test_it_resolves_after_the_quiet_period_counted_from_the_last_match() -> None:
    run = Run(CARD_NUMBER)
    run.see(event(0))
    run.see(event(300))
    assert run.tick(300 + 599) == []
    [resolved] = run.tick(300 + 600)
    assert (resolved.transition, resolved.severity) == (TransitionKind.RESOLVED, Severity.CRITICAL)
    assert run.state.status is AlertStatus.INACTIVE
    [again] = run.see(event(1000))
    assert again.transition is TransitionKind.OPENED
    assert again.alert_id != resolved.alert_id


def test_a_non_matching_event_is_only_the_passage_of_time() -> None:
    run = Run(CARD_NUMBER)
    assert run.see(event(0, labels={"category": "greeting-missed"})) == []
    assert run.state.status is AlertStatus.INACTIVE
    run.see(event(10))
    [resolved] = run.see(event(10 + 600, labels={"category": "greeting-missed"}))
    assert resolved.transition is TransitionKind.RESOLVED


def test_value_conditions_report_the_value_and_the_bound() -> None:
    run = Run(VERY_NEGATIVE)
    assert run.see(event(0, type=EventType.SENTIMENT, labels={}, values={"sentiment": -0.5})) == []
    [opened] = run.see(event(10, type=EventType.SENTIMENT, labels={}, values={"sentiment": -0.9}))
    assert (opened.value, opened.threshold) == (-0.9, -0.8)
    [resolved] = run.tick(10 + 300)
    assert (resolved.value, resolved.threshold) == (-0.9, -0.8)


def test_each_contact_has_its_own_alert() -> None:
    first, second = Run(CARD_NUMBER, "contact:c-1"), Run(CARD_NUMBER, "contact:c-2")
    [one] = first.see(event(0, "c-1"))
    [two] = second.see(event(0, "c-2"))
    assert one.alert_id != two.alert_id
    with pytest.raises(ValueError, match="belongs to contact:c-2"):
        first.see(event(5, "c-2"))


def test_an_event_without_the_scope_id_does_not_match() -> None:
    run = Run(CARD_NUMBER)
    assert run.see(event(0, contact_id=None, queue_id="billing")) == []
    assert run.state.status is AlertStatus.INACTIVE


def test_match_alerts_flap_like_any_other() -> None:
    rule = CARD_NUMBER.model_copy(update={"resolve_after": timedelta(minutes=1)})
    run = Run(rule)
    for cycle in range(4):
        run.see(event(cycle * 180))
        run.tick(cycle * 180 + 60)
    kinds = [(item.transition, item.notify) for item in run.transitions]
    assert kinds[-3:] == [
        (TransitionKind.OPENED, False),
        (TransitionKind.FLAPPING_STARTED, True),
        (TransitionKind.RESOLVED, False),
    ]
