"""The fanout and escalate functions as Lambda runs them (module ``handler``, cold start from the
environment, boto3 adapters) against moto: alerts table stream records in, dashboards / SNS / SQS /
audit out, and an escalation check that climbs one level through the stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from floorwatch import names
from floorwatch.alerts.escalation import EscalationCheck
from floorwatch.alerts.model import TransitionKind
from floorwatch.alerts.state_machine import AlertState, evaluate_threshold
from floorwatch.delivery.sns import escalation_filter_policy, filter_policy
from floorwatch.metrics.model import MetricValue
from floorwatch.rules.config import NotifyChannel, ThresholdRule, load_default_rules
from floorwatch.store.alerts_dynamodb import DynamoAlertStore
from floorwatch.store.audit_dynamodb import DynamoAuditLog
from floorwatch.store.connections_dynamodb import DynamoConnectionStore
from floorwatch.store.connections_port import Principal
from handlers import escalate as escalate_handler
from handlers import fanout as fanout_handler
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

from local.runtime.functions import LambdaContext
from tests.integration.ddb_tables import create_table, use_fake_credentials

# The module-level handlers are decorated by Powertools, which reads Lambda's context object.
LAMBDA_CONTEXT = LambdaContext("floorwatch-test")

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
STAGE = "test"
NAMES = names.ResourceNames(STAGE)
ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com/test"
STREAMS_ENDPOINT = f"https://streams.dynamodb.{REGION}.amazonaws.com"


class Floor:
    def __init__(self) -> None:
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        # moto intercepts the classic streams host; botocore would otherwise resolve another one.
        self.streams = boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=STREAMS_ENDPOINT)
        self.sqs = boto3.client("sqs", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        for spec in (names.ALERTS_TABLE, names.CONNECTIONS_TABLE, names.AUDIT_TABLE, names.DELIVERIES_TABLE):
            create_table(self.dynamodb, spec, NAMES.table(spec))
        self.alerts_topic = sns.create_topic(Name=NAMES.alerts_topic)["TopicArn"]
        self.escalation_topic = sns.create_topic(Name=NAMES.escalation_topic)["TopicArn"]
        self.checks_queue = self.sqs.create_queue(QueueName=NAMES.escalation_queue)["QueueUrl"]
        self.sms = self._subscribed(sns, self.alerts_topic, "sms", filter_policy(NotifyChannel.SMS))
        self.level1 = self._subscribed(
            sns, self.escalation_topic, "l1", escalation_filter_policy("team-supervisor")
        )
        table = NAMES.table(names.ALERTS_TABLE)
        stream_arn = self.dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0][
            "ShardId"
        ]
        self._iterator = self.streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        self._stream_arn = stream_arn
        self.alerts = DynamoAlertStore(self.dynamodb, table)
        self.connections = DynamoConnectionStore(self.dynamodb, NAMES.table(names.CONNECTIONS_TABLE))
        self.audit = DynamoAuditLog(self.dynamodb, NAMES.table(names.AUDIT_TABLE))

    def _subscribed(self, sns: Any, topic: str, name: str, policy: dict[str, Any]) -> str:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": json.dumps(policy)}
        )
        return str(url)

    def environment(self) -> dict[str, str]:
        return {
            names.ENV_STAGE: STAGE,
            names.ENV_ALERTS_TABLE: NAMES.table(names.ALERTS_TABLE),
            names.ENV_CONNECTIONS_TABLE: NAMES.table(names.CONNECTIONS_TABLE),
            names.ENV_AUDIT_TABLE: NAMES.table(names.AUDIT_TABLE),
            names.ENV_DELIVERIES_TABLE: NAMES.table(names.DELIVERIES_TABLE),
            names.ENV_WEBSOCKET_ENDPOINT: ENDPOINT,
            names.ENV_ALERTS_TOPIC_ARN: self.alerts_topic,
            names.ENV_ESCALATION_TOPIC_ARN: self.escalation_topic,
            names.ENV_ESCALATION_QUEUE_URL: self.checks_queue,
            names.ENV_DASHBOARD_URL: "https://dash.example",
        }

    def stream_event(self) -> dict[str, Any]:
        """The records written since the last call, as the event source mapping delivers them."""
        page = self.streams.get_records(ShardIterator=self._iterator)
        self._iterator = page["NextShardIterator"]
        return {"Records": [{**record, "eventSourceARN": self._stream_arn} for record in page["Records"]]}

    def received(self, url: str) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages") or []
        return [json.loads(json.loads(message["Body"])["Message"]) for message in messages]

    def delayed_checks(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.checks_queue, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessagesDelayed"])


@pytest.fixture
def floor(monkeypatch: pytest.MonkeyPatch) -> Iterator[Floor]:
    use_fake_credentials(monkeypatch, REGION)
    with mock_aws():
        built = Floor()
        for name, value in built.environment().items():
            monkeypatch.setenv(name, value)
        fanout_handler._default_handler.cache_clear()
        escalate_handler._default_handler.cache_clear()
        yield built
        fanout_handler._default_handler.cache_clear()
        escalate_handler._default_handler.cache_clear()


def open_critical(floor: Floor) -> AlertState:
    """The engine's part: queue-longest-wait breaches critical for its `for` and opens."""
    rule = load_default_rules().get("queue-longest-wait")
    assert isinstance(rule, ThresholdRule)
    started = datetime.now(UTC) - rule.for_ - timedelta(seconds=30)
    state = AlertState.initial(rule.id, "queue:billing")
    state, _ = evaluate_threshold(rule, state, MetricValue(400, 1), started)
    opened_state, transitions = evaluate_threshold(rule, state, MetricValue(400, 1), started + rule.for_)
    assert transitions, f"{rule.id} should open after its `for` ({rule.for_})"
    context = [replace(item, queue_id="billing", metric=rule.metric) for item in transitions]
    floor.alerts.save(state.version, opened_state, context)
    return opened_state


