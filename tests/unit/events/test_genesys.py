"""Genesys Cloud notifications -> CxEvents, through the normalizer (detection included)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from floorwatch.events.adapters.genesys import GenesysAdapter
from floorwatch.events.normalize import Normalized, normalize_bytes

EXAMPLES = Path(__file__).resolve().parents[3] / "events" / "genesys"
SOURCE = "genesys"
BILLING = "6b3c1f9e-2d4a-4c8e-9f10-3a7b5e2d1c40"
TECH_SUPPORT = "c2f8a417-90d5-4e3b-8a61-5d0e7b9f2a18"
CALL = "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0"
WHATSAPP_CHAT = "1a3c5e7f-9b2d-4f6a-8c0e-2d4f6a8b0c1e"
AGENT = "9a8b7c6d-5e4f-4321-9abc-def012345678"


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


def the_event(document: Any) -> dict[str, Any]:
    (event,) = events_of(document)
    return event


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


def body(document: dict[str, Any]) -> dict[str, Any]:
    """The eventBody, wherever the notification sits (top level or EventBridge detail)."""
    notification = document.get("detail", document)
    event_body: dict[str, Any] = notification["eventBody"]
    return event_body


# --- queue observations ---------------------------------------------------------------------------


def test_queue_observation_becomes_a_snapshot_of_waiting_contacts_and_longest_wait() -> None:
    assert events_of(load("queue_observations.json")) == [
        {
            "event_id": the_event(load("queue_observations.json"))["event_id"],
            "source": SOURCE,
            "type": "queue_snapshot",
            "occurred_at": "2026-11-23T09:14:05.120000Z",
            "center_id": "default",
            # one queue per media type: Genesys reports each separately (they must not overwrite)
            "queue_id": f"{BILLING}.voice",
            "channel": "voice",
            # oLongestWaiting is the epoch-ms instant the wait began: 09:10:53.120, 192 s earlier.
            "values": {"contacts_in_queue": 7.0, "longest_wait_seconds": 192.0},
            "labels": {"genesys_queue_id": BILLING, "media_type": "voice"},
        }
    ]


def test_user_observations_over_eventbridge_count_agents_on_queue_and_idle_ones() -> None:
    event = the_event(load("queue_observations_agents_eventbridge.json"))
    assert event == {
        "event_id": event["event_id"],
        "source": SOURCE,
        "type": "queue_snapshot",
        # The flat query-style data has no interval: the time is EventBridge's detail.timestamp.
        "occurred_at": "2026-11-23T09:05:10Z",
        "center_id": "default",
        "queue_id": TECH_SUPPORT,
        "values": {"agents_online": 13.0, "agents_available": 3.0, "agents_on_contact": 9.0},
        "labels": {},
    }
    assert event["event_id"].startswith("genesys-")


def test_flat_observations_without_detail_timestamp_use_the_eventbridge_time() -> None:
    document = load("queue_observations_agents_eventbridge.json")
    del document["detail"]["timestamp"]
    assert the_event(document)["occurred_at"] == "2026-11-23T09:05:10Z"


def test_flat_observations_over_a_websocket_have_no_time_and_are_rejected() -> None:
    notification = load("queue_observations_agents_eventbridge.json")["detail"]
    del notification["timestamp"]
    reason = reason_of(notification)
    assert "genesys: field 'eventBody.data'" in reason
    assert "observation time" in reason


def test_longest_wait_given_as_a_duration_in_milliseconds_is_read_as_one() -> None:
    document = load("queue_observations.json")
    body(document)["data"][0]["metrics"][3]["stats"] = {"count": 7, "calculatedMetricValue": 45_500}
    assert the_event(document)["values"]["longest_wait_seconds"] == 45.5


def test_longest_wait_without_a_value_means_nobody_waits() -> None:
    document = load("queue_observations.json")
    metrics = body(document)["data"][0]["metrics"]
    metrics[0]["stats"] = {"count": 0}
    metrics[3]["stats"] = {"count": 0}
    assert the_event(document)["values"] == {"contacts_in_queue": 0.0, "longest_wait_seconds": 0.0}


def test_the_queue_id_comes_from_the_topic_when_the_group_has_none() -> None:
    document = load("queue_observations.json")
    del body(document)["group"]["queueId"]
    assert the_event(document)["queue_id"] == f"{BILLING}.voice"


def test_snapshots_of_one_queue_per_media_type_land_on_distinct_queues_and_do_not_overwrite() -> None:
    voice = load("queue_observations.json")
    chat = load("queue_observations.json")
    body(chat)["group"]["mediaType"] = "chat"
    body(chat)["data"][0]["metrics"][0]["stats"] = {"count": 3}
    voice_event, chat_event = the_event(voice), the_event(chat)
    assert (voice_event["queue_id"], voice_event["values"]["contacts_in_queue"]) == (f"{BILLING}.voice", 7.0)
    assert (chat_event["queue_id"], chat_event["values"]["contacts_in_queue"]) == (f"{BILLING}.chat", 3.0)
    assert chat_event["labels"]["genesys_queue_id"] == voice_event["labels"]["genesys_queue_id"] == BILLING
    assert chat_event["event_id"] != voice_event["event_id"]


def test_observations_with_only_unmapped_metrics_carry_nothing_to_monitor() -> None:
    document = load("queue_observations.json")
    body(document)["data"][0]["metrics"] = [{"metric": "oInteracting", "stats": {"count": 12}}]
    assert skip_of(document) == (
        "genesys: queue observations without oWaiting, oOnQueueUsers or oLongestWaiting: no snapshot figure"
    )


def test_interval_aggregates_on_the_same_topic_do_not_set_the_observation_time() -> None:
    document = load("queue_observations.json")
    body(document)["data"].insert(
        0,
        {
            "interval": "2026-11-23T09:00:00.000Z/2026-11-23T09:30:00.000Z",
            "metrics": [{"metric": "nOffered", "stats": {"count": 41}}],
        },
    )
    assert the_event(document)["occurred_at"] == "2026-11-23T09:14:05.120000Z"


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (lambda b: b.pop("data"), "eventBody.data", "missing"),
        (lambda b: b.update(data={"metric": "oWaiting"}), "eventBody.data", "expected an array"),
        (
            lambda b: b["data"][0]["metrics"][0].pop("metric"),
            "eventBody.data[0].metrics[0].metric",
            "missing",
        ),
        (
            lambda b: b["data"][0]["metrics"][0].update(stats={"count": "seven"}),
            "eventBody.data[0].metrics[0].stats.count",
            "expected a number",
        ),
        (
            lambda b: b["data"][0]["metrics"][0].update(stats={"count": -1}),
            "eventBody.data[0].metrics[0].stats.count",
            "must not be negative",
        ),
        (
            lambda b: b["data"][0].update(interval="2026-11-23T09:14:05Z"),
            "eventBody.data[0].interval",
            "interval",
        ),
        (lambda b: b["data"][0].update(metrics="oWaiting"), "eventBody.data[0].metrics", "expected an array"),
    ],
)
def test_malformed_observations_are_rejected_naming_the_field(change: Any, field: str, problem: str) -> None:
    document = load("queue_observations.json")
    change(body(document))
    reason = reason_of(document)
    assert f"field '{field}'" in reason
    assert problem in reason


# --- conversation detail events ---------------------------------------------------------------------


def test_acd_start_queues_the_contact() -> None:
    event = the_event(load("acd_start_eventbridge.json"))
    assert event == {
        "event_id": event["event_id"],
        "source": SOURCE,
        "type": "contact_queued",
        "occurred_at": "2026-11-23T09:12:41.318000Z",
        "center_id": "default",
        "queue_id": BILLING,
        "contact_id": CALL,
        "channel": "voice",
        "values": {},
        "labels": {"event": "acd.start"},
    }


def test_acd_end_answered_gives_the_agent_and_the_wait() -> None:
    event = the_event(load("acd_end_answered.json"))
    assert event == {
        "event_id": event["event_id"],
        "source": SOURCE,
        "type": "contact_answered",
        "occurred_at": "2026-11-23T09:13:22.904000Z",
        "center_id": "default",
        "queue_id": BILLING,
        "agent_id": AGENT,
        "contact_id": CALL,
        "channel": "voice",
        "values": {"wait_seconds": 41.586},
        "labels": {"event": "acd.end", "acd_outcome": "answered"},
    }


def test_acd_end_abandoned_whatsapp_message_is_a_social_abandon_with_its_wait() -> None:
    event = the_event(load("acd_end_abandoned_eventbridge.json"))
    assert event == {
        "event_id": event["event_id"],
        "source": SOURCE,
        "type": "contact_abandoned",
        "occurred_at": "2026-11-23T09:15:02.511000Z",
        "center_id": "default",
        "queue_id": TECH_SUPPORT,
        "contact_id": WHATSAPP_CHAT,
        "channel": "social",
        "values": {"wait_seconds": 95.233},
        "labels": {"event": "acd.end", "acd_outcome": "abandon"},
    }


def test_user_end_ends_the_contact_with_handle_and_hold_time() -> None:
    event = the_event(load("user_end_eventbridge.json"))
    assert event == {
        "event_id": event["event_id"],
        "source": SOURCE,
        "type": "contact_ended",
        "occurred_at": "2026-11-23T09:21:47.036000Z",
        "center_id": "default",
        "queue_id": BILLING,
        "agent_id": AGENT,
        "contact_id": CALL,
        "channel": "voice",
        "values": {"handle_seconds": 404.12, "hold_seconds": 42.8},
        "labels": {"event": "user.end", "disconnect_type": "endpoint"},
    }


def test_user_end_without_interaction_is_an_unanswered_alert_with_nothing_to_count() -> None:
    document = load("user_end_eventbridge.json")
    body(document)["interactingDurationMs"] = 0
    assert skip_of(document) == (
        "genesys: user.end without interaction: the agent never connected, no handled contact"
    )


@pytest.mark.parametrize("outcome", ["FLOW_OUT", "UNKNOWN"])
def test_acd_end_that_neither_answers_nor_abandons_maps_to_nothing(outcome: str) -> None:
    document = load("acd_end_answered.json")
    body(document)["acdOutcome"] = outcome
    assert skip_of(document) == f"genesys: acd.end with acdOutcome {outcome}: neither answered nor abandoned"


@pytest.mark.parametrize(
    ("message_type", "channel"),
    [("SMS", "sms"), ("WEBMESSAGING", "chat"), ("FACEBOOK", "social"), (None, "chat")],
)
def test_message_conversations_take_their_channel_from_the_message_type(
    message_type: str | None, channel: str
) -> None:
    document = load("acd_end_abandoned_eventbridge.json")
    body(document)["messageType"] = message_type
    assert the_event(document).get("channel") == channel


def test_the_same_event_over_websocket_and_eventbridge_has_the_same_id() -> None:
    over_eventbridge = load("acd_start_eventbridge.json")
    over_websocket = over_eventbridge["detail"]
    assert the_event(over_websocket) == the_event(over_eventbridge)


@pytest.mark.parametrize(
    "name",
    [
        "queue_observations.json",
        "queue_observations_agents_eventbridge.json",
        "acd_start_eventbridge.json",
        "acd_end_answered.json",
        "acd_end_abandoned_eventbridge.json",
        "user_end_eventbridge.json",
        "sta_sentiment_eventbridge.json",
        "sta_categories_eventbridge.json",
    ],
)
def test_the_same_payload_always_gives_the_same_events(name: str) -> None:
    assert events_of(load(name)) == events_of(load(name))


def test_distinct_events_of_one_conversation_get_distinct_ids() -> None:
    ids = {
        the_event(load(name))["event_id"]
        for name in ("acd_start_eventbridge.json", "acd_end_answered.json", "user_end_eventbridge.json")
    }
    assert len(ids) == 3


def test_two_snapshots_of_one_instant_with_different_values_get_different_ids() -> None:
    document = load("queue_observations.json")
    first = the_event(document)["event_id"]
    body(document)["data"][0]["metrics"][0]["stats"]["count"] = 8
    assert the_event(document)["event_id"] != first


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("acd_end_answered.json", "eventBody.conversationId"),
        ("acd_end_answered.json", "eventBody.eventTime"),
        ("acd_end_answered.json", "eventBody.queueId"),
        ("acd_end_answered.json", "eventBody.acdOutcome"),
        ("acd_start_eventbridge.json", "detail.eventBody.queueId"),
        ("user_end_eventbridge.json", "detail.eventBody.userId"),
    ],
)
def test_a_missing_required_field_is_named_in_the_reason(name: str, field: str) -> None:
    document = load(name)
    del body(document)[field.rsplit(".", 1)[1]]
    assert reason_of(document) == f"genesys: field '{field}': missing"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("eventTime", "yesterday", "not an ISO 8601 timestamp"),
        ("eventTime", True, "expected a timestamp, got a boolean"),
        ("conversationId", {"id": CALL}, "expected a string, got dict"),
        ("connectedDurationMs", "long", "expected a number"),
        ("connectedDurationMs", -5, "must not be negative"),
        ("queueId", ["a"], "expected a string, got list"),
    ],
)
def test_wrong_types_are_rejected_naming_the_field(field: str, value: Any, problem: str) -> None:
    document = load("acd_end_answered.json")
    body(document)[field] = value
    reason = reason_of(document)
    assert reason.startswith(f"genesys: field 'eventBody.{field}': ")
    assert problem in reason


def test_event_body_that_is_not_an_object_is_rejected() -> None:
    document = load("queue_observations.json")
    document["eventBody"] = "[]"
    reason = reason_of(document)
    assert "field 'eventBody" in reason


@pytest.mark.parametrize(
    "topic",
    [
        f"v2.detail.events.conversation.{CALL}.customer.end",
        f"v2.conversations.{CALL}",
        "v2.users.9a8b7c6d.geolocation",
    ],
)
def test_an_unsupported_topic_is_skipped_naming_it_and_listing_the_supported_ones(topic: str) -> None:
    document = load("acd_end_answered.json")
    document["topicName"] = topic
    reason = skip_of(document)
    assert reason.startswith("genesys: topic ")
    assert topic in reason
    assert "v2.analytics.queues.{id}.observations" in reason


def test_the_envelope_names_genesys_for_a_payload_of_another_shape() -> None:
    document = {"source": "genesys", "payload": {"eventBody": {"conversationId": CALL}}}
    assert (
        reason_of(document)
        == "genesys: field 'topicName': missing (neither a notification nor an EventBridge event with one)"
    )


def test_the_envelope_override_maps_a_notification_as_genesys() -> None:
    document = load("acd_end_answered.json")
    assert events_of({"source": "genesys", "payload": document}) == events_of(document)


def test_detection_claims_genesys_eventbridge_events_but_not_other_eventbridge_events() -> None:
    adapter = GenesysAdapter()
    assert adapter.matches(load("acd_start_eventbridge.json"))
    assert adapter.matches(load("acd_end_answered.json"))
    connect_event = {
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "detail": {"eventType": "QUEUED", "contactId": "c-1"},
    }
    assert not adapter.matches(connect_event)
    zendesk_like = {"source": "aws.partner/zendesk.com/1/default", "detail": {"ticket_event": {}}}
    assert not adapter.matches(zendesk_like)


def test_a_copy_of_an_example_is_not_changed_by_normalizing_it() -> None:
    document = load("queue_observations.json")
    before = copy.deepcopy(document)
    events_of(document)
    assert document == before


# --- v2.routing.queues.{id}.conversations ------------------------------------------------------


def test_queue_conversation_shows_queued_answered_and_ended_for_the_topic_queue() -> None:
    queued, answered, ended = events_of(load("queue_conversation_answered.json"))
    assert [queued["type"], answered["type"], ended["type"]] == [
        "contact_queued",
        "contact_answered",
        "contact_ended",
    ]
    for event in (queued, answered, ended):
        assert event["queue_id"] == BILLING
        assert event["contact_id"] == CALL
        assert event["channel"] == "voice"
    assert queued["occurred_at"].startswith("2026-11-23T09:12:41.318")
    assert answered["occurred_at"].startswith("2026-11-23T09:13:25")
    assert answered["agent_id"] == AGENT
    assert answered["values"] == {"wait_seconds": 42.0}
    assert ended["agent_id"] == AGENT
    assert ended["occurred_at"].startswith("2026-11-23T09:18:05")
    assert ended["values"] == {"handle_seconds": 280.0}
    assert len({queued["event_id"], answered["event_id"], ended["event_id"]}) == 3


def test_a_resent_queue_conversation_snapshot_keeps_its_event_ids() -> None:
    first = load("queue_conversation_answered.json")
    resent = copy.deepcopy(first)
    resent["eventBody"]["participants"][2]["calls"][0]["state"] = "connected"
    del resent["eventBody"]["participants"][2]["endTime"]
    ids = [event["event_id"] for event in events_of(first)]
    assert [event["event_id"] for event in events_of(resent)] == ids[:2]


def test_queue_conversation_still_waiting_is_only_queued() -> None:
    document = load("queue_conversation_answered.json")
    participants = document["eventBody"]["participants"]
    del participants[1]["endTime"]
    del participants[2]
    assert the_event(document)["type"] == "contact_queued"


def test_queue_conversation_where_the_customer_left_before_an_agent_is_abandoned() -> None:
    document = load("queue_conversation_answered.json")
    participants = document["eventBody"]["participants"]
    participants[0]["endTime"] = "2026-11-23T09:13:23.318Z"
    del participants[2]
    queued, abandoned = events_of(document)
    assert queued["type"] == "contact_queued"
    assert abandoned["type"] == "contact_abandoned"
    assert abandoned["values"] == {"wait_seconds": 42.0}
    assert abandoned["occurred_at"].startswith("2026-11-23T09:13:23.318")
    assert "agent_id" not in abandoned or abandoned["agent_id"] is None


def test_queue_conversation_without_an_acd_leg_for_the_queue_is_skipped() -> None:
    document = load("queue_conversation_answered.json")
    document["eventBody"]["participants"][1]["queueId"] = TECH_SUPPORT
    assert "acd participant" in skip_of(document)


def test_queue_conversation_with_a_bad_time_names_the_field() -> None:
    document = load("queue_conversation_answered.json")
    document["eventBody"]["participants"][1]["connectedTime"] = "soon"
    assert "participants[1].connectedTime" in reason_of(document)


# --- speech and text analytics -----------------------------------------------------------------

ARRIVAL = datetime(2026, 11, 23, 9, 17, 30, tzinfo=UTC)


def arrived(document: Any) -> Normalized:
    """Normalized as the handler does: with the record's Kinesis arrival time."""
    return normalize_bytes(json.dumps(document).encode(), ARRIVAL)


