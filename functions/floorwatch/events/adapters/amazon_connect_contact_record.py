"""Amazon Connect contact records (CTRs, Kinesis export) -> the contact's queue and handling facts.

Format: the documented ContactTraceRecord (admin guide, "Contact records data model"): ``ContactId``,
``Channel``, ``InitiationMethod``, ``InitiationTimestamp``, ``DisconnectTimestamp``, ``DisconnectReason``,
``TransferCompletedTimestamp``, ``InstanceARN``, ``Queue`` {ARN, Name, EnqueueTimestamp, DequeueTimestamp,
Duration}, ``Agent`` {ARN, Username, ConnectedToAgentTimestamp, AgentInteractionDuration,
CustomerHoldDuration, AfterContactWorkDuration, NumberOfHolds, HierarchyGroups {Level1..5 {ARN, GroupName}}}.

A CTR arrives once the contact is over (after ACW), so one record yields several events, each at its own
event time:
- ``contact_queued`` at Queue.EnqueueTimestamp, when the contact was queued. Without it a deployment fed
  only by CTRs would have no ``contacts_offered`` and no abandon rate.
- ``contact_answered`` at Agent.ConnectedToAgentTimestamp when a queued contact reached an agent;
  ``values.wait_seconds`` = Queue.Duration (or the enqueue -> connected interval).
- ``contact_abandoned`` when it was queued, never connected to an agent and not transferred out of Connect
  (the documented abandoned-contact rule), at DisconnectTimestamp (else DequeueTimestamp);
  ``values.wait_seconds`` as above up to the disconnect.
- a contact that was never queued and never connected to an agent ended in the IVR (self-service, or
  the caller hung up in the flow): ``contact_ended`` with ``labels.ended_in`` = ``ivr``, which the
  evaluator counts as ``contacts_ended_in_ivr`` and never as handled;
- otherwise ``contact_ended`` at DisconnectTimestamp; when an agent handled it: ``values.talk_seconds``
  (AgentInteractionDuration), ``hold_seconds`` (CustomerHoldDuration), ``acw_seconds``
  (AfterContactWorkDuration), ``holds`` (NumberOfHolds) and ``handle_seconds`` = talk + hold + ACW.
Labels: ``initiation_method``, ``queue_name`` (Queue.Name) and, on abandoned/ended, ``disconnect_reason``
(lower-cased).

Connect delivers CTRs at least once and re-delivers them when a contact is updated: ids are
``stable_id(source, ContactId, kind)``, so a re-delivered record yields the same ids and is not counted
twice. Identity rules (queue ARN id, agent ARN id, deepest hierarchy GroupName) live in
amazon_connect_common.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from floorwatch.events.adapters.amazon_connect_common import (
    agent_id_from_arn,
    instance_id,
    lower_label,
    optional_instant,
    queue_id_of,
    queue_name_of,
    seconds_between,
    team_id_of,
)
from floorwatch.events.adapters.base import (
    AdapterError,
    Payload,
    channel_of,
    lookup,
    number_field,
    stable_id,
    text_field,
)
from floorwatch.events.model import Channel, CxEvent, EventType, Source


# Read-only by convention, not frozen: a frozen dataclass sets each field through object.__setattr__,
# which triples the cost of making one (several per record here; see events.pipeline.RawRecord).
@dataclass(slots=True)
class _Queue:
    queue_id: str | None
    enqueued: datetime | None
    dequeued: datetime | None
    duration: float | None


@dataclass(slots=True)
class _Agent:
    agent_id: str
    team_id: str | None
    connected: datetime | None
    durations: dict[str, float]


@dataclass(slots=True)
class _Contact:
    contact_id: str
    center_id: str
    channel: Channel | None
    labels: dict[str, str]


# The enum's value once (its property is Python code): a part of every event id.
_SOURCE_NAME = Source.AMAZON_CONNECT_CONTACT_RECORD.value


class AmazonConnectContactRecordAdapter:
    source = Source.AMAZON_CONNECT_CONTACT_RECORD

    def matches(self, payload: Payload) -> bool:
        return "AWSContactTraceRecordFormatVersion" in payload or (
            "ContactId" in payload and "InitiationTimestamp" in payload and "InstanceARN" in payload
        )

    def to_events(self, payload: Payload) -> list[CxEvent]:
        contact = _Contact(
            contact_id=text_field(payload, "ContactId"),
            center_id=instance_id(text_field(payload, "InstanceARN"), "InstanceARN"),
            channel=channel_of(lookup(payload, "Channel", None)),
            labels=_labels(initiation_method=lookup(payload, "InitiationMethod", None)),
        )
        queue_name = queue_name_of(lookup(payload, "Queue.Name", None))
        if queue_name is not None:
            contact.labels["queue_name"] = queue_name
        queue = _queue(payload)
        agent = _agent(payload)
        disconnected = optional_instant(payload, "DisconnectTimestamp")
        ending_labels = {
            **contact.labels,
            **_labels(disconnect_reason=lookup(payload, "DisconnectReason", None)),
        }
        connected = agent.connected if agent else None
        events: list[CxEvent] = []

        if queue.enqueued is not None:
            events.append(self._event(contact, "queued", EventType.CONTACT_QUEUED, queue.enqueued, queue))
            if connected is not None:
                wait = _wait(queue, connected)
                events.append(
                    self._event(
                        contact,
                        "answered",
                        EventType.CONTACT_ANSWERED,
                        connected,
                        queue,
                        agent=agent,
                        values=wait,
                    )
                )
            elif optional_instant(payload, "TransferCompletedTimestamp") is None:
                at = disconnected or queue.dequeued
                if at is None:
                    raise AdapterError("DisconnectTimestamp", "missing (needed for an abandoned contact)")
                events.append(
                    self._event(
                        contact,
                        "abandoned",
                        EventType.CONTACT_ABANDONED,
                        at,
                        queue,
                        values=_wait(queue, at),
                        labels=ending_labels,
                    )
                )
                return events

        if disconnected is None:
            raise AdapterError("DisconnectTimestamp", "missing")
        handled = agent if connected is not None else None
        values = _handling_values(handled.durations) if handled else {}
        if handled is None and queue.enqueued is None:
            ending_labels["ended_in"] = "ivr"  # never queued, never with an agent: not a handled contact
        events.append(
            self._event(
                contact,
                "ended",
                EventType.CONTACT_ENDED,
                disconnected,
                queue,
                agent=handled,
                values=values,
                labels=ending_labels,
            )
        )
        return events

    def _event(
        self,
        contact: _Contact,
        kind: str,
        event_type: EventType,
        at: datetime,
        queue: _Queue,
        *,
        agent: _Agent | None = None,
        values: dict[str, float] | None = None,
        labels: dict[str, str] | None = None,
    ) -> CxEvent:
        return CxEvent(
            event_id=stable_id(_SOURCE_NAME, contact.contact_id, kind),
            source=self.source,
            type=event_type,
            occurred_at=at,
            center_id=contact.center_id,
            queue_id=queue.queue_id,
            team_id=agent.team_id if agent else None,
            agent_id=agent.agent_id if agent else None,
            contact_id=contact.contact_id,
            channel=contact.channel,
            values=values or {},
            labels=contact.labels if labels is None else labels,
        )


def _labels(**raw: Any) -> dict[str, str]:
    return {name: label for name, value in raw.items() if (label := lower_label(value)) is not None}


def _queue(payload: Payload) -> _Queue:
    return _Queue(
        queue_id=queue_id_of(
            lookup(payload, "Queue.Name", None), lookup(payload, "Queue.ARN", None), "Queue.Name", "Queue.ARN"
        ),
        enqueued=optional_instant(payload, "Queue.EnqueueTimestamp"),
        dequeued=optional_instant(payload, "Queue.DequeueTimestamp"),
        duration=_seconds(payload, "Queue.Duration"),
    )


_DURATIONS = {
    "talk_seconds": "Agent.AgentInteractionDuration",
    "hold_seconds": "Agent.CustomerHoldDuration",
    "acw_seconds": "Agent.AfterContactWorkDuration",
    "holds": "Agent.NumberOfHolds",
}


def _agent(payload: Payload) -> _Agent | None:
    arn = text_field(payload, "Agent.ARN", None)
    if arn is None:
        return None
    durations = {
        name: value for name, path in _DURATIONS.items() if (value := _seconds(payload, path)) is not None
    }
    return _Agent(
        agent_id=agent_id_from_arn(arn, "Agent.ARN"),
        team_id=team_id_of(
            lookup(payload, "Agent.HierarchyGroups", None), "GroupName", "Agent.HierarchyGroups"
        ),
        connected=optional_instant(payload, "Agent.ConnectedToAgentTimestamp"),
        durations=durations,
    )


def _seconds(payload: Payload, path: str) -> float | None:
    value: float | None = number_field(payload, path, None)
    if value is not None and value < 0:
        raise AdapterError(path, f"must not be negative, got {value:g}")
    return value


def _wait(queue: _Queue, dequeued_at: datetime) -> dict[str, float]:
    wait = queue.duration if queue.duration is not None else seconds_between(queue.enqueued, dequeued_at)
    return {} if wait is None else {"wait_seconds": wait}


def _handling_values(durations: dict[str, float]) -> dict[str, float]:
    values = dict(durations)
    parts = [durations[name] for name in ("talk_seconds", "hold_seconds", "acw_seconds") if name in durations]
    if parts:
        values["handle_seconds"] = sum(parts)
    return values
