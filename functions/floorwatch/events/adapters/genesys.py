"""Genesys Cloud notifications -> CxEvents.

Envelope: a notification as the Notifications API (WebSocket channel) delivers it, ``{"topicName",
"version", "eventBody", "metadata": {"CorrelationId"}}``, or the same object as the ``detail`` of the
Amazon EventBridge integration's event (``"source": "aws.partner/genesys.com/..."``, ``"detail-type"``
= the topic pattern with a literal ``{id}``, ``"time"``, ``"detail": {...}``). Both are accepted, so
an integrator may put either on the raw stream.

Supported topics (anything else is acknowledged as skipped, with a reason naming the topic):

- ``v2.analytics.queues.{id}.observations`` -> one ``queue_snapshot``. ``eventBody`` = ``group``
  {queueId, mediaType} + ``data``. A group with a media type is a queue of its own,
  ``queue_id = "<queueId>.<mediaType>"`` (labels ``genesys_queue_id``, ``media_type``): Genesys sends one
  notification per media type, and sharing one queue's gauges they would overwrite each other (see
  ``media_queue_id``); a group without one (user observations) is the queue itself. Captured
  notifications carry ``data`` as ``[{interval, metrics: [{metric, qualifier, stats}]}]`` (the
  interval's end is the observation instant); the flat form of
  the observations query, ``[{metric, qualifier, stats}]``, is accepted too and then takes its time from
  the EventBridge ``detail.timestamp`` / ``time``. Values, each only when its metric is present:
  ``contacts_in_queue`` = oWaiting count; ``longest_wait_seconds`` from oLongestWaiting's
  ``stats.calculatedMetricValue`` (Genesys reports the epoch-ms instant the longest wait began, so the
  wait is observation time minus that; a value below 1e12 is read as a duration in ms; no value means
  nobody is waiting: 0); ``agents_online`` = sum of oOnQueueUsers counts over routing-status
  qualifiers; ``agents_available`` = the IDLE qualifier's count; ``agents_on_contact`` = the INTERACTING and
  COMMUNICATING qualifiers' counts. Observations only describe one media
  type per group, so the snapshot's ``channel`` is that media type (absent for user metrics, which
  Genesys groups without one).
- ``v2.detail.events.conversation.{id}.acd.start`` (AcdStartEvent) -> ``contact_queued``.
- ``v2.detail.events.conversation.{id}.acd.end`` (AcdEndEvent): ``acdOutcome`` ANSWERED ->
  ``contact_answered`` (``agent_id`` = answeredUserId); ABANDON -> ``contact_abandoned``; both with
  ``wait_seconds`` = connectedDurationMs / 1000 (how long the ACD held the contact). FLOW_OUT and
  UNKNOWN (left the queue to a flow, or no outcome) map to nothing.
- ``v2.detail.events.conversation.{id}.user.end`` (UserEndEvent) -> ``contact_ended`` for the agent
  (``agent_id`` = userId) when the agent interacted at all, with ``handle_seconds`` = (interacting +
  held) / 1000 (analytics segments are disjoint, so hold is not inside interacting) and ``hold_seconds``.
  A user.end without interaction is an alert the agent did not answer: nothing to count.

- ``v2.users.{id}.activity`` (routingStatus + presence + activeQueueIds), ``v2.users.{id}.presence`` and
  ``v2.users.{id}.routingStatus`` -> ``agent_state`` for the user (``agent_id`` = the user id of the topic).
  ``labels.state`` (what the duration-in-state metrics match) comes from the routing status while the
  agent is on queue, else from the presence:

  ===================================  ======================
  routing status / system presence     ``labels.state``
  ===================================  ======================
  IDLE                                 ``available``
  INTERACTING, COMMUNICATING           ``on_contact``
  NOT_RESPONDING                       ``missed`` (as Connect's Missed)
  OFF_QUEUE + OFFLINE                  ``offline``
  OFF_QUEUE + any other presence       ``not_ready`` (Break, Meal, Away, Busy, Meeting, Training,
                                       Available but off queue, custom presences)
  ===================================  ======================

  The platform's own names stay as labels: ``routing_status`` and ``presence`` (lower-cased system
  presence), ``presence_message`` is not copied (free text typed by the agent). ``values.state_seconds``
  = time since the state began (routingStatus.startTime, else presence.modifiedDate);
  ``values.active_queues`` = how many queues the agent is active on (activeQueueIds). The event time is
  the latest change the body reports (startTime, modifiedDate, dateActiveQueuesChanged), else the
  EventBridge time. A presence notification saying "On Queue" (the routing status says idle or
  interacting) and a routing status notification saying OFF_QUEUE (the presence says what instead)
  cannot name the state alone: they are skipped with that reason; the activity topic carries both.
  ``queue_id`` stays empty: an agent's events stay on the partition ``agent:<id>``, in order.

- ``v2.routing.queues.{id}.conversations`` (the conversation snapshot, resent on every change) ->
  each transition the snapshot shows, for the topic's queue: ``contact_queued`` at the ``acd``
  participant's connectedTime; when that leg has ended, ``contact_answered`` at the first connected
  ``agent`` participant's connectedTime (``agent_id`` = userId) or, with no agent and the customer gone,
  ``contact_abandoned`` at the acd endTime, both with ``wait_seconds`` = acd endTime - connectedTime;
  ``contact_ended`` per agent leg with an endTime (``handle_seconds`` = endTime - connectedTime). Event
  ids hash (conversation, transition, participant), so a resent snapshot repeats ids and the ledger
  drops them. Subscribe to this topic or to the detail events above, not both (their ids differ).
  No connected acd participant for the queue: skipped.
- Speech and text analytics (the notification models of Genesys's platform API SDKs, whose
  notification mappings tie each topic to its model):

  - ``v2.speechandtextanalytics.conversation.{id}.sentiment`` (V2StaSentimentOverallTopic
    OverallSentimentMessage: conversationId, sentimentOverallScore, sentimentTrendScore, queueIds,
    divisionIds, flowIds) -> one ``sentiment`` for the customer (``labels.participant_role``
    customer): ``values.sentiment`` = sentimentOverallScore / 100 (Genesys scores the overall customer
    sentiment from -100 to +100; floorwatch's scale is -1..1), ``values.sentiment_trend`` =
    sentimentTrendScore / 100 when present. ``queue_id`` when queueIds names exactly one queue (the
    order of several is not documented). A score outside -100..100 is rejected naming the field.
  - ``v2.speechandtextanalytics.conversation.{id}.topics`` (V2StaTopicsDetectedTopicTopicsDetected
    Message: conversationId, communicationId, mediaType, programId, topics [{participant, topicId,
    topicName}], participants [{userId, queueId, purpose, ...}]) -> one ``compliance`` per detected
    topic, ``labels.category`` = topicName (else topicId; rules match it without case),
    ``labels.topic_id``, ``labels.participant`` (who said it); ``agent_id`` / ``queue_id`` from the one
    agent participant (purpose agent or user) when there is exactly one. No topics: skipped.
  - ``v2.speechandtextanalytics.conversations.{id}.categories`` (V2StaConversationCategories
    StaConversationCategoriesMessage: conversationId, mediaType, transcriptIds, categoryIds) -> one
    ``compliance`` per category id; Genesys sends the ids only, so ``labels.category`` is the id
    (name the id in a rule's category list). No categories: skipped.
  - ``v2.speechandtextanalytics.conversation.{id}.empathy`` (agent empathy scores) and
    ``v2.conversations.{id}.transcription`` (TranscriptionTopicTranscriptionMessage: transcripts and
    their confidence, no sentiment and no topic match) are skipped with that reason.

  These notifications carry no time of their own. Over EventBridge the event's time is used; over a
  WebSocket the record's Kinesis arrival time, which the normalizer writes into the payload as
  ``ApproximateArrivalTimestamp`` when absent (as for Contact Lens voice). Ids hash the conversation,
  the topic kind and what was detected, never the time, so a resent notification repeats its id.

Deliberately not mapped: ``customer.end`` (carries no queue, and would count each conversation a
second time next to user.end), ``v2.conversations.{id}`` (a full conversation snapshot resent on every
change, not a transition; the detail events above say the same thing without guessing).

Identity: Genesys payloads name queues and users by id only, so ``queue_id`` is the Genesys queue id
and ``agent_id`` the user id (map them to names in the rules and dashboard, not here). ``contact_id`` is
the conversationId. Detail events have no event id of their own: ``event_id`` is a hash of the topic
kind, conversation, session and event time, so the same event reaches the same id whether it came over
a WebSocket or EventBridge. Detail-event times are epoch milliseconds (``eventTime``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
    payload_digest,
    stable_id,
    text_field,
    time_field,
)
from floorwatch.events.model import Channel, CxEvent, EventType, Source

EVENTBRIDGE_SOURCE_PREFIX = "aws.partner/genesys.com"

_OBSERVATIONS = re.compile(r"^v2\.analytics\.queues\.(?P<queue>[^.]+)\.observations$")
_USER = re.compile(r"^v2\.users\.(?P<user>[^.]+)\.(?P<kind>activity|presence|routingStatus)$")
_DETAIL = re.compile(r"^v2\.detail\.events\.conversation\.(?P<conversation>[^.]+)\.(?P<kind>.+)$")
_QUEUE_CONVERSATIONS = re.compile(r"^v2\.routing\.queues\.(?P<queue>[^.]+)\.conversations$")
_TRANSCRIPTION = re.compile(r"^v2\.conversations\.[^.]+\.transcription$")
_SPEECH_ANALYTICS = re.compile(
    r"^v2\.speechandtextanalytics\.conversations?\.(?P<conversation>[^.]+)\.(?P<kind>[A-Za-z]+)$"
)
ARRIVAL_FIELD = "ApproximateArrivalTimestamp"
SUPPORTED_TOPICS = (
    "v2.analytics.queues.{id}.observations",
    "v2.detail.events.conversation.{id}.acd.start",
    "v2.detail.events.conversation.{id}.acd.end",
    "v2.detail.events.conversation.{id}.user.end",
    "v2.routing.queues.{id}.conversations",
    "v2.speechandtextanalytics.conversation.{id}.sentiment",
    "v2.speechandtextanalytics.conversation.{id}.topics",
    "v2.speechandtextanalytics.conversations.{id}.categories",
    "v2.users.{id}.activity",
    "v2.users.{id}.presence",
    "v2.users.{id}.routingStatus",
)

_SNAPSHOT_METRICS = frozenset({"oWaiting", "oOnQueueUsers", "oLongestWaiting"})

# Epoch milliseconds beyond this are instants (2001-09-09), below it durations: no wait lasts 31 years.
_EPOCH_MS_THRESHOLD = 1e12

# Genesys "message" conversations name their platform in messageType.
_MESSAGE_CHANNELS: dict[str, Channel] = {
    "SMS": Channel.SMS,
    "WHATSAPP": Channel.SOCIAL,
    "FACEBOOK": Channel.SOCIAL,
    "TWITTER": Channel.SOCIAL,
    "INSTAGRAM": Channel.SOCIAL,
    "LINE": Channel.SOCIAL,
    "WEBMESSAGING": Channel.CHAT,
    "OPEN": Channel.CHAT,
    "APPLE": Channel.CHAT,
}


# Read-only by convention, not frozen: a frozen dataclass sets each field through object.__setattr__,
# which triples the cost of making one (several per record here; see events.pipeline.RawRecord).
@dataclass(slots=True)
class _Notification:
    """Where the notification sits in the payload (top level, or EventBridge ``detail``)."""

    payload: Payload
    prefix: str  # "" or "detail." — error paths name the field as the integrator sees it

    @property
    def body_path(self) -> str:
        return f"{self.prefix}eventBody"

    @property
    def topic(self) -> str:
        return str(text_field(self.payload, f"{self.prefix}topicName"))

    def body(self) -> Mapping[str, Any]:
        body = lookup(self.payload, self.body_path)
        if not isinstance(body, dict):
            raise AdapterError(self.body_path, f"expected an object, got {type(body).__name__}")
        return body

    def envelope_time(self) -> datetime | None:
        """The EventBridge timestamps, most precise first (None over a WebSocket)."""
        if not self.prefix:
            return None
        detail_time: datetime | None = time_field(self.payload, f"{self.prefix}timestamp", None)
        if detail_time is not None:
            return detail_time
        envelope_time: datetime | None = time_field(self.payload, "time", None)
        return envelope_time


class GenesysAdapter:
    source = Source.GENESYS
    arrival_field = ARRIVAL_FIELD  # speech analytics over a WebSocket: the normalizer fills it

    def needs_arrival(self, payload: Payload) -> bool:
        """Only a WebSocket speech analytics notification lacks a time of its own."""
        topic = payload.get("topicName")
        return isinstance(topic, str) and topic.startswith("v2.speechandtextanalytics.")

    def matches(self, payload: Payload) -> bool:
        if isinstance(payload.get("topicName"), str) and "eventBody" in payload:
            return True
        detail = payload.get("detail")
        source = payload.get("source")
        return (
            isinstance(source, str)
            and source.startswith(EVENTBRIDGE_SOURCE_PREFIX)
            and isinstance(detail, dict)
            and "topicName" in detail
        )

    def to_events(self, payload: Payload) -> list[CxEvent]:
        notification = _notification(payload)
        topic = notification.topic
        if (observed := _OBSERVATIONS.match(topic)) is not None:
            return _queue_snapshot(notification, observed["queue"])
        if (detail := _DETAIL.match(topic)) is not None and detail["kind"] in _DETAIL_MAPPERS:
            return _DETAIL_MAPPERS[detail["kind"]](notification)
        if (user := _USER.match(topic)) is not None:
            return [_agent_state(notification, user["user"], user["kind"])]
        if (queued := _QUEUE_CONVERSATIONS.match(topic)) is not None:
            return _queue_conversation(notification, queued["queue"])
        if (analytics := _SPEECH_ANALYTICS.match(topic)) is not None and analytics["kind"] in _STA_MAPPERS:
            return _STA_MAPPERS[analytics["kind"]](notification, analytics["conversation"])
        if _TRANSCRIPTION.match(topic) is not None:
            raise Skip(
                f"topic {topic[:120]!r}: its documented payload carries transcripts, "
                "not sentiment scores or topic matches floorwatch could count "
                "(the speech and text analytics sentiment and topics topics carry those)"
            )
        if analytics is not None and analytics["kind"] == "empathy":
            raise Skip(
                f"topic {topic[:120]!r}: agent empathy scores, neither customer sentiment nor a topic match"
            )
        raise Skip(f"topic {topic[:120]!r} is not monitored (mapped: {', '.join(SUPPORTED_TOPICS)})")


def _notification(payload: Payload) -> _Notification:
    if "topicName" in payload:
        return _Notification(payload, "")
    if isinstance(payload.get("detail"), dict):
        return _Notification(payload, "detail.")
    raise AdapterError("topicName", "missing (neither a notification nor an EventBridge event with one)")


# --- queue observations -------------------------------------------------------------------------


@dataclass(slots=True)
class _Metric:
    name: str
    qualifier: str | None
    stats: Mapping[str, Any]
    path: str


def _queue_snapshot(notification: _Notification, topic_queue: str) -> list[CxEvent]:
    body_path = notification.body_path
    payload = notification.payload
    base_queue = text_field(payload, f"{body_path}.group.queueId", None) or topic_queue
    media_type = text_field(payload, f"{body_path}.group.mediaType", None)
    queue_id = media_queue_id(base_queue, media_type)
    metrics, interval_end = _observation_metrics(payload, f"{body_path}.data")
    if not any(metric.name in _SNAPSHOT_METRICS for metric in metrics):
        raise Skip(
            "queue observations without oWaiting, oOnQueueUsers or oLongestWaiting: no snapshot figure"
        )
    observed_at = interval_end or notification.envelope_time()
    if observed_at is None:
        raise AdapterError(
            f"{body_path}.data",
            "no observation time: expected data[].interval, or an EventBridge 'time' around it",
        )
    values = _snapshot_values(metrics, observed_at)
    return [
        CxEvent(
            event_id=_snapshot_id(queue_id, media_type, observed_at, notification.body()),
            source=Source.GENESYS,
            type=EventType.QUEUE_SNAPSHOT,
            occurred_at=observed_at,
            queue_id=queue_id,
            channel=channel_of(media_type),
            values=values,
            labels=_snapshot_labels(base_queue, media_type),
        )
    ]


def media_queue_id(queue_id: str, media_type: str | None) -> str:
    """The queue a snapshot describes: per media type when Genesys groups it by one.

    Genesys sends one observation notification per (queue, media type): if they all set the same queue's
    gauges, the voice snapshot and the chat snapshot overwrite each other (the last one wins and the
    other's waiting contacts vanish). Each media type is therefore its own queue, ``<queueId>.<media>``
    ("6b3c....voice"): its waits are watched against its own thresholds (a 2-minute wait means something
    else for voice than for e-mail). User observations (agents on queue) carry no media type and stay
    on the queue itself.
    """
    return f"{queue_id}.{media_type.lower()}" if media_type else queue_id


def _snapshot_labels(queue_id: str, media_type: str | None) -> dict[str, str]:
    if not media_type:
        return {}
    return {"genesys_queue_id": queue_id, "media_type": media_type.lower()}


def _snapshot_id(queue_id: str, media_type: str | None, observed_at: datetime, body: Payload) -> str:
    # The body digest tells apart two different snapshots reported for the same instant.
    digest = stable_id("observations", queue_id, media_type, observed_at.isoformat(), payload_digest(body))
    return f"genesys-{digest}"


def _observation_metrics(payload: Payload, data_path: str) -> tuple[list[_Metric], datetime | None]:
    """The metric entries of ``data`` (both documented layouts) and the latest interval end, if any."""
    data = _array(payload, data_path)
    metrics: list[_Metric] = []
    interval_end: datetime | None = None
    for index, entry in enumerate(data):
        path = f"{data_path}[{index}]"
        if not isinstance(entry, dict):
            raise AdapterError(path, f"expected an object, got {type(entry).__name__}")
        if "metrics" in entry:
            items = _array(entry, "metrics", f"{path}.metrics")
            found = [_metric(item, f"{path}.metrics[{position}]") for position, item in enumerate(items)]
            metrics.extend(found)
            # The topic may also carry interval aggregates (tAbandon, nOffered, ...): only an entry
            # with observation ("o...") metrics says when the observation was made.
            end = _interval_end(entry.get("interval"), f"{path}.interval")
            observes = any(metric.name.startswith("o") for metric in found)
            if observes and end is not None and (interval_end is None or end > interval_end):
                interval_end = end
        else:
            metrics.append(_metric(entry, path))
    return metrics, interval_end


def _metric(item: Any, path: str) -> _Metric:
    if not isinstance(item, dict):
        raise AdapterError(path, f"expected an object, got {type(item).__name__}")
    name = item.get("metric")
    if not isinstance(name, str) or not name:
        raise AdapterError(f"{path}.metric", "missing" if name is None else "expected a metric name")
    stats = item.get("stats") or {}
    if not isinstance(stats, dict):
        raise AdapterError(f"{path}.stats", f"expected an object, got {type(stats).__name__}")
    qualifier = item.get("qualifier")
    return _Metric(name, qualifier if isinstance(qualifier, str) else None, stats, path)


def _interval_end(interval: Any, path: str) -> datetime | None:
    """An ISO 8601 interval "start/end"; for observations both ends are the observation instant."""
    if interval is None:
        return None
    if not isinstance(interval, str) or "/" not in interval:
        raise AdapterError(path, "expected an ISO 8601 interval 'start/end'")
    return parse_instant(interval.split("/", 1)[1], path)


# Routing statuses of agents handling an interaction (wrap-up counts as interacting in Genesys).
_ON_CONTACT_STATUSES = frozenset({"INTERACTING", "COMMUNICATING"})


def _snapshot_values(metrics: Sequence[_Metric], observed_at: datetime) -> dict[str, float]:
    values: dict[str, float] = {}
    for metric in metrics:
        if metric.name == "oWaiting":
            values["contacts_in_queue"] = values.get("contacts_in_queue", 0.0) + _count(metric)
        elif metric.name == "oOnQueueUsers":
            count = _count(metric)
            values["agents_online"] = values.get("agents_online", 0.0) + count
            qualifier = (metric.qualifier or "").upper()
            idle = count if qualifier == "IDLE" else 0.0
            values["agents_available"] = values.get("agents_available", 0.0) + idle
            busy = count if qualifier in _ON_CONTACT_STATUSES else 0.0
            values["agents_on_contact"] = values.get("agents_on_contact", 0.0) + busy
        elif metric.name == "oLongestWaiting":
            wait = _longest_wait_seconds(metric, observed_at)
            values["longest_wait_seconds"] = max(values.get("longest_wait_seconds", 0.0), wait)
    return values


def _count(metric: _Metric) -> float:
    count = _stat(metric, "count")
    if count is None:
        return 0.0
    if count < 0:
        raise AdapterError(f"{metric.path}.stats.count", "must not be negative")
    return count


def _longest_wait_seconds(metric: _Metric, observed_at: datetime) -> float:
    for name in ("calculatedMetricValue", "max"):
        value = _stat(metric, name)
        if value is None:
            continue
        if value >= _EPOCH_MS_THRESHOLD:
            began = parse_instant(value, f"{metric.path}.stats.{name}")
            return max(0.0, (observed_at - began).total_seconds())
        return max(0.0, value / 1000.0)
    return 0.0  # the metric is reported without a value when nobody is waiting


def _stat(metric: _Metric, name: str) -> float | None:
    try:
        value: float | None = number_field(metric.stats, name, None)
    except AdapterError as error:
        raise AdapterError(f"{metric.path}.stats.{name}", error.problem) from None
    return value


def _array(payload: Mapping[str, Any], path: str, shown_as: str | None = None) -> Sequence[Any]:
    try:
        value = lookup(payload, path)
    except AdapterError:
        raise AdapterError(shown_as or path, "missing") from None
    if not isinstance(value, list):
        raise AdapterError(shown_as or path, f"expected an array, got {type(value).__name__}")
    return value


# --- conversation detail events -----------------------------------------------------------------


@dataclass(slots=True)
class _DetailEvent:
    """The fields every conversation detail event shares, read once."""

    kind: str
    conversation_id: str
    occurred_at: datetime
    event_id: str
    channel: Channel | None
    notification: _Notification

    def field(self, name: str) -> str:
        return f"{self.notification.body_path}.{name}"

    def required(self, name: str) -> str:
        return str(text_field(self.notification.payload, self.field(name)))

    def optional(self, name: str) -> str | None:
        value = text_field(self.notification.payload, self.field(name), None)
        return None if value is None else str(value)

    def seconds(self, name: str) -> float | None:
        milliseconds = number_field(self.notification.payload, self.field(name), None)
        if milliseconds is None:
            return None
        if milliseconds < 0:
            raise AdapterError(self.field(name), "must not be negative")
        return float(milliseconds) / 1000.0

    def event(self, event_type: EventType, **fields: Any) -> CxEvent:
        labels = {"event": self.kind, **fields.pop("labels", {})}
        return CxEvent(
            event_id=self.event_id,
            source=Source.GENESYS,
            type=event_type,
            occurred_at=self.occurred_at,
            contact_id=self.conversation_id,
            channel=self.channel,
            labels=labels,
            **fields,
        )


def _detail_event(notification: _Notification, kind: str) -> _DetailEvent:
    body = notification.body_path
    payload = notification.payload
    conversation_id = text_field(payload, f"{body}.conversationId")
    occurred_at = time_field(payload, f"{body}.eventTime")
    session = text_field(payload, f"{body}.sessionId", None) or text_field(
        payload, f"{body}.participantId", None
    )
    return _DetailEvent(
        kind=kind,
        conversation_id=conversation_id,
        occurred_at=occurred_at,
        event_id=f"genesys-{stable_id(kind, conversation_id, session, occurred_at.isoformat())}",
        channel=_channel(payload, body),
        notification=notification,
    )


def _channel(payload: Payload, body: str) -> Channel | None:
    media_type = text_field(payload, f"{body}.mediaType", None)
    if isinstance(media_type, str) and media_type.upper() == "MESSAGE":
        message_type = text_field(payload, f"{body}.messageType", None)
        if isinstance(message_type, str) and message_type.upper() in _MESSAGE_CHANNELS:
            return _MESSAGE_CHANNELS[message_type.upper()]
    return channel_of(media_type)


def _acd_start(notification: _Notification) -> list[CxEvent]:
    event = _detail_event(notification, "acd.start")
    return [event.event(EventType.CONTACT_QUEUED, queue_id=event.required("queueId"))]


def _acd_end(notification: _Notification) -> list[CxEvent]:
    event = _detail_event(notification, "acd.end")
    outcome = event.required("acdOutcome").upper()
    if outcome not in ("ANSWERED", "ABANDON"):
        # FLOW_OUT / UNKNOWN: left the queue without being answered or abandoned
        raise Skip(f"acd.end with acdOutcome {outcome[:40]}: neither answered nor abandoned")
    wait = event.seconds("connectedDurationMs")
    fields: dict[str, Any] = {
        "queue_id": event.required("queueId"),
        "values": {} if wait is None else {"wait_seconds": wait},
        "labels": {"acd_outcome": outcome.lower()},
    }
    if outcome == "ANSWERED":
        return [event.event(EventType.CONTACT_ANSWERED, agent_id=event.optional("answeredUserId"), **fields)]
    return [event.event(EventType.CONTACT_ABANDONED, **fields)]


def _user_end(notification: _Notification) -> list[CxEvent]:
    event = _detail_event(notification, "user.end")
    interacting = event.seconds("interactingDurationMs")
    if not interacting:
        raise Skip("user.end without interaction: the agent never connected, no handled contact")
    held = event.seconds("heldDurationMs")
    values = {"handle_seconds": interacting + (held or 0.0)}
    if held is not None:
        values["hold_seconds"] = held
    labels = {}
    if (disconnect := event.optional("disconnectType")) is not None:
        labels["disconnect_type"] = disconnect.lower()
    return [
        event.event(
            EventType.CONTACT_ENDED,
            queue_id=event.optional("queueId"),
            agent_id=event.required("userId"),
            values=values,
            labels=labels,
        )
    ]


_DETAIL_MAPPERS = {
    "acd.start": _acd_start,
    "acd.end": _acd_end,
    "user.end": _user_end,
}


# --- user activity, presence and routing status -------------------------------------------------

_ROUTING_STATES = {
    "IDLE": "available",
    "INTERACTING": "on_contact",
    "COMMUNICATING": "on_contact",
    "NOT_RESPONDING": "missed",
}


def _agent_state(notification: _Notification, topic_user: str, kind: str) -> CxEvent:
    body_path = notification.body_path
    payload = notification.payload
    body = notification.body()
    if kind == "routingStatus":
        routing_path, presence_path = f"{body_path}.routingStatus", None
    elif kind == "presence":
        routing_path, presence_path = None, body_path
    else:
        routing_path, presence_path = f"{body_path}.routingStatus", f"{body_path}.presence"
    routing = text_field(payload, f"{routing_path}.status", None) if routing_path else None
    routing_since = time_field(payload, f"{routing_path}.startTime", None) if routing_path else None
    presence = (
        text_field(payload, f"{presence_path}.presenceDefinition.systemPresence", None)
        if presence_path
        else None
    )
    presence_since = time_field(payload, f"{presence_path}.modifiedDate", None) if presence_path else None
    routing = routing.upper() if routing else None
    presence = presence.upper().replace(" ", "_") if presence else None
    if routing is None and presence is None:
        raise AdapterError(
            f"{routing_path or presence_path}",
            "no routing status and no system presence: nothing says what the agent is doing",
        )
    state, since = _genesys_state(routing, routing_since, presence, presence_since)
    queues_changed = time_field(payload, f"{body_path}.dateActiveQueuesChanged", None)
    changes = [instant for instant in (routing_since, presence_since, queues_changed) if instant is not None]
    occurred_at = max(changes) if changes else notification.envelope_time()
    if occurred_at is None:
        raise AdapterError(
            f"{routing_path or presence_path}",
            "no time: expected routingStatus.startTime or presence.modifiedDate, or an EventBridge 'time'",
        )
    values: dict[str, float] = {}
    if since is not None:
        values["state_seconds"] = max(0.0, (occurred_at - since).total_seconds())
    active_queues = body.get("activeQueueIds")
    if isinstance(active_queues, list):
        values["active_queues"] = float(len(active_queues))
    labels = {"state": state, "event": kind.lower()}
    if routing is not None:
        labels["routing_status"] = routing.lower()
    if presence is not None:
        labels["presence"] = presence.lower()
    user = text_field(payload, f"{body_path}.id", None) if kind == "activity" else None
    agent_id = user or topic_user
    return CxEvent(
        event_id=f"genesys-{stable_id(kind, agent_id, routing, presence, occurred_at.isoformat(), state)}",
        source=Source.GENESYS,
        type=EventType.AGENT_STATE,
        occurred_at=occurred_at,
        agent_id=agent_id,
        values=values,
        labels=labels,
    )


def _genesys_state(
    routing: str | None, routing_since: datetime | None, presence: str | None, presence_since: datetime | None
) -> tuple[str, datetime | None]:
    """The agent's activity word and when it began: the routing status while on queue, else the presence."""
    if routing is not None and routing != "OFF_QUEUE":
        state = _ROUTING_STATES.get(routing)
        if state is None:
            raise Skip(
                f"routing status {routing[:40]} is not one floorwatch knows "
                f"(mapped: {', '.join(_ROUTING_STATES)}, OFF_QUEUE)"
            )
        return state, routing_since
    if presence is None:
        raise Skip("routing status OFF_QUEUE without a presence: the presence topic says what the agent does")
    if presence == "ON_QUEUE":
        if routing is None:
            raise Skip(
                "presence On Queue without a routing status: the routing status says idle or interacting"
            )
        # On Queue presence but OFF_QUEUE routing: the moment between the two changes; not routable.
        return "not_ready", routing_since or presence_since
    if presence == "OFFLINE":
        return "offline", presence_since
    return "not_ready", presence_since


# --- queue conversations ------------------------------------------------------------------------
# Follows the Genesys Cloud notification model QueueConversationEventTopicConversation /
# QueueConversationEventTopicParticipant (developer.genesys.cloud notification topics; the public
# platform-client SDK docs list the same fields): ``{id, participants: [{id, purpose, queueId, userId,
# connectedTime, endTime, calls|chats|emails|messages|callbacks: [...]}]}``.

_MEDIA_LISTS = (("calls", "voice"), ("chats", "chat"), ("emails", "email"), ("callbacks", "callback"))


@dataclass(slots=True)
class _Participant:
    participant_id: str
    purpose: str
    queue_id: str | None
    user_id: str | None
    connected: datetime | None
    ended: datetime | None


def _queue_conversation(notification: _Notification, topic_queue: str) -> list[CxEvent]:
    """The transitions a queue's conversation snapshot shows: queued, answered / abandoned, ended.

    Genesys resends the whole conversation on every change, so each transition's event id is a hash
    of (conversation, transition, participant): a resent snapshot yields the same ids and the
    pipeline's event-id ledger drops the repeats.
    """
    payload = notification.payload
    body_path = notification.body_path
    conversation_id = text_field(payload, f"{body_path}.id")
    participants = _participants(payload, f"{body_path}.participants")
    acd = [p for p in participants if p.purpose == "acd" and (p.queue_id or topic_queue) == topic_queue]
    queue_leg = acd[-1] if acd else None
    if queue_leg is None or queue_leg.connected is None:
        raise Skip("queue conversation without a connected acd participant for the queue: not queued yet")
    queued_at = queue_leg.connected
    agents = [
        p
        for p in participants
        if p.purpose == "agent" and p.connected is not None and (p.queue_id or topic_queue) == topic_queue
    ]
    customer_gone = any(p.purpose in ("customer", "external") and p.ended is not None for p in participants)
    channel = _conversation_channel(lookup(payload, f"{body_path}.participants"))

    def event(kind: str, event_type: EventType, at: datetime, part: str, **fields: Any) -> CxEvent:
        labels = {"event": f"queue.conversations.{kind}", **fields.pop("labels", {})}
        return CxEvent(
            event_id=f"genesys-{stable_id('queue.conversations', conversation_id, kind, part)}",
            source=Source.GENESYS,
            type=event_type,
            occurred_at=at,
            queue_id=topic_queue,
            contact_id=conversation_id,
            channel=channel,
            labels=labels,
            **fields,
        )

    events = [event("queued", EventType.CONTACT_QUEUED, queued_at, queue_leg.participant_id)]
    if queue_leg.ended is not None:
        wait = {"wait_seconds": max(0.0, (queue_leg.ended - queued_at).total_seconds())}
        if agents:
            agent = agents[0]
            at = agent.connected or queue_leg.ended
            events.append(
                event(
                    "answered",
                    EventType.CONTACT_ANSWERED,
                    at,
                    agent.participant_id,
                    agent_id=agent.user_id,
                    values=wait,
                )
            )
        elif customer_gone:
            events.append(
                event(
                    "abandoned",
                    EventType.CONTACT_ABANDONED,
                    queue_leg.ended,
                    queue_leg.participant_id,
                    values=wait,
                )
            )
    for agent in agents:
        if agent.ended is not None and agent.connected is not None:
            handle = max(0.0, (agent.ended - agent.connected).total_seconds())
            events.append(
                event(
                    "ended",
                    EventType.CONTACT_ENDED,
                    agent.ended,
                    agent.participant_id,
                    agent_id=agent.user_id,
                    values={"handle_seconds": handle},
                )
            )
    return events


def _participants(payload: Payload, path: str) -> list[_Participant]:
    found = []
    for index, item in enumerate(_array(payload, path)):
        at = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise AdapterError(at, f"expected an object, got {type(item).__name__}")
        purpose = text_field(item, "purpose", None)
        found.append(
            _Participant(
                participant_id=str(text_field(item, "id", None) or index),
                purpose=str(purpose).lower() if purpose else "",
                queue_id=_text_at(item, "queueId", at),
                user_id=_text_at(item, "userId", at),
                connected=_time_at(item, "connectedTime", at),
                ended=_time_at(item, "endTime", at),
            )
        )
    return found


def _text_at(item: Payload, name: str, at: str) -> str | None:
    try:
        value = text_field(item, name, None)
    except AdapterError as error:
        raise AdapterError(f"{at}.{name}", error.problem) from None
    return None if value is None else str(value)


def _time_at(item: Payload, name: str, at: str) -> datetime | None:
    try:
        value: datetime | None = time_field(item, name, None)
    except AdapterError as error:
        raise AdapterError(f"{at}.{name}", error.problem) from None
    return value


def _conversation_channel(participants: Any) -> Channel | None:
    """The media the customer's leg uses: the first participant with a media list names it."""
    for participant in participants if isinstance(participants, list) else ():
        if not isinstance(participant, dict):
            continue
        for key, media in _MEDIA_LISTS:
            if participant.get(key):
                return channel_of(media)
        messages = participant.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            kind = messages[0].get("type")
            if isinstance(kind, str) and kind.upper() in _MESSAGE_CHANNELS:
                return _MESSAGE_CHANNELS[kind.upper()]
            return Channel.CHAT
    return None


# --- speech and text analytics ------------------------------------------------------------------
# Models: V2StaSentimentOverallTopicOverallSentimentMessage, V2StaTopicsDetectedTopicTopicsDetectedMessage,
# V2StaConversationCategoriesStaConversationCategoriesMessage (Genesys platform API SDKs).

_SENTIMENT_SCALE = 100.0  # Genesys: overall customer sentiment from -100 to +100
_AGENT_PURPOSES = frozenset({"agent", "user"})


def _analytics_time(notification: _Notification) -> datetime:
    """EventBridge's time, else the record's arrival (these notifications carry no time of their own)."""
    at = notification.envelope_time()
    if at is None:
        at = time_field(notification.payload, ARRIVAL_FIELD, None)
    if at is None:
        raise AdapterError(
            ARRIVAL_FIELD,
            "missing: a speech analytics notification carries no time; sent through the stream it takes "
            "its arrival time (floorwatch normalize: --arrival-time), over EventBridge the event's time",
        )
    return at


def _conversation_of(notification: _Notification, topic_conversation: str) -> str:
    return str(
        text_field(notification.payload, f"{notification.body_path}.conversationId", None)
        or topic_conversation
    )


def _ids(payload: Payload, path: str) -> list[str]:
    """An optional array of ids (strings), every element checked."""
    value = lookup(payload, path, None)
    if value is None:
        return []
    if not isinstance(value, list):
        raise AdapterError(path, f"expected an array, got {type(value).__name__}")
    return [str(_text_at_index(value, index, path)) for index in range(len(value))]


def _text_at_index(items: list[Any], index: int, path: str) -> str:
    item = items[index]
    if isinstance(item, str) and item.strip():
        return item.strip()
    raise AdapterError(f"{path}[{index}]", "expected a non-empty string")


def _sta_sentiment(notification: _Notification, topic_conversation: str) -> list[CxEvent]:
    payload, body = notification.payload, notification.body_path
    conversation = _conversation_of(notification, topic_conversation)
    values = {"sentiment": _score(payload, f"{body}.sentimentOverallScore")}
    if lookup(payload, f"{body}.sentimentTrendScore", None) is not None:
        values["sentiment_trend"] = _score(payload, f"{body}.sentimentTrendScore")
    queues = _ids(payload, f"{body}.queueIds")
    return [
        CxEvent(
            event_id="genesys-"
            + stable_id("sta.sentiment", conversation, values["sentiment"], values.get("sentiment_trend")),
            source=Source.GENESYS,
            type=EventType.SENTIMENT,
            occurred_at=_analytics_time(notification),
            queue_id=queues[0] if len(queues) == 1 else None,
            contact_id=conversation,
            values=values,
            labels={"participant_role": "customer", "event": "sta.sentiment"},
        )
    ]


def _score(payload: Payload, path: str) -> float:
    score: float = number_field(payload, path)
    if not -_SENTIMENT_SCALE <= score <= _SENTIMENT_SCALE:
        raise AdapterError(path, f"must lie between -100 and 100, got {score:g}")
    return score / _SENTIMENT_SCALE


def _sta_topics(notification: _Notification, topic_conversation: str) -> list[CxEvent]:
    payload, body = notification.payload, notification.body_path
    conversation = _conversation_of(notification, topic_conversation)
    topics = lookup(payload, f"{body}.topics", None) or []
    if not isinstance(topics, list):
        raise AdapterError(f"{body}.topics", f"expected an array, got {type(topics).__name__}")
    if not topics:
        raise Skip("speech analytics topics notification without topics: nothing detected")
    agent_id, queue_id = _the_agent(payload, f"{body}.participants")
    channel = channel_of(text_field(payload, f"{body}.mediaType", None))
    at = _analytics_time(notification)
    events = []
    for index, topic in enumerate(topics):
        path = f"{body}.topics[{index}]"
        if not isinstance(topic, dict):
            raise AdapterError(path, f"expected an object, got {type(topic).__name__}")
        topic_id = _text_at(topic, "topicId", path)
        name = _text_at(topic, "topicName", path) or topic_id
        if name is None:
            raise AdapterError(f"{path}.topicName", "missing (and no topicId): nothing names the topic")
        participant = _text_at(topic, "participant", path)
        labels = {"category": name, "event": "sta.topics"}
        if topic_id is not None:
            labels["topic_id"] = topic_id
        if participant is not None:
            labels["participant"] = participant.lower()
        events.append(
            CxEvent(
                event_id="genesys-" + stable_id("sta.topics", conversation, topic_id, name, participant),
                source=Source.GENESYS,
                type=EventType.COMPLIANCE,
                occurred_at=at,
                queue_id=queue_id,
                agent_id=agent_id,
                contact_id=conversation,
                channel=channel,
                labels=labels,
            )
        )
    return events


def _the_agent(payload: Payload, path: str) -> tuple[str | None, str | None]:
    """(user id, queue id) of the conversation's one agent participant; (None, None) unless exactly one."""
    participants = lookup(payload, path, None) or []
    if not isinstance(participants, list):
        raise AdapterError(path, f"expected an array, got {type(participants).__name__}")
    agents = []
    for index, item in enumerate(participants):
        at = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise AdapterError(at, f"expected an object, got {type(item).__name__}")
        purpose = _text_at(item, "purpose", at)
        user = _text_at(item, "userId", at)
        if user is not None and purpose is not None and purpose.lower() in _AGENT_PURPOSES:
            agents.append((user, _text_at(item, "queueId", at)))
    return agents[0] if len(set(agents)) == 1 else (None, None)


def _sta_categories(notification: _Notification, topic_conversation: str) -> list[CxEvent]:
    payload, body = notification.payload, notification.body_path
    conversation = _conversation_of(notification, topic_conversation)
    categories = _ids(payload, f"{body}.categoryIds")
    if not categories:
        raise Skip("speech analytics categories notification without categoryIds: nothing matched")
    channel = channel_of(text_field(payload, f"{body}.mediaType", None))
    at = _analytics_time(notification)
    return [
        CxEvent(
            event_id="genesys-" + stable_id("sta.categories", conversation, category),
            source=Source.GENESYS,
            type=EventType.COMPLIANCE,
            occurred_at=at,
            contact_id=conversation,
            channel=channel,
            labels={"category": category, "category_id": category, "event": "sta.categories"},
        )
        for category in dict.fromkeys(categories)  # a repeated id is one match
    ]


_STA_MAPPERS = {
    "sentiment": _sta_sentiment,
    "topics": _sta_topics,
    "categories": _sta_categories,
}
