"""Zendesk webhook ticket events -> one ``ticket`` CxEvent each.

Format: the event-subscription webhook payload (Zendesk "Webhook event types", "Ticket events"):
``type`` (``zen:event-type:ticket.created``, ``…ticket.status_changed``, ``…ticket.priority_changed``,
``…ticket.group_assignment_changed``, …), ``id`` (the event), ``time``, ``account_id``,
``zendesk_event_version``, ``subject`` (``zen:ticket:<id>``), ``detail`` (the ticket after the change:
id, subject, status, priority, type, group_id, assignee_id, requester_id, via.channel, created_at,
updated_at, tags, …; ids are strings, status and priority upper-case) and ``event`` (what changed, e.g.
``{"current": "SOLVED", "previous": "OPEN"}`` for status_changed).

Every ticket event type maps, since each says what the ticket looks like now:

- ``event_id`` = ``id``; ``occurred_at`` = ``time``; ``contact_id`` = the ticket id (``detail.id``).
- ``queue_id`` = ``detail.group_id``: Zendesk routes tickets to groups and the payload names them by id
  only, so the group id is the queue (no human-readable name is available here).
- ``agent_id`` = ``detail.assignee_id``; ``channel`` from ``detail.via.channel`` (email, voice, chat and
  messaging, sms, social networks; web forms, API and others stay empty).
- ``labels``: ``event`` (the part after ``ticket.``, e.g. ``status_changed``), ``status`` and
  ``priority`` lower-cased (status falls back to ``event.current`` of a status change),
  ``previous_status`` / ``previous_priority`` for those changes, ``ticket_type``.
- ``text`` = the ticket subject; the CxEvent model redacts PII in it (subjects often carry e-mail
  addresses or phone numbers); a subject over 4000 characters is redacted, then cut (``fit_text``). The
  description is not copied.

Agent availability events (Zendesk "Agent Availability Events"; ``subject`` ``zen:agent:<id>``,
``detail`` {account_id, agent_id, version}) -> ``agent_state`` for ``agent_id`` = ``detail.agent_id``,
at ``time`` (else ``event.updated_at``):

- ``agent.unified_state_changed`` (``event.new_unified_state`` {id, name, reason},
  ``previous_unified_state``): the agent's one status across channels. ``labels.state`` from the status
  name: ``online`` -> ``available``, ``offline`` -> ``offline``, anything else (``away``,
  ``transfers_only``, custom statuses) -> ``not_ready``; ``labels.status`` = the name as configured,
  ``labels.previous_status``, ``labels.reason`` (AGENT_LOGIN, ...) lower-cased.
- ``agent.state_changed`` (``event`` {channel, new_state, previous_state}: one channel's status) -> the
  same mapping of ``new_state``, with ``labels.work_channel`` (support, messaging, talk). An account on
  unified statuses sends both kinds: subscribe the webhook to one of them (unified is the agent's
  status; per-channel events of one change can disagree, and the last one wins).
- ``values.state_seconds`` = 0: the agent has just entered the status.
- Work items, capacity, channel and group changes say nothing about the agent's status: skipped.

Amazon EventBridge: events arriving through Zendesk's Events Connector (``"source":
"aws.partner/zendesk.com/<account>/<name>"``, ``"detail-type": "Support Ticket: <Event>"``, ``detail``
{``ticket_event`` {``type``, ``meta`` {occurred_at, ...}, ``previous``, ``current``, ``ticket`` {id, status,
priority, type, group_id, assignee_id, via, ...}}}) map to ``ticket`` as above (``event_id`` = the
EventBridge ``id``, ``labels.event`` = the type slugged, "Status Changed" -> ``status_changed``;
``previous``/``current`` give the previous status or priority). A webhook event forwarded through
EventBridge (``detail`` = the webhook payload) maps as the webhook event itself.

Other domains' events (user, organization, …) carry nothing floorwatch monitors and are skipped.
"""

from __future__ import annotations

from typing import Any

