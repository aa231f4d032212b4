"""How fast the floor answers alerts: time to acknowledge and time to act, per rule and per person.

The floor's target is to acknowledge within 30 s and act within 90 s of an alert opening (the
contact-center norm the dashboard's clocks show).
From an alert's transitions:

- *time to acknowledge*: the first ``acknowledged`` transition's time minus the ``opened`` one's; the
  person is its ``actor``;
- *time to act*: the first thing a person did about it besides acknowledging - a note (``noted``), an
  escalation by a person (``escalated`` with an actor; the policy's own are not acting), opening its
  live session (``joined``) or resolving it by hand (``resolved`` with an actor) - minus the opening.

One problem is counted once: a member alert whose incident is in the same transitions is left out (the
incident's acknowledgement acknowledges its members too). Incidents are reported under
``incident (<trigger rule>)``. Alerts whose opening is not among the transitions are skipped.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.rules.config import INCIDENT_RULE_ID

ACK_TARGET = timedelta(seconds=30)
ACT_TARGET = timedelta(seconds=90)
NOBODY = "(nobody)"


class GroupBy(StrEnum):
    RULE = "rule"
    PERSON = "person"


@dataclass(frozen=True)
class Response:
    """One alert's opening and the first acknowledgement and action by people."""

    alert_id: str
    rule: str
    scope: str
    opened_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acted_at: datetime | None = None
    acted_by: str | None = None
    acted_how: str | None = None

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return None if self.acknowledged_at is None else self.acknowledged_at - self.opened_at

    @property
    def time_to_act(self) -> timedelta | None:
        return None if self.acted_at is None else self.acted_at - self.opened_at


@dataclass(frozen=True)
class Figures:
    """Response times of a group of alerts (seconds; None when nothing to measure)."""

    key: str
    alerts: int
    acknowledged: int
    ack_median: float | None
    ack_p90: float | None
    ack_within_target: int
    acted: int
    act_median: float | None
    act_p90: float | None
    act_within_target: int

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _acting(transition: Transition) -> str | None:
    """How a transition counts as acting (None: it does not)."""
    kind = transition.transition
    if kind is TransitionKind.NOTED:
        return "note"
    if kind is TransitionKind.JOINED:
        return "join"
    if transition.actor is None:
        return None  # the escalation policy's own escalations and the engine's resolves are not people
    if kind is TransitionKind.ESCALATED:
        return "escalate"
    if kind is TransitionKind.RESOLVED:
        return "resolve"
    return None


def responses(transitions: Iterable[Transition]) -> list[Response]:
    """One Response per alert that opened within ``transitions`` (any order), oldest opening first."""
    by_alert: dict[str, list[Transition]] = defaultdict(list)
    for transition in transitions:
        by_alert[transition.alert_id].append(transition)
    incidents = {alert_id for alert_id, items in by_alert.items() if items[0].rule == INCIDENT_RULE_ID}
    found = []
    for alert_id, items in by_alert.items():
        items.sort(key=lambda item: (item.at, item.version))
        if items[0].rule != INCIDENT_RULE_ID and items[0].incident_id in incidents:
            continue  # its incident counts for it
        response = _response(alert_id, items)
        if response is not None:
            found.append(response)
    return sorted(found, key=lambda item: (item.opened_at, item.alert_id))


def _response(alert_id: str, items: Sequence[Transition]) -> Response | None:
    opened = next((item for item in items if item.transition is TransitionKind.OPENED), None)
    if opened is None:
        return None
    rule = opened.rule
    if rule == INCIDENT_RULE_ID:
        rule = f"{INCIDENT_RULE_ID} ({opened.trigger_rule or 'unknown'})"
    ack = next(
        (item for item in items if item.transition is TransitionKind.ACKNOWLEDGED and item.actor), None
    )
    acted = next((item for item in items if item.at >= opened.at and _acting(item)), None)
    return Response(
        alert_id=alert_id,
        rule=rule,
        scope=opened.scope,
        opened_at=opened.at,
        acknowledged_at=ack.at if ack else None,
        acknowledged_by=ack.actor if ack else None,
        acted_at=acted.at if acted else None,
        acted_by=acted.actor if acted else None,
        acted_how=_acting(acted) if acted else None,
    )


def summarize(found: Sequence[Response], by: GroupBy) -> list[Figures]:
    """Figures per rule, or per person (who acknowledged, and who acted: an alert may count for two
    people). Sorted by key; per person, alerts nobody acknowledged or acted on are under NOBODY."""
    groups: dict[str, tuple[list[Response], list[Response]]] = defaultdict(lambda: ([], []))
    for response in found:
        if by is GroupBy.RULE:
            groups[response.rule][0].append(response)
            groups[response.rule][1].append(response)
        else:
            groups[response.acknowledged_by or NOBODY][0].append(response)
            groups[response.acted_by or NOBODY][1].append(response)
    return [_figures(key, *groups[key]) for key in sorted(groups)]


def _figures(key: str, acks: Sequence[Response], acts: Sequence[Response]) -> Figures:
    ack_times = sorted(t.total_seconds() for item in acks if (t := item.time_to_acknowledge) is not None)
    act_times = sorted(t.total_seconds() for item in acts if (t := item.time_to_act) is not None)
    alerts = len({item.alert_id for item in (*acks, *acts)})
    return Figures(
        key=key,
        alerts=alerts,
        acknowledged=len(ack_times),
        ack_median=percentile(ack_times, 0.5),
        ack_p90=percentile(ack_times, 0.9),
        ack_within_target=sum(1 for seconds in ack_times if seconds <= ACK_TARGET.total_seconds()),
        acted=len(act_times),
        act_median=percentile(act_times, 0.5),
        act_p90=percentile(act_times, 0.9),
        act_within_target=sum(1 for seconds in act_times if seconds <= ACT_TARGET.total_seconds()),
    )


def percentile(ordered: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of sorted values (None for none): a value that really occurred."""
    if not ordered:
        return None
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]
