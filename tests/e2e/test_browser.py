"""The supervisor dashboard in a real browser: Debian's chromium (headless) driven by Playwright.

The first tests run against the whole local runtime (``local_runtime`` in conftest.py), every hop real
from PutRecords to the page. The rest pin down how the page handles what arrives (duplicates, later
transitions, filters, refusals, tiles, the outbox) against a scripted server (browser_fakes.py).
Screenshots land in test-artifacts/browser/ (gitignored) for people to look at.
"""

from __future__ import annotations

import re
import threading
import urllib.request

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.e2e.browser_fakes import FakeFloor, tile, transition, unsigned_token
from tests.e2e.browser_support import REFRESH_WAIT_MS, card, card_about, expect_live, screenshot
from tests.e2e.support import Dashboard, RunningSystem, compliance_breach, require, transition_for

pytestmark = pytest.mark.timeout(180)

PIPELINE = ("normalize", "evaluate", "fanout", "authorizer", "websocket")


# --- against the whole local runtime ----------------------------------------------------------------


def test_a_supervisor_sees_the_alert_appear_and_acknowledges_it(
    local_runtime: RunningSystem, page: Page, contact_id: str
) -> None:
    require(local_runtime, *PIPELINE)
    page.goto(local_runtime.dashboard_url(local_runtime.token(user="e2e-browser")))
    expect_live(page)

    local_runtime.push([compliance_breach(contact_id)])

    alert = card_about(page, contact_id)
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("data-severity", "critical")
    expect(alert).to_have_attribute("data-kind", "compliance")
    expect(alert).to_contain_text("Compliance breach")
    expect(page.locator("#announcer-urgent")).to_contain_text("New critical alert")
    screenshot(page, "alert-opened.png")

    alert.get_by_role("button", name="Acknowledge").click()

    expect(alert).to_have_attribute("data-status", "acknowledged")
    expect(alert.locator(".ack-text")).to_contain_text("Acknowledged by e2e-browser")
    expect(alert.get_by_role("button", name="Acknowledge")).to_have_count(0)
    screenshot(page, "alert-acknowledged.png")

    # The acknowledgement is the server's, not only the page's: a fresh page's snapshot has it.
    page.reload()
    expect_live(page)
    expect(card_about(page, contact_id)).to_have_attribute("data-status", "acknowledged")


def test_an_unacknowledged_critical_alert_shows_its_sms_in_the_ops_outbox(
    local_runtime: RunningSystem, page: Page, contact_id: str
) -> None:
    require(local_runtime, *PIPELINE, "escalate")
    page.goto(local_runtime.dashboard_url(local_runtime.token(user="e2e-browser")))
    expect_live(page)

    local_runtime.push([compliance_breach(contact_id)])  # the e2e rules escalate after 2 s

    expect(card_about(page, contact_id)).to_be_visible()
    escalation = page.locator("#outbox li.outbox-item[data-channel='sms']", has_text=contact_id).filter(
        has_text="escalation level 1"
    )
    expect(escalation.first).to_be_visible(timeout=40_000)
    expect(escalation.first).to_contain_text("duty-supervisor")
    screenshot(page, "outbox-sms.png")


def test_the_page_reconnects_and_resyncs_what_it_missed(
    local_runtime: RunningSystem, page: Page, contact_id: str
) -> None:
    require(local_runtime, *PIPELINE)
    token = local_runtime.token(user="e2e-browser")
    blocked = threading.Event()

    def gate(route: WebSocketRoute) -> None:
        # While blocked every attempt fails, as when the API cannot be reached.
        if blocked.is_set():
            route.close(code=1011, reason="blocked by the test")
        else:
            route.connect_to_server()

    page.route_web_socket("**/ws*", gate)
    page.goto(local_runtime.dashboard_url(token))
    expect_live(page)

    blocked.set()
    drop_connections(local_runtime)  # the gateway drops the socket (API Gateway does after 2 hours)
    expect(page.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    with Dashboard(local_runtime.ws_url(token)) as witness:
        witness.subscribe()
        local_runtime.push([compliance_breach(contact_id)])
        witness.wait_for(transition_for(contact_id, "opened"))  # it opened while the page was away
    expect(card_about(page, contact_id)).to_have_count(0)

    blocked.clear()  # the next attempt of the backoff (at most 16 s away by now) gets through

    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=45_000)
    expect(card_about(page, contact_id)).to_be_visible()


