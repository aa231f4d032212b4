"""The supervisor's screen (issue 12) in a real browser: live values on a card, snooze surviving a
snapshot, where / what / what to do on a card, the action clock, a silently stalled socket, a reload
keeping history and clocks, the phone layout, role-based buttons and an accessibility scan.

Tests named ``..._on_the_runtime`` run against the whole local runtime (every hop real, from PutRecords
to the page); the others script the server (browser_fakes.py) to pin down how the page shows what the
protocol says (docs/protocol.md, "The supervisor's screen"). Screenshots of each state land in
test-artifacts/browser/ (gitignored); the main ones are copied to docs/images/ by hand.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from floorwatch.delivery.messages import alert_link
from playwright.sync_api import Page, expect

from tests.e2e.browser_fakes import FakeFloor, now_iso, tile, transition, unsigned_token
from tests.e2e.browser_support import (
    AXE_SCRIPT,
    PHONE,
    REFRESH_WAIT_MS,
    StallableRelay,
    axe_violations,
    card,
    card_about,
    expect_live,
    screenshot,
    wait_in_page,
)
from tests.e2e.support import RunningSystem, compliance_breach, queue_snapshot, require, wait_until

pytestmark = pytest.mark.timeout(180)

PIPELINE = ("normalize", "evaluate", "fanout", "authorizer", "websocket")
SUPERVISOR = {
    "user": "ana",
    "role": "supervisor",
    "actions": ["ack", "escalate", "feedback", "join", "note", "resolve", "snooze"],
}
OPS = {"user": "olu", "role": "ops", "actions": ["ack", "feedback", "note"]}
INCIDENT_CARD = re.compile(r"\bis-incident\b")
SL_ACTION = (
    "Move two agents from retention to billing; tell the floor manager if it stays under 50 % for 5 minutes."
)


def fresh_queue() -> str:
    """A queue of its own per runtime test: alerts of one queue group into one incident, and the
    runtime (one per module) keeps earlier tests' alerts open."""
    return f"q-{uuid.uuid4().hex[:8]}"


def service_level_alert(alert_id: str = "sl-1", **fields: Any) -> dict[str, Any]:
    """A snapshot alert as docs/protocol.md describes it (service level under target in Billing)."""
    alert: dict[str, Any] = {
        "alert_id": alert_id,
        "rule": "queue-service-level",
        "scope": "queue:billing",
        "severity": "critical",
        "status": "firing",
        "opened_at": now_iso(-12),
        "acknowledged": False,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "escalation_level": 0,
        "snoozed_until": None,
        "flapping": False,
        "value": 0.62,
        "value_at": now_iso(-12),
        "worst_value": 0.62,
        "threshold": 0.8,
        "direction": "below",
        "unit": "ratio",
        "queue_id": "billing",
        "team_id": "billing-1",
        "metric": "service_level",
        "link": None,
        "title": "Service level under target",
        "action": SL_ACTION,
        "runbook": None,
        "where": {"queue_id": "billing", "queue_name": "Billing", "team_id": "billing-1"},
        "links": [],
        "snoozed": False,
        "muted": False,
        "muted_reason": None,
        "ack_target_seconds": 30,
        "act_target_seconds": 90,
        "acted": False,
        "acted_at": None,
        "acted_by": None,
        "acted_how": None,
        "history": [],
        "incident_id": None,
        "members": [],
        "trigger_rule": None,
        "no_data_since": None,
    }
    alert.update(fields)
    return alert


def open_floor(floor: FakeFloor, you: dict[str, Any] = SUPERVISOR, query: str = "") -> None:
    floor.you = you
    floor.open(unsigned_token(you["role"], you["user"]), query)


# --- 1. live values ----------------------------------------------------------------------------------


def test_a_card_shows_the_value_now_the_worst_since_opening_and_the_threshold_live(
    floor: FakeFloor, page: Page
) -> None:
    floor.alerts = [service_level_alert()]
    open_floor(floor)
    detail = card(page, "sl-1").locator(".alert-detail")
    expect(detail).to_have_text("Now 62% · worst 62% · threshold 80%")

    # The server's coalesced live update (`updated`): the value now and the worst since opening.
    floor.push(
        transition(
            "sl-1",
            "updated",
            "sl-1:7",
            rule="queue-service-level",
            scope="queue:billing",
            severity="critical",
            metric="service_level",
            value=0.19,
            worst_value=0.17,
            threshold=0.8,
        )
    )
    expect(detail).to_have_text("Now 19% · worst 17% · threshold 80%")
    screenshot(page, "card-live-values.png")

    # A recovering value leaves the worst where it was, whether or not the message repeats it.
    floor.push(
        transition(
            "sl-1",
            "updated",
            "sl-1:8",
            rule="queue-service-level",
            scope="queue:billing",
            severity="critical",
            metric="service_level",
            value=0.41,
            threshold=0.8,
        )
    )
    expect(detail).to_have_text("Now 41% · worst 17% · threshold 80%")

    # The next refresh agrees with the pushes (the snapshot carries the same fields).
    floor.alerts = [service_level_alert(value=0.44, worst_value=0.17)]
    expect(detail).to_have_text("Now 44% · worst 17% · threshold 80%", timeout=REFRESH_WAIT_MS)


def queue_figures(queue_id: str, contacts_in_queue: int, seconds_ahead: float) -> dict[str, Any]:
    """A queue snapshot at event time now + ``seconds_ahead`` (live updates are coalesced per 30 s of
    event time, so the test moves event time rather than waiting)."""
    return {**queue_snapshot(queue_id, contacts_in_queue), "occurred_at": now_iso(seconds_ahead)}


