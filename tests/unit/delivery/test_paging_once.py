"""Issue 14, item 6: one SMS per transition however the alerts stream redelivers it.

Redeliveries as Lambda makes them: the same record again after the fan-out crashed or timed out between
publishing and the checkpoint, and the halves of a bisected batch after the whole invocation failed.
What a person notices is the number of texts on a phone: each test counts them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from floorwatch.delivery.once import (
    DEFAULT_LEASE,
    Claim,
    InMemoryPublishLedger,
    PublishInFlight,
    marker_key,
)
from handlers import fanout as fanout_handler

from tests.unit.delivery.test_handlers import fanout_settings, new_images, stream_record
from tests.unit.delivery.world import ALERTS_TOPIC, ESCALATION_TOPIC, T0, World


class LambdaTimedOut(BaseException):
    """What a timeout looks like from inside: the invocation stops where it is (nothing catches it)."""


class FakeContext:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def world() -> World:
    world = World(auto_stream=False)
    world.observe(340)  # queue-longest-wait opens critical: one SMS on the alerts topic
    return world


def openings(world: World, count: int) -> list[dict[str, Any]]:
    """``count`` critical openings of distinct alerts as stream records (DynamoDB JSON)."""
    (opened,) = world.alerts.all_transitions()
    items = [
        new_images(world.state(), 0, [replace(opened, transition_id=f"a{n}:1", alert_id=f"a{n}")])[1]
        for n in range(count)
    ]
    return [stream_record(item, n) for n, item in enumerate(items, 1)]


def sms_alert_ids(world: World) -> list[str]:
    return [str(json.loads(message.default)["alert_id"]) for message in world.publisher.to(ALERTS_TOPIC)]


def test_a_record_redelivered_after_a_crash_past_publishing_texts_once(world: World) -> None:
    handle = fanout_handler.build_handler(fanout_settings(), world.delivery)
    event = {"Records": openings(world, 1)}

    assert handle(event, None) == {"batchItemFailures": []}
    # The container died before Lambda checkpointed the shard: the same batch comes again.
    assert handle(event, None) == {"batchItemFailures": []}

    assert sms_alert_ids(world) == ["a0"]
    assert len(world.poster.messages("c-ana")) == 2  # dashboards drop the repeated transition id


def test_the_halves_of_a_bisected_batch_text_each_alert_once(world: World) -> None:
    records = openings(world, 4)
    publish = world.publisher.publish
    calls = {"n": 0}

    def time_out_at_the_fourth(topic_arn: str, message: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 4:
            raise LambdaTimedOut
        return publish(topic_arn, message)

    world.publisher.publish = time_out_at_the_fourth  # type: ignore[method-assign]
    handle = fanout_handler.build_handler(fanout_settings(), world.delivery)

    with pytest.raises(LambdaTimedOut):  # the whole invocation fails: Lambda bisects the batch
        handle({"Records": records}, FakeContext(remaining_ms=5_000))
    world.clock.advance(6)  # Lambda retries once the timed-out invocation is over
    for half in (records[:2], records[2:]):
        assert handle({"Records": half}, FakeContext(remaining_ms=60_000)) == {"batchItemFailures": []}

    assert sorted(sms_alert_ids(world)) == ["a0", "a1", "a2", "a3"]


def test_a_failed_publish_is_retried_as_a_first_attempt_and_texts_once(world: World) -> None:
    world.publisher.fail_next = 1  # SNS unavailable once
    handle = fanout_handler.build_handler(fanout_settings(), world.delivery)
    event = {"Records": openings(world, 1)}

    first = handle(event, None)
    second = handle(event, None)

    assert first == {"batchItemFailures": [{"itemIdentifier": "4000000000000000000001"}]}
    assert second == {"batchItemFailures": []}
    assert sms_alert_ids(world) == ["a0"]
    assert not any("again" in problem for report in world.reports for problem in report.problems)


def test_a_record_whose_publish_is_still_in_flight_is_retried_not_doubled(world: World) -> None:
    key = marker_key("a0:1", ALERTS_TOPIC)
    world.ledger.claim(key, world.clock(), world.clock() + timedelta(seconds=30))  # another attempt
    handle = fanout_handler.build_handler(fanout_settings(), world.delivery)
    event = {"Records": openings(world, 1)}

    assert handle(event, None) == {"batchItemFailures": [{"itemIdentifier": "4000000000000000000001"}]}
    assert sms_alert_ids(world) == []

    world.clock.advance(31)  # that attempt's invocation has timed out: its lease is over
    assert handle(event, None) == {"batchItemFailures": []}
    assert sms_alert_ids(world) == ["a0"]


def test_what_remains_a_crash_between_sns_and_the_marker_texts_again_never_loses_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The documented window (docs/delivery.md): SNS accepted, then the process died before writing
    ``sent``. Nobody can tell whether SNS took it, so it is published again: at least once."""
    ledger = world.ledger
    confirm = ledger.confirm

    def die(key: str, now: Any) -> None:
        raise LambdaTimedOut

    ledger.confirm = die  # type: ignore[method-assign]
    handle = fanout_handler.build_handler(fanout_settings(), world.delivery)
    event = {"Records": openings(world, 1)}
    with pytest.raises(LambdaTimedOut):
        handle(event, FakeContext(remaining_ms=5_000))
    ledger.confirm = confirm  # type: ignore[method-assign]

    world.clock.advance(6)  # the retry comes after the dead invocation's deadline
    assert handle(event, FakeContext(remaining_ms=60_000)) == {"batchItemFailures": []}
    assert handle(event, FakeContext(remaining_ms=60_000)) == {"batchItemFailures": []}

    assert sms_alert_ids(world) == ["a0", "a0"]  # twice, not lost, and not a third time
    assert "a duplicate message is possible" in caplog.text  # logged for the operator


def test_a_marker_that_cannot_be_written_after_sns_took_the_message_does_not_fail_the_record(
    world: World,
) -> None:
    world.ledger.fail_confirm = 1
    handle = fanout_handler.build_handler(fanout_settings(), world.delivery)

    assert handle({"Records": openings(world, 1)}, None) == {"batchItemFailures": []}
    assert sms_alert_ids(world) == ["a0"]


def test_an_escalation_sms_redelivered_texts_its_level_once() -> None:
    world = World()
    world.observe(340)
    world.advance(30)  # ack_within: level 1 is claimed and texted
    (escalated,) = world.escalated()

    again = world.delivery.deliver(escalated)  # the stream redelivers the escalated record

    assert world.escalation_pages() == [(30, "team-supervisor")]
    assert again.already_sent == [ESCALATION_TOPIC]


def test_the_in_memory_ledger_keeps_a_lease_and_hands_over_after_it() -> None:
    ledger = InMemoryPublishLedger()

    ledger.claim("k", T0, T0 + DEFAULT_LEASE)
    with pytest.raises(PublishInFlight):
        ledger.claim("k", T0 + timedelta(seconds=1), T0 + DEFAULT_LEASE)
    later = T0 + DEFAULT_LEASE + timedelta(seconds=1)
    assert ledger.claim("k", later, later + DEFAULT_LEASE) is Claim.AGAIN
    ledger.confirm("k", later)
    assert ledger.claim("k", later + DEFAULT_LEASE * 2, later + DEFAULT_LEASE * 3) is Claim.DONE
