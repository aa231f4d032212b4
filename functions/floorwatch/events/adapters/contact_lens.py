"""Contact Lens conversational-analytics segment streams (Kinesis) -> sentiment and compliance events.

Format (admin guide, "segment streams data model", voice 1.0.0 and chat 2.0.0): common properties
``Version``, ``Channel``, ``AccountId``, ``InstanceId``, ``ContactId``, ``LanguageCode`` and ``EventType``
(voice) or ``StreamingEventType`` (chat): STARTED | SEGMENTS | COMPLETED | FAILED. SEGMENTS events carry
``Segments``: objects holding exactly one of ``Utterance`` (voice partial transcript: Id, TranscriptId,
ParticipantId, ParticipantRole, PartialContent, Begin/EndOffsetMillis), ``Transcript`` (Id, ParticipantId,
ParticipantRole, Content, Begin/EndOffsetMillis for voice or Time.AbsoluteTime for chat, Sentiment
POSITIVE|NEUTRAL|NEGATIVE, IssuesDetected), ``Categories`` (MatchedCategories [names], MatchedDetails
{name: {PointsOfInterest: [{Begin/EndOffsetMillis} (voice) | {TranscriptItems: [{Id, ...}]} (chat)]}}),
``PostContactSummary``, and for chat ``Issues``, ``Event``, ``Attachments``.

Mapping:
- each Transcript (or Utterance) that carries a Sentiment -> ``sentiment``: ``values.sentiment`` POSITIVE 1,
  NEUTRAL 0, NEGATIVE -1 (MIXED, which real-time analysis does not emit today, 0);
  ``values.issues_detected`` = number of IssuesDetected when there are any; ``labels.participant_role``
  (agent, customer, ...); ``text`` = the Content (already redacted by Contact Lens when redaction is on;
  the CxEvent model redacts it again; longer than 4000 characters, it is redacted, then cut: ``fit_text``).
  id: stable_id(source, contact, kind, Id).
- each matched category (MatchedCategories plus any further names in MatchedDetails) -> ``compliance``
  with ``labels.category`` = the category name. id: stable_id(source, contact, "category", name, its
  points of interest), so a re-delivered match keeps its id and a new match of the same category does not.
- Utterances without sentiment (partial transcripts), PostContactSummary, Issues, Event and Attachments
  segments, and STARTED / COMPLETED / FAILED events carry nothing floorwatch monitors: the record is
  acknowledged as skipped (a lifecycle event), not quarantined.
``center_id`` = InstanceId, ``contact_id`` = ContactId, ``channel`` = Channel. The stream names no agent
or queue.

Event time. Chat segments carry ``Time.AbsoluteTime``: used as is. Voice segments carry only offsets from
the start of the contact, and no voice event has an absolute timestamp at all. For them floorwatch uses
the record's Kinesis arrival time: the normalizer puts it into the payload as
``ApproximateArrivalTimestamp`` (ISO 8601 or epoch seconds, as Kinesis reports it) unless the payload
already carries that field: the newest segment
in the record is placed at the arrival time and every other one earlier by its offset difference, which
keeps segments in conversation order. Without that field a voice SEGMENTS record is rejected with a
reason naming it: guessing "now" would make replays disagree with the live run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from floorwatch.events.adapters.amazon_connect_common import lower_label
from floorwatch.events.adapters.base import (
    AdapterError,
    Payload,
    Skip,
    channel_of,
    lookup,
    number_field,
    parse_instant,
    stable_id,
    text_field,
    time_field,
)
from floorwatch.events.model import Channel, CxEvent, EventType, Source, fit_text

ARRIVAL_FIELD = "ApproximateArrivalTimestamp"
_EVENT_TYPES = ("STARTED", "SEGMENTS", "COMPLETED", "FAILED")
_SENTIMENT = {"POSITIVE": 1.0, "NEUTRAL": 0.0, "NEGATIVE": -1.0, "MIXED": 0.0}
_SPOKEN = ("Transcript", "Utterance")


# The enum's value once (its property is Python code): a part of every event id.
_SOURCE_NAME = Source.CONTACT_LENS.value


class ContactLensAdapter:
    source = Source.CONTACT_LENS
    arrival_field = ARRIVAL_FIELD  # the normalizer fills it from the Kinesis record when absent

    def matches(self, payload: Payload) -> bool:
        return "InstanceId" in payload and ("EventType" in payload or "StreamingEventType" in payload)

    def to_events(self, payload: Payload) -> list[CxEvent]:
        type_field = "EventType" if "EventType" in payload else "StreamingEventType"
        event_type = text_field(payload, type_field).upper()
        if event_type not in _EVENT_TYPES:
            raise AdapterError(
                type_field, f"unknown event type {event_type[:40]!r} (expected {', '.join(_EVENT_TYPES)})"
            )
        contact = _Contact(
            contact_id=text_field(payload, "ContactId"),
            center_id=text_field(payload, "InstanceId"),
            channel=channel_of(lookup(payload, "Channel", None)),
        )
        if event_type != "SEGMENTS":
            raise Skip(
                f"Contact Lens {event_type} lifecycle event: only SEGMENTS carry sentiment or categories"
            )
        segments = lookup(payload, "Segments")
        if not isinstance(segments, list):
            raise AdapterError("Segments", f"expected an array, got {type(segments).__name__}")
        for index, segment in enumerate(segments):
            if not isinstance(segment, dict):
                raise AdapterError(f"Segments[{index}]", f"expected an object, got {type(segment).__name__}")
        clock = _Clock(payload, segments)
        events: list[CxEvent] = []
        for index, segment in enumerate(segments):
            for key in _SPOKEN:
                spoken = segment.get(key)
                if isinstance(spoken, dict) and spoken.get("Sentiment") is not None:
                    events.append(self._sentiment(contact, spoken, f"Segments[{index}].{key}", key, clock))
            categories = segment.get("Categories")
            if categories is not None:
                events.extend(self._compliance(contact, categories, f"Segments[{index}].Categories", clock))
        return events

    def _sentiment(self, contact: _Contact, spoken: Payload, path: str, kind: str, clock: _Clock) -> CxEvent:
        segment_id = _field(text_field, spoken, "Id", path)
        sentiment = _field(text_field, spoken, "Sentiment", path).upper()
        if sentiment not in _SENTIMENT:
            raise AdapterError(
                f"{path}.Sentiment",
                f"unknown sentiment {sentiment[:40]!r} (expected POSITIVE, NEUTRAL or NEGATIVE)",
            )
        values = {"sentiment": _SENTIMENT[sentiment]}
        issues = spoken.get("IssuesDetected")
        if isinstance(issues, list) and issues:
            values["issues_detected"] = float(len(issues))
        role = lower_label(spoken.get("ParticipantRole"))
        content = spoken.get("Content", spoken.get("PartialContent"))
        return CxEvent(
            event_id=stable_id(_SOURCE_NAME, contact.contact_id, kind.lower(), segment_id),
            source=self.source,
            type=EventType.SENTIMENT,
            occurred_at=clock.at(
                path, spoken.get("Time"), _field(number_field, spoken, "EndOffsetMillis", path, None)
            ),
            center_id=contact.center_id,
            contact_id=contact.contact_id,
            channel=contact.channel,
            values=values,
            labels={"participant_role": role} if role else {},
            # Redacted by the model (one pass); fit_text redacts before cutting a text over the limit.
            text=fit_text(content) if isinstance(content, str) and content.strip() else None,
        )

    def _compliance(self, contact: _Contact, categories: Any, path: str, clock: _Clock) -> list[CxEvent]:
        if not isinstance(categories, dict):
            raise AdapterError(path, f"expected an object, got {type(categories).__name__}")
        details = categories.get("MatchedDetails") or {}
        if not isinstance(details, dict):
            raise AdapterError(f"{path}.MatchedDetails", f"expected an object, got {type(details).__name__}")
        events = []
        for name in _category_names(categories, details, path):
            points = _points_of_interest(details.get(name), f"{path}.MatchedDetails.{name}")
            events.append(
                CxEvent(
                    event_id=stable_id(
                        _SOURCE_NAME,
                        contact.contact_id,
                        "category",
                        name,
                        json.dumps(points, sort_keys=True),
                    ),
                    source=self.source,
                    type=EventType.COMPLIANCE,
                    occurred_at=clock.at_points(path, points),
                    center_id=contact.center_id,
                    contact_id=contact.contact_id,
                    channel=contact.channel,
                    labels={"category": name},
                )
            )
        return events


class _Contact:
    def __init__(self, contact_id: str, center_id: str, channel: Channel | None) -> None:
        self.contact_id = contact_id
        self.center_id = center_id
        self.channel = channel


class _Clock:
    """Event times for one record's segments (see the module docstring for the rule)."""

    def __init__(self, payload: Payload, segments: list[Any]) -> None:
        self._arrival: datetime | None = time_field(payload, ARRIVAL_FIELD, None)
        ends: list[float] = []
        self._by_transcript: dict[str, datetime] = {}
        for index, segment in enumerate(segments):
            for key, item in segment.items():
                if not isinstance(item, dict):
                    continue
                path = f"Segments[{index}].{key}"
                end = _field(number_field, item, "EndOffsetMillis", path, None)
                if end is not None:
                    ends.append(end)
                absolute = _absolute(item.get("Time"), path)
                if absolute is not None and isinstance(item.get("Id"), str):
                    self._by_transcript[item["Id"]] = absolute
            for point in _all_points(segment):
                end = point.get("EndOffsetMillis")
                if isinstance(end, int | float) and not isinstance(end, bool):
                    ends.append(float(end))
        self._latest_end = max(ends, default=None)
        self._latest_absolute = max(self._by_transcript.values(), default=None)

    def at(self, path: str, time: Any, end_offset_millis: float | None) -> datetime:
        absolute = _absolute(time, path)
        if absolute is not None:
            return absolute
        if self._arrival is not None:
            if end_offset_millis is None or self._latest_end is None:
                return self._arrival
            return self._arrival - timedelta(milliseconds=self._latest_end - end_offset_millis)
        if self._latest_absolute is not None:
            return self._latest_absolute
        raise AdapterError(
            ARRIVAL_FIELD,
            f"missing: {path} has no absolute time (voice segments carry only offsets from the contact's "
            "start), so the record must carry its Kinesis arrival time in this field",
        )

    def at_points(self, path: str, points: list[dict[str, Any]]) -> datetime:
        """A category match happened at its latest point of interest (transcript time or offset)."""
        referenced = [
            self._by_transcript[item["Id"]]
            for point in points
            for item in point.get("TranscriptItems", [])
            if isinstance(item, dict) and item.get("Id") in self._by_transcript
        ]
        if referenced:
            return max(referenced)
        ends = [float(point["EndOffsetMillis"]) for point in points if "EndOffsetMillis" in point]
        return self.at(path, None, max(ends, default=None))