def test_a_card_follows_the_value_live_on_the_runtime(local_runtime: RunningSystem, page: Page) -> None:
    require(local_runtime, *PIPELINE)
    queue = f"live-{uuid.uuid4().hex[:8]}"
    page.goto(local_runtime.dashboard_url(local_runtime.token(user="e2e-live", queues=(queue,))))
    expect_live(page)

    local_runtime.push([queue_figures(queue, 25, 0)])  # above 20: a warning opens at once
    detail = page.locator("#alerts li.alert", has_text="Contacts piling up").locator(".alert-detail")
    expect(detail).to_have_text("Now 25 · worst 25 · threshold 20")
    local_runtime.push([queue_figures(queue, 33, 31)])
    expect(detail).to_have_text("Now 33 · worst 33 · threshold 20")
    local_runtime.push([queue_figures(queue, 28, 62)])
    expect(detail).to_have_text("Now 28 · worst 33 · threshold 20")
    card_node = page.locator("#alerts li.alert", has_text="Contacts piling up")
    expect(card_node.locator(".alert-todo")).to_contain_text("Move two agents from the overflow queue")


# --- 2. snooze and mute --------------------------------------------------------------------------------


def test_a_snooze_survives_the_next_snapshot_and_a_muted_alert_never_pulses(
    floor: FakeFloor, page: Page
) -> None:
    floor.alerts = [service_level_alert(severity="warning")]
    open_floor(floor)
    alert = card(page, "sl-1")

    alert.get_by_role("button", name="Snooze").click()
    alert.get_by_role("button", name="60 min").click()
    expect(alert).to_have_attribute("data-status", "snoozed")

    # What the server's snapshot says from now on: still `firing`, snoozed an hour ahead, muted.
    floor.alerts = [
        service_level_alert(
            severity="warning",
            snoozed_until=now_iso(3600),
            snoozed=True,
            muted=True,
            muted_reason="snoozed",
            history=[{"transition": "snoozed", "at": now_iso(), "actor": "ana", "note": "until later"}],
        )
    ]
    refreshes = sum(1 for m in floor.received if m.get("action") == "refresh")
    wait_in_page(
        page,
        lambda: sum(1 for m in floor.received if m.get("action") == "refresh") > refreshes,
        timeout_ms=REFRESH_WAIT_MS,
    )
    expect(alert).to_have_attribute("data-status", "snoozed")
    expect(alert.locator(".alert-notes")).to_contain_text("Snoozed until")
    expect(alert.locator(".ack-text")).to_contain_text("Snoozed until")

    # It becomes critical while snoozed: shown as critical, muted, no pulsing, no countdown, no alarm.
    floor.push(
        transition(
            "sl-1",
            "upgraded",
            "sl-1:9",
            rule="queue-service-level",
            scope="queue:billing",
            severity="critical",
            metric="service_level",
            value=0.31,
            threshold=0.5,
            notify=False,
        )
    )
    expect(alert).to_have_attribute("data-severity", "critical")
    expect(alert).not_to_have_class(re.compile(r"\bis-pulsing\b"))
    expect(alert.locator(".ack-text")).not_to_contain_text("Unacknowledged")
    expect(alert.locator(".ack-timer")).to_have_attribute("data-state", "muted")
    expect(page.locator("#announcer-urgent")).to_be_empty()
    expect(alert.get_by_role("button", name="Escalate")).to_have_count(
        0
    )  # the server refuses it while snoozed
    screenshot(page, "card-snoozed.png")


# --- 3. where, what, how bad, what to do -----------------------------------------------------------


def compliance_alert() -> dict[str, Any]:
    contact = "396594fc-2b1c-4f0e-9d7a-5a8c1e2f3b4d"
    return service_level_alert(
        "cb-1",
        rule="contact-compliance-breach",
        scope=f"contact:{contact}",
        metric=None,
        value=None,
        worst_value=None,
        threshold=None,
        direction=None,
        queue_id="payments",
        team_id="payments-team-1",
        title="Card number spoken on a live contact",
        action="Join the call now, cut the card segment from the recording, use the secure IVR.",
        where={
            "queue_id": "payments",
            "queue_name": "Payments",
            "team_id": "payments-team-1",
            "agent_id": "agent-17",
            "agent_name": "Ana Ruiz",
            "contact_id": contact,
        },
        links=[
            {"kind": "join", "label": "Join", "url": "https://connect.floorwatch.test/join/" + contact},
            {
                "kind": "monitor",
                "label": "Monitor in Amazon Connect",
                "url": "https://acme.floorwatch.test/ccp/" + contact,
            },
            {
                "kind": "runbook",
                "label": "Runbook",
                "url": "https://wiki.floorwatch.test/runbooks/compliance",
            },
            {"kind": "monitor", "label": "Evil", "url": "javascript:alert(1)"},
        ],
    )


