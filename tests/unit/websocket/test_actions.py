"""People's actions on alerts: each one authorized, applied, saved with its context, and audited."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from floorwatch.alerts.actions import MAX_SAVE_ATTEMPTS, ActionRequest, perform
from floorwatch.alerts.escalation import EscalationPolicy
from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState, AlertStatus
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.alerts_port import AlertConflict
from floorwatch.store.audit_memory import InMemoryAuditLog
from floorwatch.store.connections_port import Principal

from tests.unit.websocket.support import (
    AGENT,
    MANAGER,
    OPS,
    OTHER_SUPERVISOR,
    SUPERVISOR,
    T0,
    open_alert,
)

CHAIN = ("team-supervisor", "floor-manager", "ops-on-call")
POLICY = EscalationPolicy(CHAIN)
ARGUMENTS: dict[str, dict[str, Any]] = {
    "ack": {},
    "snooze": {"minutes": 15},
    "note": {"text": "calling in two agents from tech"},
    "feedback": {"useful": False, "reason": "lunch peak, expected"},
    "escalate": {},
    "resolve": {},
}
EXPECTED_KIND = {
    "ack": TransitionKind.ACKNOWLEDGED,
    "snooze": TransitionKind.SNOOZED,
    "note": TransitionKind.NOTED,
    "escalate": TransitionKind.ESCALATED,
    "resolve": TransitionKind.RESOLVED,
}


def request(action: str, alert_id: str, principal: Principal = SUPERVISOR, **extra: Any) -> ActionRequest:
    arguments = {**ARGUMENTS.get(action, {}), **extra}
    return ActionRequest(action, alert_id, principal, T0, connection_id="conn-1", **arguments)


@pytest.fixture
def store() -> InMemoryAlertStore:
    return InMemoryAlertStore()


@pytest.fixture
def audit() -> InMemoryAuditLog:
    return InMemoryAuditLog()


@pytest.mark.parametrize("action", sorted(ARGUMENTS))
def test_each_action_is_applied_and_audited(
    action: str, store: InMemoryAlertStore, audit: InMemoryAuditLog
) -> None:
    state = open_alert(store)
    alert_id = state.alert_id
    assert alert_id is not None

    outcome = perform(request(action, alert_id), store, audit, POLICY)

    assert outcome.ok, outcome.message
    entries = audit.for_alert(alert_id)
    assert [(e.actor, e.action, e.role, e.connection_id, e.at) for e in entries] == [
        ("ana", action, "supervisor", "conn-1", T0)
    ]
    assert entries[0].details["rule"] == "queue-longest-wait"
    assert entries[0].details["scope"] == "queue:billing"
    if action == "feedback":
        assert outcome.transitions == ()
        assert entries[0].details["useful"] is False
        assert entries[0].details["reason"] == "lunch peak, expected"
        assert store.transitions(state.key, state.version) == []
        return
    stored = store.transitions(state.key, since_version=state.version)
    assert [t.transition for t in stored] == [EXPECTED_KIND[action]]
    pushed = stored[0]
    assert (pushed.actor, pushed.notify, pushed.queue_id, pushed.metric) == (
        "ana",
        True,
        "billing",
        "longest_wait_seconds",
    )
    assert entries[0].details["transition_id"] == pushed.transition_id


def test_state_effects(store: InMemoryAlertStore, audit: InMemoryAuditLog) -> None:
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    perform(request("snooze", alert_id, minutes=30), store, audit)
    perform(request("escalate", alert_id), store, audit, POLICY)
    perform(request("note", alert_id, text="on it"), store, audit)
    state = store.find(alert_id)
    assert state is not None
    assert state.snoozed_until == T0 + timedelta(minutes=30)
    assert state.status is AlertStatus.FIRING


def test_escalate_names_the_level_and_stops_at_the_top(
    store: InMemoryAlertStore, audit: InMemoryAuditLog
) -> None:
    state = open_alert(store)
    alert_id = state.alert_id
    assert alert_id is not None
    notes = []
    for _ in CHAIN:
        outcome = perform(request("escalate", alert_id, principal=MANAGER), store, audit, POLICY)
        notes.append(outcome.transitions[0].note)
    assert notes == list(CHAIN)
    top = perform(request("escalate", alert_id, principal=MANAGER), store, audit, POLICY)
    assert (top.code, top.message) == ("invalid", "the alert is already at the top of the escalation chain")


def test_resolve_closes_the_alert(store: InMemoryAlertStore, audit: InMemoryAuditLog) -> None:
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    perform(request("resolve", alert_id), store, audit)
    state = store.find(alert_id)
    assert state is not None and state.status is AlertStatus.INACTIVE
    again = perform(request("ack", alert_id), store, audit)
    assert (again.code, again.message) == ("invalid", f"alert {alert_id} is no longer firing")


def test_ack_twice_is_ok_but_changes_nothing(store: InMemoryAlertStore, audit: InMemoryAuditLog) -> None:
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    assert perform(request("ack", alert_id), store, audit).changed
    second = perform(request("ack", alert_id, principal=MANAGER), store, audit)
    assert second.ok and not second.changed
    assert second.message == "already acknowledged by ana"
    escalated = perform(request("escalate", alert_id), store, audit, POLICY)
    assert (escalated.code, escalated.message) == ("invalid", "an acknowledged alert does not escalate")


@pytest.mark.parametrize("action", sorted(ARGUMENTS))
def test_agent_is_refused_every_action_and_the_refusal_is_audited(
    action: str, store: InMemoryAlertStore, audit: InMemoryAuditLog
) -> None:
    state = open_alert(
        store, scope="agent:bob", rule_id="agent-on-hold-too-long", queue_id=None, team_id="billing"
    )
    alert_id = state.alert_id
    assert alert_id is not None

    outcome = perform(request(action, alert_id, principal=AGENT), store, audit)

    assert (outcome.code, outcome.message) == (
        "forbidden",
        f"the agent role is read-only: '{action}' is refused",
    )
    assert store.transitions(state.key, state.version) == []
    [entry] = audit.for_alert(alert_id)
    assert (entry.actor, entry.action, entry.details["code"]) == ("bob", f"refused:{action}", "forbidden")


@pytest.mark.parametrize("action", ["snooze", "escalate", "resolve"])
def test_ops_may_not_snooze_escalate_or_resolve(
    action: str, store: InMemoryAlertStore, audit: InMemoryAuditLog
) -> None:
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    outcome = perform(request(action, alert_id, principal=OPS), store, audit, POLICY)
    assert outcome.code == "forbidden"
    assert "ops role may only ack, feedback, note" in outcome.message


def test_supervisor_outside_their_team_is_refused(store: InMemoryAlertStore, audit: InMemoryAuditLog) -> None:
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    outcome = perform(request("ack", alert_id, principal=OTHER_SUPERVISOR), store, audit)
    assert outcome.code == "forbidden"
    assert outcome.message == (
        "tom (supervisor) may not ack this alert: it is outside what you cover (teams: tech; queues: tech)"
    )
    assert "billing" not in outcome.message  # the alert's scope is not revealed


def test_supervisor_acts_on_an_agent_alert_of_their_team(
    store: InMemoryAlertStore, audit: InMemoryAuditLog
) -> None:
    state = open_alert(
        store, scope="agent:zed", rule_id="agent-on-hold-too-long", queue_id=None, team_id="billing"
    )
    assert state.alert_id is not None
    assert perform(request("ack", state.alert_id), store, audit).ok
    refused = perform(request("ack", state.alert_id, principal=OTHER_SUPERVISOR), store, audit)
    assert refused.code == "forbidden"


def test_unknown_alert_is_not_found_and_audited_under_the_user(
    store: InMemoryAlertStore, audit: InMemoryAuditLog
) -> None:
    outcome = perform(request("ack", "nope"), store, audit)
    assert outcome.code == "not_found"
    [entry] = audit.for_user("ana")
    assert (entry.action, entry.alert_id, entry.details["alert_id"]) == ("refused:ack", None, "nope")


@pytest.mark.parametrize(
    ("action", "extra", "message"),
    [
        ("snooze", {"minutes": None}, "snooze needs minutes between 1 and 1440"),
        ("snooze", {"minutes": 0}, "snooze needs minutes between 1 and 1440"),
        ("snooze", {"minutes": 1441}, "snooze needs minutes between 1 and 1440"),
        ("note", {"text": "   "}, "a note needs between 1 and 1000 characters of text"),
        ("feedback", {"useful": None}, "feedback needs useful: true or false"),
    ],
)
def test_unusable_arguments_are_invalid(
    action: str, extra: dict[str, Any], message: str, store: InMemoryAlertStore, audit: InMemoryAuditLog
) -> None:
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    outcome = perform(request(action, alert_id, **extra), store, audit)
    assert (outcome.code, outcome.message) == ("invalid", message)
    assert audit.for_alert(alert_id)[0].action == f"refused:{action}"


def test_note_text_is_redacted(store: InMemoryAlertStore, audit: InMemoryAuditLog) -> None:
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    outcome = perform(request("note", alert_id, text="customer 4111 1111 1111 1111 asked"), store, audit)
    assert outcome.transitions[0].note == "customer [CARD] asked"
    assert audit.for_alert(alert_id)[0].details["text"] == "customer [CARD] asked"


class ConflictingStore(InMemoryAlertStore):
    """Another writer saves first ``conflicts`` times (like a concurrent acknowledgement)."""

    def __init__(self, conflicts: int) -> None:
        super().__init__()
        self.conflicts = conflicts
        self.attempts = 0

    def save(self, previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
        if transitions and transitions[0].actor is not None:
            self.attempts += 1
            if self.conflicts > 0:
                self.conflicts -= 1
                raise AlertConflict(state.key, previous_version)
        super().save(previous_version, state, transitions)


def test_a_conflicting_save_is_retried(audit: InMemoryAuditLog) -> None:
    store = ConflictingStore(conflicts=2)
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    outcome = perform(request("ack", alert_id), store, audit)
    assert outcome.ok and outcome.changed
    assert store.attempts == 3


def test_endless_conflicts_answer_conflict(audit: InMemoryAuditLog) -> None:
    store = ConflictingStore(conflicts=100)
    alert_id = open_alert(store).alert_id
    assert alert_id is not None
    outcome = perform(request("ack", alert_id), store, audit)
    assert outcome.code == "conflict"
    assert store.attempts == MAX_SAVE_ATTEMPTS
    # Each attempt was audited ahead of its save and marked failed when the save lost (write-ahead).
    actions = Counter(entry.action for entry in audit.for_alert(alert_id))
    assert actions == {"ack": MAX_SAVE_ATTEMPTS, "failed:ack": MAX_SAVE_ATTEMPTS, "refused:ack": 1}
