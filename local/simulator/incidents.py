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

More kinds exist for long simulations (``--incidents random``, ``KIND@OFFSET[/QUEUE]``; the quality
benchmark places them at random hours and queues with ``random_incidents``):

=====================  ========  =========================================================================
incident               lasts     what happens
=====================  ========  =========================================================================
slow_slide             20 min    the queue's agents leave one by one (a "Meeting") over the first 15
                                 minutes until a quarter remain: service level slides steadily
queue_stops_reporting  20 min    every agent of the queue leaves (as in the pile-up); 2 minutes in, the
                                 queue's snapshots and contact facts stop arriving until the end
dead_feed              10 min    the whole pipeline goes quiet: no record from any source (lost)
small_queue_failing    3 h       a (small) queue gets one voice contact every ~6 minutes instead of its
                                 own traffic; each waits ~2 minutes before an answer, a third abandon
late_data              20 min    the queue's Amazon Connect contact events and contact records are
                                 delivered 30 minutes late (a platform backlog), stamped as they happened
=====================  ========  =========================================================================

Quiet-hour kinds (``QUIET_KIND_NAMES``; placed only when asked for, e.g. by ``floorwatch simulate
--weeks``, so the daily quality set keeps its 11 kinds):

=====================  ========  =========================================================================
quiet_stall            1 h       at night (00:00-05:00 local) every agent of the queue stops answering (a
                                 stuck softphone nobody notices): the few night callers wait and abandon,
                                 e-mails pile up; volume is so low that static tiers hardly see it
=====================  ========  =========================================================================
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from floorwatch.rules.durations import parse_duration


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
SLOW_SLIDE = "slow_slide"
QUEUE_STOPS_REPORTING = "queue_stops_reporting"
DEAD_FEED = "dead_feed"
SMALL_QUEUE_FAILING = "small_queue_failing"
LATE_DATA = "late_data"
QUIET_STALL = "quiet_stall"

SPIKE_MULTIPLIER = 6.0
PILEUP_AGENTS_LEFT = 0  # claims agents who stay on the phones during the meeting
SILENT_SOURCE = "contact_lens"  # the feed that goes quiet (CxEvent source / feed scope name)
STUCK_HOLD = timedelta(minutes=7)
COLLAPSE_CALL = timedelta(minutes=7)
SLIDE_RAMP = timedelta(minutes=15)  # agents leave over this long, then the queue stays short-staffed
SLIDE_KEEP_SHARE = 0.25  # share of the queue's online agents still answering at the bottom of a slide
STOP_REPORTING_AFTER = timedelta(minutes=2)  # the queue is in trouble this long before it goes quiet
SMALL_QUEUE_ARRIVALS_PER_HOUR = 10.0  # one contact every ~6 minutes
SMALL_QUEUE_WAIT = (100.0, 130.0)  # uniform seconds before an agent picks a contact up
SMALL_QUEUE_ABANDON_SHARE = 1 / 3
SMALL_QUEUE_PATIENCE = (40.0, 95.0)  # uniform seconds the abandoning third waits (always < the wait)
LATE_DELAY = timedelta(minutes=30)
LATE_SOURCES = ("amazon_connect.contact_event", "amazon_connect.contact_record")
ALL_SOURCES = (
    "amazon_connect.agent",
    "amazon_connect.contact_event",
    "amazon_connect.contact_record",
    "contact_lens",
    "generic",
)

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


