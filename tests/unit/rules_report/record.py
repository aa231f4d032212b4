"""Records the week the rules-report tests read (``recorded/``): events, alert history, audit log.

A center ("lisbon") with two queues, Monday 2026-11-23 to Friday 2026-11-27, one queue snapshot per
queue every 3 minutes in busy hours and every 30 outside them:

- billing peaks every weekday morning (09:00-09:45 UTC) to a longest wait of 150-172 s, a normal peak
  the static 120 s warning pages on; its supervisor (ana) acknowledges each one and marks it "not
  useful" (on the incident card, as the dashboard does), with reasons in varying spellings, one blank;
- billing has a real incident on Thursday afternoon (longest wait to 420 s, 26 waiting): acknowledged
  within seconds and marked useful;
- tech-support has one real incident on Wednesday (240 s), acknowledged, no feedback; and a
  refused acknowledgement by an agent, a snooze and a note, as a real log holds.

The events go through the same engine as ``floorwatch replay`` (1-minute ticks, the production
schedule), and the people's actions through ``floorwatch.alerts.actions.perform`` on the same alert
store, so the history and the audit log are what the deployed system would have recorded.

Regenerate deliberately: ``.venv/bin/python -m tests.unit.rules_report.record``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from floorwatch.alerts.actions import ActionRequest, perform
from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.alerts.state_machine import AlertState
from floorwatch.engine import Engine, transitions_in_time_order
from floorwatch.events.normalize import normalize_document
from floorwatch.metrics.fold import fold
from floorwatch.rules.config import INCIDENT_RULE_ID, RuleSet, load_rules
from floorwatch.store.alerts_dynamodb import DynamoAlertStore
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.audit_dynamodb import DynamoAuditLog
from floorwatch.store.audit_memory import InMemoryAuditLog
from floorwatch.store.audit_port import AuditEntry
from floorwatch.store.connections_port import Principal
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from floorwatch.store.metrics_memory import InMemoryMetricStore

from local.report_sources import read_files

HERE = Path(__file__).parent / "recorded"
RULES = HERE / "rules.yaml"
EVENTS = HERE / "events.jsonl"
ALERTS = HERE / "alerts.jsonl"
AUDIT = HERE / "audit.jsonl"
TICK = timedelta(minutes=1)
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
ANA = Principal("ana", "supervisor", teams=("billing-1",), queues=("billing",))
RAJ = Principal("raj", "supervisor", teams=("tech-1",), queues=("tech-support",))
BOB = Principal("bob", "agent", teams=("tech-1",), queues=("tech-support",))

# Morning peaks of billing: the highest longest wait of each weekday (a normal, busy morning).
MORNING_PEAKS = (172.0, 158.0, 165.0, 150.0, 168.0)
NOT_USEFUL_REASONS = (
    "normal Monday peak",
    "usual morning peak",
    "Usual  morning peak ",
    "",
    "usual morning peak",
)


def _shape(minutes: float, peak: float, length: float) -> float:
    """A smooth rise to ``peak`` at the middle of ``length`` minutes and back (a triangle)."""
    half = length / 2
    return max(0.0, peak * (1 - abs(minutes - half) / half))


def _snapshot(at: datetime, queue: str, waiting: int, longest: float) -> dict[str, Any]:
    return {
        "source": "generic",
        "type": "queue_snapshot",
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "center_id": "lisbon",
        "queue_id": queue,
        "channel": "voice",
        "values": {
            "contacts_in_queue": waiting,
            "longest_wait_seconds": round(longest, 1),
            "agents_available": 3,
        },
    }


@dataclass(frozen=True)
class _Busy:
    queue: str
    start: datetime
    minutes: int
    peak_wait: float
    peak_waiting: int


def _busy_periods() -> list[_Busy]:
    periods = [
        _Busy("billing", MONDAY + timedelta(days=day, hours=9), 45, peak, 9 if day else 12)
        for day, peak in enumerate(MORNING_PEAKS)
    ]
    periods.append(_Busy("billing", MONDAY + timedelta(days=3, hours=14), 48, 420.0, 26))
    periods.append(_Busy("tech-support", MONDAY + timedelta(days=2, hours=11), 36, 240.0, 7))
    return periods


def events() -> list[dict[str, Any]]:
    """Every snapshot of the week, in time order."""
    found: list[dict[str, Any]] = []
    busy = _busy_periods()
    for queue in ("billing", "tech-support"):
        at = MONDAY
        while at < MONDAY + timedelta(days=5):
            period = next((p for p in busy if p.queue == queue and p.start <= at < p.start + _span(p)), None)
            near = any(
                p.queue == queue and p.start - timedelta(hours=1) <= at < p.start + _span(p) for p in busy
            )
            if period is None:
                found.append(_snapshot(at, queue, 1, 20.0))
            else:
                minutes = (at - period.start).total_seconds() / 60
                longest = max(25.0, 60.0 + _shape(minutes, period.peak_wait - 60.0, period.minutes))
                waiting = max(1, round(_shape(minutes, period.peak_waiting, period.minutes)))
                found.append(_snapshot(at, queue, waiting, longest))
            at += timedelta(minutes=3 if near else 30)
    found.sort(key=lambda event: (event["occurred_at"], event["queue_id"]))
    return found


def _span(period: _Busy) -> timedelta:
    return timedelta(minutes=period.minutes)


Act = Callable[[InMemoryAlertStore, InMemoryAuditLog], list[Transition]]


class _People:
    """What the supervisors do when an incident pages or opens: scheduled actions, run in time order."""

    def __init__(self) -> None:
        self.due: list[tuple[datetime, Act]] = []
        self._mornings = 0

    def saw(self, transition: Transition) -> None:
        if transition.rule != INCIDENT_RULE_ID or transition.transition is not TransitionKind.OPENED:
            return
        at, alert_id = transition.at, transition.alert_id
        if transition.scope == "queue:billing" and at.hour < 12:
            reason = NOT_USEFUL_REASONS[self._mornings % len(NOT_USEFUL_REASONS)]
            self._mornings += 1
            self._plan(at + timedelta(seconds=70 + 25 * self._mornings), "ack", alert_id, ANA)
            if self._mornings == 2:
                self._plan(at + timedelta(minutes=2), "snooze", alert_id, ANA, minutes=15)
            self._plan(at + timedelta(minutes=4), "feedback", alert_id, ANA, useful=False, reason=reason)
        elif transition.scope == "queue:billing":
            self._plan(at + timedelta(seconds=25), "ack", alert_id, ANA)
            self._plan(at + timedelta(minutes=3), "note", alert_id, ANA, text="two agents called in")
            self._plan(
                at + timedelta(minutes=30), "feedback", alert_id, ANA, useful=True, reason="real backlog"
            )
        elif transition.scope == "queue:tech-support":
            self._plan(at + timedelta(seconds=20), "ack", alert_id, BOB)  # refused: agents are read-only
            self._plan(at + timedelta(seconds=95), "ack", alert_id, RAJ)

    def _plan(self, at: datetime, action: str, alert_id: str, who: Principal, **fields: Any) -> None:
        request = ActionRequest(action, alert_id, who, at, connection_id=f"conn-{who.user}", **fields)

        def act(alerts: InMemoryAlertStore, audit: InMemoryAuditLog) -> list[Transition]:
            return list(perform(request, alerts, audit).transitions)

        self.due.append((at, act))
        self.due.sort(key=lambda item: item[0])

    def until(
        self, instant: datetime, alerts: InMemoryAlertStore, audit: InMemoryAuditLog
    ) -> list[Transition]:
        done: list[Transition] = []
        while self.due and self.due[0][0] <= instant:
            _, act = self.due.pop(0)
            done += act(alerts, audit)
        return done


def record(rules: RuleSet) -> tuple[list[dict[str, Any]], list[Transition], list[AuditEntry]]:
    """The week's events, and the transitions and audit entries the system records from them."""
    payloads = events()
    alerts, audit = InMemoryAlertStore(), InMemoryAuditLog()
    engine = Engine(rules, InMemoryMetricStore(), alerts)
    people = _People()
    recorded: list[Transition] = []
    next_tick: datetime | None = None
    for payload in payloads:
        (event,) = normalize_document(payload).events
        if next_tick is None:
            next_tick = event.occurred_at.replace(second=0, microsecond=0) + TICK
        while next_tick < event.occurred_at:  # as `floorwatch replay` ticks, people act in between
            recorded += _seen(people, people.until(next_tick, alerts, audit))
            recorded += _seen(people, engine.tick(next_tick))
            next_tick += TICK
        recorded += _seen(people, people.until(event.occurred_at, alerts, audit))
        recorded += _seen(people, engine.process("replay", [event], now=event.occurred_at))
    return payloads, transitions_in_time_order(recorded), audit.entries()