def test_overall_sentiment_over_eventbridge_is_the_customer_sentiment_on_floorwatch_scale() -> None:
    event = the_event(load("sta_sentiment_eventbridge.json"))
    assert event == {
        "event_id": event["event_id"],
        "source": SOURCE,
        "type": "sentiment",
        "occurred_at": "2026-11-23T09:16:48.215000Z",  # EventBridge's detail.timestamp
        "center_id": "default",
        "queue_id": BILLING,  # queueIds names one queue
        "contact_id": CALL,
        # Genesys scores -100..+100; floorwatch's sentiment is -1..1
        "values": {"sentiment": -0.625, "sentiment_trend": -0.18},
        "labels": {"participant_role": "customer", "event": "sta.sentiment"},
    }
    assert event["event_id"].startswith("genesys-")


def test_overall_sentiment_over_a_websocket_takes_the_arrival_time() -> None:
    notification = load("sta_sentiment_eventbridge.json")["detail"]
    del notification["timestamp"]
    (event,) = arrived(notification).events
    assert event.occurred_at == ARRIVAL
    assert event.values == {"sentiment": -0.625, "sentiment_trend": -0.18}
    # the same notification has the same id, whichever way and whenever it arrived
    assert event.event_id == the_event(load("sta_sentiment_eventbridge.json"))["event_id"]
    reason = reason_of(notification)  # no arrival time given (a replay of a bare notification)
    assert reason.startswith("genesys: field 'ApproximateArrivalTimestamp': missing")


