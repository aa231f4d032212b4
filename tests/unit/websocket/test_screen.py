"""The supervisor's screen, server side: the action clock (acted), history, join, snooze and mute as
the snapshot says them, the card's where / what / links, and pushes that agree with the snapshot."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from floorwatch.alerts.actions import ActionRequest, perform
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, evaluate_threshold
from floorwatch.cards import CardSettings, transition_card
from floorwatch.delivery.memory import RecordingPoster
from floorwatch.delivery.websocket import WebSocketFanout
from floorwatch.metrics.model import MetricValue
from floorwatch.rules.config import ThresholdRule, parse_rules
from floorwatch.security.roles import may_see
from floorwatch.snapshot import SnapshotSources, build_snapshot
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.audit_memory import InMemoryAuditLog
from floorwatch.store.connections_memory import InMemoryConnectionStore
from floorwatch.store.connections_port import Principal
from floorwatch.store.metrics_memory import InMemoryMetricStore

from tests.unit.websocket.support import OPS, RULES, SUPERVISOR, T0, open_alert


def act(store: InMemoryAlertStore, action: str, alert_id: str, seconds: float, **extra: Any) -> Any:
    at = T0 + timedelta(seconds=seconds)
    return perform(ActionRequest(action, alert_id, SUPERVISOR, at, **extra), store, InMemoryAuditLog())


def snapshot_alert(
    store: InMemoryAlertStore, seconds: float = 0, sources: SnapshotSources | None = None
) -> Any:
    sources = sources or SnapshotSources(store, InMemoryMetricStore(), RULES)
    [alert] = build_snapshot(SUPERVISOR, T0 + timedelta(seconds=seconds), sources)["alerts"]
    return alert


def test_acting_after_the_acknowledgement_stops_the_action_clock_and_stays_after_a_reload() -> None:
    store = InMemoryAlertStore()
    alert_id = str(open_alert(store).alert_id)
    assert act(store, "ack", alert_id, 10).ok
    assert snapshot_alert(store)["acted"] is False  # acknowledging is not acting
    assert act(store, "note", alert_id, 40, text="moved two agents from tech").ok
    assert act(store, "join", alert_id, 50).ok
    alert = snapshot_alert(store)  # a reload: everything comes from the store
    assert (alert["acted"], alert["acted_by"], alert["acted_how"]) == (True, "ana", "note")
    assert alert["acted_at"] == "2026-11-30T09:00:40Z"
    assert [(entry["transition"], entry["actor"], entry["note"]) for entry in alert["history"]] == [
        ("acknowledged", "ana", None),
        ("noted", "ana", "moved two agents from tech"),
        ("joined", "ana", None),
    ]
    assert alert["opened_at"] == "2026-11-30T08:56:00Z"  # the clocks run from here, not from the reload
    assert alert["ack_due_at"] == "2026-11-30T08:56:30Z"


def test_an_escalation_by_a_person_counts_as_acting_and_is_in_the_history() -> None:
    store = InMemoryAlertStore()
    alert_id = str(open_alert(store).alert_id)
    assert act(store, "escalate", alert_id, 20).ok
    alert = snapshot_alert(store)
    assert alert["acted_how"] == "escalate"
    assert alert["history"] == [
        {"transition": "escalated", "at": "2026-11-30T09:00:20Z", "actor": "ana", "note": "level 1"}
    ]


def test_ops_may_not_join() -> None:
    store = InMemoryAlertStore()
    alert_id = str(open_alert(store).alert_id)
    outcome = perform(ActionRequest("join", alert_id, OPS, T0), store, InMemoryAuditLog())
    assert (outcome.ok, outcome.code) == (False, "forbidden")


def test_a_snoozed_alert_that_turns_critical_stays_snoozed_and_muted_in_the_snapshot() -> None:
    store = InMemoryAlertStore()
    rule = RULES.get("queue-longest-wait")
    assert isinstance(rule, ThresholdRule)
    state = open_alert(store, value=200.0)  # warning
    assert state.severity is not None and state.severity.value == "warning"
    assert act(store, "snooze", str(state.alert_id), 5, minutes=60).ok
    snoozed = store.find(str(state.alert_id))
    assert snoozed is not None
    pushed = store.transitions(snoozed.key)[-1]
    assert pushed.transition is TransitionKind.SNOOZED and pushed.snoozed_until == T0 + timedelta(
        minutes=60, seconds=5
    )
    later = T0 + timedelta(minutes=2)
    upgraded, transitions = evaluate_threshold(rule, snoozed, MetricValue(400.0, 100), later)
    assert [(t.transition, t.notify) for t in transitions] == [(TransitionKind.UPGRADED, False)]
    store.save(snoozed.version, upgraded, [replace(t, queue_id="billing") for t in transitions])
    alert = snapshot_alert(store, seconds=180)
    assert (alert["severity"], alert["status"]) == ("critical", "firing")
    assert (alert["snoozed"], alert["muted"], alert["muted_reason"], alert["snoozed_by"]) == (
        True,
        True,
        "snoozed",
        "ana",
    )
    assert [entry["transition"] for entry in alert["history"]] == ["snoozed"]
    # Once the snooze ran out the snapshot says so (the state keeps its snoozed_until).
    assert snapshot_alert(store, seconds=3700)["snoozed"] is False


RULES_TEXT = """
- id: contact-on-hold
  description: Customer on hold too long
  action: Listen in and help the agent take the customer off hold.
  metric: agent_on_hold_seconds
  scope: agent
  direction: above
  tiers: {warning: 60}
  join_url: "https://acme.example.com/live/{agent_id}"
  runbook: "https://wiki.example.com/hold?agent={agent_id}"
