"""End to end on the local runtime: raw payloads in, a supervisor's dashboard and the ops outbox out.

Every hop is the real one: PutRecords -> normalize -> cx-events -> evaluate -> alerts table stream ->
fanout -> @connections -> this WebSocket client; fanout -> escalation queue (delayed by ack_within)
-> escalate -> SNS -> the outbox.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from tests.e2e.support import (
    Dashboard,
    RunningSystem,
    compliance_breach,
    require,
    transition_for,
    wait_until,
)

pytestmark = pytest.mark.timeout(120)

PIPELINE = ("normalize", "evaluate", "fanout", "authorizer", "websocket")


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