def test_sentiment_without_a_trend_or_with_several_queues_keeps_what_it_can_tell() -> None:
    document = load("sta_sentiment_eventbridge.json")
    body(document).pop("sentimentTrendScore")
    body(document)["queueIds"].append(TECH_SUPPORT)
    event = the_event(document)
    assert event["values"] == {"sentiment": -0.625}
    assert "queue_id" not in event  # which of two queues is current is not documented


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (-140, "must lie between -100 and 100, got -140"),
        ("very bad", "expected a number"),
        (None, "missing"),
    ],
)
def test_an_unusable_sentiment_score_is_rejected_naming_the_field(value: Any, problem: str) -> None:
    document = load("sta_sentiment_eventbridge.json")
    body(document)["sentimentOverallScore"] = value
    reason = reason_of(document)
    assert reason.startswith("genesys: field 'detail.eventBody.sentimentOverallScore': ")
    assert problem in reason


def test_detected_topics_are_compliance_events_named_by_topic_for_the_one_agent() -> None:
    outcome = arrived(load("sta_topics.json"))
    events = [json.loads(event.to_json()) for event in outcome.events]
    shared = {
        "source": SOURCE,
        "type": "compliance",
        "occurred_at": "2026-11-23T09:17:30Z",  # no time in the notification: the arrival
        "center_id": "default",
        "queue_id": BILLING,
        "agent_id": AGENT,
        "contact_id": CALL,
        "channel": "voice",
        "values": {},
    }
    assert events == [
        {
            **shared,
            "event_id": events[0]["event_id"],
            "labels": {
                "category": "card-number-spoken",
                "event": "sta.topics",
                "topic_id": "e3f5a7c9-1b3d-4f5a-97c9-4e6a8c0e2a4c",
                "participant": "external",
            },
        },
        {
            **shared,
            "event_id": events[1]["event_id"],
            "labels": {
                "category": "supervisor-requested",
                "event": "sta.topics",
                "topic_id": "a5c7e9b1-3d5f-4b7a-b9e1-6a8c0e2a4c6e",
                "participant": "external",
            },
        },
    ]
    assert len({event["event_id"] for event in events}) == 2


