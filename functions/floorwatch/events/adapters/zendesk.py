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
  addresses or phone numbers). The description is not copied.

Other domains' events (user, organization, …) carry nothing floorwatch monitors and map to nothing.
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
from floorwatch.events.model import Channel, CxEvent, EventType, Source

EVENT_TYPE_PREFIX = "zen:event-type:"
TICKET_PREFIX = f"{EVENT_TYPE_PREFIX}ticket."
MAX_TEXT = 4000

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
        return isinstance(kind, str) and kind.startswith(EVENT_TYPE_PREFIX) and "detail" in payload

    def to_events(self, payload: Payload) -> list[CxEvent]:
        kind = text_field(payload, "type")
        if not kind.startswith(TICKET_PREFIX):
            raise Skip(f"Zendesk event {kind[:60]!r} is not a ticket event")
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
                text=None if subject is None else subject[:MAX_TEXT],
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
