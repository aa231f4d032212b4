"""Amazon Connect contact records (CTRs) -> queued / answered / abandoned / ended, through the normalizer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from floorwatch.events.adapters.base import stable_id
from floorwatch.events.normalize import Normalized, normalize_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "amazon_connect"
SOURCE = "amazon_connect.contact_record"
CENTER = "e91cd429-a7f1-49be-98df-910bcf40bfc8"
AMELIA = "e0176467-9cff-435c-8783-b43160ee5481"
CALL = "ec2b5abb-d1d3-4cca-8647-134fa5ea9060"
ABANDONED = "1c2c7d05-c913-4a19-80c4-7e83c6d077d7"
BILLING = "110bbe7f-cd5a-470e-a0ba-5600aad5b14e"  # the queue ARN's id: one queue, one id in every feed
TECH_SUPPORT = "08f63b0f-229f-4bf4-b9f3-b0f9f9bc7feb"
OUTBOUND = "ec78f261-71a8-412d-b35f-288fbc8eba0d"


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


def test_an_answered_call_is_queued_answered_and_ended() -> None:
    common = {
        "source": SOURCE,
        "center_id": CENTER,
        "queue_id": BILLING,
        "contact_id": CALL,
        "channel": "voice",
    }
    assert events_of(load("contact_record_answered.json")) == [
        {
            **common,
            "event_id": stable_id(SOURCE, CALL, "queued"),
            "type": "contact_queued",
            "occurred_at": "2026-11-23T09:14:31Z",
            "values": {},
            "labels": {"initiation_method": "inbound", "queue_name": "billing"},
        },
        {
            **common,
            "event_id": stable_id(SOURCE, CALL, "answered"),
            "type": "contact_answered",
            "occurred_at": "2026-11-23T09:15:18Z",
            "team_id": "billing-team-a",
            "agent_id": AMELIA,
            "values": {"wait_seconds": 47.0},
            "labels": {"initiation_method": "inbound", "queue_name": "billing"},
        },
        {
            **common,
            "event_id": stable_id(SOURCE, CALL, "ended"),
            "type": "contact_ended",
            "occurred_at": "2026-11-23T09:24:40Z",
            "team_id": "billing-team-a",
            "agent_id": AMELIA,
            "values": {
                "talk_seconds": 467.0,
                "hold_seconds": 95.0,
                "acw_seconds": 72.0,
                "holds": 1.0,
                "handle_seconds": 634.0,
            },
            "labels": {
                "initiation_method": "inbound",
                "queue_name": "billing",
                "disconnect_reason": "customer_disconnect",
            },
        },
    ]


def test_a_caller_who_hangs_up_in_queue_abandons() -> None:
    common = {
        "source": SOURCE,
        "center_id": CENTER,
        "queue_id": TECH_SUPPORT,
        "contact_id": ABANDONED,
        "channel": "voice",
    }
    assert events_of(load("contact_record_abandoned.json")) == [
        {
            **common,
            "event_id": stable_id(SOURCE, ABANDONED, "queued"),
            "type": "contact_queued",
            "occurred_at": "2026-11-23T09:31:32Z",
            "values": {},
            "labels": {"initiation_method": "inbound", "queue_name": "tech-support"},
        },
        {
            **common,
            "event_id": stable_id(SOURCE, ABANDONED, "abandoned"),
            "type": "contact_abandoned",
            "occurred_at": "2026-11-23T09:35:19Z",
            "values": {"wait_seconds": 227.0},
            "labels": {
                "initiation_method": "inbound",
                "queue_name": "tech-support",
                "disconnect_reason": "customer_disconnect",
            },
        },
    ]


def test_a_redelivered_updated_record_keeps_its_ids() -> None:
    # Connect re-delivers a CTR when the contact is updated (attributes, later fields): no double count.
    original = normalize(load("contact_record_answered.json"))
    updated = load("contact_record_answered.json")
    updated["LastUpdateTimestamp"] = "2026-11-23T11:02:13Z"
    updated["Attributes"]["survey"] = "5"
    again = normalize(updated)
    assert [event.event_id for event in again.events] == [event.event_id for event in original.events]
    assert len({event.event_id for event in original.events}) == 3


def test_same_payload_same_events() -> None:
    for name in ("contact_record_answered.json", "contact_record_abandoned.json"):
        first, second = normalize(load(name)), normalize(load(name))
        assert [event.to_json() for event in first.events] == [event.to_json() for event in second.events]


def test_wait_falls_back_to_the_timestamps_when_duration_is_absent() -> None:
    document = load("contact_record_answered.json")
    del document["Queue"]["Duration"]
    answered = events_of(document)[1]
    assert answered["values"] == {"wait_seconds": 47.0}


def test_an_outbound_call_only_ends() -> None:
    document = load("contact_record_answered.json")
    document["InitiationMethod"] = "OUTBOUND"
    document["Queue"] = {"ARN": document["Queue"]["ARN"].replace(BILLING, OUTBOUND), "Name": "Outbound"}
    document["Agent"]["NumberOfHolds"] = 0
    document["Agent"]["CustomerHoldDuration"] = 0
    del document["Agent"]["AfterContactWorkDuration"]
    (ended,) = events_of(document)
    assert ended["type"] == "contact_ended"
    assert ended["queue_id"] == OUTBOUND
    assert ended["agent_id"] == AMELIA
    assert ended["labels"] == {
        "initiation_method": "outbound",
        "queue_name": "Outbound",
        "disconnect_reason": "customer_disconnect",
    }
    # No ACW recorded: handle time is talk + hold only.
    assert ended["values"] == {
        "talk_seconds": 467.0,
        "hold_seconds": 0.0,
        "holds": 0.0,
        "handle_seconds": 467.0,
    }


def test_a_queued_contact_transferred_out_is_not_abandoned() -> None:
    document = load("contact_record_abandoned.json")
    document["TransferCompletedTimestamp"] = "2026-11-23T09:35:19Z"
    document["DisconnectReason"] = None
    types = [event["type"] for event in events_of(document)]
    assert types == ["contact_queued", "contact_ended"]
    assert events_of(document)[1]["labels"] == {"initiation_method": "inbound", "queue_name": "tech-support"}


def test_an_ivr_only_contact_ends_in_the_ivr_without_a_queue_or_agent() -> None:
    document = load("contact_record_abandoned.json")
    document["Queue"] = None
    document["DisconnectReason"] = "CONTACT_FLOW_DISCONNECT"
    (ended,) = events_of(document)
    assert ended == {
        "event_id": stable_id(SOURCE, ABANDONED, "ended"),
        "source": SOURCE,
        "type": "contact_ended",
        "occurred_at": "2026-11-23T09:35:19Z",
        "center_id": CENTER,
        "contact_id": ABANDONED,
        "channel": "voice",
        "values": {},
        "labels": {
            "initiation_method": "inbound",
            "disconnect_reason": "contact_flow_disconnect",
            "ended_in": "ivr",
        },
    }


def test_a_queue_is_identified_by_its_arn_whatever_its_name() -> None:
    document = load("contact_record_abandoned.json")
    document["Queue"]["Name"] = None
    assert {event["queue_id"] for event in events_of(document)} == {TECH_SUPPORT}
    assert all("queue_name" not in event["labels"] for event in events_of(document))
    document["Queue"]["Name"] = "Tech Support (renamed)"
    assert {event["queue_id"] for event in events_of(document)} == {TECH_SUPPORT}
    assert {event["labels"]["queue_name"] for event in events_of(document)} == {"Tech Support (renamed)"}


def test_a_queue_name_without_an_arn_is_slugged() -> None:
    document = load("contact_record_abandoned.json")
    document["Queue"]["Name"] = "  Tech Support / VIP "
    del document["Queue"]["ARN"]
    assert {event["queue_id"] for event in events_of(document)} == {"tech-support-vip"}


def test_the_deepest_named_hierarchy_level_is_the_team() -> None:
    document = load("contact_record_answered.json")
    document["Agent"]["HierarchyGroups"]["Level3"] = {"ARN": "arn:aws:connect:x", "GroupName": "Night Shift"}
    assert events_of(document)[1]["team_id"] == "night-shift"
    document["Agent"]["HierarchyGroups"] = None
    assert "team_id" not in events_of(document)[1]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("ContactId",), None, "field 'ContactId': missing"),
        (("InstanceARN",), None, "field 'InstanceARN': missing"),
        (("DisconnectTimestamp",), None, "field 'DisconnectTimestamp': missing"),
        (("Queue", "Duration"), "forty", "field 'Queue.Duration': expected a number, got 'forty'"),
        (
            ("Queue", "EnqueueTimestamp"),
            False,
            "field 'Queue.EnqueueTimestamp': expected a timestamp, got a boolean",
        ),
        (
            ("Agent", "AgentInteractionDuration"),
            -3,
            "field 'Agent.AgentInteractionDuration': must not be negative",
        ),
        (("Agent", "ARN"), 17, "field 'Agent.ARN': not an Amazon Connect ARN"),
        (
            ("Agent", "ConnectedToAgentTimestamp"),
            "soon",
            "field 'Agent.ConnectedToAgentTimestamp': not an ISO 8601",
        ),
        (("InstanceARN",), ["arn"], "field 'InstanceARN': expected a string, got list"),
        (("Queue", "ARN"), 5, "field 'Queue.ARN': expected a string, got int"),
    ],
)
def test_unusable_fields_are_named_in_the_reason(path: tuple[str, ...], value: Any, expected: str) -> None:
    document = load("contact_record_answered.json")
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


def test_an_abandoned_contact_needs_a_time() -> None:
    document = load("contact_record_abandoned.json")
    del document["DisconnectTimestamp"]
    del document["Queue"]["DequeueTimestamp"]
    assert "field 'DisconnectTimestamp': missing (needed for an abandoned contact)" in reason_of(document)
    document["Queue"]["DequeueTimestamp"] = "2026-11-23T09:35:18Z"
    assert events_of(document)[1]["occurred_at"] == "2026-11-23T09:35:18Z"
