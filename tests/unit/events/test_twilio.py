"""Twilio TaskRouter event callbacks -> CxEvents, through the normalizer (detection included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from floorwatch.events.adapters.twilio import TwilioAdapter
from floorwatch.events.normalize import Normalized, normalize_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "twilio"
SOURCE = "twilio"
CALL_TASK = "WT8e2b4d6f0a1c3e5b7d9f1a3c5e7b9d0f"
CHAT_TASK = "WT4a6c8e0b2d1f3a5c7e9b1d3f5a7c9e1a"
ANA = "WK1c3e5a7b9d0f2a4c6e8b0d2f4a6c8e0b"
BILLING_SID = "WQ7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f"


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return document


def normalize(document: Any) -> Normalized:
    return normalize_bytes(json.dumps(document).encode())


def the_event(document: Any) -> dict[str, Any]:
    outcome = normalize(document)
    assert outcome.reason is None, outcome.reason
    assert outcome.source == SOURCE
    (event,) = outcome.events
    result: dict[str, Any] = json.loads(event.to_json())
    return result


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


def test_entering_a_queue_queues_the_contact_under_the_queue_name() -> None:
    assert the_event(load("task_queue_entered.json")) == {
        "event_id": "EV3c9f1a7e5b2d48c6a0e4f8b2d6c1a9e3",
        "source": SOURCE,
        "type": "contact_queued",
        "occurred_at": "2026-11-23T09:30:12.455000Z",
        "center_id": "default",
        "queue_id": "billing",
        "contact_id": CALL_TASK,
        "channel": "voice",
        "values": {},
        "labels": {"event": "task-queue.entered"},
    }


def test_an_accepted_reservation_answers_the_contact_after_the_task_age() -> None:
    assert the_event(load("reservation_accepted.json")) == {
        "event_id": "EV9d1f3b5a7c8e0a2c4e6b8d0f2a4c6e8b",
        "source": SOURCE,
        "type": "contact_answered",
        "occurred_at": "2026-11-23T09:30:35.780000Z",
        "center_id": "default",
        "queue_id": "billing",
        "agent_id": ANA,
        "contact_id": CALL_TASK,
        "channel": "voice",
        "values": {"wait_seconds": 23.0},
        "labels": {"event": "reservation.accepted"},
    }


def test_a_canceled_task_is_an_abandoned_contact_with_its_wait_and_reason() -> None:
    assert the_event(load("task_canceled.json")) == {
        "event_id": "EV2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e0f",
        "source": SOURCE,
        "type": "contact_abandoned",
        "occurred_at": "2026-11-23T09:31:58.102000Z",
        "center_id": "default",
        "queue_id": "tech-support",
        "contact_id": CHAT_TASK,
        "channel": "chat",
        "values": {"wait_seconds": 87.0},
        "labels": {"event": "task.canceled", "reason": "Customer left the conversation"},
    }


def test_a_completed_task_ends_the_contact() -> None:
    assert the_event(load("task_completed.json")) == {
        "event_id": "EV7a9c1e3b5d6f8a0c2e4b6d8f0a2c4e6d",
        "source": SOURCE,
        "type": "contact_ended",
        "occurred_at": "2026-11-23T09:38:44.617000Z",
        "center_id": "default",
        "queue_id": "billing",
        "contact_id": CALL_TASK,
        "channel": "voice",
        "values": {},
        "labels": {"event": "task.completed", "reason": "Call ended by customer"},
    }


def test_a_worker_activity_update_is_an_agent_state_without_the_worker_name() -> None:
    event = the_event(load("worker_activity_update.json"))
    assert event == {
        "event_id": "EV5e7b9d1f3a4c6e8b0d2f4a6c8e0b2d4f",
        "source": SOURCE,
        "type": "agent_state",
        "occurred_at": "2026-11-23T09:40:03.250000Z",
        "center_id": "default",
        "agent_id": ANA,
        "values": {"state_seconds": 0.0, "previous_state_seconds": 1312.417},
        "labels": {
            "event": "worker.activity.update",
            "state": "not_ready",
            "activity": "Break",
            "previous_activity": "Available",
        },
    }
    assert "Ana Ruiz" not in json.dumps(event)


@pytest.mark.parametrize(
    ("activity", "state"),
    [("Available", "available"), ("idle", "available"), ("Offline", "offline"), ("Lunch", "not_ready")],
)
def test_activity_names_map_to_the_shared_agent_states(activity: str, state: str) -> None:
    document = load("worker_activity_update.json")
    document["WorkerActivityName"] = activity
    assert the_event(document)["labels"]["state"] == state


def test_time_in_previous_activity_in_seconds_is_used_without_the_millisecond_field() -> None:
    document = load("worker_activity_update.json")
    del document["WorkerTimeInPreviousActivityMs"]
    assert the_event(document)["values"]["previous_state_seconds"] == 1312.0


def test_the_queue_sid_stands_in_when_the_callback_has_no_queue_name() -> None:
    document = load("reservation_accepted.json")
    del document["TaskQueueName"]
    assert the_event(document)["queue_id"] == BILLING_SID


def test_epoch_seconds_are_used_when_the_millisecond_timestamp_is_absent() -> None:
    document = load("task_canceled.json")
    del document["TimestampMs"]
    assert the_event(document)["occurred_at"] == "2026-11-23T09:31:58Z"


def test_numbers_sent_as_json_numbers_are_accepted_like_form_strings() -> None:
    document = load("reservation_accepted.json")
    document["TaskAge"] = 23
    document["TimestampMs"] = 1795426235780
    assert the_event(document) == the_event(load("reservation_accepted.json"))


def test_the_channel_falls_back_to_the_flex_channel_type_attribute() -> None:
    document = load("task_canceled.json")
    del document["TaskChannelUniqueName"]
    assert the_event(document)["channel"] == "chat"  # Flex names a web chat "web"


@pytest.mark.parametrize("attributes", ["{not json", "[1, 2]", '{"channelType": 7}'])
def test_unusable_task_attributes_only_cost_the_channel(attributes: str) -> None:
    document = load("task_canceled.json")
    del document["TaskChannelUniqueName"]
    document["TaskAttributes"] = attributes
    event = the_event(document)
    assert "channel" not in event
    assert event["type"] == "contact_abandoned"


def test_the_default_task_channel_leaves_the_channel_empty() -> None:
    document = load("task_queue_entered.json")
    document["TaskChannelUniqueName"] = "default"
    document["TaskAttributes"] = "{}"
    assert "channel" not in the_event(document)


@pytest.mark.parametrize(
    "name",
    [
        "task_queue_entered.json",
        "reservation_accepted.json",
        "task_canceled.json",
        "task_completed.json",
        "worker_activity_update.json",
    ],
)
def test_the_same_callback_always_gives_the_same_event(name: str) -> None:
    assert the_event(load(name)) == the_event(load(name))


@pytest.mark.parametrize(
    "event_type", ["task.created", "reservation.created", "task.updated", "workflow.entered"]
)
def test_unmapped_event_types_carry_nothing_to_monitor(event_type: str) -> None:
    document = load("task_queue_entered.json")
    document["EventType"] = event_type
    assert skip_of(document).startswith(f"twilio: TaskRouter event {event_type!r} is not monitored (mapped: ")


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("reservation_accepted.json", "Sid"),
        ("reservation_accepted.json", "TaskSid"),
        ("reservation_accepted.json", "WorkerSid"),
        ("worker_activity_update.json", "WorkerSid"),
        ("worker_activity_update.json", "WorkerActivityName"),
    ],
)
def test_a_missing_required_field_is_named_in_the_reason(name: str, field: str) -> None:
    document = load(name)
    del document[field]
    assert reason_of(document) == f"twilio: field '{field}': missing"


def test_a_callback_without_any_timestamp_is_rejected() -> None:
    document = load("task_completed.json")
    del document["Timestamp"], document["TimestampMs"]
    assert reason_of(document) == "twilio: field 'Timestamp': missing"


def test_a_queue_event_without_any_queue_is_rejected() -> None:
    document = load("task_canceled.json")
    del document["TaskQueueName"], document["TaskQueueSid"]
    reason = reason_of(document)
    assert reason.startswith("twilio: field 'TaskQueueSid': missing")


def test_a_completed_task_without_a_queue_still_ends_the_contact() -> None:
    document = load("task_completed.json")
    del document["TaskQueueName"], document["TaskQueueSid"]
    assert "queue_id" not in the_event(document)


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("TaskAge", "twenty", "expected a number"),
        ("TaskAge", "-3", "must not be negative"),
        ("TaskAge", True, "expected a number, got a boolean"),
        ("TimestampMs", "soon", "not an ISO 8601 timestamp"),
        ("TimestampMs", "9e99", "out of range"),
        ("Sid", {"sid": "EV1"}, "expected a string, got dict"),
        ("WorkerSid", ["WK1"], "expected a string, got list"),
    ],
)
def test_wrong_types_are_rejected_naming_the_field(field: str, value: Any, problem: str) -> None:
    document = load("reservation_accepted.json")
    document[field] = value
    reason = reason_of(document)
    assert reason.startswith(f"twilio: field '{field}': ")
    assert problem in reason


def test_the_envelope_override_maps_the_callback_as_twilio() -> None:
    document = load("reservation_accepted.json")
    assert the_event({"source": "twilio", "payload": document}) == the_event(document)


def test_the_envelope_override_works_without_the_workspace_sid_detection_needs() -> None:
    document = load("task_canceled.json")
    del document["WorkspaceSid"]
    assert normalize(document).reason is not None  # not recognisable on its own any more
    assert the_event({"source": "twilio", "payload": document})["type"] == "contact_abandoned"


def test_detection_claims_taskrouter_callbacks_only() -> None:
    adapter = TwilioAdapter()
    assert adapter.matches(load("task_completed.json"))
    connect_agent_event = {"AgentARN": "arn:...", "EventType": "STATE_CHANGE", "EventId": "e-1"}
    assert not adapter.matches(connect_agent_event)
