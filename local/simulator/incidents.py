"""Scripted incidents: what goes wrong, when (offset from the simulation start) and where.

The default timeline fits in the first 20 simulated minutes, so at the demo's speed (10x) every
incident has started within two minutes of wall time. Offsets are event time: a replay of the same
seed puts them at the same instants.

=====================  ========  =========================================================================
incident               offset    what happens (and what the default rules should say)
=====================  ========  =========================================================================
sentiment_collapse     +2 min    a voice contact arriving on ``retention`` turns hostile: every
                                 customer utterance NEGATIVE (Contact Lens) for a 7-minute call
                                 -> contact-sentiment-collapse (critical below -0.6)
compliance_breach      +3 min    a voice contact arriving on ``payments``: 40 s in, the customer reads
                                 out a card number; Contact Lens matches ``card-number-spoken``
                                 -> contact-compliance-breach (critical, immediately)
agent_stuck_on_hold    +4 min    the agent answering a voice contact arriving on ``tech-support`` puts
                                 the customer on hold for 7 minutes (45 s in)
                                 -> agent-on-hold-too-long (warning 3 min, critical 5 min)
volume_spike           +5 min    ``billing`` arrivals x6 for 15 minutes -> contacts pile up, service
                                 level falls -> queue-service-level, queue-contacts-waiting
long_wait_pileup       +6 min    every ``claims`` agent goes into a 12-minute "Meeting" -> the oldest
                                 contact waits past 5 minutes -> queue-longest-wait (critical 300 s)
silent_feed            +10 min   the Contact Lens feed stops for 10 minutes (records lost)
                                 -> feed-stale on ``contact_lens`` (warning 2 min, critical 5 min)
=====================  ========  =========================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Incident:
    name: str
    offset: timedelta  # from the simulation start, event time
    duration: timedelta  # how long the disturbance lasts (single-contact incidents: the contact's length)
    queue: str | None  # the queue it hits, when it hits one
    summary: str

    @property
    def end_offset(self) -> timedelta:
        return self.offset + self.duration


SENTIMENT_COLLAPSE = "sentiment_collapse"
COMPLIANCE_BREACH = "compliance_breach"
AGENT_STUCK_ON_HOLD = "agent_stuck_on_hold"
VOLUME_SPIKE = "volume_spike"
LONG_WAIT_PILEUP = "long_wait_pileup"
SILENT_FEED = "silent_feed"

SPIKE_MULTIPLIER = 6.0
PILEUP_AGENTS_LEFT = 0  # claims agents who stay on the phones during the meeting
SILENT_SOURCE = "contact_lens"  # the feed that goes quiet (CxEvent source / feed scope name)
STUCK_HOLD = timedelta(minutes=7)
COLLAPSE_CALL = timedelta(minutes=7)

DEFAULT_INCIDENTS: tuple[Incident, ...] = (
    Incident(
        SENTIMENT_COLLAPSE,
        timedelta(minutes=2),
        COLLAPSE_CALL,
        "retention",
        "a customer's sentiment collapses on one voice contact",
    ),
    Incident(
        COMPLIANCE_BREACH,
        timedelta(minutes=3),
        timedelta(minutes=4),
        "payments",
        "a card number is spoken (Contact Lens category card-number-spoken)",
    ),
    Incident(
        AGENT_STUCK_ON_HOLD,
        timedelta(minutes=4),
        STUCK_HOLD,
        "tech-support",
        "an agent leaves a customer on hold for 7 minutes",
    ),
    Incident(
        VOLUME_SPIKE,
        timedelta(minutes=5),
        timedelta(minutes=15),
        "billing",
        f"arrivals x{SPIKE_MULTIPLIER:g} for 15 minutes: service level falls",
    ),
    Incident(
        LONG_WAIT_PILEUP,
        timedelta(minutes=6),
        timedelta(minutes=12),
        "claims",
        "every agent leaves for a 12-minute meeting: waits pile up",
    ),
    Incident(
        SILENT_FEED,
        timedelta(minutes=10),
        timedelta(minutes=10),
        None,
        f"the {SILENT_SOURCE} feed stops for 10 minutes",
    ),
)

INCIDENT_NAMES: tuple[str, ...] = tuple(incident.name for incident in DEFAULT_INCIDENTS)


def select_incidents(choice: str) -> tuple[Incident, ...]:
    """``all``, ``none`` or a comma-separated list of incident names; ValueError names unknown ones."""
    text = choice.strip().lower()
    if text == "all":
        return DEFAULT_INCIDENTS
    if text == "none":
        return ()
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in wanted if name not in INCIDENT_NAMES]
    if unknown or not wanted:
        named = ", ".join(unknown) if unknown else repr(choice)
        raise ValueError(
            f"unknown incident(s) {named}; "
            f"choose all, none or a comma-separated list of: {', '.join(INCIDENT_NAMES)}"
        )
    return tuple(incident for incident in DEFAULT_INCIDENTS if incident.name in wanted)


def timeline(incidents: Iterable[Incident], speed: float | None = None) -> list[str]:
    """Human-readable lines, one per incident; with a speed, the wall-clock second it starts at."""
    lines = []
    for incident in incidents:
        start = _clock(incident.offset)
        line = f"+{start}  {incident.name:<20} {incident.queue or '-':<12} {incident.summary}"
        if speed:
            line += f" (wall +{incident.offset.total_seconds() / speed:.0f}s at {speed:g}x)"
        lines.append(line)
    return lines


def _clock(offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