def drop_connections(system: RunningSystem) -> None:
    """DELETE @connections/{id} for every live connection, through the gateway's management API."""
    gateway = system.runtime.gateway
    assert gateway is not None
    for connection_id in list(gateway.connections):
        request = urllib.request.Request(
            f"{gateway.management_endpoint}/@connections/{connection_id}", method="DELETE"
        )
        with urllib.request.urlopen(request, timeout=10):
            pass


# --- the page's handling of what arrives (scripted server) ------------------------------------------


def test_retry_now_skips_the_backoff_wait(floor: FakeFloor, page: Page) -> None:
    floor.down = True
    floor.open(unsigned_token("supervisor", "ana"))
    status = page.locator("#connection")
    # Wait until the next automatic attempt is at least 4 s away, so the click is what reconnects.
    expect(status).to_contain_text(re.compile(r"retrying in ([4-9]|\d\d) s"), timeout=30_000)

    floor.down = False
    page.get_by_role("button", name="Retry now").click()

    expect(status).to_have_attribute("data-state", "live", timeout=3_000)


def test_duplicates_are_dropped_and_later_transitions_update_the_alert(floor: FakeFloor, page: Page) -> None:
    floor.open(unsigned_token("supervisor", "ana"))
    expect_live(page)

    opened = transition("a-1", "opened", "t-1")
    floor.push(opened)
    floor.push(opened)  # delivery is at-least-once
    expect(card(page, "a-1")).to_have_count(1)
    expect(card(page, "a-1")).to_have_attribute("data-kind", "sentiment")
    detail = card(page, "a-1").locator(".alert-detail")
    expect(detail).to_have_text("Now -0.45 · worst -0.45 · threshold -0.30")

    floor.push(transition("a-1", "upgraded", "t-2", severity="critical", value=-0.7))
    expect(card(page, "a-1")).to_have_attribute("data-severity", "critical")
    floor.push(transition("a-1", "acknowledged", "t-3", severity="critical", actor="bo"))
    expect(card(page, "a-1").locator(".ack-text")).to_contain_text("Acknowledged by bo")

    floor.push(transition("a-1", "resolved", "t-4", severity="critical"))
    expect(card(page, "a-1")).to_have_count(0)
    expect(page.locator("#resolved li.alert[data-alert-id='a-1']")).to_have_count(1)


def test_acknowledge_sends_the_action_and_a_refusal_is_shown(floor: FakeFloor, page: Page) -> None:
    floor.refused["ack"] = "conflict"
    floor.open(unsigned_token("supervisor", "ana"))
    expect_live(page)
    floor.push(transition("a-2", "opened", "t-5"))

    card(page, "a-2").get_by_role("button", name="Acknowledge").click()

    expect(page.locator("#toasts .toast-error")).to_contain_text("Acknowledge failed: ack refused: conflict")
    acks = [m for m in floor.received if m.get("action") == "ack"]
    assert acks and acks[0]["alert_id"] == "a-2"
    expect(card(page, "a-2").get_by_role("button", name="Acknowledge")).to_have_attribute(
        "aria-disabled", "false"
    )


def test_note_snooze_and_not_useful_send_their_actions(floor: FakeFloor, page: Page) -> None:
    floor.open(unsigned_token("supervisor", "ana"))
    expect_live(page)
    floor.push(transition("a-3", "opened", "t-6"))
    alert = card(page, "a-3")

    alert.get_by_role("button", name="Note").click()
    page.keyboard.type("listening in")  # the note field has the focus
    page.keyboard.press("Enter")
    alert.get_by_role("button", name="Snooze").click()
    alert.get_by_role("button", name="30 min").click()
    alert.get_by_role("button", name="Not useful").click()
    alert.get_by_role("textbox", name="Not useful").fill("queue is closed today")
    alert.get_by_role("button", name="Send feedback").click()

    expect(page.locator("#toasts")).to_contain_text("Thanks")
    sent = {m["action"]: m for m in floor.received if m.get("alert_id") == "a-3"}
    assert sent["note"]["text"] == "listening in"
    assert sent["snooze"]["minutes"] == 30
    assert sent["feedback"]["useful"] is False and sent["feedback"]["reason"] == "queue is closed today"


