"""Amazon Connect agent event stream (Kinesis) -> one ``agent_state`` CxEvent per record.

Format: the documented AgentEvent (admin guide, "Agent event streams data model"): ``AgentARN``,
``EventId``, ``EventTimestamp``, ``EventType`` (LOGIN | LOGOUT | STATE_CHANGE | HEART_BEAT), ``InstanceARN``,
``CurrentAgentSnapshot`` {``AgentStatus`` {ARN, Name, StartTimestamp[, Type]}, ``Configuration``
{Username, AgentHierarchyGroups {Level1..5 {ARN, Name}}, RoutingProfile {InboundQueues [{ARN, Name}]}},
``Contacts`` [{ContactId, Channel, InitiationMethod, State, StateStartTimestamp, ConnectedToAgentTimestamp,
QueueTimestamp, Queue {ARN, Name}}]}.

Every event type, HEART_BEAT included, becomes an ``agent_state`` event: heartbeats (every 120 s while
nothing else happens) are what keeps the feed's staleness honest and a long hold visible.

Mapping:
- ``event_id`` = EventId; ``occurred_at`` = EventTimestamp; ``center_id`` = the instance id of InstanceARN;
  ``agent_id`` = AgentARN's last segment; ``team_id`` = deepest named hierarchy level (see
  amazon_connect_common for the identity rules).
- ``labels.state`` is the agent's activity in one word, what duration-in-state metrics match on:
  ``offline`` (LOGOUT, or an OFFLINE status), else from the most significant contact — ``on_hold``
  (CONNECTED_ONHOLD), ``on_contact`` (CONNECTED), ``after_contact_work`` (ENDED: Connect keeps an ended
  contact on the agent while they do ACW), ``connecting`` (INCOMING/PENDING/CONNECTING), ``paused``,
  ``missed`` (MISSED/REJECTED), ``error`` — else from the status: ``available`` (ROUTABLE) or
  ``not_ready`` (CUSTOM statuses such as Break or Lunch).
- ``labels.status`` = AgentStatus.Name as configured; ``labels.status_type`` = its type, lower-cased.
  The stream model documents ARN/Name/StartTimestamp only; when ``Type`` is absent it is inferred from
  Connect's two system statuses: "Available" is routable, "Offline" is offline, anything else custom.
- ``labels.event`` = EventType lower-cased; ``labels.username`` = Configuration.Username;
  ``labels.contact_state`` (``on_hold`` for CONNECTED_ONHOLD, else the State lower-cased),
  ``labels.queue`` (the queue ARN's id, the same ``queue_id`` the CTRs and contact events give it) and
  ``labels.queue_name`` (Queue.Name) describe the most significant contact, whose id and channel
  become ``contact_id`` and ``channel``. ``queue_id`` stays empty on purpose: all of one agent's events
  share the partition key ``agent:<id>`` and therefore stay in order.
- ``labels.queues`` = the ids of the queues of the agent's routing profile
  (Configuration.RoutingProfile.InboundQueues[].ARN, sorted, space-separated; agents' own
  ``queue/agent/`` queues left out): which queue tiles count the agent in (``metrics.presence``).
- ``values.active_contacts`` = contacts ringing, connected, on hold or paused; ``values.state_seconds`` =
  how long the agent has been in ``labels.state`` at event time (from the contact's StateStartTimestamp
  or the status' StartTimestamp; 0 on LOGOUT), when that start is known.

Relayed captures: some relays write JSON nulls as the string ``"null"``. Such a value is read as absent,
field by field (an unknown StartTimestamp, no hierarchy, no Username), so the rest of the event still
counts; only a field the event cannot do without (EventId, AgentARN, InstanceARN, EventTimestamp, and
the status Name unless logged out) makes it unusable, and the reason names that field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from floorwatch.events.adapters.amazon_connect_common import (
    agent_id_from_arn,
    instance_id,
    optional_instant,
    queue_id_of,
    queue_name_of,
    resource_id,
    seconds_between,
    team_id_of,
    without_null_strings,
)
from floorwatch.events.adapters.base import AdapterError, Payload, channel_of, lookup, text_field, time_field
from floorwatch.events.model import CxEvent, EventType, Source

_EVENT_TYPES = ("LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT")
_SNAPSHOT = "CurrentAgentSnapshot"

# Contact state -> (agent activity, significance). The most significant contact describes the agent.
_CONTACT_ACTIVITY: dict[str, tuple[str, int]] = {
    "CONNECTED_ONHOLD": ("on_hold", 9),
    "CONNECTED": ("on_contact", 8),
    "PAUSED": ("paused", 7),
    "ENDED": ("after_contact_work", 6),
    "CONNECTING": ("connecting", 5),
    "INCOMING": ("connecting", 5),
    "PENDING": ("connecting", 5),
    "MISSED": ("missed", 3),
    "REJECTED": ("missed", 3),
    "ERROR": ("error", 2),
}
_ACTIVE_CONTACT_STATES = frozenset(
    {"CONNECTED_ONHOLD", "CONNECTED", "PAUSED", "CONNECTING", "INCOMING", "PENDING"}
)
_STATUS_TYPES = frozenset({"ROUTABLE", "CUSTOM", "OFFLINE"})
_MAX_ROUTING_QUEUES = 50  # labels.queues: routing profiles rarely have more; the event stays small


# Parts of an agent event this adapter never reads: no need to look for a relay's "null" strings in them.
_UNREAD = frozenset({"PreviousAgentSnapshot", "RoutingProfile"})


class AmazonConnectAgentAdapter:
    source = Source.AMAZON_CONNECT_AGENT

    def matches(self, payload: Payload) -> bool:
        return "AgentARN" in payload and "EventType" in payload

    def to_events(self, payload: Payload) -> list[CxEvent]:
        payload = without_null_strings(payload, _UNREAD)
        event_type = text_field(payload, "EventType").upper()
        if event_type not in _EVENT_TYPES:
            raise AdapterError(
                "EventType",
                f"unknown agent event type {event_type[:40]!r} (expected {', '.join(_EVENT_TYPES)})",
            )
        occurred_at = time_field(payload, "EventTimestamp")
        snapshot = lookup(payload, _SNAPSHOT, None)
        if snapshot is not None and not isinstance(snapshot, dict):
            raise AdapterError(_SNAPSHOT, f"expected an object, got {type(snapshot).__name__}")
        if snapshot is None and event_type != "LOGOUT":
            raise AdapterError(_SNAPSHOT, "missing")
        logged_out = event_type == "LOGOUT"
        status = _status(payload, required=not logged_out)
        contacts = [] if logged_out else _contacts(payload)
        contact = _primary_contact(contacts)
        state, state_start = _activity(status, contact, logged_out)
        if logged_out:
            state_start = occurred_at

        labels: dict[str, str] = {"state": state, "event": event_type.lower()}
        if status is not None:
            labels["status"], labels["status_type"] = status.name, status.kind
        username = text_field(payload, f"{_SNAPSHOT}.Configuration.Username", None)
        if username is not None:
            labels["username"] = username
        if contact is not None:
            labels["contact_state"] = contact.label
            if contact.queue_id:
                labels["queue"] = contact.queue_id
            if contact.queue_name:
                labels["queue_name"] = contact.queue_name
        routing_queues = _routing_queues(payload)
        if routing_queues:
            labels["queues"] = " ".join(routing_queues)
        values = {"active_contacts": float(sum(1 for item in contacts if item.active))}
        state_seconds = seconds_between(state_start, occurred_at)
        if state_seconds is not None:
            values["state_seconds"] = state_seconds

        return [
            CxEvent(
                event_id=text_field(payload, "EventId"),
                source=self.source,
                type=EventType.AGENT_STATE,
                occurred_at=occurred_at,
                center_id=instance_id(text_field(payload, "InstanceARN"), "InstanceARN"),
                agent_id=agent_id_from_arn(text_field(payload, "AgentARN"), "AgentARN"),
                team_id=team_id_of(
                    lookup(payload, f"{_SNAPSHOT}.Configuration.AgentHierarchyGroups", None),
                    "Name",
                    f"{_SNAPSHOT}.Configuration.AgentHierarchyGroups",
                ),
                contact_id=contact.contact_id if contact else None,
                channel=contact.channel if contact else None,
                values=values,
                labels=labels,
            )
        ]


# Read-only by convention, not frozen: a frozen dataclass sets each field through object.__setattr__,
# which triples the cost of making one (several per record here; see events.pipeline.RawRecord).
@dataclass(slots=True)
class _Status:
    name: str
    kind: str  # routable | custom | offline
    started: datetime | None


def _activity(
    status: _Status | None, contact: _Contact | None, logged_out: bool
) -> tuple[str, datetime | None]:
    """The agent's activity word and when it started (contacts outrank the status: ACW shows as ENDED)."""
    if logged_out:
        return "offline", None
    if contact is not None:
        return contact.activity, contact.state_started
    if status is None or status.kind == "offline":
        return "offline", status.started if status else None
    return ("available" if status.kind == "routable" else "not_ready"), status.started