def test_a_card_says_where_what_how_bad_and_what_to_do_with_the_rules_actions(
    floor: FakeFloor, page: Page
) -> None:
    floor.alerts = [compliance_alert(), service_level_alert()]
    page.context.route("https://**", lambda route: route.fulfill(status=200, body="live session"))
    open_floor(floor)

    breach = card(page, "cb-1")
    expect(breach.locator(".alert-title")).to_have_text("Card number spoken on a live contact")
    expect(breach.locator(".alert-where")).to_have_text(
        "Contact 396594fc… · Agent Ana Ruiz · Queue Payments · Team payments-team-1"
    )
    expect(breach.locator(".alert-todo")).to_contain_text("What to do: Join the call now")
    join = breach.get_by_role("link", name=re.compile(r"^Join: "))
    expect(join).to_have_attribute("href", re.compile(r"^https://connect\.floorwatch\.test/join/"))
    monitor = breach.get_by_role("link", name=re.compile(r"^Monitor in Amazon Connect: "))
    expect(monitor).to_have_attribute("target", "_blank")
    expect(breach.get_by_role("link", name=re.compile(r"^Runbook: "))).to_be_visible()
    expect(breach.get_by_role("link", name=re.compile(r"^Evil"))).to_have_count(0)  # never a javascript: URL

    sl = card(page, "sl-1")
    expect(sl.locator(".alert-where")).to_have_text("Queue Billing · Team billing-1")
    expect(sl.locator(".alert-detail")).to_have_text("Now 62% · worst 62% · threshold 80%")
    expect(sl.locator(".alert-todo")).to_contain_text(SL_ACTION)
    screenshot(page, "card-what-to-do.png")

    # Opening the live session counts as acting: the page tells the server (`join`).
    with page.expect_popup() as popup:
        monitor.click()
    popup.value.close()
    wait_until(
        lambda: [m for m in floor.received if m.get("action") == "join" and m.get("alert_id") == "cb-1"]
    )


def test_the_page_an_sms_links_to_shows_what_to_do_on_a_phone(phone: Page) -> None:
    phone_floor = FakeFloor(phone)
    phone_floor.alerts = [service_level_alert(f"q-{n}", severity="warning") for n in range(5)] + [
        compliance_alert()
    ]
    phone_floor.tiles = [tile(f"queue-{n}") for n in range(8)]
    open_floor(phone_floor, query="#a=cb-1")

    linked = card(phone, "cb-1")
    expect(linked).to_be_focused()
    expect(linked.locator(".alert-todo")).to_contain_text("What to do")
    expect(linked.locator(".alert-todo")).to_be_in_viewport()
    expect(linked.get_by_role("link", name=re.compile(r"^Join: "))).to_be_in_viewport()
    screenshot(phone, "phone-sms-link.png", full_page=False)


# --- 4. the action clock -------------------------------------------------------------------------------


def test_the_action_clock_runs_after_the_acknowledgement_and_stops_when_someone_acts(
    floor: FakeFloor, page: Page
) -> None:
    # Opened 87 s ago: acknowledged late, three seconds left to act on it.
    floor.alerts = [
        service_level_alert(opened_at=now_iso(-87)),
        service_level_alert(
            "sl-2",
            scope="queue:sales",
            queue_id="sales",
            where={"queue_id": "sales", "queue_name": "Sales"},
            opened_at=now_iso(-120),
            acknowledged=True,
            acknowledged_by="bo",
            acknowledged_at=now_iso(-100),
            acted=True,
            acted_at=now_iso(-55),
            acted_by="bo",
            acted_how="join",
        ),
    ]
    open_floor(floor)
    alert = card(page, "sl-1")
    expect(alert.locator(".act-timer")).to_be_hidden()  # nothing to act on before the acknowledgement

    alert.get_by_role("button", name="Acknowledge").click()
    act = alert.locator(".act-timer")
    expect(act).to_be_visible()
    expect(act).to_contain_text(re.compile(r"Act within \d+ s|No action yet"))
    expect(act).to_have_attribute("data-state", "over", timeout=10_000)
    expect(act).to_contain_text("No action yet — ")
    expect(act).to_contain_text("past the 90 s target")
    screenshot(page, "card-action-clock.png")

    alert.get_by_role("button", name="Note").click()
    page.keyboard.type("moved two agents from retention")
    page.keyboard.press("Enter")
    expect(act).to_contain_text("Acted (note by ana)")
    expect(act).to_have_attribute("data-state", "late")

    # Acted in time, as the server recorded it (a snapshot after a reload shows the same).
    done = card(page, "sl-2").locator(".act-timer")
    expect(done).to_have_text(re.compile(r"Acted \(join by bo\) 1:0\d after opening"))
    expect(done).to_have_attribute("data-state", "met")


# --- 5. incidents ----------------------------------------------------------------------------------------


def test_an_incident_is_one_card_with_one_clock_one_set_of_actions_and_one_sound(
    floor: FakeFloor, page: Page
) -> None:
    open_floor(floor)
    expect_live(page)
    breach = {"rule": "contact-compliance-breach", "severity": "critical", "metric": None, "value": None}
    floor.push(transition("m-1", "opened", "m-1:1", scope="contact:call-5", incident_id="inc-9", **breach))
    expect(card(page, "m-1")).to_be_visible()
    floor.push(
        transition(
            "inc-9",
            "opened",
            "inc-9:1",
            rule="incident",
            severity="critical",
            scope="queue:billing",
            metric=None,
            value=None,
            threshold=None,
            trigger_rule="contact-compliance-breach",
            members=["contact-compliance-breach|critical|contact:call-5"],
        )
    )
    floor.push(transition("m-2", "opened", "m-2:1", scope="contact:call-6", incident_id="inc-9", **breach))

    cards = page.locator("#alerts li.alert")
    expect(cards).to_have_count(1)
    incident = card(page, "inc-9")
    expect(incident.locator(".incident-member")).to_have_count(2)
    expect(incident.locator(".ack-timer")).to_have_count(1)
    expect(incident.get_by_role("button", name=re.compile(r"^Acknowledge"))).to_have_count(1)
    # The member rang once when it opened; the incident formed around it and the second member did not.
    assert page.evaluate("window.floorwatch.state.rings.map((r) => r.alert_id)") == ["m-1"]