def _seen(people: _People, transitions: list[Transition]) -> list[Transition]:
    for transition in transitions:
        people.saw(transition)
    return transitions


def _lines(items: Iterator[dict[str, Any]]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n" for item in items)


def audit_line(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as plain JSON (what `floorwatch rules report --audit` reads)."""
    return {
        "at": entry.at.isoformat().replace("+00:00", "Z"),
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "alert_id": entry.alert_id,
        "connection_id": entry.connection_id,
        "details": dict(entry.details),
        "entry_id": entry.entry_id,
    }


def store_recorded_week(
    client: Any, audit_table: str, alerts_table: str, metrics: tuple[str, list[dict[str, Any]]] | None = None
) -> None:
    """Put the recorded week into DynamoDB tables as the deployed functions store it: each transition
    saved through the alert store (one save per version, as the engine writes them), each audit entry
    appended through the audit log, and (``metrics``: a table and some of the week's events) those
    events folded into the metric store (a few: moto copies the table at every transaction)."""
    if metrics is not None:
        table, payloads = metrics
        store = DynamoMetricStore(client, table, retention=timedelta(days=3660))
        cx_events = [event for payload in payloads for event in normalize_document(payload).events]
        store.apply("shard-0", cx_events, fold(cx_events))
    history = read_files(str(AUDIT), str(ALERTS))
    alerts = DynamoAlertStore(client, alerts_table)
    by_key: dict[tuple[str, str], list[Transition]] = defaultdict(list)
    for transition in history.transitions:
        by_key[(transition.rule, transition.scope)].append(transition)
    for (rule, scope), transitions in by_key.items():
        for transition in sorted(transitions, key=lambda item: item.version):
            state = AlertState(rule_id=rule, scope=scope, version=transition.version)
            alerts.save(transition.version - 1, state, [transition])
    audit = DynamoAuditLog(client, audit_table)
    for entry in history.audit:
        audit.append(entry)


def main() -> None:
    payloads, transitions, audit = record(load_rules(RULES))
    EVENTS.write_text(_lines(iter(payloads)), encoding="utf-8")
    ALERTS.write_text(_lines(transition.to_dict() for transition in transitions), encoding="utf-8")
    AUDIT.write_text(_lines(audit_line(entry) for entry in audit), encoding="utf-8")
    print(f"{len(payloads)} events, {len(transitions)} transitions, {len(audit)} audit entries in {HERE}")


if __name__ == "__main__":
    main()