def test_a_topic_without_a_name_is_named_by_its_id_and_two_agents_name_no_agent() -> None:
    document = load("sta_topics.json")
    del body(document)["topics"][0]["topicName"]
    body(document)["participants"].append({"userId": "other-agent", "purpose": "agent"})
    first = arrived(document).events[0]
    assert first.labels["category"] == "e3f5a7c9-1b3d-4f5a-97c9-4e6a8c0e2a4c"
    assert (first.agent_id, first.queue_id) == (None, None)


def test_topics_notifications_without_topics_are_skipped_and_bad_topics_rejected() -> None:
    document = load("sta_topics.json")
    body(document)["topics"] = []
    assert arrived(document).skipped == (
        "genesys: speech analytics topics notification without topics: nothing detected"
    )
    body(document)["topics"] = [{"participant": "External"}]
    assert arrived(document).reason == (
        "genesys: field 'eventBody.topics[0].topicName': missing (and no topicId): nothing names the topic"
    )
    body(document)["topics"] = "card-number-spoken"
    assert arrived(document).reason == "genesys: field 'eventBody.topics': expected an array, got str"


def test_matched_categories_are_compliance_events_named_by_their_id() -> None:
    event = the_event(load("sta_categories_eventbridge.json"))
    category = "c1e3a5b7-d9f1-4a3c-8e5b-7d9f1b3d5f7a"
    assert event == {
        "event_id": event["event_id"],
        "source": SOURCE,
        "type": "compliance",
        "occurred_at": "2026-11-23T09:21:05.633000Z",
        "center_id": "default",
        "contact_id": CALL,
        "channel": "voice",
        "values": {},
        "labels": {"category": category, "category_id": category, "event": "sta.categories"},
    }