def test_an_incident_forming_while_someone_types_a_note_does_not_take_it_away(
    floor: FakeFloor, page: Page
) -> None:
    open_floor(floor)
    expect_live(page)
    breach = {"rule": "contact-compliance-breach", "severity": "critical", "metric": None, "value": None}
    floor.push(transition("m-3", "opened", "m-3:1", scope="contact:call-7", incident_id="inc-3", **breach))
    card(page, "m-3").get_by_role("button", name="Note").click()
    page.keyboard.type("caller is on a recorded")
    floor.push(
        transition(
            "inc-3",
            "opened",
            "inc-3:1",
            rule="incident",
            severity="critical",
            scope="queue:billing",
            metric=None,
            value=None,
            threshold=None,
            trigger_rule="contact-compliance-breach",
            members=["contact-compliance-breach|critical|contact:call-7"],
        )
    )
    expect(card(page, "inc-3")).to_be_visible()
    expect(card(page, "m-3").get_by_role("textbox", name="Note")).to_have_value("caller is on a recorded")
    page.keyboard.type(" line")
    page.keyboard.press("Enter")

    expect(card(page, "m-3")).to_have_count(0)  # done: the member folds into its incident's card
    notes = [m for m in floor.received if m.get("action") == "note"]
    assert [(m["alert_id"], m["text"]) for m in notes] == [("m-3", "caller is on a recorded line")]


# --- 6. a connection you can trust ---------------------------------------------------------------------


def test_a_silently_stalled_socket_is_detected_within_15_s_and_the_page_resyncs_on_the_runtime(
    local_runtime: RunningSystem, page: Page, contact_id: str
) -> None:
    queue = fresh_queue()
    require(local_runtime, *PIPELINE)
    relay = StallableRelay(page)
    page.clock.install()  # the test moves the page's clock instead of waiting
    page.goto(local_runtime.dashboard_url(local_runtime.token(user="e2e-stall", queues=(queue,))))
    expect_live(page)
    earlier = f"call-{uuid.uuid4().hex[:10]}"
    local_runtime.push([compliance_breach(earlier, queue_id=queue)])
    expect(card_about(page, earlier)).to_be_visible()

    relay.block.set()  # reconnects fail until the test lets them through
    relay.stall()  # open, but nothing passes either way: no close frame will ever come
    local_runtime.push([compliance_breach(contact_id, queue_id=queue)])  # opens while the page hears nothing
    page.clock.run_for(15_000)  # 15 s of the page running (its timers fire), with nothing heard

    status = page.locator("#connection")
    expect(status).to_contain_text("Not live since", timeout=5_000)
    expect(page.locator("#not-live")).to_be_visible()
    expect(page.locator("#not-live")).to_contain_text("Not live since")
    expect(page.locator("body")).to_have_class(re.compile(r"\bnot-live\b"))
    expect(card_about(page, earlier).locator(".ack-text")).to_have_css("color", muted_colour(page))
    screenshot(page, "not-live.png")
    expect(card_about(page, contact_id)).to_have_count(0)

    relay.block.clear()
    # "Retry now", unless the page's own retry schedule got through first and the button is already gone
    # (a Playwright click would then wait for a button that will not come back): either way it resyncs.
    page.evaluate("document.getElementById('reconnect-now')?.click()")
    expect_live(page)
    expect(card_about(page, contact_id)).to_be_visible()  # the resync brought what it missed
    expect(page.locator("#not-live")).to_be_hidden()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bnot-live\b"))


def record_connection_states(page: Page) -> None:
    """Every state the connection indicator takes from now on, in ``window.connectionStates``."""
    page.evaluate(
        """() => { const box = document.getElementById('connection'); window.connectionStates = [];
            new MutationObserver(() => window.connectionStates.push(box.dataset.state))
              .observe(box, { attributes: true, attributeFilter: ['data-state'] }); }"""
    )


def update(transition_id: str, value: float) -> dict[str, Any]:
    """A live value update of ``service_level_alert()`` (the server's coalesced ``updated`` push)."""
    return transition(
        "sl-1",
        "updated",
        transition_id,
        rule="queue-service-level",
        scope="queue:billing",
        severity="critical",
        metric="service_level",
        value=value,
        threshold=0.8,
    )


def connection_states(page: Page) -> set[str]:
    return set(page.evaluate("window.connectionStates"))


def pause_page_clock(page: Page) -> None:
    """Stop the page's clock (timers fire only when the test runs it); messages still arrive."""
    page.clock.pause_at(int(page.evaluate("Date.now()")) + 1000)


def test_a_page_held_up_by_a_busy_machine_does_not_call_a_live_socket_stalled(
    floor: FakeFloor, page: Page
) -> None:
    """20 s in which the page did not run (a busy machine, a throttled tab, a closed lid): its timers fire
    once, late, with messages possibly still queued behind them. That is no evidence of a stall: the
    page pings at once and stays live when the answer comes."""
    page.clock.install()
    floor.server_time = False
    floor.alerts = [service_level_alert()]
    open_floor(floor)
    expect_live(page)
    pause_page_clock(page)
    record_connection_states(page)
    pings = sent(floor, "ping")

    page.clock.fast_forward(20_000)  # the jump: every due timer fires at most once, 20 s late
    wait_in_page(page, lambda: sent(floor, "ping") > pings)
    page.clock.run_for(3_000)

    expect_live(page)
    assert connection_states(page) <= {"live"}
    expect(page.locator("#not-live")).to_be_hidden()