@dataclass(frozen=True)
class Kind:
    """How an incident kind is placed: how long it lasts, the local hours it may run in (start inclusive,
    end exclusive; it must end by then), which queues it may hit, and what it does."""

    name: str
    duration: timedelta
    hours: tuple[float, float]
    queues: str  # "any", "large" (enough agents to leave one by one), "small", or "none" (center-wide)
    summary: str
    tail: timedelta = timedelta(0)  # how long its effects are still arriving after it ends (late data)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(SENTIMENT_COLLAPSE, COLLAPSE_CALL, (7, 22), "any", "a customer's sentiment collapses on a call"),
        Kind(COMPLIANCE_BREACH, timedelta(minutes=4), (7, 22), "any", "a card number is spoken on a call"),
        Kind(AGENT_STUCK_ON_HOLD, STUCK_HOLD, (7, 22), "any", "an agent leaves a customer on hold 7 minutes"),
        Kind(VOLUME_SPIKE, timedelta(minutes=15), (8, 19), "any", f"arrivals x{SPIKE_MULTIPLIER:g}"),
        Kind(LONG_WAIT_PILEUP, timedelta(minutes=12), (8, 19), "any", "every agent leaves for a meeting"),
        Kind(SILENT_FEED, timedelta(minutes=10), (8, 19), "none", f"the {SILENT_SOURCE} feed stops"),
        Kind(SLOW_SLIDE, timedelta(minutes=20), (8, 19), "large", "agents leave one by one: SL slides"),
        Kind(
            QUEUE_STOPS_REPORTING,
            timedelta(minutes=20),
            (8, 19),
            "any",
            "every agent leaves, then the queue stops reporting",
        ),
        Kind(DEAD_FEED, timedelta(minutes=10), (9, 16), "none", "every feed stops at a busy hour"),
        Kind(
            SMALL_QUEUE_FAILING,
            timedelta(hours=3),
            (7, 19),
            "small",
            "one contact every ~6 min, each waits ~2 min, a third abandon",
        ),
        Kind(
            LATE_DATA,
            timedelta(minutes=20),
            (8, 19),
            "any",
            f"contact events and records arrive {LATE_DELAY.seconds // 60} minutes late",
            tail=LATE_DELAY,
        ),
    )
}
QUIET_KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            QUIET_STALL,
            timedelta(hours=1),
            (0, 5),
            "any",
            "at night every agent of the queue stops answering for an hour",
        ),
    )
}
KIND_NAMES: tuple[str, ...] = tuple(KINDS)
"""The kinds ``random_incidents`` takes in turn by default (the daily quality set)."""
QUIET_KIND_NAMES: tuple[str, ...] = tuple(QUIET_KINDS)
KINDS.update(QUIET_KINDS)
ALL_KIND_NAMES: tuple[str, ...] = tuple(KINDS)
DEFAULT_PER_DAY = 6
SMALL_QUEUE_AGENTS = 3  # a queue with at most this many agents is small
LARGE_QUEUE_AGENTS = 5  # a slow slide needs at least this many agents to leave one by one
GAP = timedelta(minutes=15)  # between two incidents that could be confused (same queue, or center-wide)


def select_incidents(choice: str, queues: Sequence[str] = ()) -> tuple[Incident, ...]:
    """``all``, ``none`` or a comma-separated list of incidents; ValueError names unknown ones.

    An item is a name of the default timeline (at its documented offset and queue), or
    ``KIND@OFFSET[/QUEUE]`` for any kind at an offset from the start (e.g. ``slow_slide@10h30m/billing``;
    the queue defaults to the kind's default-timeline queue, else the first of ``queues``).
    """
    text = choice.strip().lower()
    if text == "all":
        return DEFAULT_INCIDENTS
    if text == "none":
        return ()
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    placed = [item for item in wanted if "@" in item]
    unknown = [name for name in wanted if "@" not in name and name not in INCIDENT_NAMES]
    if unknown or not wanted:
        named = ", ".join(unknown) if unknown else repr(choice)
        raise ValueError(
            f"unknown incident(s) {named}; choose all, none, random[:N] or a comma-separated list of: "
            f"{', '.join(INCIDENT_NAMES)} (or KIND@OFFSET[/QUEUE] for any of: {', '.join(ALL_KIND_NAMES)})"
        )
    chosen = [incident for incident in DEFAULT_INCIDENTS if incident.name in wanted]
    chosen += [_placed(item, queues) for item in placed]
    return tuple(sorted(chosen, key=lambda incident: incident.offset))


def _placed(item: str, queues: Sequence[str]) -> Incident:
    name, _, rest = item.partition("@")
    offset_text, _, queue_text = rest.partition("/")
    kind = KINDS.get(name)
    if kind is None:
        raise ValueError(f"unknown incident kind {name!r} in {item!r}; kinds: {', '.join(ALL_KIND_NAMES)}")
    offset = parse_duration(offset_text)  # ValueError says what a duration looks like
    queue: str | None = None
    if kind.queues != "none":
        defaults = [incident.queue for incident in DEFAULT_INCIDENTS if incident.name == name]
        queue = queue_text or (defaults[0] if defaults else None) or (queues[0] if queues else None)
        if queue is None:
            raise ValueError(f"{item!r}: name the queue it hits, e.g. {name}@{offset_text}/billing")
        if queues and queue not in queues:
            raise ValueError(f"{item!r}: no queue {queue!r}; queues: {', '.join(queues)}")
    elif queue_text:
        raise ValueError(f"{item!r}: {name} hits the whole center, not a queue")
    return Incident(name, offset, kind.duration, queue, kind.summary)


