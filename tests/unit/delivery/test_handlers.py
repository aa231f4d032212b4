"""The fanout and escalate handlers on the event shapes Lambda delivers: DynamoDB stream records
(NEW_IMAGE in DynamoDB JSON, as the DynamoDB alert store writes them) and SQS messages."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from floorwatch.alerts.escalation import EscalationCheck
from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState
from floorwatch.names import ALERTS_STREAM_FILTER
from floorwatch.settings import EscalateSettings, FanoutSettings, SettingsError
from floorwatch.store.alerts_dynamodb import DynamoAlertStore
from floorwatch.store.alerts_memory import InMemoryAlertStore
from handlers import escalate as escalate_handler
from handlers import fanout as fanout_handler

from local.runtime.streams import matches
from tests.unit.delivery.world import ALERTS_TOPIC, ESCALATION_TOPIC, T0, World

TABLE = "floorwatch-test-alerts"
STREAM_ARN = f"arn:aws:dynamodb:eu-west-1:123456789012:table/{TABLE}/stream/2026-11-30T00:00:00.000"
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:floorwatch-test-escalation-checks"
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/floorwatch-test-escalation-checks"


class CapturingClient:
    """Just enough of a DynamoDB client for DynamoAlertStore.save: keeps the items it was asked to write."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.items += [entry["Put"]["Item"] for entry in kwargs["TransactItems"] if "Put" in entry]
        return {}


def new_images(
    state: AlertState, previous_version: int, transitions: list[Transition]
) -> list[dict[str, Any]]:
    """The items (DynamoDB JSON) the real store writes for one save: the state item, then transitions."""
    client = CapturingClient()
    DynamoAlertStore(client, TABLE).save(previous_version, state, transitions)  # type: ignore[arg-type]
    return client.items


def stream_record(image: dict[str, Any], sequence: int, event_name: str = "INSERT") -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventID": f"e{sequence:08d}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1764493200,
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "SequenceNumber": f"{4000000000000000000000 + sequence}",
            "SizeBytes": 420,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": STREAM_ARN,
    }
    if event_name != "REMOVE":
        record["dynamodb"]["NewImage"] = image
    return record


def fanout_settings() -> FanoutSettings:
    return FanoutSettings.model_validate(
        {
            "stage": "test",
            "alerts_table": TABLE,
            "connections_table": "floorwatch-test-connections",
            "audit_table": "floorwatch-test-audit",
            "deliveries_table": "floorwatch-test-deliveries",
            "websocket_endpoint": "https://abc123.execute-api.eu-west-1.amazonaws.com/test",
            "alerts_topic_arn": ALERTS_TOPIC,
            "escalation_topic_arn": ESCALATION_TOPIC,
            "escalation_queue_url": QUEUE_URL,
        }
    )


@pytest.fixture
def world() -> World:
    """A floor whose alert just opened critical; the test streams its records by hand."""
    world = World(auto_stream=False)
    world.observe(340)
    return world


def opening_images(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    (opened,) = world.alerts.all_transitions()
    state_item, transition_item = new_images(world.state(), 0, [opened])
    return state_item, transition_item


def test_the_stream_filter_admits_exactly_the_records_the_fanout_delivers(world: World) -> None:
    # The mapping's event filter (deployed, and applied by the local runtime) spares the invocations
    # for state items, updates and TTL removals; the handler would have ignored them anyway.
    state_item, transition_item = opening_images(world)
    records = [
        stream_record(state_item, 1),
        stream_record(transition_item, 2),
        stream_record(state_item, 3, "MODIFY"),
        stream_record(transition_item, 4, "REMOVE"),
    ]
    admitted = [record for record in records if matches(ALERTS_STREAM_FILTER, record)]
    assert admitted == [records[1]]
    assert [fanout_handler.stream_transition(record) is not None for record in records] == [
        False,
        True,
        False,
        False,
    ]


def test_fanout_delivers_inserted_transitions_and_ignores_everything_else(world: World) -> None:
    state_item, transition_item = opening_images(world)
    event = {
        "Records": [
            stream_record(state_item, 1),  # a state item: not news
            stream_record(transition_item, 2),
            stream_record(transition_item, 3, "MODIFY"),
            stream_record(transition_item, 4, "REMOVE"),  # TTL expiry
        ]
    }

    response = fanout_handler.build_handler(fanout_settings(), world.delivery)(event, None)

    assert response == {"batchItemFailures": []}
    (pushed,) = world.poster.messages("c-ana")
    assert (pushed["type"], pushed["transition"], pushed["scope"]) == (
        "transition",
        "opened",
        "queue:billing",
    )
    assert [item.topic_arn for item in world.publisher.published] == [ALERTS_TOPIC]
    ((_, check, delay),) = world.queue.sent
    assert (check.level, delay) == (1, 30)


def test_fanout_drops_a_transition_id_seen_earlier_in_the_batch(world: World) -> None:
    _, transition_item = opening_images(world)
    event = {"Records": [stream_record(transition_item, 1), stream_record(transition_item, 2)]}

    response = fanout_handler.build_handler(fanout_settings(), world.delivery)(event, None)

    assert response == {"batchItemFailures": []}
    assert len(world.poster.messages("c-ana")) == 1
    assert len(world.publisher.published) == 1


def test_fanout_reports_the_first_failure_and_every_record_after_it(world: World) -> None:
    opened = world.alerts.all_transitions()[0]
    items = [
        new_images(world.state(), 0, [replace(opened, transition_id=f"a{n}:1", alert_id=f"a{n}")])[1]
        for n in range(3)
    ]
    calls = {"n": 0}
    publish = world.publisher.publish

    def fail_second(topic_arn: str, message: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("SNS unavailable")
        return publish(topic_arn, message)

    world.publisher.publish = fail_second  # type: ignore[method-assign]
    event = {"Records": [stream_record(item, n) for n, item in enumerate(items, 1)]}

    response = fanout_handler.build_handler(fanout_settings(), world.delivery)(event, None)

    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": "4000000000000000000002"},
            {"itemIdentifier": "4000000000000000000003"},
        ]
    }
    # The third record was not delivered now: it will be, once, when Lambda retries from the second.
    assert [json.loads(data)["alert_id"] for data in world.poster.received["c-ana"]] == ["a0", "a1"]


