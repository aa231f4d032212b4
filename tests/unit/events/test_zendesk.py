"""Zendesk ticket event webhooks -> ticket CxEvents, through the normalizer (detection included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from floorwatch.events.adapters.zendesk import ZendeskAdapter
from floorwatch.events.normalize import Normalized, normalize_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "zendesk"
SOURCE = "zendesk"
BILLING_GROUP = "8447320466430"
TECH_GROUP = "8447320466517"
REDACTED_SUBJECT = "Charged twice - call me back on [PHONE] or [EMAIL]"


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


def test_a_new_ticket_is_a_ticket_event_with_a_redacted_subject() -> None:
    assert the_event(load("ticket_created.json")) == {
        "event_id": "7c1e9a34-5b2d-4f08-8e6a-3d9b1c4f2e70",
        "source": SOURCE,
        "type": "ticket",
        "occurred_at": "2026-11-23T10:02:17.418532Z",
        "center_id": "default",
        "queue_id": BILLING_GROUP,
        "contact_id": "48213",
        "channel": "email",
        "values": {},
        "labels": {"event": "created", "status": "new", "priority": "high", "ticket_type": "incident"},
        "text": REDACTED_SUBJECT,
    }


def test_a_status_change_carries_the_new_and_previous_status_and_the_assignee() -> None:
    assert the_event(load("ticket_status_changed.json")) == {
        "event_id": "e3b8d5f1-0a2c-4c7e-9b46-81f2a5d7c093",
        "source": SOURCE,
        "type": "ticket",
        "occurred_at": "2026-11-23T10:41:05.077210Z",
        "center_id": "default",
        "queue_id": BILLING_GROUP,
        "agent_id": "8447388090494",
        "contact_id": "48213",
        "channel": "email",
        "values": {},
        "labels": {
            "event": "status_changed",
            "status": "pending",
            "previous_status": "open",
            "priority": "high",
            "ticket_type": "incident",
        },
        "text": REDACTED_SUBJECT,
    }


def test_a_priority_change_on_a_messaging_ticket_carries_the_previous_priority() -> None:
    assert the_event(load("ticket_priority_changed.json")) == {
        "event_id": "4a7f2c9e-6d1b-4e83-b5a0-c2e9f7d1b386",
        "source": SOURCE,
        "type": "ticket",
        "occurred_at": "2026-11-23T11:15:42.902114Z",
        "center_id": "default",
        "queue_id": TECH_GROUP,
        "agent_id": "8450017726302",
        "contact_id": "48230",
        "channel": "chat",
        "values": {},
        "labels": {
            "event": "priority_changed",
            "status": "open",
            "priority": "urgent",
            "previous_priority": "normal",
            "ticket_type": "problem",
        },
        # A time and a small number are not PII: the subject stays readable.
        "text": "Internet down since 08:30, router in queue 3 replacement list",
    }


def test_a_status_change_with_a_minimal_detail_takes_the_status_from_the_event() -> None:
    document = load("ticket_status_changed.json")
    document["detail"] = {"id": "48213"}
    event = the_event(document)
    assert event["labels"] == {"event": "status_changed", "status": "pending", "previous_status": "open"}
    assert {"queue_id", "agent_id", "channel", "text"}.isdisjoint(event)


def test_any_other_ticket_event_type_maps_too() -> None:
    document = load("ticket_created.json")
    document["type"] = "zen:event-type:ticket.group_assignment_changed"
    document["event"] = {"current": TECH_GROUP, "previous": BILLING_GROUP}
    document["detail"]["group_id"] = TECH_GROUP
    event = the_event(document)
    assert event["labels"]["event"] == "group_assignment_changed"
    assert event["queue_id"] == TECH_GROUP


@pytest.mark.parametrize(
    ("via", "channel"),
    [
        ("voice", "voice"),
        ("sms", "sms"),
        ("whatsapp", "social"),
        ("chat", "chat"),
        ("web", None),
        ("api", None),
    ],
)
def test_the_via_channel_maps_to_a_floorwatch_channel(via: str, channel: str | None) -> None:
    document = load("ticket_created.json")
    document["detail"]["via"]["channel"] = via
    assert the_event(document).get("channel") == channel


def test_numeric_ids_from_older_payloads_are_accepted_as_strings() -> None:
    document = load("ticket_created.json")
    document["detail"]["id"] = 48213
    document["detail"]["group_id"] = 8447320466430
    event = the_event(document)
    assert (event["contact_id"], event["queue_id"]) == ("48213", BILLING_GROUP)


def test_a_very_long_subject_is_cut_to_the_text_limit() -> None:
    document = load("ticket_created.json")
    document["detail"]["subject"] = "refund " * 1000
    assert len(the_event(document)["text"]) == 4000


@pytest.mark.parametrize(
    "name", ["ticket_created.json", "ticket_status_changed.json", "ticket_priority_changed.json"]
)
def test_the_same_webhook_always_gives_the_same_event(name: str) -> None:
    assert the_event(load(name)) == the_event(load(name))


@pytest.mark.parametrize("event_type", ["zen:event-type:user.created", "zen:event-type:organization.created"])
def test_events_of_other_domains_carry_nothing_to_monitor(event_type: str) -> None:
    document = load("ticket_created.json")
    document["type"] = event_type
    assert skip_of(document) == (
        f"zendesk: Zendesk event {event_type!r} is neither a ticket nor an agent status event"
    )


@pytest.mark.parametrize(
    ("path", "field"), [(["id"], "id"), (["time"], "time"), (["detail", "id"], "detail.id")]
)
def test_a_missing_required_field_is_named_in_the_reason(path: list[str], field: str) -> None:
    document = load("ticket_created.json")
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    assert reason_of(document) == f"zendesk: field '{field}': missing"


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (lambda d: d.update(time="last tuesday"), "time", "not an ISO 8601 timestamp"),
        (lambda d: d.update(detail="48213"), "detail", "expected an object, got str"),
        (lambda d: d["detail"].update(group_id=["a"]), "detail.group_id", "expected a string, got list"),
        (lambda d: d["detail"].update(subject=42.5), "detail.subject", "expected a string, got float"),
        (lambda d: d["detail"].update(status=True), "detail.status", "expected a string, got bool"),
        (lambda d: d.update(id=None), "id", "missing"),
    ],
)
def test_wrong_types_are_rejected_naming_the_field(change: Any, field: str, problem: str) -> None:
    document = load("ticket_created.json")
    change(document)
    reason = reason_of(document)
    assert reason.startswith(f"zendesk: field '{field}': ")
    assert problem in reason


def test_the_envelope_override_maps_the_webhook_as_zendesk() -> None:
    document = load("ticket_status_changed.json")
    assert the_event({"source": "zendesk", "payload": document}) == the_event(document)


def test_detection_claims_zendesk_webhooks_but_not_eventbridge_events() -> None:
    adapter = ZendeskAdapter()
    assert adapter.matches(load("ticket_created.json"))
    eventbridge = {"detail-type": "Support Ticket: Ticket Created", "detail": {"ticket_event": {}}}
    assert not adapter.matches(eventbridge)
    generic = {"source": "generic", "type": "ticket", "occurred_at": "2026-11-23T10:00:00Z"}
    assert not adapter.matches(generic)