def _status(payload: Payload, *, required: bool) -> _Status | None:
    base = f"{_SNAPSHOT}.AgentStatus"
    name = text_field(payload, f"{base}.Name") if required else text_field(payload, f"{base}.Name", None)
    if name is None:
        return None
    declared = text_field(payload, f"{base}.Type", None)
    if declared is None:
        kind = {"available": "routable", "offline": "offline"}.get(name.lower(), "custom")
    elif declared.upper() in _STATUS_TYPES:
        kind = declared.lower()
    else:
        raise AdapterError(
            f"{base}.Type", f"unknown status type {declared[:40]!r} (expected ROUTABLE, CUSTOM or OFFLINE)"
        )
    return _Status(name, kind, optional_instant(payload, f"{base}.StartTimestamp"))


class _Contact:
    def __init__(self, raw: Payload, index: int) -> None:
        path = f"{_SNAPSHOT}.Contacts[{index}]"
        state = text_field(raw, "State", None)
        if state is None:
            raise AdapterError(f"{path}.State", "missing")
        state = state.upper()
        if state not in _CONTACT_ACTIVITY:
            raise AdapterError(f"{path}.State", f"unknown contact state {state[:40]!r}")
        self.activity, self.significance = _CONTACT_ACTIVITY[state]
        self.label = "on_hold" if state == "CONNECTED_ONHOLD" else state.lower()
        self.active = state in _ACTIVE_CONTACT_STATES
        self.contact_id: str | None = _text(raw, "ContactId", path)
        self.channel = channel_of(raw.get("Channel"))
        self.state_started = optional_instant(raw, "StateStartTimestamp")
        self.queue_name = queue_name_of(lookup(raw, "Queue.Name", None))
        self.queue_id = queue_id_of(
            lookup(raw, "Queue.Name", None),
            lookup(raw, "Queue.ARN", None),
            f"{path}.Queue.Name",
            f"{path}.Queue.ARN",
        )


