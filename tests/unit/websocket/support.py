"""Builders shared by the WebSocket API tests: principals, firing alerts in a store, clocks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from floorwatch.alerts.state_machine import AlertState, evaluate_threshold
from floorwatch.metrics.model import MetricValue
from floorwatch.rules.config import RuleSet, ThresholdRule, load_default_rules
from floorwatch.store.alerts_port import AlertStore
from floorwatch.store.connections_port import Principal

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
RULES: RuleSet = load_default_rules()

AGENT = Principal(user="bob", role="agent", teams=("billing",), queues=("billing",))
SUPERVISOR = Principal(user="ana", role="supervisor", teams=("billing",), queues=("billing",))
OTHER_SUPERVISOR = Principal(user="tom", role="supervisor", teams=("tech",), queues=("tech",))
MANAGER = Principal(user="mo", role="manager")
OPS = Principal(user="oz", role="ops")
PRINCIPALS = {"agent": AGENT, "supervisor": SUPERVISOR, "manager": MANAGER, "ops": OPS}


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def open_alert(
    store: AlertStore,
    *,
    scope: str = "queue:billing",
    rule_id: str = "queue-longest-wait",
    value: float = 400.0,
    queue_id: str | None = "billing",
    team_id: str | None = None,
    at: datetime = T0 - timedelta(minutes=5),
) -> AlertState:
    """A firing alert saved the way the engine saves it (with the transition's context)."""
    rule = RULES.get(rule_id)
    assert isinstance(rule, ThresholdRule)
    state = AlertState.initial(rule_id, scope)
    transitions = []
    for offset in (0, int(rule.for_.total_seconds())):
        state, more = evaluate_threshold(rule, state, MetricValue(value, 100), at + timedelta(seconds=offset))
        transitions += more
    assert state.alert_id is not None
    context = [replace(t, queue_id=queue_id, team_id=team_id, metric=rule.metric) for t in transitions]
    store.save(0, state, context)
    return state
