"""End to end on the local runtime: raw payloads in, a supervisor's dashboard and the ops outbox out.

Every hop is the real one: PutRecords -> normalize -> cx-events -> evaluate -> alerts table stream ->
fanout -> @connections -> this WebSocket client; fanout -> escalation queue (delayed by ack_within)
-> escalate -> SNS -> the outbox.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from tests.e2e.support import (
    Dashboard,
    RunningSystem,
    compliance_breach,
    queue_snapshot,
    transition_for,
    wait_until,
)

pytestmark = pytest.mark.timeout(120)

PIPELINE = ("normalize", "evaluate", "fanout", "authorizer", "websocket")


def require(system: RunningSystem, *handlers: str) -> None:
    missing = [name for name in handlers if name in system.missing_handlers()]
    if missing:
        pytest.skip(f"handlers not in the repository yet: {', '.join(missing)}")


def escalation_sms_about(system: RunningSystem, alert_id: str, contact_id: str) -> list[dict[str, Any]]:
    """Escalation texts (not the immediate SMS to the alert contacts) that name the alert."""
    topic = system.runtime.names.escalation_topic

    def mentions(message: dict[str, Any]) -> bool:
        text = json.dumps(message)
        return alert_id in text or contact_id in text

    return [message for message in system.outbox() if message["topic"] == topic and mentions(message)]


def test_a_supervisor_receives_the_opened_transition(local_runtime: RunningSystem, contact_id: str) -> None:
    require(local_runtime, *PIPELINE)
    with Dashboard(local_runtime.ws_url(local_runtime.token())) as dashboard:
        dashboard.subscribe()
        local_runtime.push([compliance_breach(contact_id)])

        opened = dashboard.wait_for(transition_for(contact_id, "opened"))

    assert opened["rule"] == "contact-compliance-breach"
    assert opened["severity"] == "critical"
    assert opened["queue_id"] == "billing"
    for field in ("alert_id", "transition_id", "scope", "value", "threshold", "at"):
        assert field in opened


def test_a_supervisor_of_another_queue_does_not_see_it(local_runtime: RunningSystem, contact_id: str) -> None:
    require(local_runtime, *PIPELINE)
    outsider_token = local_runtime.token(user="e2e-outsider", queues=("sales",))
    with (
        Dashboard(local_runtime.ws_url(local_runtime.token())) as insider,
        Dashboard(local_runtime.ws_url(outsider_token)) as outsider,
    ):
        insider.subscribe()
        outsider.subscribe()
        local_runtime.push([compliance_breach(contact_id)])
        insider.wait_for(transition_for(contact_id, "opened"))
        # The outsider's socket got everything the fan-out sent it by now; ping to flush the pipe.
        outsider.send({"action": "refresh", "request_id": "after"})
        outsider.wait_for(lambda m: m.get("request_id") == "after")

    assert not [m for m in outsider.seen if transition_for(contact_id, "opened")(m)]


def test_ack_stops_the_escalation_and_an_unacknowledged_alert_reaches_the_outbox(
    local_runtime: RunningSystem,
) -> None:
    require(local_runtime, *PIPELINE, "escalate")
    acked_contact, ignored_contact = "call-acked-" + _suffix(), "call-ignored-" + _suffix()
    with Dashboard(local_runtime.ws_url(local_runtime.token())) as dashboard:
        dashboard.subscribe()
        local_runtime.push([compliance_breach(acked_contact)])
        acked = dashboard.wait_for(transition_for(acked_contact, "opened"))
        dashboard.send({"action": "ack", "alert_id": acked["alert_id"], "request_id": "ack-1"})
        answer = dashboard.wait_for(lambda m: m.get("request_id") == "ack-1")
        assert answer["type"] == "ok", answer
        dashboard.wait_for(transition_for(acked_contact, "acknowledged"))

        # Opened after the acknowledged one with the same deadline: its escalation check runs later.
        local_runtime.push([compliance_breach(ignored_contact)])
        ignored = dashboard.wait_for(transition_for(ignored_contact, "opened"))
        dashboard.wait_for(transition_for(ignored_contact, "escalated"), timeout=30)

    sms = wait_until(
        lambda: escalation_sms_about(local_runtime, ignored["alert_id"], ignored_contact), timeout=30
    )
    assert sms[0]["message"]
    assert not escalation_sms_about(local_runtime, acked["alert_id"], acked_contact)


def test_a_connection_without_a_valid_token_is_refused(local_runtime: RunningSystem) -> None:
    require(local_runtime, "authorizer", "websocket")
    for url in (local_runtime.runtime.ws_url(), local_runtime.ws_url("not-a-token")):
        with pytest.raises(InvalidStatus) as refused:
            Dashboard(url)
        assert refused.value.response.status_code in (401, 403)


def test_the_dashboard_page_and_the_outbox_are_served(local_runtime: RunningSystem) -> None:
    with urllib.request.urlopen(local_runtime.http_url, timeout=10) as page:
        assert page.status == 200
        assert b"<html" in page.read().lower()
    with urllib.request.urlopen(local_runtime.outbox_url, timeout=10) as outbox:
        assert isinstance(json.loads(outbox.read())["messages"], list)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(local_runtime.http_url + "../../etc/passwd", timeout=10)
    assert missing.value.code == 404


def _suffix() -> str:
    import uuid

    return uuid.uuid4().hex[:8]


def test_a_card_gets_the_value_now_and_the_worst_live(local_runtime: RunningSystem) -> None:
    # The e2e runtime publishes live values at most once per second (FLOORWATCH_LIVE_UPDATE_SECONDS=1).
    require(local_runtime, *PIPELINE)
    queue = f"live-{uuid.uuid4().hex[:8]}"
    token = local_runtime.token(user="e2e-live", queues=(queue,))

    def about(kind: str) -> Callable[[dict[str, Any]], bool]:
        return lambda m: (
            m.get("type") == "transition"
            and m.get("transition") == kind
            and m.get("scope") == f"queue:{queue}"
        )

    with Dashboard(local_runtime.ws_url(token)) as dashboard:
        dashboard.subscribe()
        local_runtime.push([queue_snapshot(queue, 25)])  # over 20: a warning opens at once (for: 0s)
        opened = dashboard.wait_for(about("opened"))
        assert (opened["value"], opened["threshold"], opened["title"]) == (
            25.0,
            20.0,
            "Contacts piling up in queue",
        )
        time.sleep(1.2)  # the next snapshot a second of event time later: worth an update
        local_runtime.push([queue_snapshot(queue, 33)])
        updated = dashboard.wait_for(about("updated"))
        assert (updated["alert_id"], updated["severity"]) == (opened["alert_id"], "warning")
        assert (updated["value"], updated["worst_value"], updated["threshold"]) == (33.0, 33.0, 20.0)
        time.sleep(1.2)
        local_runtime.push([queue_snapshot(queue, 28)])
        second = dashboard.wait_for(lambda m: about("updated")(m) and m["value"] == 28.0)
        assert second["worst_value"] == 33.0  # the worst since it opened stays on the card
        dashboard.send({"action": "refresh", "request_id": "live-refresh"})
        snapshot = dashboard.wait_for(lambda m: m.get("request_id") == "live-refresh")
    [card] = [alert for alert in snapshot["alerts"] if alert["alert_id"] == opened["alert_id"]]
    assert (card["value"], card["worst_value"], card["threshold"]) == (
        28.0,
        33.0,
        20.0,
    )  # agrees with the push
