"""EventBridge "Amazon Connect Contact Event" -> queued, answered, abandoned or ended, via the normalizer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from floorwatch.events.normalize import Normalized, normalize_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "amazon_connect"
SOURCE = "amazon_connect.contact_event"
CENTER = "e91cd429-a7f1-49be-98df-910bcf40bfc8"
AMELIA = "e0176467-9cff-435c-8783-b43160ee5481"
CALL = "ec2b5abb-d1d3-4cca-8647-134fa5ea9060"
BILLING_QUEUE = "110bbe7f-cd5a-470e-a0ba-5600aad5b14e"  # contact events carry the queue ARN, not its name


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return document


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


def test_queued() -> None:
    assert events_of(load("contact_event_queued.json")) == [
        {
            "event_id": "81e95958-649a-4dd2-8587-0435f320d8cf",
            "source": SOURCE,
            "type": "contact_queued",
            "occurred_at": "2026-11-23T09:14:31.907000Z",
            "center_id": CENTER,
            "queue_id": BILLING_QUEUE,
            "contact_id": CALL,
            "channel": "voice",
            "values": {},
            "labels": {"initiation_method": "inbound"},
        }
    ]


def test_connected_to_agent_is_answered_with_its_wait() -> None:
    assert events_of(load("contact_event_connected_to_agent.json")) == [
        {
            "event_id": "a80da1ca-860b-40e5-8c43-08a4ce6796cf",
            "source": SOURCE,
            "type": "contact_answered",
            "occurred_at": "2026-11-23T09:15:18.442000Z",
            "center_id": CENTER,
            "queue_id": BILLING_QUEUE,
            "agent_id": AMELIA,
            "contact_id": CALL,
            "channel": "voice",
            "values": {"wait_seconds": 46.535},
            "labels": {"initiation_method": "inbound"},
        }
    ]


def test_disconnected_after_an_agent_is_ended() -> None:
    assert events_of(load("contact_event_disconnected.json")) == [
        {
            "event_id": "f0ff2530-dc9f-4541-8ad2-87daddf6bfc8",
            "source": SOURCE,
            "type": "contact_ended",
            "occurred_at": "2026-11-23T09:24:40.019000Z",
            "center_id": CENTER,
            "queue_id": BILLING_QUEUE,
            "agent_id": AMELIA,
            "contact_id": CALL,
            "channel": "voice",
            "values": {},
            "labels": {"initiation_method": "inbound", "disconnect_reason": "customer_disconnect"},
        }
    ]


def test_disconnected_in_queue_is_abandoned_with_its_wait() -> None:
    assert events_of(load("contact_event_disconnected_abandoned.json")) == [
        {
            "event_id": "b620f26b-b4b9-4707-8b29-c629d16ff1a6",
            "source": SOURCE,
            "type": "contact_abandoned",
            "occurred_at": "2026-11-23T09:35:19.204000Z",
            "center_id": CENTER,
            "queue_id": "08f63b0f-229f-4bf4-b9f3-b0f9f9bc7feb",
            "contact_id": "1c2c7d05-c913-4a19-80c4-7e83c6d077d7",
            "channel": "voice",
            "values": {"wait_seconds": 226.544},
            "labels": {"initiation_method": "inbound", "disconnect_reason": "customer_disconnect"},
        }
    ]


def test_initiated_is_skipped_not_quarantined() -> None:
    assert skip_of(load("contact_event_initiated.json")) == (
        f"{SOURCE}: contact event INITIATED is not monitored "
        "(mapped: QUEUED, CONNECTED_TO_AGENT, DISCONNECTED)"
    )


def test_other_event_types_are_skipped_naming_the_type() -> None:
    document = load("contact_event_queued.json")
    for event_type in ("CONTACT_DATA_UPDATED", "CONNECTED_TO_SYSTEM", "COMPLETED", "SOMETHING_NEW"):
        document["detail"]["eventType"] = event_type
        assert skip_of(document).startswith(f"{SOURCE}: contact event {event_type} is not monitored")


def test_pascal_case_detail_as_in_some_documented_samples_maps_the_same() -> None:
    document = load("contact_event_connected_to_agent.json")
    detail = document["detail"]
    document["detail"] = {
        "EventType": detail["eventType"],
        "ContactId": detail["contactId"],
        "Channel": "Voice",
        "InstanceARN": detail["instanceArn"],
        "InitiationMethod": detail["initiationMethod"],
        "QueueInfo": {
            "QueueArn": detail["queueInfo"]["queueArn"],
            "EnqueueTimestamp": "2026-11-23T09:14:31.907Z",
        },
        "AgentInfo": {
            "AgentArn": detail["agentInfo"]["agentArn"],
            "ConnectedToAgentTimestamp": "2026-11-23T09:15:18.442Z",
        },
    }
    assert events_of(document) == events_of(load("contact_event_connected_to_agent.json"))


def test_connects_1970_placeholder_is_not_a_connection() -> None:
    document = load("contact_event_disconnected.json")
    document["detail"]["agentInfo"]["connectedToAgentTimestamp"] = "1970-01-01T00:00:00.001Z"
    (event,) = events_of(document)
    assert event["type"] == "contact_abandoned"
    assert event["values"] == {"wait_seconds": 608.112}
    assert event["agent_id"] == AMELIA


def test_an_agent_info_without_a_connect_time_field_means_the_agent_was_reached() -> None:
    # The oldest documented shape: AgentInfo {AgentArn, RoutingProfileArn}, no timestamps.
    document = load("contact_event_disconnected.json")
    document["detail"]["agentInfo"] = {"agentArn": document["detail"]["agentInfo"]["agentArn"]}
    (event,) = events_of(document)
    assert event["type"] == "contact_ended"


def test_the_envelope_time_stands_in_for_a_missing_event_timestamp() -> None:
    document = load("contact_event_queued.json")
    del document["detail"]["queueInfo"]["enqueueTimestamp"]
    (event,) = events_of(document)
    assert event["occurred_at"] == "2026-11-23T09:14:32Z"
    document = load("contact_event_connected_to_agent.json")
    del document["detail"]["agentInfo"]["connectedToAgentTimestamp"]
    (event,) = events_of(document)
    assert event["occurred_at"] == "2026-11-23T09:15:19Z"
    assert event["values"] == {"wait_seconds": 47.093}


def test_an_outbound_disconnect_without_a_queue_ends() -> None:
    document = load("contact_event_disconnected.json")
    del document["detail"]["queueInfo"]
    document["detail"]["initiationMethod"] = "OUTBOUND"
    (event,) = events_of(document)
    assert event["type"] == "contact_ended"
    assert "queue_id" not in event
    assert event["labels"]["initiation_method"] == "outbound"


def test_same_payload_same_events() -> None:
    for name in ("contact_event_queued.json", "contact_event_disconnected_abandoned.json"):
        first, second = normalize(load(name)), normalize(load(name))
        assert [event.to_json() for event in first.events] == [event.to_json() for event in second.events]


def test_other_connect_eventbridge_events_are_not_taken_for_contact_events() -> None:
    document = load("contact_event_queued.json")
    document["detail-type"] = "Contact Lens Realtime Rules Matched"
    document["detail"] = {"ruleName": "supervisor requested", "contactArn": "arn:aws:connect:x"}
    assert reason_of(document).startswith("unrecognized payload shape")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("id",), None, "field 'id': missing"),
        (("detail",), None, "field 'detail': missing"),
        (("detail",), "QUEUED", "field 'detail': expected an object, got str"),
        (("detail", "eventType"), None, "field 'detail.eventType': missing"),
        (("detail", "contactId"), None, "field 'detail.contactId': missing"),
        (("detail", "instanceArn"), None, "field 'detail.instanceArn': missing"),
        (("detail", "instanceArn"), "instance-1", "field 'detail.instanceArn': not an Amazon Connect ARN"),
        (("detail", "queueInfo"), None, "field 'detail.queueInfo.queueArn': missing"),
        (
            ("detail", "queueInfo", "queueArn"),
            7,
            "field 'detail.queueInfo.queueArn': expected a string, got int",
        ),
        (
            ("detail", "queueInfo", "enqueueTimestamp"),
            True,
            "'detail.queueInfo.enqueueTimestamp': expected a timestamp",
        ),
        (("detail", "eventType"), ["QUEUED"], "field 'detail.eventType': expected a string, got list"),
    ],
)
def test_unusable_fields_are_named_in_the_reason(path: tuple[str, ...], value: Any, expected: str) -> None:
    document = load("contact_event_queued.json")
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    reason = reason_of(document)
    assert reason.startswith(f"{SOURCE}: ")
    assert expected in reason


def test_an_answer_without_an_agent_is_named() -> None:
    document = load("contact_event_connected_to_agent.json")
    del document["detail"]["agentInfo"]
    assert "field 'detail.agentInfo.agentArn': missing" in reason_of(document)
    document = load("contact_event_connected_to_agent.json")
    document["detail"]["agentInfo"]["agentArn"] = f"{document['detail']['instanceArn']}/queue/abc"
    assert "field 'detail.agentInfo.agentArn': not an Amazon Connect agent ARN" in reason_of(document)


def test_an_event_without_detail_type_is_recognised_by_source_and_detail() -> None:
    document = load("contact_event_queued.json")
    del document["detail-type"]
    assert events_of(document) == events_of(load("contact_event_queued.json"))
    del document["detail"]["contactId"]
    assert reason_of(document).startswith("unrecognized payload shape")