def _text(raw: Payload, key: str, path: str) -> str | None:
    try:
        value: str | None = text_field(raw, key, None)
    except AdapterError as error:
        raise AdapterError(f"{path}.{key}", error.problem) from None
    return value


def _contacts(payload: Payload) -> list[_Contact]:
    raw = lookup(payload, f"{_SNAPSHOT}.Contacts", [])
    if not isinstance(raw, list):
        raise AdapterError(f"{_SNAPSHOT}.Contacts", f"expected an array, got {type(raw).__name__}")
    contacts = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise AdapterError(
                f"{_SNAPSHOT}.Contacts[{index}]", f"expected an object, got {type(item).__name__}"
            )
        contacts.append(_Contact(item, index))
    return contacts


def _routing_queues(payload: Payload) -> list[str]:
    """The ids of the queues the agent's routing profile takes contacts from (InboundQueues), sorted.

    Optional context (per-queue agent counts): an entry without a usable queue ARN is left out, never
    a reason to reject the event. Agents' own queues (``queue/agent/<id>``, for transfers to one agent)
    serve one agent and are left out too.
    """
    raw = lookup(payload, f"{_SNAPSHOT}.Configuration.RoutingProfile.InboundQueues", None)
    if not isinstance(raw, list):
        return []
    found: set[str] = set()
    for entry in raw:
        arn = entry.get("ARN") if isinstance(entry, dict) else None
        if not isinstance(arn, str) or "/queue/agent/" in arn:
            continue
        try:
            found.add(resource_id(arn, "queue", "InboundQueues.ARN"))
        except AdapterError:
            continue
    return sorted(found)[:_MAX_ROUTING_QUEUES]


def _primary_contact(contacts: list[_Contact]) -> _Contact | None:
    # max() keeps the first of equals, so the order Connect lists contacts in breaks ties.
    return max(contacts, key=lambda contact: contact.significance, default=None)
