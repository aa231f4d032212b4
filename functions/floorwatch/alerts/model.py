"""Shared alert types: severities and transitions (what the alerts table stream carries)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from floorwatch.timefmt import iso_utc


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
    # Incidents only (rule ``incident``): the page (SMS / e-mail) that went out for the incident, when it
    # opened (after ``group_wait``), became critical, or is repeated after ``repeat_interval``.
    PAGED = "paged"
    # The supervisor's screen (docs/protocol.md): the live value of a firing alert moved (coalesced,
    # never paged), and a person opened the alert's live session (Join / Monitor), which counts as acting.
    UPDATED = "updated"
    JOINED = "joined"


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
    # Incidents (floorwatch.alerts.incidents): the incident a member alert belongs to (an incident's own
    # transitions carry their own id); the member alerts an incident holds ("rule scope severity"); the
    # member rule whose change the incident transition reports (its channels and ack_within apply).
    incident_id: str | None = None
    members: tuple[str, ...] = ()
    trigger_rule: str | None = None
    # The off-dashboard channels (sms, email) this transition is sent to, decided by the paging policy;
    # None on transitions recorded before incidents existed (the fan-out then asks the rule).
    channels: tuple[str, ...] | None = None
    # Adaptive (baseline) rules: which threshold applied and why ("usual for Mon 09:00 is 70s ± 20s;
    # warning at 130s"), or why the static tier applied; None for rules without a baseline.
    basis: str | None = None
    # Display context, written only when known (and left out of to_dict when empty, so older readers and
    # replays of alerts without it see the same dicts): where the alert is by name (queue_name,
    # agent_name, agent_id, contact_id), the worst value since opening (``updated``), a snooze's end.
    where: tuple[tuple[str, str], ...] = ()  # (name, value) pairs, e.g. (("queue_name", "Billing"),)
    worst_value: float | None = None
    snoozed_until: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        data = self._core_dict()
        if self.where:
            data["where"] = dict(self.where)
        if self.worst_value is not None:
            data["worst_value"] = self.worst_value
        if self.snoozed_until is not None:
            data["snoozed_until"] = _time_text(self.snoozed_until)
        return data

    def _core_dict(self) -> dict[str, object]:
        return {
            "at": _time_text(self.at),
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
            "incident_id": self.incident_id,
            "members": list(self.members),
            "trigger_rule": self.trigger_rule,
            "channels": None if self.channels is None else list(self.channels),
            "basis": self.basis,
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
            at=_time_parse(data["at"]),
            version=int(data["version"]),
            notify=bool(data.get("notify", True)),
            actor=text("actor"),
            queue_id=text("queue_id"),
            team_id=text("team_id"),
            metric=text("metric"),
            link=text("link"),
            note=text("note"),
            incident_id=text("incident_id"),
            members=tuple(str(member) for member in data.get("members") or ()),
            trigger_rule=text("trigger_rule"),
            channels=None if data.get("channels") is None else tuple(str(c) for c in data["channels"]),
            basis=text("basis"),
            where=tuple(
                (str(name), str(value))
                for name, value in (data.get("where") or {}).items()
                if value is not None
            ),
            worst_value=number("worst_value"),
            snoozed_until=None if data.get("snoozed_until") is None else _time_parse(data["snoozed_until"]),
        )


def _time_text(instant: datetime) -> str:
    return iso_utc(instant)  # fixed width: strftime writes year 1 as "1"


def _time_parse(text: object) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
