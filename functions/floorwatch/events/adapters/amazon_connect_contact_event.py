"""Amazon Connect contact events (EventBridge "Amazon Connect Contact Event") -> queue/answer/end facts.

Format: the EventBridge envelope (``version``, ``id``, ``detail-type``, ``source`` "aws.connect",
``account``, ``time``, ``region``, ``resources``) around the documented contact event ``detail``
(admin guide, "Amazon Connect contact events"): ``eventType``, ``contactId``, ``channel``,
``instanceArn``, ``initiationMethod``, ``initiationTimestamp``, ``disconnectTimestamp``,
``disconnectReason``, ``queueInfo`` {queueArn, queueType, enqueueTimestamp}, ``agentInfo`` {agentArn,
connectedToAgentTimestamp, hierarchyGroups {level1..5 {arn}}}.

AWS's own samples disagree on key case inside ``detail`` (the delivered events are camelCase, some
documented samples are PascalCase: ``ContactId``, ``QueueInfo.QueueArn``, ``instanceARN``), so keys in
``detail`` are matched case-insensitively. Quarantine reasons name the camelCase path.

Two deliveries are accepted: the whole EventBridge event, and the ``detail`` object alone (what an
EventBridge rule with an input path of ``$.detail`` forwards), recognised by ``eventType``, ``contactId``
and ``instanceArn`` at its top level or named by an envelope ``{"source": "amazon_connect.contact_event",
"payload": {...}}``. Without the EventBridge envelope there is no event ``id`` and no ``time``: the id is
a hash of (contactId, eventType, the event's own timestamp), and the event's own timestamp is required.

Mapping (one event per EventBridge event; ``event_id`` = the EventBridge ``id``):
- QUEUED -> ``contact_queued`` at queueInfo.enqueueTimestamp.
- CONNECTED_TO_AGENT -> ``contact_answered`` at agentInfo.connectedToAgentTimestamp;
  ``values.wait_seconds`` = enqueue -> connected when both are known.
- DISCONNECTED -> ``contact_abandoned`` when the contact was queued and never reached an agent (no
  agentInfo, or an unset connectedToAgentTimestamp), with ``values.wait_seconds`` = enqueue -> disconnect;
  a contact that was neither queued nor connected to an agent (no queueInfo, no agentInfo) ended in
  the IVR: ``contact_ended`` with ``labels.ended_in`` = ``ivr`` (counted as ``contacts_ended_in_ivr``,
  never as handled); otherwise ``contact_ended`` at disconnectTimestamp (no durations: these events
  carry no talk/hold/ACW split, so ``handle_seconds`` comes only from contact records).
- INITIATED, CONTACT_DATA_UPDATED, CONNECTED_TO_SYSTEM, COMPLETED, PAUSED, RESUMED and event types added
  later are acknowledged as skipped (nothing floorwatch counts happens there; INITIATED precedes
  queueing, so counting it would inflate contacts offered with IVR-only calls). Filter them out in the
  EventBridge rule (``"detail": {"eventType": ["QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED"]}``) to
  save the records and invocations.
When an event's own timestamp is missing, the envelope ``time`` is used. Connect's placeholder
timestamps (1970-01-01T00:00:00.001Z) count as missing.

Identity: ``center_id`` from instanceArn, ``agent_id`` from agentArn, ``queue_id`` from queueArn: the
queue ARN's id, the same id the CTRs and agent events give the queue (see amazon_connect_common). These
events carry no queue or hierarchy *names*, so there is no ``queue_name`` label, and ``team_id`` is left
empty rather than split a team across two ids.
Labels: ``initiation_method``; on DISCONNECTED also ``disconnect_reason`` when present.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from floorwatch.events.adapters.amazon_connect_common import (
    agent_id_from_arn,
    instance_id,
    lower_label,
    optional_instant,
    queue_id_of,
    seconds_between,
)
from floorwatch.events.adapters.base import (
    AdapterError,
    Payload,
    Skip,
    channel_of,
    lookup,
    stable_id,
    text_field,
    time_field,
)
from floorwatch.events.model import CxEvent, EventType, Source

DETAIL_TYPE = "Amazon Connect Contact Event"
_MAPPED = ("QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED")


# The enum's value once (its property is Python code): a part of every event id.
_SOURCE_NAME = Source.AMAZON_CONNECT_CONTACT_EVENT.value


class AmazonConnectContactEventAdapter:
    source = Source.AMAZON_CONNECT_CONTACT_EVENT

    def matches(self, payload: Payload) -> bool:
        if payload.get("detail-type") == DETAIL_TYPE:
            return True
        detail = payload.get("detail")
        if detail is None:
            # The detail alone (an input path of $.detail): its own three identifying keys.
            if "eventType" not in payload and "EventType" not in payload:
                return False
            return _has_keys(payload, _DETAIL_KEYS)
        if payload.get("source") != "aws.connect" or not isinstance(detail, dict):
            return False
        return _has_keys(detail, _ENVELOPED_DETAIL_KEYS)

    def to_events(self, payload: Payload) -> list[CxEvent]:
        if "detail" not in payload and "detail-type" not in payload:
            return self._mapped(payload, _Detail(payload, prefix=""), enveloped=False)
        detail_type = payload.get("detail-type")
        if detail_type is not None and detail_type != DETAIL_TYPE:
            raise AdapterError("detail-type", f"expected {DETAIL_TYPE!r}, got {str(detail_type)[:60]!r}")
        raw_detail = lookup(payload, "detail")
        if not isinstance(raw_detail, dict):
            raise AdapterError("detail", f"expected an object, got {type(raw_detail).__name__}")
        return self._mapped(payload, _Detail(raw_detail), enveloped=True)

    def _mapped(self, payload: Payload, detail: _Detail, *, enveloped: bool) -> list[CxEvent]:
        event_type = detail.text("eventType").upper()
        if event_type not in _MAPPED:
            raise Skip(f"contact event {event_type[:40]} is not monitored (mapped: {', '.join(_MAPPED)})")
        return [self._event(payload if enveloped else None, detail, event_type)]

    def _event(self, payload: Payload | None, detail: _Detail, event_type: str) -> CxEvent:
        queue_id = queue_id_of(None, detail.raw("queueInfo.queueArn"), "", detail.path("queueInfo.queueArn"))
        agent_arn = detail.text("agentInfo.agentArn", required=False)
        enqueued = detail.instant("queueInfo.enqueueTimestamp")
        connected = detail.instant("agentInfo.connectedToAgentTimestamp")
        labels = _labels(initiation_method=detail.raw("initiationMethod"))
        values: dict[str, float] = {}

        if event_type == "QUEUED":
            if queue_id is None:
                raise AdapterError(
                    detail.path("queueInfo.queueArn"), "missing (a QUEUED event names its queue)"
                )
            kind, at = (
                EventType.CONTACT_QUEUED,
                enqueued or _envelope_time(payload, detail, "queueInfo.enqueueTimestamp"),
            )
        elif event_type == "CONNECTED_TO_AGENT":
            if agent_arn is None:
                raise AdapterError(
                    detail.path("agentInfo.agentArn"), "missing (a CONNECTED_TO_AGENT event names its agent)"
                )
            kind = EventType.CONTACT_ANSWERED
            at = connected or _envelope_time(payload, detail, "agentInfo.connectedToAgentTimestamp")
            values = _wait(enqueued, at)
        else:
            at = detail.instant("disconnectTimestamp") or _envelope_time(
                payload, detail, "disconnectTimestamp"
            )
            labels.update(_labels(disconnect_reason=detail.raw("disconnectReason")))
            reached_agent = connected is not None or (
                agent_arn is not None
                and detail.raw("agentInfo.connectedToAgentTimestamp", keep_null=True) is _ABSENT
            )
            queued = queue_id is not None or enqueued is not None
            if queued and not reached_agent:
                kind, values = EventType.CONTACT_ABANDONED, _wait(enqueued, at)
            else:
                kind = EventType.CONTACT_ENDED
                if not queued and agent_arn is None:
                    labels["ended_in"] = "ivr"  # never queued, never with an agent: not a handled contact

        contact_id = detail.text("contactId")
        if payload is not None:
            event_id = text_field(payload, "id")
        else:
            event_id = stable_id(_SOURCE_NAME, contact_id, event_type, at.isoformat())
        return CxEvent(
            event_id=event_id,
            source=self.source,
            type=kind,
            occurred_at=at,
            center_id=instance_id(detail.text("instanceArn"), detail.path("instanceArn")),
            queue_id=queue_id,
            agent_id=agent_id_from_arn(agent_arn, detail.path("agentInfo.agentArn")) if agent_arn else None,
            contact_id=contact_id,
            channel=channel_of(detail.raw("channel")),
            values=values,
            labels=labels,
        )


_ABSENT = object()


_DETAIL_KEYS = frozenset({"eventtype", "contactid", "instancearn"})
_ENVELOPED_DETAIL_KEYS = frozenset({"eventtype", "contactid"})


def _has_keys(mapping: Payload, wanted: frozenset[str]) -> bool:
    """Whether ``mapping`` has every key in ``wanted``, in any case.

    Asked of every Twilio, Connect agent and Contact Lens payload (they have an ``EventType`` too), so the
    keys are lower-cased by ``map`` in C, not by a comprehension; keys that are not strings (never from
    JSON) take the comprehension.
    """
    try:
        return wanted.issubset(map(str.lower, mapping))
    except TypeError:
        return {str(key).lower() for key in mapping} >= wanted


class _Detail:
    """``detail`` with keys matched case-insensitively; errors name ``detail.<camelCase path>`` (or the
    bare path when the detail arrived alone)."""

    def __init__(self, detail: Mapping[str, Any], prefix: str = "detail.") -> None:
        self._data = _lower_keys(detail)
        self._prefix = prefix

    def path(self, path: str) -> str:
        return f"{self._prefix}{path}"

    def raw(self, path: str, *, keep_null: bool = False) -> Any:
        current: Any = self._data
        for key in path.lower().split("."):
            if not isinstance(current, dict) or key not in current:
                return _ABSENT if keep_null else None
            current = current[key]
        return current

    def text(self, path: str, *, required: bool = True) -> Any:
        try:
            return (
                text_field(self._data, path.lower())
                if required
                else text_field(self._data, path.lower(), None)
            )
        except AdapterError as error:
            raise AdapterError(self.path(path), error.problem) from None

    def instant(self, path: str) -> datetime | None:
        try:
            return optional_instant(self._data, path.lower())
        except AdapterError as error:
            raise AdapterError(self.path(path), error.problem) from None


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key).lower(): _lower_keys(item) for key, item in value.items()}
    return value


def _labels(**raw: Any) -> dict[str, str]:
    return {name: label for name, value in raw.items() if (label := lower_label(value)) is not None}


def _envelope_time(payload: Payload | None, detail: _Detail, own: str) -> datetime:
    """The EventBridge ``time`` when the event's own timestamp is missing; the detail alone has none."""
    if payload is None:
        raise AdapterError(
            detail.path(own), "missing (the detail alone has no EventBridge 'time' to fall back on)"
        )
    instant: datetime = time_field(payload, "time")
    return instant


def _wait(enqueued: datetime | None, dequeued: datetime) -> dict[str, float]:
    wait = seconds_between(enqueued, dequeued)
    return {} if wait is None else {"wait_seconds": wait}