def test_fanout_skips_a_record_it_can_never_decode(world: World) -> None:
    _, transition_item = opening_images(world)
    broken = {key: value for key, value in transition_item.items() if key != "severity"}
    event = {"Records": [stream_record(broken, 1), stream_record(transition_item, 2)]}

    response = fanout_handler.build_handler(fanout_settings(), world.delivery)(event, None)

    assert response == {"batchItemFailures": []}
    assert len(world.poster.messages("c-ana")) == 1


def test_fanout_settings_are_validated_with_the_variables_named() -> None:
    with pytest.raises(SettingsError) as error:
        FanoutSettings.from_environ({"FLOORWATCH_ALERTS_TOPIC_ARN": "not-an-arn"})
    message = str(error.value)
    assert "FLOORWATCH_ALERTS_TOPIC_ARN='not-an-arn' is invalid" in message
    assert "FLOORWATCH_WEBSOCKET_ENDPOINT is not set" in message
    assert "FLOORWATCH_DASHBOARD_URL" not in message  # optional


# --- escalate ----------------------------------------------------------------------------------------


def sqs_record(body: str, message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"AQEB{message_id}==",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1764493200000",
            "SenderId": "AROAEXAMPLE:floorwatch-test-fanout",
            "ApproximateFirstReceiveTimestamp": "1764493230000",
        },
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "eu-west-1",
    }


def escalate_settings() -> EscalateSettings:
    return EscalateSettings.model_validate(
        {"stage": "test", "alerts_table": TABLE, "escalation_queue_url": QUEUE_URL}
    )


def test_escalate_claims_the_level_of_a_due_check() -> None:
    world = World()
    world.observe(340)
    world.clock.advance(30)
    (check,) = world.queue.receive()
    event = {"Records": [sqs_record(check.to_message(), "m-1"), sqs_record(check.to_message(), "m-2")]}

    response = escalate_handler.build_handler(escalate_settings(), world.service)(event, None)

    assert response == {"batchItemFailures": []}
    (escalated,) = world.escalated()  # delivered twice in one batch, claimed once
    assert (escalated.note, escalated.at) == ("team-supervisor", T0.replace(second=30))


def test_escalate_drops_garbage_and_reports_only_the_check_that_failed(world: World) -> None:
    class Unavailable(InMemoryAlertStore):
        def find(self, alert_id: str) -> AlertState | None:
            if alert_id == "broken":
                raise RuntimeError("DynamoDB unavailable")
            return super().find(alert_id)

    failing = World(alerts=Unavailable())
    failing.observe(340)
    failing.clock.advance(30)
    (check,) = failing.queue.receive()
    broken = EscalationCheck(**{**check.model_dump(), "alert_id": "broken"})
    event = {
        "Records": [
            sqs_record("not json", "m-garbage"),
            sqs_record(broken.to_message(), "m-broken"),
            sqs_record(check.to_message(), "m-good"),
        ]
    }

    response = escalate_handler.build_handler(escalate_settings(), failing.service)(event, None)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-broken"}]}
    assert len(failing.escalated()) == 1


def test_escalate_names_every_message_when_every_check_failed() -> None:
    # Not an invocation error: the response still says which messages come back.
    class Down(InMemoryAlertStore):
        def find(self, alert_id: str) -> AlertState | None:
            raise RuntimeError("DynamoDB unavailable")

    failing = World(alerts=Down())
    failing.observe(340)
    failing.clock.advance(30)
    (check,) = failing.queue.receive()
    event = {"Records": [sqs_record(check.to_message(), "m-1"), sqs_record(check.to_message(), "m-2")]}

    response = escalate_handler.build_handler(escalate_settings(), failing.service)(event, None)

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}
    assert failing.escalated() == []


def test_escalate_settings_read_the_chain_from_the_environment() -> None:
    settings = EscalateSettings.from_environ(
        {
            "FLOORWATCH_ALERTS_TABLE": TABLE,
            "FLOORWATCH_ESCALATION_QUEUE_URL": QUEUE_URL,
            "FLOORWATCH_ESCALATION_CHAIN": "duty-supervisor, ops-on-call",
            "FLOORWATCH_ESCALATION_REPEAT_SECONDS": "60",
        }
    )
    policy = settings.escalation_policy()
    assert policy.chain == ("duty-supervisor", "ops-on-call")
    assert policy.repeat.total_seconds() == 60
    with pytest.raises(SettingsError, match="FLOORWATCH_ESCALATION_CHAIN"):
        EscalateSettings.from_environ(
            {
                "FLOORWATCH_ALERTS_TABLE": TABLE,
                "FLOORWATCH_ESCALATION_QUEUE_URL": QUEUE_URL,
                "FLOORWATCH_ESCALATION_CHAIN": "ops,ops",
            }
        )


def test_handlers_import_without_environment() -> None:
    assert callable(fanout_handler.handler)
    assert callable(escalate_handler.handler)
    assert TransitionKind.ESCALATED.value == "escalated"