from floorwatch.events.adapters.base import (
    AdapterError,
    Payload,
    Skip,
    channel_of,
    lookup,
    text_field,
    time_field,
)
from floorwatch.events.model import Channel, CxEvent, EventType, Source, fit_text

EVENT_TYPE_PREFIX = "zen:event-type:"
TICKET_PREFIX = f"{EVENT_TYPE_PREFIX}ticket."
AGENT_PREFIX = f"{EVENT_TYPE_PREFIX}agent."
EVENTBRIDGE_SOURCE_PREFIX = "aws.partner/zendesk.com"
_AGENT_STATES = {"online": "available", "offline": "offline"}  # any other status: not_ready

_VIA_CHANNELS: dict[str, Channel] = {
    "email": Channel.EMAIL,
    "voice": Channel.VOICE,
    "phone": Channel.VOICE,
    "chat": Channel.CHAT,
    "native_messaging": Channel.CHAT,
    "web_messaging": Channel.CHAT,
    "sms": Channel.SMS,
    "twitter": Channel.SOCIAL,
    "facebook": Channel.SOCIAL,
    "messenger": Channel.SOCIAL,
    "whatsapp": Channel.SOCIAL,
    "instagram_dm": Channel.SOCIAL,
    "line": Channel.SOCIAL,
    "wechat": Channel.SOCIAL,
}


class ZendeskAdapter:
    source = Source.ZENDESK

    def matches(self, payload: Payload) -> bool:
        kind = payload.get("type")
        if isinstance(kind, str) and kind.startswith(EVENT_TYPE_PREFIX) and "detail" in payload:
            return True
        source = payload.get("source")
        return (
            isinstance(source, str)
            and source.startswith(EVENTBRIDGE_SOURCE_PREFIX)
            and isinstance(payload.get("detail"), dict)
        )

    def to_events(self, payload: Payload) -> list[CxEvent]:
        if "detail-type" in payload or str(payload.get("source", "")).startswith(EVENTBRIDGE_SOURCE_PREFIX):
            return _eventbridge(payload)
        kind = text_field(payload, "type")
        if kind.startswith(AGENT_PREFIX):
            return [_agent_state(payload, kind.removeprefix(AGENT_PREFIX))]
        if not kind.startswith(TICKET_PREFIX):
            raise Skip(f"Zendesk event {kind[:60]!r} is neither a ticket nor an agent status event")
        detail = lookup(payload, "detail")
        if not isinstance(detail, dict):
            raise AdapterError("detail", f"expected an object, got {type(detail).__name__}")
        change = kind.removeprefix(TICKET_PREFIX)
        subject = text_field(payload, "detail.subject", None)
        return [
            CxEvent(
                event_id=text_field(payload, "id"),
                source=Source.ZENDESK,
                type=EventType.TICKET,
                occurred_at=time_field(payload, "time"),
                queue_id=text_field(payload, "detail.group_id", None),
                agent_id=text_field(payload, "detail.assignee_id", None),
                contact_id=text_field(payload, "detail.id"),
                channel=_channel(payload),
                labels=_labels(payload, change),
                text=None if subject is None else fit_text(subject),
            )
        ]


def _channel(payload: Payload) -> Channel | None:
    via = text_field(payload, "detail.via.channel", None)
    if via is None:
        return None
    return _VIA_CHANNELS.get(via.lower()) or channel_of(via)


def _labels(payload: Payload, change: str) -> dict[str, str]:
    labels = {"event": change}
    status = _lower(payload, "detail.status")
    if status is None and change == "status_changed":
        status = _lower(payload, "event.current")
    _put(labels, "status", status)
    _put(labels, "priority", _lower(payload, "detail.priority"))
    _put(labels, "ticket_type", _lower(payload, "detail.type"))
    if change == "status_changed":
        _put(labels, "previous_status", _lower(payload, "event.previous"))
    elif change == "priority_changed":
        _put(labels, "previous_priority", _lower(payload, "event.previous"))
    return labels


def _lower(payload: Payload, path: str) -> str | None:
    value: Any = text_field(payload, path, None)
    return None if value is None else str(value).lower()