def test_late_answers_and_pushes_keep_the_page_live_and_a_silent_socket_is_not_live_within_15_s(
    floor: FakeFloor, page: Page
) -> None:
    page.clock.install()
    floor.server_time = False
    floor.alerts = [service_level_alert()]
    open_floor(floor)
    expect_live(page)
    pause_page_clock(page)
    record_connection_states(page)

    # A busy path: the ping sent 8 s after the last message is answered 4 s later (12 s of silence).
    floor.answering = False
    page.clock.run_for(12_000)
    floor.release()
    detail = card(page, "sl-1").locator(".alert-detail")
    floor.push(update("t-late", 0.55))
    expect(detail).to_contain_text("Now 55%")  # both arrived and were handled
    # Answers stop for good, but the server's pushes go on: any message counts as a heartbeat.
    for second in range(10):
        page.clock.run_for(4_000)
        value = 0.54 - second / 100
        floor.push(update(f"t-{second}", value))
        expect(detail).to_contain_text(f"Now {round(value * 100)}%")
    assert connection_states(page) <= {"live"}

    # Nothing at all any more (the socket stalled without a close): not live within 15 s of silence,
    # and a new socket (whose first snapshot this busy fake holds back too, so it stays not live).
    sockets = len(floor.sockets)
    page.clock.run_for(15_000)
    expect(page.locator("#not-live")).to_contain_text("Not live since")
    assert "reconnecting" in connection_states(page)
    assert len(floor.sockets) > sockets


