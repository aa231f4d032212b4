"""Contact Lens segment streams -> sentiment and compliance events, through the normalizer."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from floorwatch.events.adapters.base import stable_id
from floorwatch.events.adapters.contact_lens import ARRIVAL_FIELD
from floorwatch.events.normalize import Normalized, normalize_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "contact_lens"
SOURCE = "contact_lens"
CENTER = "e91cd429-a7f1-49be-98df-910bcf40bfc8"
CALL = "ec2b5abb-d1d3-4cca-8647-134fa5ea9060"
CHAT = "60322e8e-8269-493d-9a66-375d3f813e0a"
ARRIVED = "2026-11-23T09:15:55.500Z"
NOTHING = f"{SOURCE}: payload carries nothing floorwatch monitors"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return document


def voice_as_ingested() -> dict[str, Any]:
    """The voice SEGMENTS example with the Kinesis arrival time the ingest side adds."""
    return {**load("voice_segments.json"), ARRIVAL_FIELD: ARRIVED}


def normalize(document: Any) -> Normalized:
    return normalize_bytes(json.dumps(document).encode())


def events_of(document: Any) -> list[dict[str, Any]]:
    outcome = normalize(document)
    assert outcome.reason is None, outcome.reason
    assert outcome.source == SOURCE
    return [json.loads(event.to_json()) for event in outcome.events]


def reason_of(document: Any) -> str:
    outcome = normalize(document)
    assert outcome.rejected and not outcome.events
    assert outcome.reason is not None
    return outcome.reason


def skip_of(document: Any) -> str:
    """The reason a recognised payload is acknowledged without events (neither events nor quarantine)."""
    outcome = normalize(document)
    assert not outcome.rejected and not outcome.events, outcome
    assert outcome.skipped is not None
    return outcome.skipped


def test_voice_segments_become_sentiment_and_compliance_events_placed_by_offset() -> None:
    voice = {"source": SOURCE, "center_id": CENTER, "contact_id": CALL, "channel": "voice"}
    points = json.dumps([{"BeginOffsetMillis": 25120, "EndOffsetMillis": 31870}], sort_keys=True)
    supervisor_points = json.dumps([{"BeginOffsetMillis": 33010, "EndOffsetMillis": 36450}], sort_keys=True)
    assert events_of(voice_as_ingested()) == [
        {
            **voice,
            "event_id": stable_id(SOURCE, CALL, "transcript", "4aeb22b4-32e2-44a8-84c8-3246608e0356"),
            "type": "sentiment",
            # newest segment (offset 36450) at arrival; this one ended 11.852 s earlier
            "occurred_at": "2026-11-23T09:15:43.648000Z",
            "values": {"sentiment": 0.0},
            "labels": {"participant_role": "agent"},
            "text": "Thank you for calling Example Bank billing, my name is [PII]. How can I help?",
        },
        {
            **voice,
            "event_id": stable_id(SOURCE, CALL, "transcript", "c84375aa-3ff1-4ec4-85dc-432a84833807"),
            "type": "sentiment",
            "occurred_at": "2026-11-23T09:15:50.920000Z",
            "values": {"sentiment": -1.0, "issues_detected": 1.0},
            "labels": {"participant_role": "customer"},
            "text": "You charged me twice again. My card is [CARD] and I want it fixed today.",
        },
        {
            **voice,
            "event_id": stable_id(SOURCE, CALL, "category", "CardDetailsSpoken", points),
            "type": "compliance",
            "occurred_at": "2026-11-23T09:15:50.920000Z",
            "values": {},
            "labels": {"category": "CardDetailsSpoken"},
        },
        {
            **voice,
            "event_id": stable_id(SOURCE, CALL, "category", "SupervisorRequested", supervisor_points),
            "type": "compliance",
            "occurred_at": "2026-11-23T09:15:55.500000Z",
            "values": {},
            "labels": {"category": "SupervisorRequested"},
        },
    ]


def test_voice_segments_without_an_arrival_time_are_rejected_naming_the_field() -> None:
    reason = reason_of(load("voice_segments.json"))
    assert reason.startswith(
        f"{SOURCE}: field '{ARRIVAL_FIELD}': missing: Segments[0].Transcript has no absolute time"
    )


def test_the_arrival_time_may_be_epoch_seconds_as_kinesis_reports_it() -> None:
    document = {**load("voice_segments.json"), ARRIVAL_FIELD: 1795425355.5}  # 2026-11-23T09:15:55.500Z
    assert events_of(document) == events_of(voice_as_ingested())


def test_chat_segments_use_their_absolute_time() -> None:
    chat = {"source": SOURCE, "center_id": CENTER, "contact_id": CHAT, "channel": "chat"}
    customer_line = "f3c930d7-7ae4-4d8c-a2ca-ba95d16d03ca"
    points = json.dumps([{"TranscriptItems": [{"Id": customer_line}]}], sort_keys=True)
    assert events_of(load("chat_segments.json")) == [
        {
            **chat,
            "event_id": stable_id(SOURCE, CHAT, "transcript", "8728faa9-5e9f-4968-a81e-4f477ee775c7"),
            "type": "sentiment",
            "occurred_at": "2026-11-23T09:36:12.118000Z",
            "values": {"sentiment": 0.0},
            "labels": {"participant_role": "agent"},
            "text": "Hi, I can see your router went offline at 09:20. Let me check the line.",
        },
        {
            **chat,
            "event_id": stable_id(SOURCE, CHAT, "transcript", customer_line),
            "type": "sentiment",
            "occurred_at": "2026-11-23T09:36:40.730000Z",
            "values": {"sentiment": -1.0},
            "labels": {"participant_role": "customer"},
            "text": "This is the third time this week. I want to talk to a supervisor.",
        },
        {
            **chat,
            # MatchedDetails only (as in the documented chat sample); timed by the transcript it points at
            "event_id": stable_id(SOURCE, CHAT, "category", "SupervisorRequested", points),
            "type": "compliance",
            "occurred_at": "2026-11-23T09:36:40.730000Z",
            "values": {},
            "labels": {"category": "SupervisorRequested"},
        },
    ]


@pytest.mark.parametrize(
    "name", ["voice_started.json", "voice_completed.json", "voice_failed.json", "chat_completed.json"]
)
def test_lifecycle_events_are_skipped_not_quarantined(name: str) -> None:
    kind = load(name).get("EventType") or load(name)["StreamingEventType"]
    assert skip_of(load(name)) == (
        f"{SOURCE}: Contact Lens {kind} lifecycle event: only SEGMENTS carry sentiment or categories"
    )


def test_partial_utterances_without_sentiment_carry_nothing_to_monitor() -> None:
    document = voice_as_ingested()
    document["Segments"] = [segment for segment in document["Segments"] if "Utterance" in segment]
    assert skip_of(document) == NOTHING


def test_an_utterance_that_does_carry_sentiment_counts() -> None:
    document = voice_as_ingested()
    document["Segments"] = [segment for segment in document["Segments"] if "Utterance" in segment]
    document["Segments"][0]["Utterance"]["Sentiment"] = "MIXED"
    (event,) = events_of(document)
    assert event["event_id"] == stable_id(SOURCE, CALL, "utterance", "9d3a1f7e-5b2c-4e8a-a1d6-3c7b9e0f2a41")
    assert event["values"] == {"sentiment": 0.0}
    assert event["text"] == "Can I speak to your manager"
    assert event["occurred_at"] == "2026-11-23T09:15:55.500000Z"


def test_same_payload_same_events() -> None:
    for document in (voice_as_ingested(), load("chat_segments.json")):
        first, second = normalize(document), normalize(copy.deepcopy(document))
        assert [event.to_json() for event in first.events] == [event.to_json() for event in second.events]


def test_a_new_match_of_the_same_category_gets_a_new_id() -> None:
    first = {event.labels["category"]: event.event_id for event in normalize(voice_as_ingested()).events[2:]}
    later = voice_as_ingested()
    later["Segments"][3]["Categories"]["MatchedDetails"]["SupervisorRequested"]["PointsOfInterest"] = [
        {"BeginOffsetMillis": 90120, "EndOffsetMillis": 93400}
    ]
    second = {event.labels["category"]: event.event_id for event in normalize(later).events[2:]}
    assert second["CardDetailsSpoken"] == first["CardDetailsSpoken"]
    assert second["SupervisorRequested"] != first["SupervisorRequested"]


def test_long_content_is_redacted_then_cut_to_the_model_limit() -> None:
    document = voice_as_ingested()
    # Cut first, the card's last digits would fall off and the rest would no longer look like a card.
    filler = "a" * 3990
    document["Segments"][1]["Transcript"]["Content"] = f"{filler} 4111 1111 1111 1111 and more"
    text = events_of(document)[1]["text"]
    assert len(text) == 4000
    assert text == f"{filler} [CARD] an"
    assert "4111" not in text


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.__delitem__("ContactId"), "field 'ContactId': missing"),
        (lambda d: d.__delitem__("InstanceId"), "unrecognized payload shape"),
        (lambda d: d.__setitem__("EventType", "PAUSED"), "field 'EventType': unknown event type 'PAUSED'"),
        (
            lambda d: d.__setitem__("Segments", {"Transcript": {}}),
            "field 'Segments': expected an array, got dict",
        ),
        (lambda d: d.__delitem__("Segments"), "field 'Segments': missing"),
        (lambda d: d["Segments"].append("hello"), "field 'Segments[4]': expected an object, got str"),
        (
            lambda d: d["Segments"][1]["Transcript"].__setitem__("Sentiment", "ANGRY"),
            "field 'Segments[1].Transcript.Sentiment': unknown sentiment 'ANGRY'",
        ),
        (
            lambda d: d["Segments"][0]["Transcript"].__delitem__("Id"),
            "field 'Segments[0].Transcript.Id': missing",
        ),
        (
            lambda d: d["Segments"][0]["Transcript"].__setitem__("EndOffsetMillis", "late"),
            "field 'Segments[0].Transcript.EndOffsetMillis': expected a number, got 'late'",
        ),
        (
            lambda d: d["Segments"][3]["Categories"].__setitem__("MatchedCategories", "CardDetailsSpoken"),
            "field 'Segments[3].Categories.MatchedCategories': expected an array of category names",
        ),
        (
            lambda d: d["Segments"][3]["Categories"].__setitem__("MatchedDetails", ["x"]),
            "field 'Segments[3].Categories.MatchedDetails': expected an object, got list",
        ),
        (
            lambda d: d["Segments"][3]["Categories"]["MatchedDetails"]["CardDetailsSpoken"].__setitem__(
                "PointsOfInterest", 3
            ),
            "MatchedDetails.CardDetailsSpoken.PointsOfInterest': expected an array of objects",
        ),
        (
            lambda d: d.__setitem__(ARRIVAL_FIELD, "noon"),
            f"field '{ARRIVAL_FIELD}': not an ISO 8601 timestamp",
        ),
    ],
)
def test_unusable_fields_are_named_in_the_reason(mutate: Any, expected: str) -> None:
    document = voice_as_ingested()
    mutate(document)
    assert expected in reason_of(document)


def test_a_bad_absolute_time_is_named() -> None:
    document = load("chat_segments.json")
    document["Segments"][1]["Transcript"]["Time"]["AbsoluteTime"] = "at some point"
    assert "field 'Segments[1].Transcript.Time.AbsoluteTime': not an ISO 8601 timestamp" in reason_of(
        document
    )
