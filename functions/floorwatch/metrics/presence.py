"""What the metric store remembers besides buckets: which queue a contact is in, and which agents serve
which queues in which state. Pure: the stores extract both from the event batches they apply (with the
batch: the DynamoDB store logs them in the batch's delta-log item, ``floorwatch.store.metrics_log``),
the engine asks for contacts' queues, the snapshot counts agents by state from the presence.

**Contact -> queue.** Amazon Connect Contact Lens sentiment names neither a queue nor an agent; the
contact's queue is known from its contact events (QUEUED, CONNECTED_TO_AGENT), its CTR, or the agent
event of the agent handling it (``labels.queue``, the queue of the agent's current contact). The engine
remembers every (contact, queue) it sees and gives a queue-less sentiment event the queue its contact
was last seen in (``labels.queue_from = contact``), so queue sentiment works for a Connect-only center.
A mapping is trusted for ``CONTACT_QUEUE_TTL`` of event time after it was last seen (the DynamoDB store:
within its log's horizon, 2 hours, of the last time it logged the mapping, which it does again hourly
while the contact's events keep naming the queue).

**Agent presence.** A center without queue snapshots (Connect without a real-time metrics relay) has
no "agents by state" figures. Agent events carry the agent's state and the queues of the agent's
routing profile (``labels.queues``, space-separated queue ids; ``labels.queue`` and ``queue_id`` count
too): the stores keep one entry per (center, agent) with the state's *category* (the four the floor
watches, or offline) and those queues, and the snapshot counts, per queue, the agents whose entry is
younger than ``PRESENCE_WINDOW``. An agent serving two queues counts in both (as Connect's own
real-time queue metrics count agents by routing profile).

Writes are kept few: an entry that repeats the stored category and queues is stored again only when the
stored one is older than ``PRESENCE_REFRESH`` (so an idle agent's entry never ages out of the window while
heartbeats keep coming), and the ``worth_storing`` rule is the same for every store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from floorwatch.events.model import CxEvent, EventType

CONTACT_QUEUE_TTL = timedelta(days=1)
"""How long a contact's queue is remembered after the last event that named it (long chats included)."""
CONTACT_QUEUE_REFRESH = timedelta(hours=6)
"""A contact seen in the same queue again is stored again after this long (its TTL is renewed)."""
PRESENCE_WINDOW = timedelta(minutes=15)
"""An agent entry older than this (in event time) no longer counts: the agent stopped reporting."""
PRESENCE_REFRESH = timedelta(minutes=10)
"""An unchanged entry is stored again after this long: Connect heartbeats come every 120 s, so an idle
agent's entry stays younger than ``PRESENCE_WINDOW``."""
PRESENCE_TTL = timedelta(days=1)
"""When a store may delete an entry (DynamoDB TTL): long after the window, which is what readers apply."""
MAX_AGENT_QUEUES = 50
"""Queues kept per agent entry (routing profiles rarely have more; the item stays small)."""

QUEUE_FROM_LABEL = "queue_from"
QUEUE_FROM_CONTACT = "contact"
QUEUES_LABEL = "queues"  # agent_state: the queues the agent takes contacts from, space-separated ids
_QUEUE_LABEL = "queue"  # agent_state: the queue of the agent's current contact (Connect)
_STATE_LABEL = "state"

# Agent state categories (the dashboard's tiles) and the catalog gauges they stand in for.
AVAILABLE = "available"
ON_CONTACT = "on_contact"
AFTER_CONTACT_WORK = "after_contact_work"
NOT_READY = "not_ready"
OFFLINE = "offline"
OTHER = "other"  # logged in, in a state none of the four describes (counts as online only)
_CATEGORY_OF_STATE: dict[str, str] = {
    "available": AVAILABLE,
    "on_contact": ON_CONTACT,
    "on_hold": ON_CONTACT,
    "connecting": ON_CONTACT,
    "paused": ON_CONTACT,
    "after_contact_work": AFTER_CONTACT_WORK,
    "not_ready": NOT_READY,
    "missed": NOT_READY,  # Connect puts an agent who missed a contact in a not-routable state
    "error": NOT_READY,
    "offline": OFFLINE,
}
GAUGE_OF_CATEGORY: dict[str, str] = {
    AVAILABLE: "agents_available",
    ON_CONTACT: "agents_on_contact",
    AFTER_CONTACT_WORK: "agents_after_contact_work",
    NOT_READY: "agents_not_ready",
}
AGENTS_ONLINE = "agents_online"
PRESENCE_GAUGES: tuple[str, ...] = (*GAUGE_OF_CATEGORY.values(), AGENTS_ONLINE)


@dataclass(frozen=True, slots=True)
class ContactQueue:
    """The queue a contact was last seen in, and when (event time)."""

    contact_id: str
    queue_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgentPresence:
    """An agent's state category and the queues it serves, as last reported (event time)."""

    center_id: str
    agent_id: str
    category: str
    queues: tuple[str, ...]
    at: datetime


def category_of(state: str) -> str:
    """The tile category of an agent state word (``labels.state``); unknown words: ``other``."""
    return _CATEGORY_OF_STATE.get(state, OTHER)