def test_an_agent_gets_a_read_only_view(floor: FakeFloor, page: Page) -> None:
    floor.open(unsigned_token("agent", "agent-7"))
    expect_live(page)

    floor.push(transition("a-4", "opened", "t-7", scope="agent:agent-7"))

    expect(card(page, "a-4")).to_be_visible()
    expect(card(page, "a-4").get_by_role("button")).to_have_count(0)
    expect(page.locator("#who-role")).to_contain_text("read-only")


def test_filters_hide_what_the_supervisor_did_not_ask_for(floor: FakeFloor, page: Page) -> None:
    floor.open(unsigned_token("supervisor", "ana"))
    expect_live(page)
    floor.push(transition("a-5", "opened", "t-8"))
    floor.push(transition("a-6", "opened", "t-9", severity="critical", queue_id="sales", team_id="sales-1"))

    page.locator("#filter-severity").select_option("critical")
    expect(card(page, "a-6")).to_be_visible()
    expect(card(page, "a-5")).to_have_count(0)
    expect(page.locator("#alert-count")).to_contain_text("+1 filtered")

    page.locator("#filter-severity").select_option("info")
    page.locator("#filter-queue").select_option("billing")
    expect(card(page, "a-5")).to_be_visible()
    expect(card(page, "a-6")).to_have_count(0)


def test_a_snapshot_without_an_alert_moves_it_to_resolved(floor: FakeFloor, page: Page) -> None:
    floor.alerts = [{**transition("a-7", "opened", "t-10"), "status": "open", "opened_at": None}]
    floor.open(unsigned_token("supervisor", "ana"))
    expect(card(page, "a-7")).to_be_visible()

    floor.alerts = []  # resolved while the page was not told (a missed push)
    expect(card(page, "a-7")).to_have_count(0, timeout=REFRESH_WAIT_MS)  # the next refresh resyncs
    expect(page.locator("#resolved li.alert[data-alert-id='a-7']")).to_have_count(1)


def test_tiles_show_each_queue_coloured_by_state(floor: FakeFloor, page: Page) -> None:
    floor.tiles = [
        tile(
            "billing",
            service_level={"value": 0.66, "samples": 40, "target": 0.8, "state": "critical"},
            longest_wait_seconds={"value": 95, "samples": 1, "sla_seconds": 20, "state": "warning"},
            contacts_in_queue={"value": 14, "samples": 1, "state": "info"},
            agents_available={"value": 0, "samples": 1, "state": "critical"},
            abandon_rate={"value": 0.062, "samples": 50, "state": "warning"},
            customer_sentiment={"value": -0.12, "samples": 9, "state": "ok"},
        ),
        tile("sales", service_level={"value": None, "samples": 0, "target": 0.8, "state": "ok"}),
    ]
    floor.open(unsigned_token("supervisor", "ana"))

    billing = page.locator(".tile[data-queue='billing']")
    expect(billing).to_have_attribute("data-state", "critical")
    expect(billing.locator("[data-metric='service_level']")).to_contain_text("66%")
    expect(billing.locator("[data-metric='service_level']")).to_contain_text("target 80%")
    expect(billing.locator("[data-metric='longest_wait_seconds']")).to_contain_text("1:35")
    expect(billing.locator("[data-metric='longest_wait_seconds']")).to_contain_text("+1:15 past SLA")
    expect(billing.locator("[data-metric='abandon_rate']")).to_contain_text("6.2%")
    expect(page.locator(".tile[data-queue='sales']")).to_have_attribute("data-state", "none")