def _put(labels: dict[str, str], name: str, value: str | None) -> None:
    if value is not None:
        labels[name] = value


# --- agent availability ---------------------------------------------------------------------------

_AGENT_EVENTS = {
    "unified_state_changed": ("event.new_unified_state.name", "event.previous_unified_state.name"),
    "state_changed": ("event.new_state", "event.previous_state"),
}


def _agent_state(payload: Payload, change: str) -> CxEvent:
    paths = _AGENT_EVENTS.get(change)
    if paths is None:
        raise Skip(
            f"Zendesk agent event {change[:60]!r} says nothing about the agent's status "
            f"(mapped: {', '.join(_AGENT_EVENTS)})"
        )
    status = text_field(payload, paths[0])
    labels = {"event": change, "state": _AGENT_STATES.get(status.lower(), "not_ready"), "status": status}
    _put(labels, "previous_status", text_field(payload, paths[1], None))
    _put(labels, "reason", _lower(payload, "event.new_unified_state.reason"))
    _put(labels, "work_channel", _lower(payload, "event.channel"))
    occurred_at = time_field(payload, "time", None) or time_field(payload, "event.updated_at")
    return CxEvent(
        event_id=text_field(payload, "id"),
        source=Source.ZENDESK,
        type=EventType.AGENT_STATE,
        occurred_at=occurred_at,
        agent_id=text_field(payload, "detail.agent_id"),
        values={"state_seconds": 0.0},
        labels=labels,
    )


# --- Amazon EventBridge (Events Connector) --------------------------------------------------------

_CHANGES = {"status_changed": "previous_status", "priority_changed": "previous_priority"}


def _eventbridge(payload: Payload) -> list[CxEvent]:
    detail = lookup(payload, "detail")
    if not isinstance(detail, dict):
        raise AdapterError("detail", f"expected an object, got {type(detail).__name__}")
    kind = detail.get("type")
    if isinstance(kind, str) and kind.startswith(EVENT_TYPE_PREFIX):
        # A webhook event forwarded through EventBridge: the detail is the webhook payload itself.
        inner = dict(detail)
        inner.setdefault("id", payload.get("id"))
        inner.setdefault("time", payload.get("time"))
        return ZendeskAdapter().to_events(inner)
    ticket_event = detail.get("ticket_event")
    if ticket_event is None:
        kinds = str(payload.get("detail-type", "?"))[:60]
        raise Skip(f"Zendesk EventBridge event {kinds!r} carries no ticket_event (only ticket events map)")
    if not isinstance(ticket_event, dict):
        raise AdapterError("detail.ticket_event", f"expected an object, got {type(ticket_event).__name__}")
    base = "detail.ticket_event"
    change = slug_words(text_field(payload, f"{base}.type"))
    labels = {"event": change}
    _put(labels, "status", _lower(payload, f"{base}.ticket.status"))
    _put(labels, "priority", _lower(payload, f"{base}.ticket.priority"))
    _put(labels, "ticket_type", _lower(payload, f"{base}.ticket.type"))
    if change in _CHANGES:
        _put(labels, _CHANGES[change], _lower(payload, f"{base}.previous"))
    via = text_field(payload, f"{base}.ticket.via.channel", None)
    return [
        CxEvent(
            event_id=text_field(payload, "id"),
            source=Source.ZENDESK,
            type=EventType.TICKET,
            occurred_at=time_field(payload, f"{base}.meta.occurred_at", None) or time_field(payload, "time"),
            queue_id=text_field(payload, f"{base}.ticket.group_id", None),
            agent_id=text_field(payload, f"{base}.ticket.assignee_id", None),
            contact_id=text_field(payload, f"{base}.ticket.id"),
            channel=None if via is None else _VIA_CHANNELS.get(via.lower()) or channel_of(via),
            labels=labels,
        )
    ]


def slug_words(text: str) -> str:
    """ "Status Changed" -> "status_changed" (the webhook types' spelling of the same change)."""
    return "_".join(text.lower().split())
