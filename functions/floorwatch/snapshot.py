"""The dashboard snapshot: open alerts a principal may see, and one KPI tile per visible queue.

Answer to ``subscribe`` and ``refresh`` (docs/protocol.md)::

    {"alerts": [{alert_id, rule, scope, severity, status, opened_at, acknowledged, ...}, ...],
     "tiles": [{"scope": "queue:billing", "queue_id": "billing", "metrics": {"service_level":
               {"value": 0.83, "samples": 40, "target": 0.8, "state": "ok"}, ...}}, ...],
     "at": "2026-11-30T09:00:00Z"}

Alerts: the firing alerts among ``AlertStore.active()`` (pending breaches have no alert yet), with the
queue / team / metric / link context of their latest transition, filtered by ``roles.may_see_scope``;
at most MAX_SNAPSHOT_ALERTS of them, the most severe first (``alerts_total`` counts them all).

Tiles: queues are those the principal covers (a supervisor's queues, even without data yet), those of
the visible alerts, and - for principals who see everything - every queue the scope directory has seen
in the last day. Each tile metric is read over its rule's window (15 min when no rule watches it) from
``MetricStore.recent_rows`` with ``metrics.window``; ``state`` is the most severe tier of the queue rule
on that metric the value breaches (``ok`` when none, or when there are fewer samples than the rule's
``min_samples``); ``target`` is the rule's entry tier; ``sla_seconds`` (longest wait) is the queue's
service-level threshold. Agents get their own alerts and no queue tiles.

A tile is judged at the snapshot's instant, or at the queue's newest report when that is ahead of it
(at most TILE_MAX_AHEAD): metrics live in event time, and where event time runs ahead of the server
clock (the demo's simulator plays the center at 10x) windows ending at the wall clock would show the
first minutes of traffic forever (service level 100% on a handful of contacts, empty queues).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from floorwatch.alerts.model import Severity, Transition
from floorwatch.alerts.state_machine import AlertState, AlertStatus
from floorwatch.cards import NO_CARD_SETTINGS, CardSettings, card_rule, clocks, links, rule_fields, where_view
from floorwatch.metrics.catalog import CATALOG
from floorwatch.metrics.fold import DEFAULT_FOLD_CONFIG, FoldConfig
from floorwatch.metrics.model import (
    DEFAULT_BUCKET,
    DEFAULT_WINDOW,
    BucketRow,
    MetricValue,
    ScopeKind,
    scope_key,
)
from floorwatch.metrics.presence import PRESENCE_GAUGES, AgentPresence, agents_by_state
from floorwatch.metrics.window import window_value
from floorwatch.rules.config import Rule, RuleSet, ThresholdRule
from floorwatch.security.roles import Role, allowed_actions, may_see_scope, role_of
from floorwatch.store.alerts_port import AlertStore
from floorwatch.store.baselines_port import ScopeDirectory
from floorwatch.store.connections_port import Principal
from floorwatch.store.metrics_port import MetricStore
from floorwatch.timefmt import iso_utc

# Tile key (what the dashboard shows) -> catalog metric.
TILE_METRICS: tuple[tuple[str, str], ...] = (
    ("service_level", "service_level"),
    ("average_speed_of_answer", "average_speed_of_answer"),
    ("average_handle_time", "average_handle_time"),
    ("abandon_rate", "abandon_rate"),
    ("contacts_in_queue", "contacts_in_queue"),
    ("longest_wait_seconds", "longest_wait_seconds"),
    ("agents_available", "agents_available"),
    ("agents_on_contact", "agents_on_contact"),
    ("agents_after_contact_work", "agents_after_contact_work"),
    ("agents_not_ready", "agents_not_ready"),
    ("agents_online", "agents_online"),
    ("customer_sentiment", "sentiment"),
)
DIRECTORY_LOOKBACK = timedelta(days=1)
TILE_MAX_AHEAD = timedelta(days=1)
MAX_SNAPSHOT_ALERTS = 150
_SEVERITY_RANK = {severity.value: severity.rank for severity in Severity}
OK = "ok"


@dataclass(frozen=True)
class SnapshotSources:
    alerts: AlertStore
    metrics: MetricStore
    rules: RuleSet
    directory: ScopeDirectory | None = None  # None: queues come from alerts and principals only
    fold_config: FoldConfig = DEFAULT_FOLD_CONFIG
    cards: CardSettings = NO_CARD_SETTINGS


class CachedScopeDirectory:
    """Remembers a directory's answer per kind for ``ttl`` of the injected monotonic clock.

    The DynamoDB directory is a Query of the scope registry; dashboards refresh every few seconds, so
    without this every refresh would read it. A queue that starts reporting shows within ``ttl``.
    """

    def __init__(
        self, directory: ScopeDirectory, ttl: timedelta, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._directory = directory
        self._ttl = ttl.total_seconds()
        self._monotonic = monotonic
        self._cache: dict[ScopeKind, tuple[float, list[str]]] = {}

    def scopes_seen(self, kind: ScopeKind, since: datetime, until: datetime) -> list[str]:
        now = self._monotonic()
        cached = self._cache.get(kind)
        if cached is None or now - cached[0] >= self._ttl:
            cached = (now, self._directory.scopes_seen(kind, since, until))
            self._cache[kind] = cached
        return list(cached[1])


def build_snapshot(principal: Principal, at: datetime, sources: SnapshotSources) -> dict[str, Any]:
    active = sources.alerts.active()
    alerts = visible_alerts(principal, active, sources, at)
    queues = visible_queues(principal, active, at, sources)
    rosters: dict[str, list[AgentPresence]] = {}  # center -> its agents' presence, read once per snapshot
    return {
        "you": {"user": principal.user, "role": principal.role, "actions": allowed_actions(principal)},
        "alerts": most_important(alerts, MAX_SNAPSHOT_ALERTS),
        "alerts_total": len(alerts),
        "tiles": [queue_tile(queue, at, sources, rosters) for queue in queues],
        "at": _time_text(at),
    }


def most_important(alerts: Sequence[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """At most ``limit`` alerts, keeping the most severe (then the oldest), in ``alerts``' order.

    An @connections message is limited to 128 KB; an alert takes ~0.5 KB, so a storm of alerts
    could not be posted at all. ``alerts_total`` tells the dashboard how many there are.
    """
    if len(alerts) <= limit:
        return list(alerts)
    ranked = sorted(range(len(alerts)), key=lambda i: (-_SEVERITY_RANK.get(alerts[i]["severity"], 0), i))
    kept = sorted(ranked[:limit])
    return [alerts[i] for i in kept]


def visible_alerts(
    principal: Principal, active: Sequence[AlertState], sources: SnapshotSources, at: datetime | None = None
) -> list[dict[str, Any]]:
    found = []
    for state in active:
        if state.status is not AlertStatus.FIRING or state.alert_id is None:
            continue
        latest = _latest_transition(sources.alerts, state)
        queue_id = latest.queue_id if latest else None
        team_id = latest.team_id if latest else None
        if may_see_scope(principal, state.scope, queue_id, team_id):
            found.append(alert_view(state, latest, sources.rules, at, sources.cards))
    return sorted(found, key=lambda alert: (alert["opened_at"] or "", alert["alert_id"]))


def alert_view(
    state: AlertState,
    latest: Transition | None,
    rules: RuleSet,
    at: datetime | None = None,
    cards: CardSettings = NO_CARD_SETTINGS,
) -> dict[str, Any]:
    """One alert as the dashboard's card shows it (docs/protocol.md); ``at``: the snapshot's instant
    (whether a snooze still runs)."""
    rule = rules.get(state.rule_id)
    adaptive = isinstance(rule, ThresholdRule) and rule.baseline is not None
    if isinstance(rule, ThresholdRule) and state.severity is not None and not adaptive:
        threshold = rule.threshold(state.severity)
    else:
        threshold = latest.threshold if latest else None
    return {**_state_view(state, latest, rule, threshold), **_card_view(state, latest, rules, at, cards)}


def _state_view(
    state: AlertState, latest: Transition | None, rule: Rule | None, threshold: float | None
) -> dict[str, Any]:
    return {
        "alert_id": state.alert_id,
        "rule": state.rule_id,
        "scope": state.scope,
        "severity": state.severity.value if state.severity else None,
        "status": state.status.value,
        "opened_at": _time_or_none(state.opened_at),
        "acknowledged": state.acknowledged,
        "acknowledged_by": state.acknowledged_by,
        "acknowledged_at": _time_or_none(state.acknowledged_at),
        "escalation_level": state.escalation_level,
        "snoozed_until": _time_or_none(state.snoozed_until),
        "flapping": state.flapping,
        # The value dashboards were last told (opening, tier change, live update): what pushes said.
        "value": state.shown_value if state.shown_value is not None else state.last_value,
        "value_at": _time_or_none(state.shown_at or state.last_evaluated_at),
        "worst_value": state.worst_value,
        "threshold": threshold,
        "queue_id": latest.queue_id if latest else None,
        "team_id": latest.team_id if latest else None,
        "metric": (latest.metric if latest else None)
        or (rule.metric if isinstance(rule, ThresholdRule) else None),
        "link": latest.link if latest else None,
        # A baseline rule's threshold moves with the hour: the one its last change applied, and why.
        "basis": latest.basis if latest else None,
        # Incidents: a member names its incident; an incident lists its members and the rule it reports.
        "incident_id": state.incident_id,
        "members": list(state.members),
        "trigger_rule": state.trigger_rule,
        # Missing data keeps the alert's state: since when its window has been empty (None: data).
        "no_data_since": _time_or_none(state.no_data_since),
    }


def _card_view(
    state: AlertState, latest: Transition | None, rules: RuleSet, at: datetime | None, cards: CardSettings
) -> dict[str, Any]:
    """What the card says beyond the state: title, action, where, links, snooze / mute, clocks, history."""
    rule = card_rule(rules, state.rule_id, state.trigger_rule)
    fields = rule_fields(rule, state.rule_id)
    where = where_view(
        state.scope,
        latest.queue_id if latest else None,
        latest.team_id if latest else None,
        latest.where if latest else (),
    )
    found, runbook = links(rule, state.scope, where, latest.link if latest else None, cards)
    snoozed = state.snoozed_until is not None and (at is None or at < state.snoozed_until)
    muted_reason = "snoozed" if snoozed else "flapping" if state.flapping else None
    return {
        **fields,
        "runbook": runbook,
        "where": where,
        "links": found,
        "snoozed": snoozed,
        "snoozed_by": state.snoozed_by if snoozed else None,
        "muted": muted_reason is not None,
        "muted_reason": muted_reason,
        **clocks(state.opened_at, fields),
        "acted": state.acted_at is not None,
        "acted_at": _time_or_none(state.acted_at),
        "acted_by": state.acted_by,
        "acted_how": state.acted_how,
        "history": [entry.to_dict() for entry in state.history],
    }


def visible_queues(
    principal: Principal, active: Sequence[AlertState], at: datetime, sources: SnapshotSources
) -> list[str]:
    """Queues the principal covers, with alerts, or (seeing everything) with recent metric data."""
    role = role_of(principal)
    if role is None or role is Role.AGENT:
        return []
    queues = set(principal.queues)
    queues.update(state.scope.split(":", 1)[1] for state in active if state.scope.startswith("queue:"))
    if sources.directory is not None:
        seen = sources.directory.scopes_seen(ScopeKind.QUEUE, at - DIRECTORY_LOOKBACK, at)
        queues.update(scope.split(":", 1)[1] for scope in seen)
    return sorted(queue for queue in queues if may_see_scope(principal, scope_key(ScopeKind.QUEUE, queue)))


def queue_tile(
    queue_id: str,
    at: datetime,
    sources: SnapshotSources,
    rosters: dict[str, list[AgentPresence]] | None = None,
) -> dict[str, Any]:
    scope = scope_key(ScopeKind.QUEUE, queue_id)
    rules = {key: _tile_rule(sources.rules, scope, metric) for key, metric in TILE_METRICS}
    windows = {key: rule.window if rule else DEFAULT_WINDOW for key, rule in rules.items()}
    buckets = int(max(windows.values()) / DEFAULT_BUCKET) + 1
    rows = sources.metrics.recent_rows(scope, at + TILE_MAX_AHEAD, buckets)
    judged_at = max(at, newest_report(rows) or at)
    metrics: dict[str, dict[str, Any]] = {}
    for key, metric in TILE_METRICS:
        value = window_value(CATALOG[metric], rows, judged_at, windows[key])
        metrics[key] = _tile_metric(value, rules[key])
    metrics["longest_wait_seconds"]["sla_seconds"] = sources.fold_config.sl_threshold(queue_id)
    rosters = {} if rosters is None else rosters
    _agents_from_presence(metrics, queue_id, rows, judged_at, sources=sources, rosters=rosters)
    return {"scope": scope, "queue_id": queue_id, "metrics": metrics}


def _agents_from_presence(
    metrics: dict[str, dict[str, Any]],
    queue_id: str,
    rows: Sequence[BucketRow],
    at: datetime,
    *,
    sources: SnapshotSources,
    rosters: dict[str, list[AgentPresence]],
) -> None:
    """Agents by state counted from agent events when no queue snapshot gives any of them.

    A queue snapshot stays authoritative: when it reports any agent figure, its figures are shown alone
    (counts from two sources would not add up). Otherwise the figures are counted from the presence of
    the agents whose routing profile includes the queue (``metrics.presence``), marked ``"source":
    "agent_events"``. The queue's center (whose agents to read) is the one stamped on its items.
    """
    if any(metrics[name]["value"] is not None for name in PRESENCE_GAUGES):
        return
    center = next((row.center for row in rows if row.center is not None), None)
    if center is None:
        return
    roster = rosters.get(center)
    if roster is None:
        roster = rosters[center] = sources.metrics.presence(center, at)
    counted = agents_by_state(roster, queue_id, at)
    if counted is None:
        return
    for name in PRESENCE_GAUGES:
        agents, reporting = counted[name]
        rule = _tile_rule(sources.rules, scope_key(ScopeKind.QUEUE, queue_id), name)
        metrics[name] = {
            **_tile_metric(MetricValue(float(agents), reporting), rule),
            "source": "agent_events",
        }


def newest_report(rows: Sequence[BucketRow]) -> datetime | None:
    """The newest instant the rows know of: a latest value's stamp or a bucket's start (None: no rows)."""
    stamps = [stamped.at for row in rows for stamped in row.latest.values()]
    return max([*stamps, *(row.bucket for row in rows)], default=None)


def _tile_rule(rules: RuleSet, scope: str, metric: str) -> ThresholdRule | None:
    return next(
        (
            rule
            for rule in rules.threshold_rules(ScopeKind.QUEUE)
            if rule.metric == metric and rule.admits(scope)
        ),
        None,
    )


def _tile_metric(value: MetricValue, rule: ThresholdRule | None) -> dict[str, Any]:
    levels = rule.tiers.levels() if rule else ()
    return {
        "value": value.value,
        "samples": value.samples,
        "target": levels[0][1] if levels else None,
        "state": tier_state(value, rule),
    }


def tier_state(value: MetricValue, rule: ThresholdRule | None) -> str:
    """The most severe tier the value breaches ("ok" when none, no data, or too few samples)."""
    if rule is None or value.value is None or value.samples < rule.min_samples:
        return OK
    breached = [
        severity.value for severity, threshold in rule.tiers.levels() if rule.breaches(value.value, threshold)
    ]
    return breached[-1] if breached else OK


def _latest_transition(alerts: AlertStore, state: AlertState) -> Transition | None:
    latest = alerts.transitions(state.key, since_version=max(0, state.version - 1))
    return latest[-1] if latest else None


def _time_text(instant: datetime) -> str:
    return iso_utc(instant)


def _time_or_none(instant: datetime | None) -> str | None:
    return None if instant is None else _time_text(instant)