def test_an_opening_reaches_sms_and_schedules_a_check_and_the_check_pages_level_one(floor: Floor) -> None:
    floor.connections.add("c-max", Principal("max", "manager"), datetime.now(UTC))
    floor.connections.subscribe("c-max", ["*"])
    opened = open_critical(floor)

    response = fanout_handler.handler(floor.stream_event(), LAMBDA_CONTEXT)

    assert response == {"batchItemFailures": []}
    (sms,) = floor.received(floor.sms)
    assert (sms["transition"], sms["severity"], sms["alert_id"]) == ("opened", "critical", opened.alert_id)
    assert floor.delayed_checks() == 1  # level 1, delayed by ack_within
    pushed = json.loads(
        apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION].connections["c-max"].data
    )
    assert (pushed["type"], pushed["transition"], pushed["queue_id"]) == ("transition", "opened", "billing")

    assert opened.alert_id is not None
    due = EscalationCheck(
        alert_id=opened.alert_id,
        rule=opened.rule_id,
        scope=opened.scope,
        level=1,
        due_at=datetime.now(UTC) - timedelta(seconds=1),
        queue_id="billing",
        metric="longest_wait_seconds",
    )
    message = {"messageId": "m-1", "receiptHandle": "r", "body": due.to_message(), "eventSource": "aws:sqs"}
    assert escalate_handler.handler(
        {"Records": [message, {**message, "messageId": "m-2"}]}, LAMBDA_CONTEXT
    ) == {"batchItemFailures": []}
    stored = floor.alerts.load([opened.key])[opened.key]
    assert stored.escalation_level == 1

    assert fanout_handler.handler(floor.stream_event(), LAMBDA_CONTEXT) == {"batchItemFailures": []}

    (page,) = floor.received(floor.level1)  # the duplicate check paged nobody
    assert (page["transition"], page["level_name"], page["note"]) == (
        "escalated",
        "team-supervisor",
        "team-supervisor",
    )
    (entry,) = floor.audit.for_alert(opened.alert_id)
    assert (entry.actor, entry.action, entry.details["level"]) == ("escalation-policy", "escalate", 1)
    assert floor.delayed_checks() == 2  # + the level-2 check, 90 s out
    assert [t.transition for t in floor.alerts.transitions(opened.key)][-1] is TransitionKind.ESCALATED


def test_a_stream_batch_delivered_twice_texts_once(floor: Floor) -> None:
    """Issue 14, item 6: the fan-out crashed after publishing and before the checkpoint; Lambda hands
    it the same batch again. The publish marker in the deliveries table keeps the SMS to one."""
    open_critical(floor)
    event = floor.stream_event()

    assert fanout_handler.handler(event, LAMBDA_CONTEXT) == {"batchItemFailures": []}
    fanout_handler._default_handler.cache_clear()  # a new container picks the batch up
    assert fanout_handler.handler(event, LAMBDA_CONTEXT) == {"batchItemFailures": []}

    (sms,) = floor.received(floor.sms)
    assert sms["transition"] == "opened"