def run_page_with_answers(page: Page, ms: int) -> None:
    """Run the page's clock ``ms`` ahead in 3 s steps, letting each step's pong arrive before the next
    (no ping left unanswered): real time for the messages, page time for the timers."""
    for _ in range(ms // 3_000):
        page.clock.run_for(3_000)
        wait_in_page(page, lambda: not page.evaluate("window.floorwatch.connection.pinged"))


def sent(floor: FakeFloor, action: str) -> int:
    return sum(1 for message in floor.received if message.get("action") == action)


def test_the_tiles_refresh_every_15_s_and_a_ping_fills_the_silence_between(
    floor: FakeFloor, page: Page
) -> None:
    """The two jobs apart: a minute of the page running sends 4 refreshes (a snapshot each: a function
    and table reads) and about one ping between two of them (answered by the API itself), where it used
    to send 12 refreshes."""
    page.clock.install()
    floor.server_time = False
    floor.tiles = [tile("billing", contacts_in_queue={"value": 4, "samples": 4, "target": 10, "state": "ok"})]
    open_floor(floor)
    expect_live(page)
    pause_page_clock(page)
    pings, refreshes = sent(floor, "ping"), sent(floor, "refresh")
    run_page_with_answers(page, 60_000)
    expect_live(page)
    assert 3 <= sent(floor, "refresh") - refreshes <= 5
    assert 2 <= sent(floor, "ping") - pings <= 6


def test_a_socket_that_answers_its_pings_stays_live_while_snapshots_are_late_and_the_tiles_say_so(
    floor: FakeFloor, page: Page
) -> None:
    """Pings prove the socket; snapshots prove the figures. A backend that stops answering refreshes
    (its function failing, say) leaves the page live, with pushes still arriving, and the tiles' age
    turns amber after 45 s instead of the page reconnecting in a loop."""
    page.clock.install()
    floor.server_time = False
    floor.alerts = [service_level_alert()]
    floor.tiles = [tile("billing", contacts_in_queue={"value": 4, "samples": 4, "target": 10, "state": "ok"})]
    open_floor(floor)
    expect_live(page)
    pause_page_clock(page)
    record_connection_states(page)
    floor.snapshots_answered = False

    run_page_with_answers(page, 60_000)
    assert connection_states(page) <= {"live"}
    expect(page.locator("#not-live")).to_be_hidden()
    expect(page.locator("#tiles-updated")).to_have_class(re.compile(r"\bstale\b"))
    floor.push(update("t-still", 0.5))  # the pushes go on
    expect(card(page, "sl-1").locator(".alert-detail")).to_contain_text("Now 50%")


def test_clocks_are_greyed_while_not_live(floor: FakeFloor, page: Page) -> None:
    floor.alerts = [service_level_alert()]
    open_floor(floor)
    text = card(page, "sl-1").locator(".ack-text")
    live_colour = text.evaluate("node => getComputedStyle(node).color")

    floor.down = True
    for socket in floor.sockets:
        socket.close(code=1006)
    expect(page.locator("#not-live")).to_contain_text("Not live since")
    expect(text).to_have_css("color", muted_colour(page))
    assert muted_colour(page) != live_colour


def muted_colour(page: Page) -> str:
    """The theme's muted grey (--muted) as computed styles report colours (rgb(...))."""
    return str(
        page.evaluate(
            """() => { const n = document.createElement('span'); n.style.color = 'var(--muted)';
                document.body.append(n); const v = getComputedStyle(n).color; n.remove(); return v; }"""
        )
    )


def test_a_reload_keeps_notes_escalations_and_the_clock_on_the_runtime(
    local_runtime: RunningSystem, page: Page, contact_id: str
) -> None:
    queue = fresh_queue()
    require(local_runtime, *PIPELINE, "escalate")
    page.goto(local_runtime.dashboard_url(local_runtime.token(user="e2e-reload", queues=(queue,))))
    expect_live(page)
    local_runtime.push([compliance_breach(contact_id, queue_id=queue)])  # the e2e rules escalate after 2 s
    alert = card_about(page, contact_id)
    expect(alert).to_have_class(INCIDENT_CARD)  # the breach's incident formed: the card to act on

    alert.get_by_role("button", name="Note").click()
    page.keyboard.type("customer called back on a recorded line")
    page.keyboard.press("Enter")
    notes = alert.locator(".alert-notes")
    expect(notes).to_contain_text("e2e-reload: customer called back on a recorded line")
    expect(notes).to_contain_text("Escalated", timeout=30_000)
    age_before = seconds(alert.locator(".alert-age").inner_text())

    page.reload()
    expect_live(page)
    alert = card_about(page, contact_id)
    notes = alert.locator(".alert-notes")
    expect(notes).to_contain_text("e2e-reload: customer called back on a recorded line")
    expect(notes).to_contain_text("Escalated")
    age = alert.locator(".alert-age")
    expect(age).not_to_contain_text("seen")  # the alert's own opening time, not when this page saw it
    assert seconds(age.inner_text()) >= age_before
    screenshot(page, "reloaded.png")


def seconds(age_text: str) -> int:
    """'12 s ago' / '1:05 ago' / '1:02:03 ago' as seconds."""
    match = re.search(r"(?:(\d+):)?(?:(\d+):)?(\d+)(?: s)?", age_text)
    assert match, age_text
    parts = [int(p) for p in match.groups() if p is not None]
    total = 0
    for part in parts:
        total = total * 60 + part
    return total


def test_a_snooze_survives_a_reload_on_the_runtime(
    local_runtime: RunningSystem, page: Page, contact_id: str
) -> None:
    queue = fresh_queue()
    require(local_runtime, *PIPELINE)
    page.goto(local_runtime.dashboard_url(local_runtime.token(user="e2e-snooze", queues=(queue,))))
    expect_live(page)
    local_runtime.push([compliance_breach(contact_id, queue_id=queue)])
    alert = card_about(page, contact_id)
    expect(alert).to_have_class(INCIDENT_CARD)
    alert.get_by_role("button", name="Snooze").click()
    alert.get_by_role("button", name="60 min").click()
    expect(alert).to_have_attribute("data-status", "snoozed")

    page.reload()  # nothing but the snapshot now
    expect_live(page)
    alert = card_about(page, contact_id)
    expect(alert).to_have_attribute("data-status", "snoozed")
    expect(alert.locator(".alert-notes")).to_contain_text("Snoozed until")
    expect(alert).not_to_have_class(re.compile(r"\bis-pulsing\b"))


# --- 7. phones -------------------------------------------------------------------------------------------


def test_on_a_phone_alerts_come_first_tiles_collapse_and_touch_targets_are_44_px(phone: Page) -> None:
    floor = FakeFloor(phone)
    floor.alerts = [service_level_alert(f"q-{n}", severity="warning") for n in range(3)] + [
        compliance_alert()
    ]
    floor.tiles = [
        tile(
            f"queue-{n}",
            service_level={"value": 0.7 + n / 100, "samples": 40, "target": 0.8, "state": "warning"},
            longest_wait_seconds={"value": 30 + n, "samples": 3, "state": "ok", "sla_seconds": 20},
            contacts_in_queue={"value": n, "samples": 3, "state": "ok"},
        )
        for n in range(8)
    ]
    open_floor(floor)
    expect_live(phone)

    header = phone.locator(".topbar").bounding_box()
    assert header is not None and header["height"] < PHONE["height"] / 3
    first = phone.locator("#alerts li.alert").first
    box = first.bounding_box()
    assert box is not None and box["y"] + 80 < PHONE["height"], f"first alert card at {box}"
    expect(phone.locator(".tile-body").first).to_be_hidden()  # tiles collapse to one line
    expect(phone.locator(".tile-summary").first).to_contain_text("SL 70%")
    screenshot(phone, "phone.png", full_page=False)

    small = phone.evaluate(
        """() => Array.from(document.querySelectorAll('button, a[href], select, summary, input'))
            .filter((n) => n.offsetParent !== null)
            .map((n) => ({name: n.getAttribute('aria-label') || n.textContent.trim(),
                          box: n.getBoundingClientRect()}))
            .filter((n) => n.box.height < 44 || n.box.width < 44)
            .map((n) => n.name + ' ' + Math.round(n.box.width) + 'x' + Math.round(n.box.height))"""
    )
    assert small == [], f"touch targets under 44 px: {small}"

    phone.locator(".tile").first.get_by_role("button", name=re.compile(r"^Show figures")).click()
    expect(phone.locator(".tile-body").first).to_be_visible()
    expect(
        phone.locator(".tile").first.get_by_role("button", name=re.compile(r"^Hide figures"))
    ).to_be_focused()


def test_a_phone_opens_the_link_in_an_sms_onto_its_alert_on_the_runtime(
    local_runtime: RunningSystem, phone: Page, contact_id: str
) -> None:
    queue = fresh_queue()
    require(local_runtime, *PIPELINE, "escalate")
    # The dashboard link with a token, opened once on this phone.
    phone.goto(local_runtime.dashboard_url(local_runtime.token(user="e2e-phone", queues=(queue,))))
    expect_live(phone)
    local_runtime.push([compliance_breach(contact_id, queue_id=queue)])

    def sms_link() -> str | None:
        # The local outbox keeps SNS's default (JSON) body; the SMS text ends in this same link.
        for message in local_runtime.outbox():
            body = str(message.get("message", ""))
            if message.get("channel") == "sms" and contact_id in body:
                return alert_link(local_runtime.http_url, json.loads(body)["alert_id"])
        return None

    link = wait_until(sms_link, timeout=40)
    assert "token=" not in link
    phone.goto(link)  # what tapping the SMS does: no token in it, the page remembers this device's
    expect_live(phone)
    linked = card_about(phone, contact_id)
    expect(linked).to_be_focused()
    expect(linked).to_be_in_viewport()
    expect(linked.locator(".alert-todo")).to_contain_text("What to do: Join the call")
    expect(linked.get_by_role("link", name=re.compile(r"^(Join|Listen in): "))).to_have_attribute(
        "href", f"https://connect.floorwatch.test/contact/{contact_id}"
    )
    screenshot(phone, "phone-from-sms.png", full_page=False)


# --- 8. roles and details ------------------------------------------------------------------------------


def test_buttons_follow_the_role_and_name_their_alert(floor: FakeFloor, page: Page) -> None:
    floor.alerts = [service_level_alert()]
    open_floor(floor, OPS)
    alert = card(page, "sl-1")
    expect(
        alert.get_by_role("button", name="Acknowledge: Service level under target, Billing", exact=True)
    ).to_be_visible()
    expect(
        alert.get_by_role("button", name=re.compile(r"^Note: Service level under target, Billing$"))
    ).to_be_visible()
    for refused in ("Snooze", "Escalate", "Resolve"):
        expect(alert.get_by_role("button", name=re.compile(f"^{refused}"))).to_have_count(0)
    expect(page.locator("#outbox-panel")).to_be_visible()  # ops see what SNS sent
    expect(page.locator("h1")).to_have_count(1)


def test_an_agent_sees_no_floor_wide_outbox_and_no_buttons(floor: FakeFloor, page: Page) -> None:
    floor.alerts = [service_level_alert(scope="agent:agent-7")]
    floor.outbox = [{"channel": "sms", "to": "duty-supervisor", "message": "another team's page"}]
    open_floor(floor, {"user": "agent-7", "role": "agent", "actions": []})
    expect(card(page, "sl-1")).to_be_visible()
    expect(card(page, "sl-1").get_by_role("button")).to_have_count(0)
    expect(page.locator("#outbox-panel")).to_be_hidden()
    assert not any(request.endswith("/outbox") for request in floor.requested)


def test_ops_get_only_the_buttons_the_server_allows_them_on_the_runtime(
    local_runtime: RunningSystem, page: Page, contact_id: str
) -> None:
    require(local_runtime, *PIPELINE)
    page.goto(local_runtime.dashboard_url(local_runtime.token(role="ops", user="e2e-ops", queues=())))
    expect_live(page)
    local_runtime.push([compliance_breach(contact_id, queue_id=fresh_queue())])
    alert = card_about(page, contact_id)
    expect(alert.get_by_role("button", name=re.compile(r"^Acknowledge: Compliance breach"))).to_be_visible()
    for refused in ("Snooze", "Escalate", "Resolve"):
        expect(alert.get_by_role("button", name=re.compile(f"^{refused}"))).to_have_count(0)
    alert.get_by_role("button", name=re.compile(r"^Acknowledge")).click()
    expect(alert).to_have_attribute("data-status", "acknowledged")  # the server took it: no refusal
    expect(page.locator("#toasts .toast-error")).to_have_count(0)


# --- 9. the KPIs a floor watches -------------------------------------------------------------------------


def full_tile(queue_id: str = "billing") -> dict[str, Any]:
    def metric(value: float | None, state: str = "ok", target: float | None = None) -> dict[str, Any]:
        return {"value": value, "samples": 30, "target": target, "state": state}

    return tile(
        queue_id,
        service_level={**metric(0.66, "critical", 0.8)},
        average_speed_of_answer=metric(42, "warning", 30),
        average_handle_time=metric(310, "ok", 420),
        abandon_rate=metric(0.062, "warning", 0.05),
        contacts_in_queue=metric(14, "info", 10),
        longest_wait_seconds={**metric(95, "warning", 60), "sla_seconds": 20},
        agents_available=metric(2, "ok", 1),
        agents_on_contact=metric(11),
        agents_after_contact_work=metric(3),
        agents_not_ready=metric(4, "warning", 3),
        agents_online=metric(20),
        customer_sentiment=metric(-0.12),
    )


def test_tiles_show_the_kpis_a_floor_watches_with_their_tier_in_words(floor: FakeFloor, page: Page) -> None:
    floor.tiles = [full_tile()]
    open_floor(floor)
    billing = page.locator(".tile[data-queue='billing']")
    expect(billing.locator("[data-metric='service_level']")).to_contain_text("66%")
    expect(billing.locator("[data-metric='service_level']")).to_contain_text("target 80%")
    expect(billing.locator("[data-metric='service_level'] .kpi-value")).to_contain_text("Critical")
    expect(billing.locator("[data-metric='average_speed_of_answer']")).to_contain_text("42 s")
    expect(billing.locator("[data-metric='average_speed_of_answer'] .kpi-value")).to_contain_text("Warning")
    expect(billing.locator("[data-metric='average_handle_time']")).to_contain_text("5:10")
    expect(billing.locator("[data-metric='abandon_rate']")).to_contain_text("6.2%")
    expect(billing.locator("[data-metric='contacts_in_queue']")).to_contain_text("14")
    expect(billing.locator("[data-metric='longest_wait_seconds']")).to_contain_text("1:35")
    agents = billing.locator("[data-metric='agents']")
    expect(agents).to_contain_text("2 available")
    expect(agents).to_contain_text("11 on contact")
    expect(agents).to_contain_text("3 after-contact work")
    expect(agents).to_contain_text("4 not ready")
    expect(billing.locator("[data-metric='customer_sentiment']")).to_contain_text("-0.12")
    screenshot(page, "tiles.png")


EXAMPLES = Path(__file__).resolve().parents[2] / "events"


def connect_example(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / path).read_text())
    return document