def contact_queues_of(events: Iterable[CxEvent]) -> dict[str, ContactQueue]:
    """The newest (contact, queue) each event batch tells: a contact event's queue, or the queue of the
    contact an agent is handling (agent events name it in ``labels.queue``)."""
    newest: dict[str, tuple[str, datetime]] = {}  # the evaluator's hot path: plain tuples, built once
    for event in events:
        contact_id = event.contact_id
        if contact_id is None:
            continue
        queue_id = event.queue_id
        labels = event.labels
        if labels:
            if labels.get(QUEUE_FROM_LABEL) == QUEUE_FROM_CONTACT:
                continue  # attributed by this very mechanism: it tells nothing new
            queue_id = queue_id or labels.get(_QUEUE_LABEL)
        if not queue_id:
            continue
        known = newest.get(contact_id)
        if known is None or event.occurred_at >= known[1]:
            newest[contact_id] = (queue_id, event.occurred_at)
    return {contact_id: ContactQueue(contact_id, queue, at) for contact_id, (queue, at) in newest.items()}


def needs_contact_queue(event: CxEvent) -> bool:
    """A customer-sentiment event that names a contact but no queue (Contact Lens)."""
    return event.type is EventType.SENTIMENT and event.queue_id is None and event.contact_id is not None


def with_contact_queues(events: Sequence[CxEvent], known: Mapping[str, ContactQueue]) -> list[CxEvent]:
    """``events`` with each queue-less sentiment event given its contact's queue, when one is known.

    The event keeps its id (the ledger deduplicates by id) and says where its queue came from.
    """
    result: list[CxEvent] = []
    for event in events:
        found = known.get(event.contact_id) if needs_contact_queue(event) and event.contact_id else None
        if found is None:
            result.append(event)
            continue
        labels = {**event.labels, QUEUE_FROM_LABEL: QUEUE_FROM_CONTACT}
        result.append(event.model_copy(update={"queue_id": found.queue_id, "labels": labels}))
    return result


def fresh_contact_queue(
    entry: ContactQueue | None, at: datetime, ttl: timedelta = CONTACT_QUEUE_TTL
) -> ContactQueue | None:
    """``entry`` if it is still trusted at ``at`` (seen within ``ttl`` before it)."""
    return entry if entry is not None and entry.at > at - ttl else None


def contact_queue_worth_storing(
    stored: ContactQueue | None, new: ContactQueue, refresh: timedelta = CONTACT_QUEUE_REFRESH
) -> bool:
    """Whether ``new`` must be written over ``stored`` (the same rule for every store): a new or changed
    queue at once (a transfer), never an older report, the same queue again only once the stored one is
    ``refresh`` old (a long chat stays known; its every event does not cost a write). A store that keeps
    entries for less than ``CONTACT_QUEUE_TTL`` (the DynamoDB store's log) refreshes them sooner."""
    if stored is None:
        return True
    if new.at < stored.at:
        return False
    return new.queue_id != stored.queue_id or new.at - stored.at >= refresh


def presence_of(events: Iterable[CxEvent]) -> list[AgentPresence]:
    """The newest presence of each agent an event batch reports a state for."""
    newest: dict[tuple[str, str], CxEvent] = {}
    agent_state = EventType.AGENT_STATE
    for event in events:
        if event.type is not agent_state or event.agent_id is None or not event.labels.get(_STATE_LABEL):
            continue
        key = (event.center_id, event.agent_id)
        known = newest.get(key)
        if known is None or event.occurred_at >= known.occurred_at:
            newest[key] = event
    return [
        AgentPresence(
            center_id,
            agent_id,
            category_of(event.labels[_STATE_LABEL]),
            agent_queues(event),
            event.occurred_at,
        )
        for (center_id, agent_id), event in newest.items()
    ]


def agent_queues(event: CxEvent) -> tuple[str, ...]:
    """The queues an agent event says the agent serves: its routing profile's, its contact's, its own."""
    labels = event.labels
    return _queues_of(labels.get(QUEUES_LABEL, ""), labels.get(_QUEUE_LABEL), event.queue_id)


@lru_cache(maxsize=4096)
def _queues_of(listed: str, current: str | None, own: str | None) -> tuple[str, ...]:
    # Cached: an agent's routing profile is the same in each of its reports (thousands a batch).
    queues = set(listed.split())
    for queue_id in (current, own):
        if queue_id:
            queues.add(queue_id)
    return tuple(sorted(queues)[:MAX_AGENT_QUEUES])


def worth_storing(stored: AgentPresence | None, new: AgentPresence) -> bool:
    """Whether ``new`` must be written over ``stored`` (the same rule for every store).

    Never an older report over a newer one; a changed category or queue list at once; an unchanged one
    only once the stored entry is ``PRESENCE_REFRESH`` old, so heartbeats do not each cost a write.
    """
    if stored is None:
        return True
    if new.at < stored.at:
        return False
    if new.category != stored.category or new.queues != stored.queues:
        return True
    return new.at - stored.at >= PRESENCE_REFRESH


def agents_by_state(
    entries: Iterable[AgentPresence], queue_id: str, at: datetime
) -> dict[str, tuple[int, int]] | None:
    """Per presence gauge (``agents_available`` ... ``agents_online``): (agents, agents reporting) in
    ``queue_id`` at ``at``; None when no agent serving the queue reported within ``PRESENCE_WINDOW``.

    Entries newer than ``at`` count too: event time can run ahead of the reader's clock (the demo).
    """
    after = at - PRESENCE_WINDOW
    counts = dict.fromkeys(PRESENCE_GAUGES, 0)
    reporting = 0
    for entry in entries:
        if entry.at <= after or queue_id not in entry.queues:
            continue
        reporting += 1
        if entry.category == OFFLINE:
            continue
        counts[AGENTS_ONLINE] += 1
        gauge = GAUGE_OF_CATEGORY.get(entry.category)
        if gauge is not None:
            counts[gauge] += 1
    if not reporting:
        return None
    return {name: (count, reporting) for name, count in counts.items()}
