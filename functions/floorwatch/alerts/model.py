"""Shared alert types: severities and transitions (what the alerts table stream carries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
        }
