"""The local SQS mapping and scheduler behave like Lambda's and EventBridge's.

SQS: records in Lambda's shape, a delayed message is not delivered before its delay, the messages a
response names as failed stay on the queue and come back, the others are deleted. Scheduler: a
"Scheduled Event" per interval.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from floorwatch.names import ResourceNames

from local.runtime.aws import EmbeddedAws, Resources, provisioned
from local.runtime.functions import LocalFunction
from local.runtime.queues import QueueConsumer, Scheduler

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
NAMES = ResourceNames("queuetest")


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[EmbeddedAws, Resources]]:
    with provisioned(NAMES) as running:
        yield running


class Recorder:
    def __init__(self, fail_bodies: set[str]) -> None:
        self.seen: list[tuple[float, dict[str, Any]]] = []
        self._fail_bodies = fail_bodies
        self.lock = threading.Lock()

    def __call__(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        with self.lock:
            for record in event["Records"]:
                self.seen.append((time.monotonic(), record))
                if record["body"] in self._fail_bodies:
                    failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    def bodies(self) -> list[str]:
        with self.lock:
            return [record["body"] for _, record in self.seen]


def wait_for(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met")


def test_delays_partial_failures_and_lambda_record_shape(aws: tuple[EmbeddedAws, Resources]) -> None:
    embedded, resources = aws
    sqs = embedded.client("sqs")
    queue = NAMES.escalation_queue
    url = resources.queue_url(queue)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "1"})
    recorder = Recorder(fail_bodies={"flaky"})
    consumer = QueueConsumer(
        sqs, url, resources.queue_arn(queue), LocalFunction("escalate", NAMES, handler=recorder)
    )
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=2)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="flaky",
        MessageAttributes={"level": {"DataType": "String", "StringValue": "duty-supervisor"}},
    )
    consumer.start()
    try:
        wait_for(lambda: recorder.bodies().count("flaky") >= 2 and "later" in recorder.bodies())
    finally:
        consumer.stop()
        consumer.join(10)

    delivered = {record["body"]: record for _, record in recorder.seen}
    assert recorder.bodies()[0] == "flaky"  # sent after "later", delivered before it: the delay held
    assert recorder.bodies().count("later") == 1  # succeeded: deleted
    flaky = delivered["flaky"]
    assert flaky["eventSource"] == "aws:sqs"
    assert flaky["eventSourceARN"] == resources.queue_arn(queue)
    assert flaky["messageAttributes"]["level"]["stringValue"] == "duty-supervisor"
    assert int(flaky["attributes"]["ApproximateReceiveCount"]) >= 2  # reported failed: came back


def test_the_scheduler_sends_scheduled_events() -> None:
    events: list[dict[str, Any]] = []
    scheduler = Scheduler()
    scheduler.every(
        0.2, LocalFunction("evaluate", NAMES, handler=lambda e, c: events.append(dict(e))), "tick"
    )
    scheduler.start()
    try:
        wait_for(lambda: len(events) >= 2, timeout=10)
    finally:
        scheduler.stop()
        scheduler.join(5)

    assert events[0]["detail-type"] == "Scheduled Event"
    assert events[0]["source"] == "aws.events"
    assert events[0]["resources"][0].endswith(":rule/tick")
    json.dumps(events)  # plain JSON, like the real event
