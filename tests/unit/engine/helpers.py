"""Builders for the engine tests: rules from YAML text, events at T0 + seconds, an engine on memory stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from floorwatch.alerts.model import Transition
from floorwatch.engine import Engine
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.rules.config import INCIDENT_RULE_ID, RuleSet, parse_rules
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.metrics_memory import InMemoryMetricStore

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SHARD = "shardId-000000000000"
_ids = count()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def rules(text: str) -> RuleSet:
    return parse_rules(text, "test-rules.yaml")


def event(kind: EventType, seconds: float = 0.0, **fields: Any) -> CxEvent:
    fields.setdefault("event_id", f"ev-{next(_ids)}")
    fields.setdefault("source", Source.GENERIC)
    return CxEvent(type=kind, occurred_at=at(seconds), **fields)


def snapshot(seconds: float, queue: str = "billing", **values: float) -> CxEvent:
    return event(EventType.QUEUE_SNAPSHOT, seconds, queue_id=queue, values=values)


class Harness:
    """An engine on in-memory stores, fed one batch at a time like the Lambda (or replay).

    What ``feed``, ``each``, ``tick`` return and ``recorded`` holds are the alerts' own transitions; their
    incidents' transitions (floorwatch.alerts.incidents) are kept apart in ``incidents``."""

    def __init__(self, rule_text: str, **engine_options: Any) -> None:
        self.metrics = InMemoryMetricStore()
        self.alerts = InMemoryAlertStore()
        self.engine = Engine(rules(rule_text), self.metrics, self.alerts, **engine_options)
        self.recorded: list[Transition] = []
        self.incidents: list[Transition] = []

    def _keep(self, found: list[Transition]) -> list[Transition]:
        members = [item for item in found if item.rule != INCIDENT_RULE_ID]
        self.incidents += [item for item in found if item.rule == INCIDENT_RULE_ID]
        self.recorded += members
        return members

    def feed(self, *events: CxEvent) -> list[Transition]:
        return self._keep(self.engine.process(SHARD, list(events)))

    def each(self, *events: CxEvent) -> list[Transition]:
        """One batch per event (evaluation after each event, as replay does)."""
        found: list[Transition] = []
        for item in events:
            found += self.feed(item)
        return found

    def tick(self, seconds: float) -> list[Transition]:
        return self._keep(self.engine.tick(at(seconds)))

    def live(self, seconds: float) -> list[Transition]:
        """Other traffic at ``seconds`` (a queue nobody watches), then a tick: the pipeline is live, so
        the tick judges at ``seconds`` rather than at most 5 minutes past the last event."""
        self.feed(event(EventType.CONTACT_QUEUED, seconds, queue_id="elsewhere", event_id=f"live-{seconds}"))
        return self.tick(seconds)


def members_only(transitions: list[Transition]) -> list[Transition]:
    return [item for item in transitions if item.rule != INCIDENT_RULE_ID]


def kinds(transitions: list[Transition]) -> list[tuple[str, str, str]]:
    """(transition, severity, scope) of each, for compact asserts."""
    return [(item.transition.value, item.severity.value, item.scope) for item in transitions]


LONGEST_WAIT = """
- id: queue-longest-wait
  metric: longest_wait_seconds
  scope: queue
  direction: above
  tiers: {warning: 120, critical: 300}
  for: 60s
  clear: 0.9
"""

LONGEST_WAIT_NOW = LONGEST_WAIT.replace("for: 60s", "for: 0s")