def parse_random(choice: str) -> int | None:
    """``random`` or ``random:N`` -> incidents per day (None when ``choice`` is something else)."""
    text = choice.strip().lower()
    if text != "random" and not text.startswith("random:"):
        return None
    count = text.partition(":")[2] or str(DEFAULT_PER_DAY)
    if not count.isdigit() or int(count) < 1:
        raise ValueError(f"random:N needs a whole number of incidents per day >= 1, got {choice!r}")
    return int(count)


@dataclass(frozen=True)
class Placement:
    """What ``random_incidents`` needs to know about the simulation."""

    start: datetime
    duration: timedelta
    local_hour_at_start: float  # the center's local time of day at ``start`` (hours)
    queue_agents: dict[str, int]  # agents per queue


def random_incidents(
    placement: Placement,
    seed: int,
    per_day: int = DEFAULT_PER_DAY,
    *,
    kinds: Sequence[str] = KIND_NAMES,
    control_days: Iterable[int] = (),
) -> tuple[Incident, ...]:
    """``per_day`` incidents on each simulated day (days count from 1; ``control_days`` get none) at
    random local hours within each kind's hours, on random queues its kind may hit; kinds taken in turn
    from ``kinds`` (a seeded rotation, so a long run covers all). Two incidents that could be confused
    (same queue, or one center-wide) are kept ``GAP`` apart; one that finds no room is left out.
    Deterministic: the same arguments give the same incidents."""
    unknown = [name for name in kinds if name not in KINDS]
    if unknown or not kinds:
        named = ", ".join(unknown) or "(none)"
        raise ValueError(f"unknown incident kind(s) {named}; kinds: {', '.join(ALL_KIND_NAMES)}")
    rng = random.Random(f"floorwatch-incidents-{seed}")
    skip = set(control_days)
    days = math.ceil(placement.duration / timedelta(days=1))
    turn = rng.randrange(len(kinds))
    chosen: list[Incident] = []
    for day in range(days):
        if day + 1 in skip:
            continue
        for _ in range(per_day):
            kind = KINDS[kinds[turn % len(kinds)]]
            turn += 1
            incident = _place(rng, kind, day, placement, chosen)
            if incident is not None:
                chosen.append(incident)
    return tuple(sorted(chosen, key=lambda incident: incident.offset))


def _place(
    rng: random.Random, kind: Kind, day: int, placement: Placement, taken: Sequence[Incident]
) -> Incident | None:
    candidates = _queues_for(kind, placement.queue_agents)
    first, last = kind.hours
    latest = last - (kind.duration + kind.tail).total_seconds() / 3600
    for _ in range(50):
        hour = rng.uniform(first, max(first, latest))
        since_start = (hour - placement.local_hour_at_start) % 24
        offset = timedelta(days=day, minutes=round(since_start * 60))
        queue = rng.choice(candidates) if candidates else None
        incident = Incident(kind.name, offset, kind.duration, queue, kind.summary)
        fits = offset + kind.duration + kind.tail <= placement.duration
        if fits and not any(_confusable(incident, other) for other in taken):
            return incident
    return None


def _queues_for(kind: Kind, agents: dict[str, int]) -> list[str]:
    if kind.queues == "none":
        return []
    names = sorted(agents)
    if kind.queues == "small":
        small = [name for name in names if agents[name] <= SMALL_QUEUE_AGENTS]
        return small or [min(names, key=lambda name: (agents[name], name))]
    if kind.queues == "large":
        large = [name for name in names if agents[name] >= LARGE_QUEUE_AGENTS]
        return large or [max(names, key=lambda name: (agents[name], name))]
    return names


def _confusable(one: Incident, other: Incident) -> bool:
    one_end = one.end_offset + KINDS[one.name].tail if one.name in KINDS else one.end_offset
    other_end = other.end_offset + KINDS[other.name].tail if other.name in KINDS else other.end_offset
    apart = one.offset >= other_end + GAP or other.offset >= one_end + GAP
    related = one.queue is None or other.queue is None or one.queue == other.queue
    return related and not apart


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