def _absolute(time: Any, path: str) -> datetime | None:
    if isinstance(time, dict) and time.get("AbsoluteTime") is not None:
        return parse_instant(time["AbsoluteTime"], f"{path}.Time.AbsoluteTime")
    return None


def _field(accessor: Any, item: Payload, key: str, path: str, *default: Any) -> Any:
    """A typed field of a nested segment object, with errors naming its full path."""
    try:
        return accessor(item, key, *default)
    except AdapterError as error:
        raise AdapterError(f"{path}.{key}", error.problem) from None


def _category_names(categories: Payload, details: Payload, path: str) -> list[str]:
    matched = categories.get("MatchedCategories") or []
    if not isinstance(matched, list) or not all(isinstance(name, str) and name.strip() for name in matched):
        raise AdapterError(f"{path}.MatchedCategories", "expected an array of category names")
    names = [name.strip() for name in matched]
    return names + sorted(str(name) for name in details if str(name) not in names)


def _points_of_interest(detail: Any, path: str) -> list[dict[str, Any]]:
    """The match's points of interest, reduced to what identifies them (offsets or transcript ids)."""
    if detail is None:
        return []
    points = detail.get("PointsOfInterest") if isinstance(detail, dict) else None
    if points is None:
        return []
    if not isinstance(points, list) or not all(isinstance(point, dict) for point in points):
        raise AdapterError(f"{path}.PointsOfInterest", "expected an array of objects")
    reduced = []
    for point in points:
        kept: dict[str, Any] = {}
        for key in ("BeginOffsetMillis", "EndOffsetMillis"):
            if isinstance(point.get(key), int | float) and not isinstance(point.get(key), bool):
                kept[key] = point[key]
        items = point.get("TranscriptItems")
        if isinstance(items, list):
            kept["TranscriptItems"] = [{"Id": item.get("Id")} for item in items if isinstance(item, dict)]
        reduced.append(kept)
    return reduced


def _all_points(segment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    details = lookup(segment, "Categories.MatchedDetails", None)
    if not isinstance(details, dict):
        return []
    points: list[Mapping[str, Any]] = []
    for detail in details.values():
        found = detail.get("PointsOfInterest") if isinstance(detail, dict) else None
        if isinstance(found, list):
            points.extend(point for point in found if isinstance(point, dict))
    return points
