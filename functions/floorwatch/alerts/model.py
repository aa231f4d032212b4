"""Shared alert types: severities and transitions (what the alerts table stream carries)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.CRITICAL: 3}


class TransitionKind(StrEnum):
    OPENED = "opened"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    SNOOZED = "snoozed"
    # Nagios reports the start and end of flapping: while flapping, the alert's own transitions are
    # recorded with notify=False, so these two are what tells people it is muted and why.
    FLAPPING_STARTED = "flapping_started"
    FLAPPING_STOPPED = "flapping_stopped"
    NOTED = "noted"  # a person's note on the alert (Transition.note holds the text)


@dataclass(frozen=True)
class Transition:
    """One change of one alert. ``transition_id`` is stable: receivers drop ids they have seen."""

    transition_id: str
    alert_id: str
    transition: TransitionKind
    rule: str
    scope: str
    severity: Severity
    value: float | None
    threshold: float | None
    at: datetime
    version: int
    notify: bool = True  # False while the alert is flapping or snoozed: recorded, not pushed
    actor: str | None = None  # who acknowledged / snoozed / escalated; None for the engine's own changes
    # Context for routing and display, filled by the engine from the scope / triggering events and
    # the rule: who may see it (queue, team), what it watches, the rule's deep link ("Join").
    queue_id: str | None = None
    team_id: str | None = None
    metric: str | None = None
    link: str | None = None
    note: str | None = None  # a person's note, or the escalation level's name

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z"),
            "alert_id": self.alert_id,
            "transition_id": self.transition_id,
            "transition": self.transition.value,
            "rule": self.rule,
            "scope": self.scope,
            "severity": self.severity.value,
            "value": self.value,
            "threshold": self.threshold,
            "version": self.version,
            "notify": self.notify,
            "actor": self.actor,
            "queue_id": self.queue_id,
            "team_id": self.team_id,
            "metric": self.metric,
            "link": self.link,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transition:
        """Inverse of to_dict (numbers may be Decimals, as DynamoDB returns them)."""

        def number(key: str) -> float | None:
            value = data.get(key)
            return None if value is None else float(value)

        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            transition_id=str(data["transition_id"]),
            alert_id=str(data["alert_id"]),
            transition=TransitionKind(data["transition"]),
            rule=str(data["rule"]),
            scope=str(data["scope"]),
            severity=Severity(data["severity"]),
            value=number("value"),
            threshold=number("threshold"),
            at=datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00")),
            version=int(data["version"]),
            notify=bool(data.get("notify", True)),
            actor=text("actor"),
            queue_id=text("queue_id"),
            team_id=text("team_id"),
            metric=text("metric"),
            link=text("link"),
            note=text("note"),
        )
