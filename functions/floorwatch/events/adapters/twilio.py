"""Twilio TaskRouter events -> CxEvents: Workspace event callbacks and Event Streams CloudEvents.

Format: the Workspace's EventCallbackUrl callback (TaskRouter "Events reference"). TaskRouter POSTs it
form-encoded; floorwatch reads JSON from Kinesis, so the integrator's webhook relay forwards the form
fields unchanged as one JSON object of strings (``{"EventType": "reservation.accepted", "Sid": "EV…",
"TaskAge": "23", …}``); numbers given as JSON numbers are accepted too. Common fields: ``EventType``,
``Sid`` (the event), ``AccountSid``, ``WorkspaceSid``, ``ResourceType``, ``ResourceSid``, ``Timestamp``
(epoch seconds) and ``TimestampMs``. Task events add ``TaskSid``, ``TaskAttributes`` (a JSON string),
``TaskAge`` (seconds since the task was created), ``TaskAssignmentStatus``, ``TaskCanceledReason``,
``TaskCompletedReason``, ``TaskQueueSid``/``TaskQueueName``, ``TaskChannelUniqueName``; worker events
``WorkerSid``, ``WorkerName``, ``WorkerActivitySid``, ``WorkerActivityName``,
``WorkerPreviousActivityName``, ``WorkerTimeInPreviousActivity`` (s) / ``…Ms``.

The form-encoded body itself (``EventType=task.canceled&Sid=EV...``, as TaskRouter POSTs it) is accepted
too: the normalizer reads a record that is not JSON but a form body with an ``EventType`` field as that
object of strings, so a relay may forward the body untouched.

Event Streams (Twilio's JSON delivery to a Kinesis or webhook sink, "Event Streams: TaskRouter event
types"): a CloudEvent ``{"specversion": "1.0", "type": "com.twilio.taskrouter.<event type>", "id",
"time", "data": {..., "payload": {sid, eventtype, account_sid, workspace_sid, timestamp, task_sid,
task_age, task_queue_sid, task_queue_name, task_channel_unique_name, task_canceled_reason,
task_completed_reason, worker_sid, worker_activity_name, worker_previous_activity_name,
worker_time_in_previous_activity(_ms), ...}}}`` (a webhook sink posts a JSON array of them). The payload
carries the callback's fields in snake_case: each is read as its callback name (``task_queue_sid`` ->
``TaskQueueSid``), the event type is the CloudEvent ``type`` after ``com.twilio.taskrouter.``, and the
mapping below applies unchanged, so one event reaches the same id (its ``EV`` sid) either way.
CloudEvents of other Twilio products are skipped.

Mapping (``event_id`` = the event ``Sid``; ``occurred_at`` = TimestampMs, else Timestamp;
``contact_id`` = TaskSid; ``agent_id`` = WorkerSid; ``labels.event`` = EventType):

- ``task-queue.entered`` -> ``contact_queued`` (the contact is offered to that queue).
- ``reservation.accepted`` -> ``contact_answered`` with ``wait_seconds`` = TaskAge: TaskRouter creates
  the task when the contact starts waiting, so its age at acceptance is the wait.
- ``task.canceled`` -> ``contact_abandoned`` with ``wait_seconds`` = TaskAge and ``labels.reason`` =
  TaskCanceledReason (only unassigned tasks can be canceled, so this is a contact nobody answered).
- ``task.completed`` -> ``contact_ended`` with ``labels.reason`` = TaskCompletedReason. No handle time:
  one callback cannot tell it (TaskAge includes the wait).
- ``worker.activity.update`` -> ``agent_state``: ``labels.activity`` = WorkerActivityName as configured,
  ``labels.state`` = ``available`` (an activity named Available/Idle/Ready), ``offline`` (Offline) or
  ``not_ready`` (anything else: Break, Lunch, Unavailable…); ``values.state_seconds`` = 0 (the agent
  just entered it) and ``values.previous_state_seconds`` = time in the previous activity.

``task.created`` is deliberately not mapped: a task is offered to a queue only when it enters one, and
every task also produces ``task-queue.entered``, so mapping both would count each contact twice. Other
event types (reservation.created, task.updated, workflow.*, …) carry nothing floorwatch monitors; set the
Workspace's ``EventsFilter`` to the five types above to keep them off the stream.

Queue identity: ``queue_id`` = TaskQueueName (human-readable, e.g. "billing") when the callback has it,
else TaskQueueSid. Channel: TaskChannelUniqueName (voice, chat, sms, email), else the ``channelType``
task attribute Flex sets; unknown channels (``default``) stay empty. Worker names are PII (Twilio marks
them so) and are not copied.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from floorwatch.events.adapters.base import (
    AdapterError,
    Payload,
    Skip,
    channel_of,
    lookup,
    number_field,
    parse_instant,
    text_field,
)
from floorwatch.events.model import Channel, CxEvent, EventType, Source

_AVAILABLE_ACTIVITIES = frozenset({"available", "idle", "ready"})
_OFFLINE_ACTIVITIES = frozenset({"offline"})
# Flex's channelType attribute names a web chat "web".
_ATTRIBUTE_CHANNELS = {"web": Channel.CHAT}

MAPPED_EVENT_TYPES = (
    "task-queue.entered",
    "reservation.accepted",
    "task.canceled",
    "task.completed",
    "worker.activity.update",
)


CLOUDEVENT_TYPE_PREFIX = "com.twilio."
TASKROUTER_TYPE_PREFIX = "com.twilio.taskrouter."


class TwilioAdapter:
    source = Source.TWILIO

    def matches(self, payload: Payload) -> bool:
        if isinstance(payload.get("EventType"), str) and "WorkspaceSid" in payload:
            return True
        kind = payload.get("type")
        return "specversion" in payload and isinstance(kind, str) and kind.startswith(CLOUDEVENT_TYPE_PREFIX)

    def to_events(self, payload: Payload) -> list[CxEvent]:
        if "specversion" in payload:
            payload = _from_cloudevent(payload)
        event_type = text_field(payload, "EventType")
        mapper = _MAPPERS.get(event_type)
        if mapper is None:
            raise Skip(
                f"TaskRouter event {event_type[:60]!r} is not monitored (mapped: {', '.join(_MAPPERS)})"
            )
        return [mapper(payload)]


def _from_cloudevent(event: Payload) -> Payload:
    """An Event Streams CloudEvent as the callback fields it carries (snake_case -> the callback's names)."""
    kind = text_field(event, "type")
    if not kind.startswith(TASKROUTER_TYPE_PREFIX):
        raise Skip(f"Twilio event {kind[:80]!r} is not a TaskRouter event")
    payload = lookup(event, "data.payload")
    if not isinstance(payload, dict):
        raise AdapterError("data.payload", f"expected an object, got {type(payload).__name__}")
    fields: dict[str, Any] = {_callback_name(str(key)): value for key, value in payload.items()}
    fields["EventType"] = kind.removeprefix(TASKROUTER_TYPE_PREFIX)
    fields.setdefault("Sid", event.get("id"))
    if fields.get("Timestamp") is None and fields.get("TimestampMs") is None:
        fields["Timestamp"] = event.get("time")
    return fields


def _callback_name(key: str) -> str:
    """``task_queue_sid`` -> ``TaskQueueSid``: the callback's spelling of an Event Streams field."""
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def _common(payload: Payload, event_type: EventType) -> dict[str, Any]:
    return {
        "event_id": text_field(payload, "Sid"),
        "source": Source.TWILIO,
        "type": event_type,
        "occurred_at": _occurred_at(payload),
    }


def _occurred_at(payload: Payload) -> datetime:
    for name in ("TimestampMs", "Timestamp"):
        value = lookup(payload, name, None)
        if value is not None:
            return _instant(value, name)
    raise AdapterError("Timestamp", "missing")


def _instant(value: Any, name: str) -> datetime:
    """Epoch seconds or milliseconds, as a number or the numeric string a form field is."""
    if isinstance(value, str) and _looks_numeric(value):
        value = float(value)
    # Anything else goes as is: parse_instant tries ISO 8601 and names the field if that fails too.
    return parse_instant(value, name)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _task_fields(payload: Payload, *, queue_required: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "contact_id": text_field(payload, "TaskSid"),
        "channel": _channel(payload),
    }
    queue = text_field(payload, "TaskQueueName", None) or text_field(payload, "TaskQueueSid", None)
    if queue is None and queue_required:
        raise AdapterError("TaskQueueSid", "missing (neither TaskQueueName nor TaskQueueSid is present)")
    fields["queue_id"] = queue
    return fields


def _channel(payload: Payload) -> Channel | None:
    channel = channel_of(text_field(payload, "TaskChannelUniqueName", None))
    if channel is not None:
        return channel
    attributes = lookup(payload, "TaskAttributes", None)
    if not isinstance(attributes, str):
        return None
    try:
        parsed = json.loads(attributes)
    except (json.JSONDecodeError, RecursionError):
        return None  # free-form integrator data: a malformed one must not cost the event
    channel_type = parsed.get("channelType") if isinstance(parsed, dict) else None
    if not isinstance(channel_type, str):
        return None
    return _ATTRIBUTE_CHANNELS.get(channel_type.lower()) or channel_of(channel_type)


def _wait(payload: Payload) -> dict[str, float]:
    age: float | None = number_field(payload, "TaskAge", None)
    if age is None:
        return {}
    if age < 0:
        raise AdapterError("TaskAge", "must not be negative")
    return {"wait_seconds": age}


def _labels(payload: Payload, **fields: str) -> dict[str, str]:
    labels = {"event": text_field(payload, "EventType")}
    for label, field in fields.items():
        value = text_field(payload, field, None)
        if value is not None:
            labels[label] = value
    return labels


def _queued(payload: Payload) -> CxEvent:
    return CxEvent(
        **_common(payload, EventType.CONTACT_QUEUED),
        **_task_fields(payload, queue_required=True),
        labels=_labels(payload),
    )


def _answered(payload: Payload) -> CxEvent:
    return CxEvent(
        **_common(payload, EventType.CONTACT_ANSWERED),
        **_task_fields(payload, queue_required=True),
        agent_id=text_field(payload, "WorkerSid"),
        values=_wait(payload),
        labels=_labels(payload),
    )


def _abandoned(payload: Payload) -> CxEvent:
    return CxEvent(
        **_common(payload, EventType.CONTACT_ABANDONED),
        **_task_fields(payload, queue_required=True),
        values=_wait(payload),
        labels=_labels(payload, reason="TaskCanceledReason"),
    )


def _ended(payload: Payload) -> CxEvent:
    return CxEvent(
        **_common(payload, EventType.CONTACT_ENDED),
        **_task_fields(payload, queue_required=False),
        agent_id=text_field(payload, "WorkerSid", None),
        labels=_labels(payload, reason="TaskCompletedReason"),
    )


def _agent_state(payload: Payload) -> CxEvent:
    activity = text_field(payload, "WorkerActivityName")
    values = {"state_seconds": 0.0}
    previous = _previous_state_seconds(payload)
    if previous is not None:
        values["previous_state_seconds"] = previous
    return CxEvent(
        **_common(payload, EventType.AGENT_STATE),
        agent_id=text_field(payload, "WorkerSid"),
        values=values,
        labels={
            **_labels(payload, previous_activity="WorkerPreviousActivityName"),
            "state": _state(activity),
            "activity": activity,
        },
    )


def _state(activity: str) -> str:
    name = activity.strip().lower()
    if name in _AVAILABLE_ACTIVITIES:
        return "available"
    if name in _OFFLINE_ACTIVITIES:
        return "offline"
    return "not_ready"


def _previous_state_seconds(payload: Payload) -> float | None:
    milliseconds: float | None = number_field(payload, "WorkerTimeInPreviousActivityMs", None)
    if milliseconds is not None:
        return max(0.0, milliseconds / 1000.0)
    seconds: float | None = number_field(payload, "WorkerTimeInPreviousActivity", None)
    return None if seconds is None else max(0.0, seconds)


_MAPPERS: dict[str, Callable[[Payload], CxEvent]] = {
    "task-queue.entered": _queued,
    "reservation.accepted": _answered,
    "task.canceled": _abandoned,
    "task.completed": _ended,
    "worker.activity.update": _agent_state,
}
