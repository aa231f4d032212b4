"""The simulator's output record and the static descriptions payload builders read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SimRecord:
    """One raw record as a producer would put it on the raw-events stream.

    ``at`` is when the producer emits it (event time; records come out of ``generate`` in this order),
    ``source`` the platform feed it belongs to (a CxEvent source name, e.g. ``amazon_connect.agent``),
    ``incident`` the scripted incident it belongs to, if any (for tests and the timeline; not sent).
    """

    at: datetime
    partition_key: str
    payload: dict[str, Any]
    source: str
    incident: str | None = None


@dataclass(frozen=True)
class AgentProfile:
    index: int
    agent_id: str  # the user's UUID (the agent ARN's last segment)
    username: str
    first_name: str
    last_name: str
    queue: str  # the queue (name) this agent serves
    team: str  # hierarchy level-2 name, e.g. "Billing Team 2"


@dataclass(eq=False)  # identity: a contact is removed from its queue by identity, not by field values
class ContactPlan:
    """One customer contact from arrival to the end of after-contact work (times: seconds from start)."""

    contact_id: str
    queue: str
    channel: str
    feed: str  # "contact_event" | "contact_record" | "generic": where its queue/answer/end facts come from
    initiated: float
    enqueued: float
    patience: float | None
    talk: float
    acw: float
    hold_at: float | None = None  # seconds into the talk
    hold: float = 0.0
    lens: bool = False
    mood: float = 0.0  # extra probability of a NEGATIVE customer utterance
    incident: str | None = None
    agent: AgentProfile | None = None
    routed: float | None = None
    connected: float | None = None
    ended: float | None = None  # disconnect
    abandoned: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