def connect_queued(contact_id: str, queue_id: str) -> dict[str, Any]:
    """An Amazon Connect contact event: the contact entered ``queue_id`` (now)."""
    document = connect_example("amazon_connect/contact_event_queued.json")
    instance = document["detail"]["instanceArn"]
    document["id"] = f"e2e-queued-{contact_id}"
    detail = document["detail"]
    document["time"] = detail["initiationTimestamp"] = detail["connectedToSystemTimestamp"] = now_iso()
    detail["contactId"] = contact_id
    detail["queueInfo"].update(queueArn=f"{instance}/queue/{queue_id}", enqueueTimestamp=now_iso())
    return document


def connect_agent_available(agent_id: str, queue_id: str) -> dict[str, Any]:
    """An Amazon Connect agent event: logged in, available, routing profile serving ``queue_id``."""
    document = connect_example("amazon_connect/agent_login.json")
    instance = document["InstanceARN"]
    snapshot = document["CurrentAgentSnapshot"]
    document["AgentARN"] = f"{instance}/agent/{agent_id}"
    document["EventId"] = f"e2e-login-{agent_id}"
    document["EventTimestamp"] = snapshot["AgentStatus"]["StartTimestamp"] = now_iso()
    snapshot["Configuration"]["RoutingProfile"]["InboundQueues"] = [
        {"ARN": f"{instance}/queue/{queue_id}", "Name": queue_id, "Channels": ["VOICE", "CHAT"]}
    ]
    return document