def test_the_outbox_panel_shows_what_sns_would_have_sent(floor: FakeFloor, page: Page) -> None:
    # The shape local/runtime/outbox.py serves: an SNS envelope's fields, the message as published.
    floor.outbox = [
        {
            "id": "m-1",
            "channel": "sms",
            "to": "duty-supervisor",
            "topic": "floorwatch-local-escalation",
            "subject": None,
            "message": '{"type":"transition","alert_id":"a","transition":"opened","severity":"critical",'
            '"rule":"contact-compliance-breach","scope":"contact:call-9","value":null,"threshold":null,'
            '"level":1,"level_name":"duty-supervisor"}',
            "attributes": {"severity": "critical", "level": "duty-supervisor"},
            "at": "2026-11-30T09:00:01.000Z",
        },
        {
            "id": "m-2",
            "channel": "email",
            "to": "alert contacts",
            "topic": "floorwatch-local-alerts",
            "subject": "[floorwatch] CRITICAL queue:billing",
            "message": "Service level 66% under 70%",
            "attributes": {"severity": "critical"},
            "at": "2026-11-30T09:00:02.000Z",
        },
    ]
    floor.open(unsigned_token("supervisor", "ana"))

    sms = page.locator("#outbox li[data-channel='sms']")
    expect(sms).to_contain_text("duty-supervisor")
    expect(sms).to_contain_text("Compliance breach on a live contact — Contact call-9")
    email = page.locator("#outbox li[data-channel='email']")
    expect(email).to_contain_text("alert contacts")
    expect(email).to_contain_text("[floorwatch] CRITICAL queue:billing")


def test_the_ws_parameter_points_the_page_at_another_api(page: Page) -> None:
    # In AWS the page is on CloudFront and the WebSocket API on execute-api; there is no outbox.
    floor = FakeFloor(page, socket_url="wss://api.floorwatch.test/prod**")
    floor.open(unsigned_token("supervisor", "ana"), "&ws=wss://api.floorwatch.test/prod")

    expect_live(page)
    assert floor.sockets[0].url.startswith("wss://api.floorwatch.test/prod?token=")
    expect(page.locator("#outbox-panel")).to_be_hidden()


def test_the_outbox_panel_hides_where_there_is_no_outbox(floor: FakeFloor, page: Page) -> None:
    floor.outbox = None  # GET /outbox answers 404
    floor.open(unsigned_token("supervisor", "ana"))

    expect_live(page)
    expect(page.locator("#outbox-panel")).to_be_hidden()


def test_join_opens_the_rules_deep_link_and_only_a_web_one(floor: FakeFloor, page: Page) -> None:
    floor.open(unsigned_token("supervisor", "ana"))
    expect_live(page)
    floor.push(transition("a-8", "opened", "t-11", link="https://connect.floorwatch.test/contact/call-1"))
    floor.push(transition("a-9", "opened", "t-12", link="javascript:alert(1)"))

    join = card(page, "a-8").get_by_role("link", name="Join")
    expect(join).to_have_attribute("href", "https://connect.floorwatch.test/contact/call-1")
    expect(join).to_have_attribute("target", "_blank")
    expect(card(page, "a-9").locator("[data-action='join']")).to_have_attribute("aria-disabled", "true")
    expect(card(page, "a-9").locator("[data-action='join']")).not_to_have_attribute(
        "href", "javascript:alert(1)"
    )


def test_an_alert_can_be_acknowledged_from_the_keyboard_alone(floor: FakeFloor, page: Page) -> None:
    floor.open(unsigned_token("supervisor", "ana"))
    expect_live(page)
    floor.push(transition("a-10", "opened", "t-13", severity="critical"))
    expect(card(page, "a-10")).to_be_visible()

    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to alerts")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(card(page, "a-10").get_by_role("button", name="Acknowledge")).to_be_focused()
    page.keyboard.press("Enter")

    expect(card(page, "a-10")).to_have_attribute("data-status", "acknowledged")  # on the server's ok
    assert [m["alert_id"] for m in floor.received if m.get("action") == "ack"] == ["a-10"]
    expect(card(page, "a-10").get_by_role("button", name="Note")).to_be_focused()


def test_a_link_from_an_sms_brings_its_alert_into_focus(floor: FakeFloor, page: Page) -> None:
    """SMS and e-mail end in <dashboard>/#a=<alert_id> (floorwatch.delivery.messages)."""
    floor.alerts = [
        {**transition(f"a-{n}", "opened", f"t-{n}"), "status": "open", "opened_at": None}
        for n in range(20, 26)
    ]
    floor.open(unsigned_token("supervisor", "ana"), "#a=a-24")
    expect(card(page, "a-24")).to_be_focused()
    expect(card(page, "a-24")).to_have_class(re.compile(r"\blinked\b"))
    expect(card(page, "a-21")).not_to_have_class(re.compile(r"\blinked\b"))


