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

Mapping (one event per EventBridge event; ``event_id`` = the EventBridge ``id``):
- QUEUED -> ``contact_queued`` at queueInfo.enqueueTimestamp.
- CONNECTED_TO_AGENT -> ``contact_answered`` at agentInfo.connectedToAgentTimestamp;
  ``values.wait_seconds`` = enqueue -> connected when both are known.
- DISCONNECTED -> ``contact_abandoned`` when the contact was queued and never reached an agent (no
  agentInfo, or an unset connectedToAgentTimestamp), with ``values.wait_seconds`` = enqueue -> disconnect;
  otherwise ``contact_ended`` at disconnectTimestamp (no durations: these events carry no talk/hold/ACW
  split, so ``handle_seconds`` comes only from contact records).
- INITIATED, CONTACT_DATA_UPDATED, CONNECTED_TO_SYSTEM, COMPLETED, PAUSED, RESUMED and event types added
  later are acknowledged as skipped (nothing floorwatch counts happens there; INITIATED precedes
  queueing, so counting it would inflate contacts offered with IVR-only calls). Filter them out in the
  EventBridge rule (``"detail": {"eventType": ["QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED"]}``) to
  save the records and invocations.
When an event's own timestamp is missing, the envelope ``time`` is used. Connect's placeholder
timestamps (1970-01-01T00:00:00.001Z) count as missing.

Identity: ``center_id`` from instanceArn, ``agent_id`` from agentArn, ``queue_id`` from queueArn. These
events carry no queue or hierarchy *names*: ``queue_id`` is the queue's ARN id (a UUID, where CTRs and
agent events give "billing"), and ``team_id`` is left empty rather than split a team across two ids.
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
    text_field,
    time_field,
)
from floorwatch.events.model import CxEvent, EventType, Source

DETAIL_TYPE = "Amazon Connect Contact Event"
_MAPPED = ("QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED")


class AmazonConnectContactEventAdapter:
    source = Source.AMAZON_CONNECT_CONTACT_EVENT

    def matches(self, payload: Payload) -> bool:
        if payload.get("detail-type") == DETAIL_TYPE:
            return True
        detail = payload.get("detail")
        if payload.get("source") != "aws.connect" or not isinstance(detail, dict):
            return False
        keys = {str(key).lower() for key in detail}
        return "eventtype" in keys and "contactid" in keys

    def to_events(self, payload: Payload) -> list[CxEvent]:
        detail_type = payload.get("detail-type")
        if detail_type is not None and detail_type != DETAIL_TYPE:
            raise AdapterError("detail-type", f"expected {DETAIL_TYPE!r}, got {str(detail_type)[:60]!r}")
        raw_detail = lookup(payload, "detail")
        if not isinstance(raw_detail, dict):
            raise AdapterError("detail", f"expected an object, got {type(raw_detail).__name__}")
        detail = _Detail(raw_detail)
        event_type = detail.text("eventType").upper()
        if event_type not in _MAPPED:
            raise Skip(f"contact event {event_type[:40]} is not monitored (mapped: {', '.join(_MAPPED)})")
        return [self._event(payload, detail, event_type)]

    def _event(self, payload: Payload, detail: _Detail, event_type: str) -> CxEvent:
        queue_id = queue_id_of(None, detail.raw("queueInfo.queueArn"), "", "detail.queueInfo.queueArn")
        agent_arn = detail.text("agentInfo.agentArn", required=False)
        enqueued = detail.instant("queueInfo.enqueueTimestamp")
        connected = detail.instant("agentInfo.connectedToAgentTimestamp")
        labels = _labels(initiation_method=detail.raw("initiationMethod"))
        values: dict[str, float] = {}

        if event_type == "QUEUED":
            if queue_id is None:
                raise AdapterError("detail.queueInfo.queueArn", "missing (a QUEUED event names its queue)")
            kind, at = EventType.CONTACT_QUEUED, enqueued or _envelope_time(payload)
        elif event_type == "CONNECTED_TO_AGENT":
            if agent_arn is None:
                raise AdapterError(
                    "detail.agentInfo.agentArn", "missing (a CONNECTED_TO_AGENT event names its agent)"
                )
            kind, at = EventType.CONTACT_ANSWERED, connected or _envelope_time(payload)
            values = _wait(enqueued, at)
        else:
            at = detail.instant("disconnectTimestamp") or _envelope_time(payload)
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

        return CxEvent(
            event_id=text_field(payload, "id"),
            source=self.source,
            type=kind,
            occurred_at=at,
            center_id=instance_id(detail.text("instanceArn"), "detail.instanceArn"),
            queue_id=queue_id,
            agent_id=agent_id_from_arn(agent_arn, "detail.agentInfo.agentArn") if agent_arn else None,
            contact_id=detail.text("contactId"),
            channel=channel_of(detail.raw("channel")),
            values=values,
            labels=labels,
        )


_ABSENT = object()


class _Detail:
    """``detail`` with keys matched case-insensitively; errors name ``detail.<camelCase path>``."""

    def __init__(self, detail: Mapping[str, Any]) -> None:
        self._data = _lower_keys(detail)

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
            raise AdapterError(f"detail.{path}", error.problem) from None

    def instant(self, path: str) -> datetime | None:
        try:
            return optional_instant(self._data, path.lower())
        except AdapterError as error:
            raise AdapterError(f"detail.{path}", error.problem) from None


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key).lower(): _lower_keys(item) for key, item in value.items()}
    return value


def _labels(**raw: Any) -> dict[str, str]:
    return {name: label for name, value in raw.items() if (label := lower_label(value)) is not None}


def _envelope_time(payload: Payload) -> datetime:
    instant: datetime = time_field(payload, "time")
    return instant


def _wait(enqueued: datetime | None, dequeued: datetime) -> dict[str, float]:
    wait = seconds_between(enqueued, dequeued)
    return {} if wait is None else {"wait_seconds": wait}
