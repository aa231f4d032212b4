"""The generic format (floorwatch's own CxEvent JSON), through the normalizer (detection included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from floorwatch.events.normalize import Normalized, normalize_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "generic"
SOURCE = "generic"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return document


def normalize(document: Any) -> Normalized:
    return normalize_bytes(json.dumps(document).encode())


def events_of(document: Any) -> list[dict[str, Any]]:
    outcome = normalize(document)
    assert outcome.reason is None, outcome.reason
    return [json.loads(event.to_json()) for event in outcome.events]


def the_event(document: Any) -> dict[str, Any]:
    outcome = normalize(document)
    assert outcome.source == SOURCE, outcome.reason
    (event,) = events_of(document)
    return event


def reason_of(document: Any) -> str:
    outcome = normalize(document)
    assert outcome.rejected and not outcome.events
    assert outcome.reason is not None
    return outcome.reason


def test_an_answered_contact_keeps_every_field_and_its_own_id() -> None:
    assert the_event(load("contact_answered.json")) == {
        "event_id": "crm-desk-20261123-000418",
        "source": SOURCE,
        "type": "contact_answered",
        "occurred_at": "2026-11-23T09:42:10Z",
        "center_id": "lisbon",
        "queue_id": "billing",
        "team_id": "billing-1",
        "agent_id": "agent-0042",
        "contact_id": "call-5c1e9a",
        "channel": "voice",
        "values": {"wait_seconds": 23.5},
        "labels": {"skill": "refunds"},
    }


def test_a_snapshot_without_an_id_gets_a_stable_one_from_its_content() -> None:
    event = the_event(load("queue_snapshot_without_id.json"))
    assert event == {
        "event_id": event["event_id"],
        "source": SOURCE,
        "type": "queue_snapshot",
        "occurred_at": "2026-11-23T09:45:00Z",
        "center_id": "lisbon",
        "queue_id": "tech-support",
        "channel": "chat",
        "values": {"contacts_in_queue": 11.0, "longest_wait_seconds": 214.0, "agents_available": 2.0},
        "labels": {},
    }
    assert event["event_id"].startswith("gen-")
    assert the_event(load("queue_snapshot_without_id.json"))["event_id"] == event["event_id"]


def test_a_different_payload_without_an_id_gets_a_different_id() -> None:
    document = load("queue_snapshot_without_id.json")
    first = the_event(document)["event_id"]
    document["values"]["contacts_in_queue"] = 12
    assert the_event(document)["event_id"] != first


def test_an_agent_state_with_an_offset_time_is_stored_in_utc() -> None:
    assert the_event(load("agent_state.json")) == {
        "event_id": "wfm-state-7731",
        "source": SOURCE,
        "type": "agent_state",
        "occurred_at": "2026-11-23T08:47:31Z",
        "center_id": "lisbon",
        "team_id": "tech-support-2",
        "agent_id": "agent-0107",
        "values": {"state_seconds": 0.0},
        "labels": {"state": "not_ready", "status": "Coaching"},
    }


def test_free_text_and_labels_are_redacted() -> None:
    document = load("contact_answered.json")
    document["text"] = "my card is 4111 1111 1111 1111"
    document["labels"] = {"note": "customer jane@example.com"}
    event = the_event(document)
    assert event["text"] == "my card is [CARD]"
    assert event["labels"] == {"note": "customer [EMAIL]"}


@pytest.mark.parametrize("key", ["queue", "wait_seconds", "EventType"])
def test_an_unknown_key_is_rejected_naming_it(key: str) -> None:
    document = load("contact_answered.json")
    document[key] = "billing"
    assert reason_of(document) == f"generic: field '{key}': Extra inputs are not permitted"


@pytest.mark.parametrize(
    ("field", "value", "reason_part"),
    [
        (
            "occurred_at",
            "2026-11-23T09:42:10",
            "field 'occurred_at': Value error, occurred_at must carry a time zone",
        ),
        ("occurred_at", "tomorrow", "field 'occurred_at': Input should be a valid datetime"),
        ("type", "contact_lost", "field 'type': Input should be"),
        ("channel", "fax", "field 'channel': Input should be"),
        ("values", {"wait_seconds": "23"}, "field 'values.wait_seconds': Input should be a valid number"),
        ("queue_id", "", "field 'queue_id': String should have at least 1 character"),
        ("queue_id", 7, "field 'queue_id': Input should be a valid string"),
    ],
)
def test_wrong_types_are_rejected_naming_the_field(field: str, value: Any, reason_part: str) -> None:
    document = load("contact_answered.json")
    document[field] = value
    reason = reason_of(document)
    assert reason.startswith("generic: ")
    assert reason_part in reason


def test_a_missing_time_is_named_in_the_reason() -> None:
    document = load("contact_answered.json")
    del document["occurred_at"]
    assert reason_of(document) == "generic: field 'occurred_at': Field required"


def test_a_missing_type_is_named_when_the_envelope_says_the_document_is_generic() -> None:
    document = load("contact_answered.json")
    del document["type"]
    assert reason_of(document).startswith("unrecognized payload shape")  # detection needs the type
    assert reason_of({"source": "generic", "payload": document}) == "generic: field 'type': Field required"


def test_the_envelope_override_maps_the_document_as_generic() -> None:
    document = load("contact_answered.json")
    assert the_event({"source": "generic", "payload": document}) == the_event(document)


def test_a_batch_of_generic_documents_is_accepted_whole() -> None:
    batch = [load("contact_answered.json"), load("queue_snapshot_without_id.json"), load("agent_state.json")]
    assert [event["type"] for event in events_of(batch)] == [
        "contact_answered",
        "queue_snapshot",
        "agent_state",
    ]


def test_one_bad_document_rejects_the_whole_batch_naming_its_position() -> None:
    bad = load("agent_state.json")
    bad["mood"] = "grumpy"
    reason = reason_of([load("contact_answered.json"), bad])
    assert reason == "[1]: generic: field 'mood': Extra inputs are not permitted"