def test_two_alerts_of_one_queue_show_as_one_incident_card_listing_both(floor: FakeFloor, page: Page) -> None:
    floor.open(unsigned_token("supervisor", "ana"))
    expect_live(page)
    queue = {"scope": "queue:billing", "metric": "service_level", "incident_id": "inc-1"}
    floor.push(
        transition("a-30", "opened", "t-30", rule="queue-service-level", value=0.62, threshold=0.8, **queue)
    )
    floor.push(
        transition(
            "inc-1",
            "opened",
            "t-31",
            rule="incident",
            scope="queue:billing",
            metric=None,
            value=None,
            threshold=None,
            members=["queue-service-level|warning|queue:billing"],
            trigger_rule="queue-service-level",
        )
    )
    floor.push(
        transition(
            "a-31",
            "opened",
            "t-32",
            rule="queue-abandon-rate",
            severity="critical",
            value=0.12,
            threshold=0.08,
            **{**queue, "metric": "abandon_rate"},
        )
    )
    floor.push(
        transition(
            "inc-1",
            "upgraded",
            "t-33",
            rule="incident",
            scope="queue:billing",
            severity="critical",
            metric=None,
            value=None,
            threshold=None,
            members=[
                "queue-service-level|warning|queue:billing",
                "queue-abandon-rate|critical|queue:billing",
            ],
            trigger_rule="queue-abandon-rate",
        )
    )

    cards = page.locator("#alerts li.alert")
    expect(cards).to_have_count(1)
    incident = card(page, "inc-1")
    expect(incident).to_have_attribute("data-severity", "critical")
    expect(incident.locator(".alert-title")).to_have_text("Abandon rate high")
    members = incident.locator(".incident-member")
    expect(members).to_have_count(2)
    expect(members.filter(has_text="Service level under target")).to_contain_text("62%")
    expect(members.filter(has_text="Abandon rate high")).to_contain_text("12%")
    expect(page.locator("#alert-count")).to_have_text("1")

    incident.get_by_role("button", name="Acknowledge").click()
    expect(incident).to_have_attribute("data-status", "acknowledged")
    assert [m["alert_id"] for m in floor.received if m.get("action") == "ack"] == ["inc-1"]


def test_a_link_to_a_member_alert_focuses_its_incident_card(floor: FakeFloor, page: Page) -> None:
    member = {
        **transition("a-40", "opened", "t-40", incident_id="inc-4"),
        "status": "open",
        "opened_at": None,
    }
    incident = {
        **transition("inc-4", "opened", "t-41", rule="incident", metric=None, value=None, threshold=None),
        "status": "open",
        "opened_at": None,
        "members": ["contact-sentiment-collapse|warning|contact:call-1"],
        "trigger_rule": "contact-sentiment-collapse",
    }
    floor.alerts = [member, incident]
    floor.open(unsigned_token("supervisor", "ana"), "#a=a-40")

    expect(card(page, "inc-4")).to_be_focused()
    expect(card(page, "a-40")).to_have_count(0)
    expect(card(page, "inc-4").locator(".incident-member")).to_contain_text("Customer sentiment collapsing")


def test_an_alert_whose_queue_stopped_reporting_says_since_when_and_keeps_its_state(
    floor: FakeFloor, page: Page
) -> None:
    floor.alerts = [
        {
            **transition("a-40", "opened", "t-40", severity="critical"),
            "status": "open",
            "opened_at": None,
            "no_data_since": "2026-11-23T10:05:00Z",
        }
    ]
    floor.open(unsigned_token("supervisor", "ana"))
    notes = card(page, "a-40").locator(".alert-notes")
    expect(notes).to_contain_text("No data since")
    expect(notes).to_contain_text("last state kept")
    expect(card(page, "a-40")).to_have_attribute("data-severity", "critical")  # not an "all clear"
