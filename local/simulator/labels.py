"""Labels: where each scripted incident happened and which engine scopes should detect it.

``floorwatch simulate --labels FILE`` writes one JSON object per line (times ISO 8601 UTC):

- one per scripted incident: ``{"kind", "scopes", "start", "end", "queue", "summary", "affected"}``.
  ``scopes`` are the scope strings an alert detecting it is raised on (``queue:<id>``, ``agent:<id>``,
  ``contact:<id>``, ``feed:<source>``, ``center:<id>``, with the ids the normalized events carry);
  ``affected`` are further scopes the incident disturbs (an alert there is not a false alarm, but it
  does not count as detecting the incident); ``end`` includes the time its effects keep arriving
  (late data: until the last late record is delivered).
- one ``{"kind": "simulation", ...}`` line: the simulated period (``start``, ``end``), so a scorer
  knows how many days it covers;
- one ``{"kind": "control_day", ...}`` line per incident-free control day (its ``start`` and ``end``);
- with weekly seasonality, one ``{"kind": "normal_peak", ...}`` line per weekly peak (the Monday rush:
  normal traffic, not an incident; a page in it is a false page the scorer counts on its own).

``floorwatch score`` (``local.quality``) reads them back with ``read_labels``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local.simulator import incidents as inc

SIMULATION = "simulation"
CONTROL_DAY = "control_day"
NORMAL_PEAK = "normal_peak"
META_KINDS = (SIMULATION, CONTROL_DAY, NORMAL_PEAK)


@dataclass(frozen=True)
class Label:
    kind: str
    scopes: tuple[str, ...]
    start: datetime
    end: datetime
    queue: str | None
    summary: str
    affected: tuple[str, ...] = ()

    @property
    def is_incident(self) -> bool:
        return self.kind not in META_KINDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scopes": list(self.scopes),
            "start": iso(self.start),
            "end": iso(self.end),
            "queue": self.queue,
            "summary": self.summary,
            "affected": list(self.affected),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Label:
        """Inverse of ``to_dict``; ValueError (naming the field) on anything else."""
        if not isinstance(data, Mapping):
            raise ValueError("expected a JSON object")
        kind = data.get("kind")
        if not isinstance(kind, str) or not kind:
            raise ValueError("'kind' must be a non-empty string")
        start, end = _instant(data, "start"), _instant(data, "end")
        if end < start:
            raise ValueError("'end' is before 'start'")
        queue = data.get("queue")
        if queue is not None and not isinstance(queue, str):
            raise ValueError("'queue' must be a string or null")
        return cls(
            kind=kind,
            scopes=_strings(data, "scopes"),
            start=start,
            end=end,
            queue=queue,
            summary=str(data.get("summary") or ""),
            affected=_strings(data, "affected"),
        )


def iso(at: datetime) -> str:
    """UTC with a ``Z``; milliseconds only when there are some (single-contact incidents start mid-call)."""
    at = at.astimezone(UTC)
    if at.microsecond:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text.strip())
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _instant(data: Mapping[str, Any], key: str) -> datetime:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be an ISO 8601 instant")
    try:
        return parse_instant(value)
    except ValueError:
        raise ValueError(f"'{key}' is not an ISO 8601 instant: {value!r}") from None


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"'{key}' must be a list of strings")
    return tuple(value)


@dataclass(frozen=True)
class Victim:
    """The contact a single-contact incident happened on, the agent who took it (if anyone did), and
    when the incident itself began on the call (the hold, the card spoken, the call connected), if it
    did: the contact may first wait in queue."""

    contact_id: str
    agent_id: str | None
    began: datetime | None = None


def incident_label(
    incident: inc.Incident,
    start: datetime,
    end: datetime,
    *,
    center_id: str,
    queues: Sequence[str],
    victim: Victim | None = None,
) -> Label | None:
    """The label of one scripted incident of a simulation from ``start`` to ``end`` (None when it
    starts after the end, or is a single-contact incident whose contact never arrived)."""
    began = start + incident.offset
    if victim is not None and victim.began is not None:
        began = victim.began
    if began >= end:
        return None
    tail = inc.KINDS[incident.name].tail if incident.name in inc.KINDS else timedelta(0)
    finished = min(end, began + incident.duration + tail)
    scopes, affected = _scopes(incident, center_id, queues, victim)
    if not scopes:
        return None
    return Label(incident.name, scopes, began, finished, incident.queue, incident.summary, affected)


def _scopes(
    incident: inc.Incident, center_id: str, queues: Sequence[str], victim: Victim | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    name = incident.name
    if name in (inc.SENTIMENT_COLLAPSE, inc.COMPLIANCE_BREACH, inc.AGENT_STUCK_ON_HOLD):
        if victim is None:
            return (), ()
        agent = (f"agent:{victim.agent_id}",) if victim.agent_id else ()
        contact = (f"contact:{victim.contact_id}",)
        return (agent + contact if name == inc.AGENT_STUCK_ON_HOLD else contact + agent), ()
    if name == inc.SILENT_FEED:
        return (f"feed:{inc.SILENT_SOURCE}",), ()
    if name == inc.DEAD_FEED:
        feeds = tuple(f"feed:{source}" for source in inc.ALL_SOURCES)
        return (*feeds, f"center:{center_id}"), tuple(f"queue:{queue}" for queue in queues)
    if name == inc.LATE_DATA:
        feeds = tuple(f"feed:{source}" for source in inc.LATE_SOURCES)
        return (f"queue:{incident.queue}", *feeds), ()
    return (f"queue:{incident.queue}",), ()


def meta_labels(
    start: datetime, duration: timedelta, control_days: Iterable[int], summary: str
) -> list[Label]:
    """The ``simulation`` line and one ``control_day`` line per control day (days count from 1)."""
    end = start + duration
    labels = [Label(SIMULATION, (), start, end, None, summary)]
    for day in sorted(set(control_days)):
        day_start = start + timedelta(days=day - 1)
        if day_start < end:
            day_end = min(end, day_start + timedelta(days=1))
            labels.append(Label(CONTROL_DAY, (), day_start, day_end, None, "no scripted incident"))
    return labels


def normal_peak_label(start: datetime, end: datetime, extra: float) -> Label:
    return Label(NORMAL_PEAK, (), start, end, None, f"weekly peak: arrivals up to x{1 + extra:.2f}, normal")


def write_labels(labels: Iterable[Label]) -> str:
    return "".join(json.dumps(label.to_dict(), separators=(",", ":")) + "\n" for label in labels)


def read_labels(text: str, where: str = "labels") -> list[Label]:
    """Labels from JSON Lines; ValueError naming the line on anything unusable."""
    labels = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            labels.append(Label.from_dict(json.loads(line)))
        except (ValueError, TypeError) as error:
            raise ValueError(f"{where} line {number}: {error}") from None
    return labels
