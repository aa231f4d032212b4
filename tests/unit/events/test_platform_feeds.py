"""Real platform feeds beyond the first adapters: Genesys and Zendesk agent state, Zendesk and Connect
through EventBridge, Twilio Event Streams and form-encoded callbacks, Connect edge cases, one queue id.

Fixtures are the examples under events/ (each written from the vendor's published examples, see the
adapter docstrings) plus inline variations:
- Genesys: Notifications API topics v2.users.{id}.activity / presence / routingStatus (Genesys Cloud
  developer center, "Available topics"; field names as in the platform SDKs' AgentActivityNotification
  and UserPresence models);
- Zendesk: "Agent Availability Events" webhook reference, and the Amazon EventBridge Events Connector
  ticket event schema ("Support Ticket: <Event>", detail.ticket_event);
- Twilio: Event Streams TaskRouter event types (CloudEvents, data.payload) and the TaskRouter "Events
  reference" callback parameters;
- Amazon Connect: "Amazon Connect contact events" (EventBridge detail) and "Contact records data model".
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

from floorwatch.events.model import CxEvent
from floorwatch.events.normalize import Normalized, normalize_bytes, normalize_document
from floorwatch.metrics import catalog as c
from floorwatch.metrics.fold import fold

EVENTS = Path(__file__).resolve().parents[3] / "events"
GENESYS_USER = "9a8b7c6d-5e4f-4321-9abc-def012345678"
BILLING = "110bbe7f-cd5a-470e-a0ba-5600aad5b14e"  # the billing queue's ARN id in the Connect examples


def load(relative: str) -> Any:
    return json.loads((EVENTS / relative).read_text(encoding="utf-8"))


def outcome_of(document: Any) -> Normalized:
    return normalize_bytes(json.dumps(document).encode())


def events_of(document: Any) -> list[dict[str, Any]]:
    outcome = outcome_of(document)
    assert outcome.reason is None and outcome.skipped is None, outcome
    return [json.loads(event.to_json()) for event in outcome.events]


def skip_of(document: Any) -> str:
    outcome = outcome_of(document)
    assert outcome.skipped is not None, outcome
    return outcome.skipped


# --- Genesys agent state ------------------------------------------------------------------------


def test_genesys_activity_on_break_is_not_ready_with_the_platform_names_kept() -> None:
    (event,) = events_of(load("genesys/user_activity_break.json"))
    assert event["type"] == "agent_state"
    assert event["source"] == "genesys"
    assert event["agent_id"] == GENESYS_USER
    assert event["occurred_at"] == "2026-11-23T10:02:11.482000Z"  # the latest change in the body
    assert event["labels"] == {
        "state": "not_ready",
        "event": "activity",
        "routing_status": "off_queue",
        "presence": "break",
    }
    assert event["values"] == {"state_seconds": 0.092, "active_queues": 2.0}
    assert "queue_id" not in event  # agent events stay on the agent's partition


def test_genesys_activity_over_eventbridge_idle_on_queue_is_available() -> None:
    (event,) = events_of(load("genesys/user_activity_idle_eventbridge.json"))
    assert event["labels"]["state"] == "available"
    assert event["labels"]["routing_status"] == "idle"
    assert event["labels"]["presence"] == "on_queue"
    assert event["occurred_at"] == "2026-11-23T10:17:39.850000Z"


def test_the_same_genesys_notification_has_one_id_over_websocket_and_eventbridge() -> None:
    bridged = load("genesys/user_activity_idle_eventbridge.json")
    direct = bridged["detail"]
    assert events_of(direct)[0]["event_id"] == events_of(bridged)[0]["event_id"]


def test_genesys_routing_status_alone_maps_while_on_queue() -> None:
    document = load("genesys/user_routing_status_not_responding.json")
    (event,) = events_of(document)
    assert event["labels"]["state"] == "missed"  # the vocabulary Connect's Missed status uses
    assert event["labels"]["routing_status"] == "not_responding"
    for status, state in (
        ("INTERACTING", "on_contact"),
        ("COMMUNICATING", "on_contact"),
        ("IDLE", "available"),
    ):
        document["eventBody"]["routingStatus"]["status"] = status
        assert events_of(document)[0]["labels"]["state"] == state
    document["eventBody"]["routingStatus"]["status"] = "OFF_QUEUE"
    assert "presence topic says" in skip_of(document)


def test_genesys_presence_alone_maps_unless_it_says_on_queue() -> None:
    presence = {
        "topicName": f"v2.users.{GENESYS_USER}.presence",
        "version": "2",
        "eventBody": {
            "source": "PURECLOUD",
            "presenceDefinition": {"id": "p-1", "systemPresence": "OFFLINE"},
            "modifiedDate": "2026-11-23T17:30:00.000Z",
        },
    }
    (event,) = events_of(presence)
    assert (event["labels"]["state"], event["agent_id"]) == ("offline", GENESYS_USER)
    presence["eventBody"]["presenceDefinition"]["systemPresence"] = "Meal"
    assert events_of(presence)[0]["labels"] == {"state": "not_ready", "event": "presence", "presence": "meal"}
    presence["eventBody"]["presenceDefinition"]["systemPresence"] = "On Queue"
    assert "routing status says idle or interacting" in skip_of(presence)


def test_a_genesys_activity_without_any_status_is_quarantined_naming_the_field() -> None:
    document = load("genesys/user_activity_break.json")
    del document["eventBody"]["routingStatus"]
    del document["eventBody"]["presence"]
    outcome = outcome_of(document)
    assert outcome.reason is not None and "eventBody.routingStatus" in outcome.reason


# --- Zendesk agent availability and EventBridge -------------------------------------------------


def test_zendesk_unified_status_away_is_not_ready() -> None:
    (event,) = events_of(load("zendesk/agent_unified_state_changed.json"))
    assert event == {
        "event_id": "01JDQ8ST1QX01C889XV42S2J5Z",
        "source": "zendesk",
        "type": "agent_state",
        "occurred_at": "2026-11-23T10:02:10.702000Z",
        "center_id": "default",
        "agent_id": "10011",
        "values": {"state_seconds": 0.0},
        "labels": {
            "event": "unified_state_changed",
            "state": "not_ready",
            "status": "away",
            "previous_status": "online",
            "reason": "agent_set",
        },
    }


def test_zendesk_per_channel_status_maps_with_its_channel() -> None:
    document = load("zendesk/agent_state_changed.json")
    (event,) = events_of(document)
    assert event["labels"]["state"] == "available"
    assert event["labels"]["work_channel"] == "support"
    document["event"]["new_state"] = "offline"
    assert events_of(document)[0]["labels"]["state"] == "offline"


def test_zendesk_agent_events_without_a_status_are_skipped_with_a_reason() -> None:
    document = load("zendesk/agent_state_changed.json")
    document["type"] = "zen:event-type:agent.work_item_added"
    assert "says nothing about the agent's status" in skip_of(document)


def test_zendesk_events_connector_ticket_event_maps_to_a_ticket() -> None:
    (event,) = events_of(load("zendesk/ticket_status_changed_eventbridge.json"))
    assert event == {
        "event_id": "ecd26460-0ca3-433b-b908-d891a0aa6fb4",
        "source": "zendesk",
        "type": "ticket",
        "occurred_at": "2026-11-23T09:41:45.465719Z",
        "center_id": "default",
        "queue_id": "98738",
        "agent_id": "235324",
        "contact_id": "35436",
        "channel": "email",
        "values": {},
        "labels": {
            "event": "status_changed",
            "status": "pending",
            "priority": "high",
            "ticket_type": "question",
            "previous_status": "open",
        },
    }


def test_a_zendesk_webhook_event_forwarded_through_eventbridge_maps_as_itself() -> None:
    webhook = load("zendesk/agent_unified_state_changed.json")
    bridged = {
        "version": "0",
        "id": "4f1c2d3e-0000-4000-8000-000000000001",
        "detail-type": "zen:event-type:agent.unified_state_changed",
        "source": "aws.partner/zendesk.com/9242270/default",
        "time": "2026-11-23T10:02:11Z",
        "detail": webhook,
    }
    assert events_of(bridged) == events_of(webhook)


# --- Twilio Event Streams and form-encoded callbacks --------------------------------------------


def test_twilio_event_streams_cloudevent_maps_like_the_callback() -> None:
    (event,) = events_of(load("twilio/event_streams_reservation_accepted.json"))
    assert event == {
        "event_id": "EV9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9a",
        "source": "twilio",
        "type": "contact_answered",
        "occurred_at": "2026-11-23T09:15:18.442000Z",
        "center_id": "default",
        "queue_id": "billing",
        "agent_id": "WK1c3e5a7b9d0f2a4c6e8b0d2f4a6c8e0b",
        "contact_id": "WT8e2b4d6f0a1c3e5b7d9f1a3c5e7b9d0f",
        "channel": "voice",
        "values": {"wait_seconds": 47.0},
        "labels": {"event": "reservation.accepted"},
    }


def test_twilio_cloudevents_of_other_products_are_skipped() -> None:
    (document,) = load("twilio/event_streams_reservation_accepted.json")
    document["type"] = "com.twilio.messaging.message.delivered"
    assert "not a TaskRouter event" in skip_of(document)


def test_the_form_encoded_taskrouter_body_is_accepted_as_twilio_posts_it() -> None:
    fields = load("twilio/task_canceled.json")
    body = urllib.parse.urlencode(fields).encode()
    outcome = normalize_bytes(body)
    assert outcome.source == "twilio"
    (event,) = outcome.events
    assert isinstance(event, CxEvent)
    assert json.loads(event.to_json()) == events_of(fields)[0]
    assert event.type == "contact_abandoned"


def test_a_body_that_is_neither_json_nor_a_callback_form_is_still_rejected_as_json() -> None:
    outcome = normalize_bytes(b"Sid=EV1&Timestamp=1")
    assert outcome.reason is not None and outcome.reason.startswith("not valid JSON")


# --- Amazon Connect edge cases --------------------------------------------------------------------


def test_a_contact_event_detail_alone_is_recognised_and_an_ivr_end_is_not_handled() -> None:
    detail = load("amazon_connect/contact_event_disconnected_in_ivr_detail_only.json")
    (event,) = events_of(detail)
    assert event["source"] == "amazon_connect.contact_event"
    assert event["type"] == "contact_ended"
    assert event["labels"]["ended_in"] == "ivr"
    assert event["occurred_at"] == "2026-11-23T09:16:51.204000Z"
    named = {"source": "amazon_connect.contact_event", "payload": detail}
    assert events_of(named) == [event]  # same id: a hash of contact, type and the event's own time


def test_a_detail_alone_needs_its_own_timestamp() -> None:
    detail = load("amazon_connect/contact_event_disconnected_in_ivr_detail_only.json")
    del detail["disconnectTimestamp"]
    outcome = outcome_of(detail)
    assert outcome.reason is not None and "field 'disconnectTimestamp': missing" in outcome.reason


def test_a_contact_event_queued_detail_alone_keeps_its_queue() -> None:
    (event,) = events_of(load("amazon_connect/contact_event_queued.json")["detail"])
    assert (event["type"], event["queue_id"]) == ("contact_queued", BILLING)


def test_ivr_only_contacts_change_no_handled_count() -> None:
    ivr = [
        *normalize_document(load("amazon_connect/contact_record_ended_in_ivr.json")).events,
        *normalize_document(load("amazon_connect/contact_event_disconnected_in_ivr_detail_only.json")).events,
    ]
    deltas = fold(ivr)
    counted = {  # every event also counts toward its feed's and center's cadence (silence rules)
        key.scope: {name: amount for name, amount in delta.adds.items() if name != c.EVENTS}
        for key, delta in deltas.items()
        if delta.adds and not key.scope.startswith("feed:")
    }
    assert counted == {"center:e91cd429-a7f1-49be-98df-910bcf40bfc8": {c.ENDED_IN_IVR: 2.0}}
    handled = fold(normalize_document(load("amazon_connect/contact_record_answered.json")).events)
    assert any(delta.adds.get(c.HANDLED) == 1.0 for delta in handled.values())


def test_null_strings_from_a_relay_are_absent_field_by_field() -> None:
    document = load("amazon_connect/agent_state_change_break.json")
    clean = events_of(document)[0]
    snapshot = document["CurrentAgentSnapshot"]
    snapshot["AgentStatus"]["StartTimestamp"] = "null"
    snapshot["Configuration"]["Username"] = "null"
    snapshot["Configuration"]["AgentHierarchyGroups"] = "null"
    snapshot["Contacts"] = "null"
    (event,) = events_of(document)
    assert event["labels"]["state"] == clean["labels"]["state"] == "not_ready"
    assert "username" not in event["labels"] and "team_id" not in event
    assert "state_seconds" not in event["values"]  # the start is unknown, not an error
    document["AgentARN"] = "null"
    outcome = outcome_of(document)
    assert outcome.reason == "amazon_connect.agent: field 'AgentARN': missing"


def test_null_strings_in_parts_the_adapter_never_reads_change_nothing() -> None:
    document = load("amazon_connect/agent_state_change_on_hold.json")
    clean = events_of(document)
    document["PreviousAgentSnapshot"]["AgentStatus"]["Name"] = "null"
    document["CurrentAgentSnapshot"]["Configuration"]["RoutingProfile"]["Name"] = "null"
    assert events_of(document) == clean


def test_one_connect_queue_is_one_scope_through_ctrs_agent_events_and_contact_events() -> None:
    record = normalize_document(load("amazon_connect/contact_record_answered.json")).events
    contact = normalize_document(load("amazon_connect/contact_event_queued.json")).events
    agent = normalize_document(load("amazon_connect/agent_state_change_on_hold.json")).events
    queue_ids = {event.queue_id for event in record + contact} | {agent[0].labels["queue"]}
    assert queue_ids == {BILLING}
    scopes = {key.scope for key in fold(record + contact) if key.scope.startswith("queue:")}
    assert scopes == {f"queue:{BILLING}"}
    assert {event.labels.get("queue_name") for event in record} == {"billing"}