def test_categories_without_ids_are_skipped_and_non_string_ids_rejected() -> None:
    document = load("sta_categories_eventbridge.json")
    body(document)["categoryIds"] = []
    assert skip_of(document) == (
        "genesys: speech analytics categories notification without categoryIds: nothing matched"
    )
    body(document)["categoryIds"] = [42]
    assert reason_of(document) == (
        "genesys: field 'detail.eventBody.categoryIds[0]': expected a non-empty string"
    )


def test_transcription_carries_no_sentiment_and_is_skipped_with_that_reason() -> None:
    reason = skip_of(load("conversation_transcription.json"))
    assert "carries transcripts, not sentiment scores or topic matches" in reason


def test_agent_empathy_scores_are_skipped_with_that_reason() -> None:
    document = {
        "topicName": f"v2.speechandtextanalytics.conversation.{CALL}.empathy",
        "eventBody": {"conversationId": CALL, "agents": [{"agentId": AGENT, "overallEmpathyScore": 40}]},
    }
    skipped = arrived(document).skipped
    assert skipped is not None
    assert "agent empathy scores, neither customer sentiment nor a topic match" in skipped


def test_only_speech_analytics_notifications_get_the_arrival_time_written_in() -> None:
    adapter = GenesysAdapter()
    assert adapter.needs_arrival(load("sta_topics.json"))
    assert not adapter.needs_arrival(load("acd_end_answered.json"))
    assert not adapter.needs_arrival(load("sta_sentiment_eventbridge.json"))  # EventBridge has a time