def contact_lens_chat(contact_id: str) -> dict[str, Any]:
    """Contact Lens chat analysis: one negative customer message (the stream names no queue, no agent)."""
    document = connect_example("contact_lens/chat_segments.json")
    document["ContactId"] = contact_id
    document["Segments"] = [
        {
            "Transcript": {
                "Id": f"e2e-{contact_id}-1",
                "ParticipantId": "customer",
                "ParticipantRole": "CUSTOMER",
                "Content": "This is the third time this week.",
                "ContentType": "text/plain",
                "Time": {"AbsoluteTime": now_iso()},
                "Sentiment": "NEGATIVE",
            }
        }
    ]
    return document


def test_a_connect_only_queue_tile_shows_sentiment_and_agents_by_state_on_the_runtime(
    local_runtime: RunningSystem, page: Page
) -> None:
    """No queue snapshot feed: the queue's contact event, an agent event and Contact Lens, as Amazon Connect
    sends them, through the whole local runtime."""
    queue = fresh_queue()
    contact_id = f"call-{uuid.uuid4().hex[:10]}"
    require(local_runtime, *PIPELINE)
    local_runtime.push([connect_queued(contact_id, queue), connect_agent_available(f"agent-{queue}", queue)])
    page.goto(local_runtime.dashboard_url(local_runtime.token(user="e2e-connect", queues=(queue,))))
    expect_live(page)
    tile_of_queue = page.locator(f".tile[data-queue='{queue}']")
    agents = tile_of_queue.locator("[data-metric='agents']")
    # the tiles refresh every 15 s; a loaded machine's pipeline may need a few of them
    try:
        expect(agents).to_contain_text("1 available", timeout=60_000)
    except AssertionError as error:
        pytest.fail(f"{error}\n{local_runtime.diagnosis(queue)}\ntile: {tile_of_queue.inner_text()}")
    expect(agents).to_contain_text("from agent events")
    expect(agents).to_contain_text("0 on contact")

    local_runtime.push([contact_lens_chat(contact_id)])  # knows the contact, not its queue
    sentiment = tile_of_queue.locator("[data-metric='customer_sentiment']")
    expect(sentiment).to_contain_text("-1.00", timeout=60_000)
    screenshot(page, "tile-connect-only.png")


# --- accessibility ---------------------------------------------------------------------------------------


def test_the_page_has_no_serious_accessibility_violation(scan_page: Page) -> None:
    if not AXE_SCRIPT.is_file():
        pytest.skip("axe-core is not installed: `make test` installs it (make a11y)")
    floor = FakeFloor(scan_page)
    floor.alerts = [
        compliance_alert(),
        service_level_alert(),
        service_level_alert(
            "sl-3", severity="warning", acknowledged=True, acknowledged_by="bo", acknowledged_at=now_iso(-3)
        ),
    ]
    floor.tiles = [full_tile("billing"), full_tile("sales")]
    for metric in floor.tiles[1]["metrics"].values():
        metric["source"] = "agent_events"  # counted from agent events: the tile says so
    floor.outbox = [
        {"channel": "sms", "to": "duty-supervisor", "message": "CRITICAL compliance breach", "at": now_iso()}
    ]
    open_floor(floor)
    expect(card(scan_page, "sl-3")).to_be_visible()
    expect(scan_page.locator("#outbox li")).to_have_count(1)
    screenshot(scan_page, "dashboard.png", full_page=False)
    assert axe_violations(scan_page) == []

    scan_page.set_viewport_size(PHONE)
    assert axe_violations(scan_page) == []
