"""Amazon Connect agent event stream -> agent_state events, through the normalizer (detection included)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from floorwatch.events.normalize import Normalized, normalize_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "amazon_connect"
SOURCE = "amazon_connect.agent"
CENTER = "e91cd429-a7f1-49be-98df-910bcf40bfc8"
AMELIA = "e0176467-9cff-435c-8783-b43160ee5481"
RAVI = "ebda9f44-0a00-4634-ba92-cfa741e4e6fa"
CALL = "ec2b5abb-d1d3-4cca-8647-134fa5ea9060"
BILLING = "110bbe7f-cd5a-470e-a0ba-5600aad5b14e"  # the queue ARN's id: one queue, one id in every feed
TECH_SUPPORT = "08f63b0f-229f-4bf4-b9f3-b0f9f9bc7feb"
# The routing profile's inbound queues, sorted (the agent's own queue left out).
ROUTING_QUEUES = f"{TECH_SUPPORT} {BILLING}"


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


def test_login_makes_the_agent_available() -> None:
    assert events_of(load("agent_login.json")) == [
        {
            "event_id": "d5164864-e8a0-407a-8aec-18cb83bb0b67",
            "source": SOURCE,
            "type": "agent_state",
            "occurred_at": "2026-11-23T08:58:02.114000Z",
            "center_id": CENTER,
            "team_id": "billing-team-a",
            "agent_id": AMELIA,
            "values": {"active_contacts": 0.0, "state_seconds": 0.024},
            "labels": {
                "state": "available",
                "event": "login",
                "status": "Available",
                "status_type": "routable",
                "username": "amelia.ortiz",
                "queues": ROUTING_QUEUES,
            },
        }
    ]


def test_a_held_customer_puts_the_agent_on_hold() -> None:
    assert events_of(load("agent_state_change_on_hold.json")) == [
        {
            "event_id": "3f0cf74c-e2db-48e5-94c7-5d357a888998",
            "source": SOURCE,
            "type": "agent_state",
            "occurred_at": "2026-11-23T09:19:05.318000Z",
            "center_id": CENTER,
            "team_id": "billing-team-a",
            "agent_id": AMELIA,
            "contact_id": CALL,
            "channel": "voice",
            "values": {"active_contacts": 1.0, "state_seconds": 0.098},
            "labels": {
                "state": "on_hold",
                "event": "state_change",
                "status": "Available",
                "status_type": "routable",
                "username": "amelia.ortiz",
                "queues": ROUTING_QUEUES,
                "contact_state": "on_hold",
                "queue": BILLING,
                "queue_name": "billing",
            },
        }
    ]


def test_a_custom_status_is_not_ready() -> None:
    assert events_of(load("agent_state_change_break.json")) == [
        {
            "event_id": "e76fdca1-6241-46a8-a206-6cec7b43a7ef",
            "source": SOURCE,
            "type": "agent_state",
            "occurred_at": "2026-11-23T10:02:00.075000Z",
            "center_id": CENTER,
            "team_id": "billing-team-a",
            "agent_id": AMELIA,
            "values": {"active_contacts": 0.0, "state_seconds": 0.044},
            "labels": {
                "state": "not_ready",
                "event": "state_change",
                "status": "Break",
                "status_type": "custom",
                "username": "amelia.ortiz",
                "queues": ROUTING_QUEUES,
            },
        }
    ]


def test_heartbeat_keeps_reporting_after_contact_work_with_its_original_start() -> None:
    # The example follows the documented model: AgentStatus has no Type, so "Available" is inferred routable.
    assert events_of(load("agent_heartbeat_after_contact_work.json")) == [
        {
            "event_id": "8bd0ecb7-23ac-40b6-8e19-30c42e4cce02",
            "source": SOURCE,
            "type": "agent_state",
            "occurred_at": "2026-11-23T09:42:45.002000Z",
            "center_id": CENTER,
            "team_id": "tech-support-team",
            "agent_id": RAVI,
            "contact_id": "60322e8e-8269-493d-9a66-375d3f813e0a",
            "channel": "chat",
            "values": {"active_contacts": 0.0, "state_seconds": 101.491},
            "labels": {
                "state": "after_contact_work",
                "event": "heart_beat",
                "status": "Available",
                "status_type": "routable",
                "username": "ravi.menon",
                "queues": ROUTING_QUEUES,
                "contact_state": "ended",
                "queue": TECH_SUPPORT,
                "queue_name": "tech-support",
            },
        }
    ]


def test_logout_makes_the_agent_offline_from_that_instant() -> None:
    assert events_of(load("agent_logout.json")) == [
        {
            "event_id": "38f4a1d1-8603-4383-8a52-335433ada646",
            "source": SOURCE,
            "type": "agent_state",
            "occurred_at": "2026-11-23T17:30:11.640000Z",
            "center_id": CENTER,
            "team_id": "billing-team-a",
            "agent_id": AMELIA,
            "values": {"active_contacts": 0.0, "state_seconds": 0.0},
            "labels": {
                "state": "offline",
                "event": "logout",
                "status": "Offline",
                "status_type": "offline",
                "username": "amelia.ortiz",
                "queues": ROUTING_QUEUES,
            },
        }
    ]


def test_logout_without_a_snapshot_is_still_offline() -> None:
    document = load("agent_logout.json")
    del document["CurrentAgentSnapshot"]
    (event,) = events_of(document)
    assert event["labels"] == {"state": "offline", "event": "logout"}
    assert event["values"] == {"active_contacts": 0.0, "state_seconds": 0.0}
    assert "team_id" not in event


@pytest.mark.parametrize(
    ("status", "state", "status_type"),
    [
        ("Offline", "offline", "offline"),
        ("Training", "not_ready", "custom"),
        ("Available", "available", "routable"),
    ],
)
def test_status_type_is_inferred_from_connects_system_statuses_when_absent(
    status: str, state: str, status_type: str
) -> None:
    document = load("agent_state_change_break.json")
    document["CurrentAgentSnapshot"]["AgentStatus"] = {
        "Name": status,
        "StartTimestamp": "2026-11-23T10:00:00Z",
    }
    (event,) = events_of(document)
    assert (event["labels"]["state"], event["labels"]["status_type"]) == (state, status_type)
    assert event["values"]["state_seconds"] == 120.075


def test_the_most_significant_of_several_contacts_describes_the_agent() -> None:
    document = load("agent_state_change_on_hold.json")
    held = document["CurrentAgentSnapshot"]["Contacts"][0]
    chat = {
        "ContactId": "0f4bd3a5-6c55-4b0e-9d7c-2b1a6a3e8f90",
        "Channel": "CHAT",
        "InitiationMethod": "API",
        "State": "CONNECTED",
        "StateStartTimestamp": "2026-11-23T09:17:00.000Z",
        "Queue": {"ARN": held["Queue"]["ARN"].replace(BILLING, TECH_SUPPORT), "Name": "Tech Support"},
    }
    document["CurrentAgentSnapshot"]["Contacts"] = [chat, held]
    (event,) = events_of(document)
    assert event["contact_id"] == CALL
    assert event["channel"] == "voice"
    assert event["labels"]["state"] == "on_hold"
    assert event["values"]["active_contacts"] == 2.0

    held["State"] = "ENDED"
    (event,) = events_of(document)
    assert event["contact_id"] == chat["ContactId"]
    assert event["labels"]["state"] == "on_contact"
    assert event["labels"]["queue"] == TECH_SUPPORT
    assert event["labels"]["queue_name"] == "Tech Support"
    assert event["values"]["active_contacts"] == 1.0


def test_a_missed_contact_outranks_the_status() -> None:
    document = load("agent_state_change_on_hold.json")
    document["CurrentAgentSnapshot"]["Contacts"][0]["State"] = "MISSED"
    (event,) = events_of(document)
    assert event["labels"]["state"] == "missed"
    assert event["labels"]["contact_state"] == "missed"
    assert event["values"]["active_contacts"] == 0.0


def test_connects_1970_placeholder_means_the_start_is_unknown() -> None:
    document = load("agent_state_change_on_hold.json")
    document["CurrentAgentSnapshot"]["Contacts"][0]["StateStartTimestamp"] = "1970-01-01T00:00:00.001Z"
    (event,) = events_of(document)
    assert event["values"] == {"active_contacts": 1.0}


def test_an_agent_queue_without_a_name_gets_its_arn_id() -> None:
    document = load("agent_state_change_on_hold.json")
    instance = document["InstanceARN"]
    document["CurrentAgentSnapshot"]["Contacts"][0]["Queue"] = {
        "ARN": f"{instance}/queue/agent/{AMELIA}",
        "Name": None,
    }
    (event,) = events_of(document)
    assert event["labels"]["queue"] == f"agent-{AMELIA}"


def test_same_payload_same_events() -> None:
    for name in (
        "agent_login.json",
        "agent_state_change_on_hold.json",
        "agent_heartbeat_after_contact_work.json",
    ):
        first, second = normalize(load(name)), normalize(load(name))
        assert [event.to_json() for event in first.events] == [event.to_json() for event in second.events]


def test_the_envelope_names_the_source_explicitly() -> None:
    events = events_of({"source": SOURCE, "payload": load("agent_login.json")})
    assert events == events_of(load("agent_login.json"))


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("EventTimestamp",), None, "field 'EventTimestamp': missing"),
        (("InstanceARN",), None, "field 'InstanceARN': missing"),
        (("EventId",), None, "field 'EventId': missing"),
        (("CurrentAgentSnapshot",), None, "field 'CurrentAgentSnapshot': missing"),
        (
            ("CurrentAgentSnapshot", "AgentStatus", "Name"),
            None,
            "field 'CurrentAgentSnapshot.AgentStatus.Name': missing",
        ),
        (("EventTimestamp",), True, "field 'EventTimestamp': expected a timestamp, got a boolean"),
        (("EventTimestamp",), "yesterday", "field 'EventTimestamp': not an ISO 8601 timestamp"),
        (("CurrentAgentSnapshot",), "Available", "field 'CurrentAgentSnapshot': expected an object, got str"),
        (
            ("CurrentAgentSnapshot", "AgentStatus", "Name"),
            ["Break"],
            "AgentStatus.Name': expected a string, got list",
        ),
        (
            ("CurrentAgentSnapshot", "AgentStatus", "Type"),
            "BUSY",
            "AgentStatus.Type': unknown status type 'BUSY'",
        ),
        (
            ("CurrentAgentSnapshot", "Contacts"),
            "none",
            "field 'CurrentAgentSnapshot.Contacts': expected an array",
        ),
        (("EventType",), "RECONNECT", "field 'EventType': unknown agent event type 'RECONNECT'"),
        (("AgentARN",), "amelia.ortiz", "field 'AgentARN': not an Amazon Connect ARN"),
        (("InstanceARN",), "arn:aws:s3:::bucket", "field 'InstanceARN': not an Amazon Connect ARN"),
    ],
)
def test_unusable_fields_are_named_in_the_reason(path: tuple[str, ...], value: Any, expected: str) -> None:
    document = load("agent_state_change_break.json")
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


def test_a_contact_without_a_known_state_is_named_by_its_index() -> None:
    document = load("agent_state_change_on_hold.json")
    document["CurrentAgentSnapshot"]["Contacts"].append(
        copy.deepcopy(document["CurrentAgentSnapshot"]["Contacts"][0])
    )
    document["CurrentAgentSnapshot"]["Contacts"][1]["State"] = "RINGING"
    assert "field 'CurrentAgentSnapshot.Contacts[1].State': unknown contact state 'RINGING'" in reason_of(
        document
    )
    del document["CurrentAgentSnapshot"]["Contacts"][1]["State"]
    assert "field 'CurrentAgentSnapshot.Contacts[1].State': missing" in reason_of(document)


def test_routing_profile_entries_without_a_usable_queue_arn_are_left_out_not_rejected() -> None:
    document = load("agent_login.json")
    profile = document["CurrentAgentSnapshot"]["Configuration"]["RoutingProfile"]
    profile["InboundQueues"] = [
        {"ARN": "arn:aws:connect:eu-west-2:1:instance/x/queue/" + BILLING, "Name": "billing"},
        {"ARN": "not an arn"},
        {"Name": "no arn at all"},
        "a string",
        {"ARN": 42},
    ]
    [event] = events_of(document)
    assert event["labels"]["queues"] == BILLING

    profile["InboundQueues"] = "not a list"
    [event] = events_of(document)
    assert "queues" not in event["labels"]