"""


def test_a_pushed_card_says_where_what_and_what_to_do_like_the_snapshot() -> None:
    rules = parse_rules(RULES_TEXT)
    cards = CardSettings(connect_console_url="https://acme.my.connect.aws/")
    transition = Transition(
        transition_id="a1:1",
        alert_id="a1",
        transition=TransitionKind.OPENED,
        rule="contact-on-hold",
        scope="agent:ag-7",
        severity=Severity.WARNING,
        value=75.0,
        threshold=60.0,
        at=T0,
        version=1,
        queue_id="billing",
        team_id="payments",
        link="https://acme.example.com/live/ag-7",
        where=(("queue_name", "Billing"), ("agent_name", "ana.m"), ("contact_id", "c-396594fc")),
    )
    connections = InMemoryConnectionStore(clock=lambda: T0)
    supervisor = Principal(user="sam", role="supervisor", teams=("payments",), queues=("billing",))
    connections.add("c1", supervisor, T0)
    connections.subscribe("c1", ["*"])
    poster = RecordingPoster()
    fanout = WebSocketFanout(connections, poster, may_see, describe=transition_card(rules, cards))
    fanout.push(transition)
    [data] = poster.received["c1"]
    card = json.loads(data)
    assert card["title"] == "Customer on hold too long"
    assert card["action"] == "Listen in and help the agent take the customer off hold."
    assert card["where"] == {
        "queue_id": "billing",
        "queue_name": "Billing",
        "team_id": "payments",
        "agent_id": "ag-7",
        "agent_name": "ana.m",
        "contact_id": "c-396594fc",
        "center_id": None,
    }
    assert card["links"] == [
        {"kind": "join", "label": "Listen in", "url": "https://acme.example.com/live/ag-7"},
        {
            "kind": "monitor",
            "label": "Monitor in Amazon Connect",
            "url": "https://acme.my.connect.aws/contact-trace-records/details/c-396594fc",
        },
        {"kind": "runbook", "label": "Runbook", "url": "https://wiki.example.com/hold?agent=ag-7"},
    ]
    assert (card["direction"], card["unit"], card["thresholds"]) == ("above", "seconds", {"warning": 60.0})
    assert (card["ack_due_at"], card["act_due_at"]) == ("2026-11-30T09:00:30Z", "2026-11-30T09:01:30Z")
    assert (card["type"], card["transition"], card["value"]) == ("transition", "opened", 75.0)


def test_a_state_saved_with_the_new_fields_reads_back_the_same() -> None:
    store = InMemoryAlertStore()
    alert_id = str(open_alert(store).alert_id)
    act(store, "note", alert_id, 30, text="x" * 600)
    state = store.find(alert_id)
    assert state is not None
    assert AlertState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    assert state.history[-1].note is not None and len(state.history[-1].note) == 500  # cut for the card
    full = store.transitions(state.key)[-1]
    assert full.note == "x" * 600  # the transition keeps the whole note
