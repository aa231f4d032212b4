"""Issue 14, item 7: partial failures, each asserted as a person would notice it - nothing lost, nothing
doubled, a clear answer. (Secrets Manager at a cold authorizer runs on moto:
tests/integration/test_faults_moto.py; a fan-out timeout mid-batch: tests/unit/delivery/test_paging_once.py.)
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from floorwatch.alerts.escalation import EscalationCheck, Verdict
from floorwatch.alerts.model import TransitionKind
from floorwatch.store.alerts_dynamodb import DynamoAlertStore
from handlers import fanout as fanout_handler

from tests.unit.delivery.test_handlers import fanout_settings, new_images, stream_record
from tests.unit.delivery.world import ALERTS_TOPIC
from tests.unit.delivery.world import World as Floor
from tests.unit.engine.helpers import at, snapshot
from tests.unit.engine.test_evaluate_handler import SCHEDULED, batch, build
from tests.unit.websocket.support import open_alert
from tests.unit.websocket.test_handlers import World as Dashboards


class AuditDown:
    """Switch the audit log of a world off and on (DynamoDB unavailable for the audit table)."""

    def __init__(self, world: Dashboards) -> None:
        self._append = world.audit.append
        self.world = world

    def __enter__(self) -> AuditDown:
        def refuse(entry: Any) -> bool:
            raise RuntimeError("audit table unavailable")

        self.world.audit.append = refuse  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.world.audit.append = self._append  # type: ignore[method-assign]


def acknowledged(world: Dashboards, alert_id: str) -> bool:
    state = world.alerts.find(alert_id)
    return state is not None and state.acknowledged


# --- the audit write failing in an action ------------------------------------------------------------


def test_an_ack_while_the_audit_log_is_down_changes_nothing_and_says_so() -> None:
    world = Dashboards()
    alert_id = str(open_alert(world.alerts).alert_id)
    world.connect("conn-A=", "supervisor", "ana", ("billing",))
    stored_before = len(world.alerts.all_transitions())

    with AuditDown(world):
        reply = world.send("conn-A=", {"action": "ack", "alert_id": alert_id, "request_id": "r1"})

    assert (reply["type"], reply["code"]) == ("error", "unavailable")
    assert "nothing was changed" in reply["message"]
    assert not acknowledged(world, alert_id)
    assert len(world.alerts.all_transitions()) == stored_before  # nothing reaches the dashboards

    again = world.send("conn-A=", {"action": "ack", "alert_id": alert_id, "request_id": "r2"})
    assert again["type"] != "error"
    assert acknowledged(world, alert_id)
    assert [entry.action for entry in world.audit.for_alert(alert_id)] == ["ack"]


@pytest.mark.parametrize("action", [{"action": "feedback", "useful": False}, {"action": "escalate"}])
def test_feedback_or_a_refusal_that_cannot_be_audited_is_answered_unavailable(action: dict[str, Any]) -> None:
    world = Dashboards()
    alert_id = str(open_alert(world.alerts).alert_id)
    world.connect("conn-B=", "agent", "bob", ("billing",))  # an agent: every action is refused

    with AuditDown(world):
        reply = world.send("conn-B=", {**action, "alert_id": alert_id, "request_id": "r1"})

    assert (reply["type"], reply["code"]) == ("error", "unavailable")
    assert world.audit.entries() == []


def test_an_ack_whose_save_fails_after_its_entry_is_marked_failed_in_the_audit() -> None:
    world = Dashboards()
    alert_id = str(open_alert(world.alerts).alert_id)
    world.connect("conn-A=", "supervisor", "ana", ("billing",))

    def throttled(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("alert state not saved: throttled, retries exhausted")

    world.alerts.save = throttled  # type: ignore[method-assign]
    reply = world.send("conn-A=", {"action": "ack", "alert_id": alert_id, "request_id": "r1"})

    assert (reply["type"], reply["code"]) == ("error", "unavailable")
    assert not acknowledged(world, alert_id)
    entries = {entry.action: entry for entry in world.audit.for_alert(alert_id)}
    assert set(entries) == {"ack", "failed:ack"}
    assert entries["failed:ack"].details["message"] == "not applied: the alert store is unavailable"


# --- alert-store throttling exhausted ----------------------------------------------------------------


class ThrottledDynamo:
    """A DynamoDB client whose transactions are throttled ``throttled`` times, then stored nowhere."""

    def __init__(self, throttled: int) -> None:
        self.throttled = throttled
        self.calls = 0

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.throttled > 0:
            self.throttled -= 1
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems"
            )
        return {}

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {"Responses": {}}

    def query(self, **kwargs: Any) -> dict[str, Any]:
        return {"Items": []}


def test_throttling_exhausted_in_the_evaluator_retries_the_whole_batch_and_loses_no_event() -> None:
    client = ThrottledDynamo(throttled=100)
    throttled_store = DynamoAlertStore(client, "alerts-t", sleep=lambda _: None)  # type: ignore[arg-type]
    events = [snapshot(0, longest_wait_seconds=130), snapshot(1, longest_wait_seconds=130)]
    handle, _ = build(alerts=throttled_store, now=at(61))

    response = handle(batch(events), None)

    assert response == {"batchItemFailures": [{"itemIdentifier": "1000"}, {"itemIdentifier": "1001"}]}
    # Kinesis redelivers the batch once the table takes writes again: the alert opens, once.
    handle_again, recovered = build(now=at(61))
    assert handle_again(batch(events), None) == {"batchItemFailures": []}
    assert handle_again(batch(events), None) == {"batchItemFailures": []}
    handle_again(SCHEDULED, None)  # the next tick opens what the events made pending
    opened = [t for t in recovered.all_transitions() if t.transition is TransitionKind.OPENED]
    assert [t.rule for t in opened if t.rule == "queue-longest-wait"] == ["queue-longest-wait"]


# --- SendMessage failing in the fan-out ---------------------------------------------------------------


def one_opening(floor: Floor) -> dict[str, Any]:
    (opened,) = floor.alerts.all_transitions()
    return {"Records": [stream_record(new_images(floor.state(), 0, [opened])[1], 1)]}


def test_a_failed_escalation_send_retries_the_record_without_texting_twice() -> None:
    floor = Floor(auto_stream=False)
    floor.observe(340)  # critical with ack_within: a check must be scheduled, an SMS sent
    send = floor.queue.schedule
    failures = {"left": 1}

    def unavailable(check: EscalationCheck, delay_seconds: int) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("SQS SendMessage: service unavailable")
        send(check, delay_seconds)

    floor.queue.schedule = unavailable  # type: ignore[method-assign]
    handle = fanout_handler.build_handler(fanout_settings(), floor.delivery)
    event = one_opening(floor)

    assert handle(event, None) == {"batchItemFailures": [{"itemIdentifier": "4000000000000000000001"}]}
    assert floor.publisher.to(ALERTS_TOPIC) == []  # SNS is last: nothing went out with the failure
    assert handle(event, None) == {"batchItemFailures": []}

    assert len(floor.publisher.to(ALERTS_TOPIC)) == 1
    assert [check.level for _, check, _ in floor.queue.sent] == [1]


def test_an_escalated_record_retried_after_a_failed_send_is_audited_and_texted_once() -> None:
    floor = Floor()
    floor.observe(340)
    floor.advance(30)  # level 1 claimed, audited, texted, level-2 check scheduled
    (escalated,) = floor.escalated()
    floor.queue.schedule = lambda check, delay: (_ for _ in ()).throw(RuntimeError("SQS down"))  # type: ignore[method-assign]

    with pytest.raises(RuntimeError):
        floor.delivery.deliver(escalated)  # the stream redelivers it; SendMessage now fails

    assert floor.escalation_pages() == [(30, "team-supervisor")]
    assert [entry.action for entry in floor.audit.for_alert(escalated.alert_id)] == ["escalate"]


# --- a redrive from the escalation dead-letter queue -------------------------------------------------


def dead_lettered_check(floor: Floor) -> EscalationCheck:
    """The level-1 check that failed 5 receives and went to the dead-letter queue."""
    ((_, check),) = floor.queue.messages
    floor.queue.messages.clear()
    return check


def test_a_redriven_check_for_a_still_unacknowledged_alert_pages_its_level_once() -> None:
    floor = Floor()
    floor.observe(340)
    check = dead_lettered_check(floor)
    floor.clock.advance(2 * 3600)  # an operator redrives the dead-letter queue two hours later

    first = floor.service.run(check)
    floor.stream()
    second = floor.service.run(check)  # redriven twice (or the redrive raced a retry)
    floor.stream()

    assert (first.verdict, second.verdict) == (Verdict.ESCALATE, Verdict.STOP)
    assert [name for _, name in floor.escalation_pages()] == ["team-supervisor"]


def test_a_redriven_check_for_an_acknowledged_or_resolved_alert_pages_nobody() -> None:
    for settle in ("acknowledge", "resolve"):
        floor = Floor()
        floor.observe(340)
        check = dead_lettered_check(floor)
        if settle == "acknowledge":
            floor.acknowledge()
        else:
            floor.clock.advance(600)
            floor.observe(10)
        floor.clock.advance(3600)

        outcome = floor.service.run(check)
        floor.stream()

        assert outcome.verdict is Verdict.STOP, settle
        assert floor.escalation_pages() == [], settle
