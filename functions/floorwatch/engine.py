"""The evaluation engine: CxEvent batches and clock ticks in, alert transitions out.

One orchestration for the evaluate Lambda, ``floorwatch replay`` and the local runtime; only the ports
differ (metric store, alert store, optional baselines).

``process(partition, events)`` — one batch of one Kinesis shard:

1. ``filter_new`` drops events this shard already applied; the rest are folded into per-(scope, bucket)
   deltas and applied in one ``apply`` (DynamoDB: one transaction, one write per touched item);
2. every threshold rule of every scope the batch touches, whose metric derives from a field the batch
   moved, is evaluated at the batch's newest event time (one read of the scope's recent buckets serves
   all its rules; a rule whose inputs did not move changed only with time, the ticks' business); match
   rules see each event;
3. changed states are saved with their transitions through ``AlertStore.save``; a conflict (another
   writer got there first) reloads that state and recomputes, a bounded number of times.

Idempotent by construction: a re-delivered batch applies no metric twice (the store's ledger), and the
evaluations it repeats land at the same event time, which the state machine treats as already seen —
so a batch that failed half-way and is retried converges to the state a clean run reaches.

``tick(at)`` — time passing: every active state (pending, firing, flapping, snoozed) is evaluated
(``for`` timers, match rules' ``resolve_after``, flapping recovery), and so is every feed scope of every
staleness rule, since a feed that went quiet produces no event to be evaluated after, and every agent
on the watch list whose time in a watched state may now breach (see ``store.watches``). Staleness is
judged at ``at``; the rest at most ``max_lag`` past the newest event seen, so a backlog does not look
like silence.

Writes: a state is saved only when it produced a transition or changed in a way that matters (status,
pending timer, flapping, snooze, acknowledgement...); an evaluation that merely confirms "all fine" writes
nothing, which keeps the evaluator's DynamoDB writes to the metric items of the batch.

Transition context: ``queue_id`` / ``team_id`` come from the scope itself (queue, team) or the last
events seen for it (agent, contact); when this process has not seen any (a cold Lambda ticking an agent's
alert) the previous transition of the same alert supplies them. ``metric`` is the rule's metric and
``link`` its rendered ``join_url``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal

from floorwatch.alerts import live
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.alerts.state_machine import (
    AlertState,
    AlertStatus,
    Result,
    evaluate_match,
    evaluate_threshold,
    judged_value,
    no_data,
    resolve_without_data,
    tick_match,
)
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.incident_grouping import IncidentGrouper
from floorwatch.metrics import presence
from floorwatch.metrics.catalog import CATALOG, LAST_SEEN, MetricDef, MetricKind
from floorwatch.metrics.fold import DEFAULT_FOLD_CONFIG, FoldConfig, fold
from floorwatch.metrics.model import DEFAULT_WINDOW, BucketRow, MetricValue, ScopeKind, Stamped
from floorwatch.metrics.window import NO_VALUE, stored_agent_state_at, window_value
from floorwatch.rules.baselines import Thresholds, scope_center, thresholds, with_tiers
from floorwatch.rules.config import (
    INCIDENT_RULE_ID,
    Comparison,
    Direction,
    MatchRule,
    Rule,
    RuleSet,
    ThresholdRule,
    render_link,
)
from floorwatch.store.alerts_common import is_active
from floorwatch.store.alerts_port import AlertConflict, AlertKey, AlertStore
from floorwatch.store.baselines_port import BaselineLookup
from floorwatch.store.metrics_port import MetricStore
from floorwatch.store.watches import InMemoryWatchList, Watch, Watched, WatchList

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_FACTS_CAPACITY = 200_000
MAX_CLOCK_SKEW = timedelta(minutes=5)
DEFAULT_MAX_LAG = timedelta(minutes=5)
"""How far past the newest event a tick judges anything but staleness (see ``Engine.tick``)."""
STATE_ROWS_FLOOR = 15
"""Rows read for agent-state durations at least: the state's stamp may sit a few buckets behind the newest
row when other events (sentiment, contact ends) touched the agent since."""
_NOT_IN_STATE = MetricValue(0.0, 1)
"""An agent's duration in a state it is not in (one shared value: thousands a batch)."""

Step = Callable[[AlertState], Result]


class AlertRetriesExhausted(RuntimeError):
    """A state kept conflicting with other writers; the caller fails the batch so it is retried."""


@dataclass(frozen=True, slots=True)
class ScopeFacts:
    """What the engine knows about a scope's whereabouts (for routing, filters and links)."""

    center_id: str | None = None
    queue_id: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    contact_id: str | None = None


class _Mixed(Enum):
    """A (rule, scope)'s steps do not agree on one tier, or include a step of another kind."""

    MIXED = "mixed"


_MIXED = _Mixed.MIXED
Verdict = Severity | None | Literal[_Mixed.MIXED]


class _Work:
    """The steps planned for one (rule, scope) in one round (a plain class: thousands per batch).

    ``verdict``: the most severe tier its threshold evaluations breach (None: none) when they all agree
    and no step of another kind is planned; ``_MIXED`` otherwise. It lets the commit skip the state machine
    where it cannot change anything: a dormant state that nothing breaches, a firing alert whose own tier
    is breached again (the common cases: most scopes are fine most of the time, and an alert stays put
    for many evaluations).
    """

    __slots__ = ("correlation_id", "rule", "steps", "verdict")

    def __init__(self, rule: Rule, step: Step, verdict: Verdict) -> None:
        self.rule = rule
        self.steps = [step]
        self.verdict = verdict
        self.correlation_id: str | None = None  # the raw record its transitions name (Transition doc)

    def needless_for(self, state: AlertState | None) -> bool:
        verdict = self.verdict
        if verdict is None:
            return state is None or _dormant(state)
        if verdict is _MIXED:
            return False
        return (
            state is not None
            and state.status is AlertStatus.FIRING
            and state.severity is verdict
            and not state.flapping
        )


class _Prepared:
    """A threshold rule with what each evaluation of it needs, worked out once: planning runs per rule
    and touched scope, thousands of times a batch."""

    __slots__ = (
        "definition",
        "filtered",
        "guards",
        "inputs",
        "levels",
        "row_limit",
        "rule",
        "sparse",
        "static",
    )

    def __init__(self, rule: ThresholdRule, *, row_limit: int, adaptive: bool) -> None:
        self.rule = rule
        self.definition = CATALOG[rule.metric]
        self.sparse = rule.sparse_window is not None
        self.guards = (
            tuple((CATALOG[name], comparison) for name, comparison in rule.only_if.items())
            if rule.only_if
            else None
        )
        # The stored fields its value moves with. A silence is never judged on a batch (an event just
        # ended it): ticks judge it, and resolve it at the next tick once the scope speaks again.
        silence = self.definition.kind is MetricKind.SILENCE
        self.inputs = frozenset(() if silence else self.definition.derived_from)
        self.levels = rule.tiers.levels()
        self.filtered = bool(rule.filters())
        self.row_limit = row_limit  # rows read for the scope: enough for every rule of its kind
        self.static = not (adaptive and rule.baseline is not None)  # tiers never adapted


@dataclass
class _Plan:
    """One evaluation round at one instant: the steps per (rule, scope), and the reads they share."""

    at: datetime
    work: dict[AlertKey, _Work] = field(default_factory=dict)
    rows: dict[str, list[BucketRow]] = field(default_factory=dict)
    states: dict[str, Stamped | None] = field(default_factory=dict)  # agent state per scope, at ``at``

    def add(self, rule: Rule, key: AlertKey, step: Step, verdict: Verdict = _MIXED) -> None:
        item = self.work.get(key)
        if item is None:
            self.work[key] = _Work(rule, step, verdict)
            return
        item.steps.append(step)
        if verdict is not item.verdict:
            item.verdict = _MIXED


class Engine:
    def __init__(
        self,
        rules: RuleSet,
        metric_store: MetricStore,
        alert_store: AlertStore,
        *,
        fold_config: FoldConfig = DEFAULT_FOLD_CONFIG,
        baselines: BaselineLookup | None = None,
        watches: WatchList | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        facts_capacity: int = DEFAULT_FACTS_CAPACITY,
        max_lag: timedelta = DEFAULT_MAX_LAG,
        live_policy: live.LivePolicy | None = None,
    ) -> None:
        self.rules = rules
        self._live = live_policy  # None: firing alerts' values are not published between transitions
        self._metrics = metric_store
        self._alerts = alert_store
        self._incidents = IncidentGrouper(rules, alert_store, max_attempts)
        self._fold_config = fold_config
        self._baselines = baselines
        self._max_attempts = max_attempts
        self._max_lag = max_lag
        self._facts_capacity = facts_capacity
        self._facts: dict[str, ScopeFacts] = {}
        # Kept beside the facts for the ticks' silence checks (scanning every agent's and contact's facts
        # each tick was a tenth of a tick): the queue scopes among them in the facts' order, and how many
        # facts name each center.
        self._queue_scopes: dict[str, None] = {}
        self._center_counts: dict[str, int] = {}
        # Queue id -> display name (labels.queue_name): rules may name a queue either way.
        self._queue_names: dict[str, str] = {}
        # Agent id -> the platform's user name (labels.username / agent_name), for the dashboard's cards.
        self._agent_names: dict[str, str] = {}
        self._unsaved: dict[AlertKey, tuple[AlertState, AlertState]] = {}  # (stored, progressed) pending
        self._watches: WatchList = watches if watches is not None else InMemoryWatchList()
        self._watched: dict[str, Watched] | None = None  # per partition, loaded on first use
        self._threshold_by_kind: dict[str, tuple[_Prepared, ...]] = {}
        for kind in ScopeKind:
            found = rules.threshold_rules(kind)
            limit = self._row_limit(found)
            self._threshold_by_kind[kind.value] = tuple(
                _Prepared(rule, row_limit=limit, adaptive=baselines is not None) for rule in found
            )
        self._prepared = {
            entry.rule.id: entry for entries in self._threshold_by_kind.values() for entry in entries
        }
        self._match_by_type: dict[EventType, tuple[MatchRule, ...]] = {
            kind: tuple(rule for rule in rules.match_rules() if kind in rule.match.types)
            for kind in EventType
        }
        # Agent states whose duration a rule watches, and how long an agent may stay in each before the
        # least severe tier can breach: an agent entering one is put on the watch list, due then.
        self._watch_after: dict[str, dict[str, timedelta]] = {}
        for rule in rules.threshold_rules():
            definition = CATALOG[rule.metric]
            if definition.kind is MetricKind.DURATION_IN_STATE and definition.state:
                grace = _earliest_breach(rule)
                per_state = self._watch_after.setdefault(rule.scope.value, {})
                per_state[definition.state] = min(grace, per_state.get(definition.state, grace))

    # --- public ----------------------------------------------------------------------------------
    def process(
        self, partition: str, events: Sequence[CxEvent], now: datetime | None = None
    ) -> list[Transition]:
        """Apply one batch (shard ``partition``) and evaluate what it touched; returns new transitions.

        ``now`` (the Lambda's clock; None in replays): the batch is evaluated at its newest event time, but
        never more than ``MAX_CLOCK_SKEW`` past ``now`` — one event from a platform with a wrong clock
        must not move alert states into the future, where every real event would then be "late".
        """
        if not events:
            return []
        events = self._with_contact_queues(events)
        fresh = self._metrics.filter_new(partition, events)
        deltas = fold(fresh, self._fold_config) if fresh else {}
        if fresh:
            self._metrics.apply(partition, fresh, deltas)
        # A retried batch (some or all events already applied) is evaluated as a whole again, so an
        # evaluation lost to a failure after the metric write still happens.
        touched = deltas if len(fresh) == len(events) else fold(events, self._fold_config)
        self._learn(events)
        newest = max(event.occurred_at for event in events)
        plan = _Plan(newest if now is None else min(newest, now + MAX_CLOCK_SKEW))
        changed: dict[str, set[str]] = {}
        for key, delta in touched.items():
            fields_of_scope = changed.get(key.scope)
            if fields_of_scope is None:
                fields_of_scope = changed[key.scope] = set()
            fields_of_scope.update(delta.adds)
            fields_of_scope.update(delta.latest)
        for scope, fields_of_scope in changed.items():
            self._plan_thresholds(plan, scope, fields_of_scope)
        self._plan_matches(plan, events, now)
        _trace(plan, events)
        transitions = self._commit(plan.work, {})
        self._update_watch_list(partition, plan)
        return transitions

    def _with_contact_queues(self, events: Sequence[CxEvent]) -> Sequence[CxEvent]:
        """Queue-less sentiment (Contact Lens) given the queue its contact is in: from this batch's own
        events, else from the metric store's memory (``metrics.presence``)."""
        wanted = {event.contact_id for event in events if presence.needs_contact_queue(event)}
        if not wanted:
            return events
        known = presence.contact_queues_of(events)
        missing = {contact_id for contact_id in wanted if contact_id is not None and contact_id not in known}
        if missing:
            newest = max(event.occurred_at for event in events)
            known.update(self._metrics.contact_queues(missing, newest))
        return presence.with_contact_queues(events, known)

    def tick(self, at: datetime, correlation_id: str | None = None) -> list[Transition]:
        """Time passes: evaluate every active state, every feed's staleness and due watched agents.

        Staleness is judged at ``at`` (it exists to notice silence). Everything else is judged at most
        ``max_lag`` past the newest event any feed delivered: when the pipeline runs behind (a Kinesis
        backlog), a wall-clock tick must not find windows empty that are merely not processed yet, and
        resolve or time out alerts on data that is still coming. ``correlation_id`` (the tick's event id)
        names what caused the transitions of this round.
        """
        feeds = _Plan(at)
        for source in Source:
            self._plan_thresholds(feeds, f"feed:{source.value}")
        newest = self._newest_event(feeds)
        plan = _Plan(at if newest is None else min(at, newest + self._max_lag))
        active = {state.key: state for state in self._alerts.active()}
        incidents = [active.pop(key) for key in [key for key in active if key[0] == INCIDENT_RULE_ID]]
        for key, state in active.items():
            rule = self.rules.get(state.rule_id)
            if isinstance(rule, ThresholdRule):
                entry = self._prepared[rule.id]
                at_tick_time = rule.scope is ScopeKind.FEED or (
                    rule.scope is ScopeKind.CENTER and entry.definition.kind is MetricKind.SILENCE
                )
                self._plan_threshold(feeds if at_tick_time else plan, entry, key)
            elif isinstance(rule, MatchRule):
                plan.add(rule, key, _match_tick(rule, plan.at))
            # A rule removed from the file: its states stay as they were (and stop being evaluated).
        self._plan_silences(plan, feeds)
        self._watched = self._watches.watched()
        due = {
            scope: watch
            for watched in self._watched.values()
            for scope, watch in watched.items()
            if watch.due <= plan.at
        }
        for scope in sorted(due):
            if scope not in self._facts:  # seen by another process: where the agent works
                self._remember(scope, None, due[scope].queue_id, team_id=due[scope].team_id)
            self._plan_thresholds(plan, scope)
        work = {**plan.work, **feeds.work}
        for item in work.values():
            item.correlation_id = correlation_id
        recorded = self._commit(work, active)
        # Incidents after their members: a member that resolved in this round lets its incident close.
        for incident in incidents:
            current = self._alerts.load([incident.key]).get(incident.key, incident) if recorded else incident
            recorded += self._incidents.tick(current, plan.at, correlation_id)
        return recorded

    def _newest_event(self, feeds: _Plan) -> datetime | None:
        """The newest event time any feed delivered up to the plan's instant (None: nothing yet)."""
        newest: datetime | None = None
        for source in Source:
            scope = f"feed:{source.value}"
            rows = feeds.rows.get(scope)
            if rows is None:
                rows = feeds.rows[scope] = self._metrics.recent_rows(scope, feeds.at, 1)
            for row in rows:
                stamped = row.latest.get(LAST_SEEN)
                if stamped is not None and stamped.at <= feeds.at and (newest is None or stamped.at > newest):
                    newest = stamped.at
        return newest

    def facts(self, scope: str) -> ScopeFacts:
        """The scope's whereabouts: from the scope itself, completed by the last events seen for it."""
        kind, _, ident = scope.partition(":")
        learned = self._facts.get(scope)
        if kind == "queue":
            return ScopeFacts(center_id=learned.center_id if learned else None, queue_id=ident)
        if kind == "team":
            return ScopeFacts(center_id=learned.center_id if learned else None, team_id=ident)
        if kind == "center":
            return ScopeFacts(center_id=ident)
        return learned or ScopeFacts()

    # --- planning ----------------------------------------------------------------------------------
    def _plan_thresholds(self, plan: _Plan, scope: str, changed: set[str] | None = None) -> None:
        """Plan the scope's threshold rules; with ``changed`` (stored fields a batch moved), only the rules
        whose metric derives from one of them: the others' values moved only with time, which is what
        ticks are for."""
        work = plan.work
        for entry in self._threshold_by_kind.get(scope.partition(":")[0], ()):
            if changed is not None and entry.inputs.isdisjoint(changed):
                continue
            key = (entry.rule.id, scope)
            if key not in work:
                self._plan_threshold(plan, entry, key)

    def _plan_silences(self, plan: _Plan, feeds: _Plan) -> None:
        """Queues and centers this process has seen: has one gone quiet against its own cadence? (An
        event ends a silence, so only ticks can notice one.) A center is judged at the tick's own time,
        like feeds: its silence is the pipeline's, which no newest event can bound. A queue seen only by
        another process is judged there, or here once it has an active alert."""
        queues = list(self._queue_scopes)
        centers = sorted(self._center_counts)
        for kind, scopes, target in (
            (ScopeKind.QUEUE, queues, plan),
            (ScopeKind.CENTER, [f"center:{ident}" for ident in centers], feeds),
        ):
            entries = [
                entry
                for entry in self._threshold_by_kind.get(kind.value, ())
                if entry.definition.kind is MetricKind.SILENCE
            ]
            for scope in scopes if entries else ():
                for entry in entries:
                    key = (entry.rule.id, scope)
                    if key not in target.work:
                        self._plan_threshold(target, entry, key)

    def _update_watch_list(self, partition: str, plan: _Plan) -> None:
        """Scopes whose duration-in-state grows are ticked until they leave the state (see store.watches)."""
        if not self._watch_after:
            return
        if self._watched is None:
            self._watched = self._watches.watched()
        before = self._watched.get(partition, {})
        after = dict(before)
        for scope, rows in plan.rows.items():
            grace = self._watch_after.get(scope.partition(":")[0])
            if grace is None:
                continue
            state = plan.states[scope] if scope in plan.states else stored_agent_state_at(rows, plan.at)
            after.pop(scope, None)
            if state is not None and isinstance(state.value, str) and state.value in grace:
                facts = self.facts(scope)
                after[scope] = Watch(state.at + grace[state.value], facts.queue_id, facts.team_id)
        if after != before:
            self._watches.set_watched(partition, after)
            self._watched[partition] = after

    def _plan_threshold(self, plan: _Plan, entry: _Prepared, key: AlertKey) -> None:
        rule, scope = entry.rule, key[1]
        if entry.filtered and not self._admits(rule, scope):
            return
        at = plan.at
        rows = plan.rows.get(scope)
        if rows is None:
            rows = plan.rows[scope] = self._metrics.recent_rows(scope, at, entry.row_limit)
        value = self._value(plan, entry, scope, rows)
        if entry.sparse and value.samples < rule.min_samples and rule.sparse_window is not None:
            # A quiet queue: judge it over the longer window rather than not at all.
            value = window_value(entry.definition, rows, at, rule.sparse_window)
        eligible = entry.guards is None or self._guards_hold(entry.guards, rows, at)
        applied = None if entry.static else self._thresholds(rule, scope, at, rows)
        effective = rule if applied is None else with_tiers(rule, applied.tiers)
        levels = entry.levels if effective is rule else effective.tiers.levels()
        verdict = _breached(effective, value, levels) if eligible else None
        plan.add(rule, key, _ThresholdStep(effective, value, at, eligible, applied), verdict)

    @staticmethod
    def _guards_hold(
        guards: Sequence[tuple[MetricDef, Comparison]], rows: Sequence[BucketRow], at: datetime
    ) -> bool:
        """The rule's ``only_if`` conditions, on the same rows (over the default window)."""
        for definition, comparison in guards:
            guard = window_value(definition, rows, at, DEFAULT_WINDOW)
            if guard.value is None or not comparison.holds(guard.value):
                return False
        return True

    def _value(self, plan: _Plan, entry: _Prepared, scope: str, rows: Sequence[BucketRow]) -> MetricValue:
        definition = entry.definition
        if definition.kind is not MetricKind.DURATION_IN_STATE:
            return window_value(definition, rows, plan.at, entry.rule.window)
        # An agent's three duration rules share one look for the agent's state (window_value's semantics).
        states = plan.states
        if scope in states:
            state = states[scope]
        else:
            state = states[scope] = stored_agent_state_at(rows, plan.at)
        if state is None:
            return NO_VALUE
        if state.value != definition.state:
            return _NOT_IN_STATE
        return MetricValue(max(0.0, (plan.at - state.at).total_seconds()), 1)

    def _plan_matches(self, plan: _Plan, events: Sequence[CxEvent], now: datetime | None = None) -> None:
        by_type = self._match_by_type
        candidates = [event for event in events if by_type[event.type]]
        for event in sorted(candidates, key=lambda item: item.occurred_at):
            for rule in by_type[event.type]:
                if rule.matches(event, now):
                    scope = rule.scope_of(event)
                    if scope is not None:
                        # A late-data rule reports the arrival: it opens now, not when the event happened.
                        at = now if rule.match.late_by is not None else None
                        latest = None if now is None else now + MAX_CLOCK_SKEW
                        plan.add(rule, (rule.id, scope), _match_step(rule, event, at, latest))
                        # In time order: the newest matching event names the raw record.
                        plan.work[(rule.id, scope)].correlation_id = event.correlation_id

    def _thresholds(
        self, rule: ThresholdRule, scope: str, at: datetime, rows: Sequence[BucketRow]
    ) -> Thresholds | None:
        """The tiers a baseline rule applies at ``at`` (None: a static rule, or no baselines at all)."""
        if rule.baseline is None or self._baselines is None:
            return None
        # The slot is an hour of the scope's center's clock, the center found as the learner finds it.
        zone = self.rules.zone_of(scope_center(scope, rows))
        return thresholds(rule, self._baselines.lookup(scope, rule.metric, at, zone))

    def _admits(self, rule: ThresholdRule, scope: str) -> bool:
        facts = self.facts(scope)
        return rule.admits(
            scope,
            queue_name=self._queue_names.get(facts.queue_id) if facts.queue_id else None,
            center_id=facts.center_id,
            queue_id=facts.queue_id,
            team_id=facts.team_id,
            agent_id=facts.agent_id,
        )

    def _row_limit(self, rules: Sequence[ThresholdRule]) -> int:
        if not rules:
            return 0
        bucket = self._fold_config.bucket.total_seconds()

        def rows_for(rule: ThresholdRule) -> int:
            kind = CATALOG[rule.metric].kind
            if kind is MetricKind.STALENESS:
                return 1  # the newest row holds the feed's newest event
            longest = max(
                rule.window,
                rule.sparse_window or rule.window,
                DEFAULT_WINDOW if rule.only_if else rule.window,
            )
            buckets = math.ceil(longest.total_seconds() / bucket)
            return max(buckets, STATE_ROWS_FLOOR) if kind is MetricKind.DURATION_IN_STATE else buckets

        return max(rows_for(rule) for rule in rules)

    # --- saving ------------------------------------------------------------------------------------
    def _commit(
        self, work: Mapping[AlertKey, _Work], preloaded: Mapping[AlertKey, AlertState]
    ) -> list[Transition]:
        if not work:
            return []
        missing = [key for key in work if key not in preloaded] if preloaded else list(work)
        stored = {**preloaded, **(self._alerts.load(missing) if missing else {})}
        recorded: list[Transition] = []
        for key, item in work.items():
            state = stored.get(key)
            if state is None and item.verdict is None:
                continue  # never alerted, nothing breached: most (rule, scope)s, most of the time
            if not item.needless_for(state) or self._live_due(item, state):
                recorded += self._settle(key, item, state)
        return recorded

    def _settle(self, key: AlertKey, item: _Work, stored: AlertState | None) -> list[Transition]:
        for _ in range(self._max_attempts):
            before = stored if stored is not None else AlertState.initial(*key)
            state, transitions = self._progress_on(key, before), []
            for step in item.steps:
                state, more = step(state)
                transitions += more
            state, transitions = self._live_values(item, before, state, transitions)
            if not transitions and not _worth_saving(before, state):
                self._remember_progress(key, before, state)
                return []
            transitions = self._with_context(item.rule, before, transitions, item.correlation_id)
            state, grouped = self._incidents.assign(state, transitions, self.facts(key[1]).center_id)
            transitions = [transition for transition, _ in grouped]
            try:
                self._alerts.save(before.version, state, transitions)
            except AlertConflict:
                stored = self._alerts.load([key]).get(key)
                continue
            self._unsaved.pop(key, None)
            return transitions + self._incidents.update(grouped)
        raise AlertRetriesExhausted(
            f"alert state {key[0]} / {key[1]} kept changing under us ({self._max_attempts} attempts)"
        )

    # --- live values (floorwatch.alerts.live: the supervisor's screen) ---------------------------------
    def _live_due(self, item: _Work, state: AlertState | None) -> bool:
        step = item.steps[-1]
        if self._live is None or not isinstance(step, _ThresholdStep):
            return False
        return live.due(self._live, step.rule, state, step.value.value, step.at)

    def _live_values(
        self, item: _Work, before: AlertState, state: AlertState, transitions: list[Transition]
    ) -> tuple[AlertState, list[Transition]]:
        """Remember the value the transitions published; with no transition, publish it if it is due.

        A published value is stored with the evaluation time and value the state had (what the engine
        stores without live values, see ``_worth_saving``): publishing must not change which later
        evaluations count as late, or a late batch could no longer move the alert.
        """
        step = item.steps[-1]
        if not isinstance(step, _ThresholdStep):
            return state, transitions
        state = live.track(step.rule, state, transitions)
        if transitions or self._live is None:
            return state, transitions
        state, published = live.update(self._live, step.rule, state, step.at)
        if not published:
            return state, transitions
        return replace(
            state, last_evaluated_at=before.last_evaluated_at, last_value=before.last_value
        ), published

    def _progress_on(self, key: AlertKey, stored: AlertState) -> AlertState:
        """The pending progress this process computed but did not write (see ``_worth_saving``), as long as
        nobody wrote the state since; else the stored state (another process then simply counts the
        breach from the stored progress on, which can only open the alert later, never earlier)."""
        unsaved = self._unsaved.get(key)
        if unsaved is not None and unsaved[0] == stored:
            return unsaved[1]
        return stored

    def _remember_progress(self, key: AlertKey, stored: AlertState, state: AlertState) -> None:
        if state.status is AlertStatus.PENDING and state != stored:
            self._unsaved[key] = (stored, state)
        else:
            self._unsaved.pop(key, None)

    def _with_context(
        self, rule: Rule, before: AlertState, transitions: list[Transition], correlation_id: str | None
    ) -> list[Transition]:
        if not transitions:
            return transitions
        scope = before.scope
        facts = self.facts(scope)
        previous: Transition | None = None
        if facts.queue_id is None and facts.team_id is None and before.version > 0:
            # Nothing seen for this scope in this process (a cold start ticking an agent's alert).
            earlier = self._alerts.transitions(before.key, since_version=before.version - 1)
            previous = earlier[-1] if earlier else None
        queue_id = facts.queue_id or (previous.queue_id if previous else None)
        team_id = facts.team_id or (previous.team_id if previous else None)
        link = render_link(
            rule.join_url,
            scope,
            rule.id,
            center_id=facts.center_id,
            queue_id=queue_id,
            team_id=team_id,
            agent_id=facts.agent_id,
            contact_id=facts.contact_id,
        )
        if link is None and previous is not None:
            link = previous.link
        metric = rule.metric if isinstance(rule, ThresholdRule) else None
        where = self._where(scope, facts, queue_id) or (previous.where if previous else ())
        return [
            replace(
                transition,
                queue_id=queue_id,
                team_id=team_id,
                metric=metric,
                link=link,
                correlation_id=correlation_id,
                where=where,
            )
            for transition in transitions
        ]

    def _where(self, scope: str, facts: ScopeFacts, queue_id: str | None) -> tuple[tuple[str, str], ...]:
        """Where the alert is, by name where the platform gave one (the dashboard's card says it)."""
        agent_id = facts.agent_id or (scope[6:] if scope.startswith("agent:") else None)
        known = (
            ("queue_name", self._queue_names.get(queue_id) if queue_id else None),
            ("agent_id", agent_id),
            ("agent_name", self._agent_names.get(agent_id) if agent_id else None),
            ("contact_id", facts.contact_id),
            ("center_id", facts.center_id),
        )
        return tuple((name, value) for name, value in known if value)

    # --- facts ------------------------------------------------------------------------------------
    def _learn(self, events: Iterable[CxEvent]) -> None:
        """Remember where agents and contacts were last seen (queue, team) for routing and links."""
        remember, facts = self._remember, self._facts
        for event in events:
            center_id, queue_id, team_id = event.center_id, event.queue_id, event.team_id
            agent_id, contact_id = event.agent_id, event.contact_id
            if agent_id is not None:
                remember("agent:" + agent_id, center_id, queue_id, team_id=team_id, agent_id=agent_id)
                agent_name = event.labels.get("username") or event.labels.get("agent_name")
                if agent_name is not None and self._agent_names.get(agent_id) != agent_name:
                    if len(self._agent_names) >= self._facts_capacity:
                        del self._agent_names[next(iter(self._agent_names))]
                    self._agent_names[agent_id] = agent_name
            if contact_id is not None:
                remember(
                    "contact:" + contact_id,
                    center_id,
                    queue_id,
                    team_id=team_id,
                    agent_id=agent_id,
                    contact_id=contact_id,
                )
            if queue_id is not None:
                if "queue:" + queue_id not in facts:
                    remember("queue:" + queue_id, center_id, queue_id)
                queue_name = event.labels.get("queue_name")
                if queue_name is not None and self._queue_names.get(queue_id) != queue_name:
                    if len(self._queue_names) >= self._facts_capacity:
                        del self._queue_names[next(iter(self._queue_names))]
                    self._queue_names[queue_id] = queue_name

    def _remember(
        self,
        scope: str,
        center_id: str | None,
        queue_id: str | None,
        *,
        team_id: str | None = None,
        agent_id: str | None = None,
        contact_id: str | None = None,
    ) -> None:
        """Merge what was just seen into the scope's facts: a fact seen now replaces the one known, a fact
        missing now keeps it."""
        facts = self._facts
        old = facts.get(scope)
        if old is None:
            if len(facts) >= self._facts_capacity:
                # oldest first: bounded memory in a long-running process
                self._forget_facts(next(iter(facts)))
            facts[scope] = ScopeFacts(center_id, queue_id, team_id, agent_id, contact_id)
            if scope.startswith("queue:"):
                self._queue_scopes[scope] = None
            self._count_center(center_id, 1)
        elif not (
            (not center_id or center_id == old.center_id)
            and (not queue_id or queue_id == old.queue_id)
            and (not team_id or team_id == old.team_id)
            and (not agent_id or agent_id == old.agent_id)
            and (not contact_id or contact_id == old.contact_id)
        ):  # checked field by field first: the common case is the same agent again, nothing new
            facts[scope] = ScopeFacts(
                center_id or old.center_id,
                queue_id or old.queue_id,
                team_id or old.team_id,
                agent_id or old.agent_id,
                contact_id or old.contact_id,
            )
            if center_id and center_id != old.center_id:
                self._count_center(old.center_id, -1)
                self._count_center(center_id, 1)

    def _forget_facts(self, scope: str) -> None:
        old = self._facts.pop(scope)
        self._queue_scopes.pop(scope, None)
        self._count_center(old.center_id, -1)

    def _count_center(self, center_id: str | None, change: int) -> None:
        if not center_id:
            return
        counts = self._center_counts
        count = counts.get(center_id, 0) + change
        if count > 0:
            counts[center_id] = count
        else:
            counts.pop(center_id, None)


def _trace(plan: _Plan, events: Sequence[CxEvent]) -> None:
    """Name each planned threshold evaluation's raw record: that of the newest event of the batch that
    touched its scope (the one that tipped it, if it changed); match rules named theirs when planned."""
    newest: dict[str, tuple[datetime, str]] = {}
    for event in events:
        correlation_id = event.correlation_id
        if correlation_id is None:
            continue
        at = event.occurred_at
        for scope in _scopes_of(event):
            known = newest.get(scope)
            if known is None or at >= known[0]:
                newest[scope] = (at, correlation_id)
    if not newest:
        return
    for (_, scope), item in plan.work.items():
        if item.correlation_id is None and scope in newest:
            item.correlation_id = newest[scope][1]


def _scopes_of(event: CxEvent) -> list[str]:
    """Every scope an event can move (a superset of what the fold feeds: cheaper than asking it)."""
    scopes = ["center:" + event.center_id, "feed:" + event.source.value]
    for kind, ident in (
        ("queue:", event.queue_id),
        ("team:", event.team_id),
        ("agent:", event.agent_id),
        ("contact:", event.contact_id),
    ):
        if ident is not None:
            scopes.append(kind + ident)
    return scopes


def _breached(
    rule: ThresholdRule, value: MetricValue, levels: Sequence[tuple[Severity, float]]
) -> Severity | None:
    """The most severe tier ``value`` is a verdict past (None: no verdict, or no tier breached)."""
    observed = value.value
    if observed is None or value.samples < rule.min_samples:
        return None
    if rule.confidence is not None:
        observed = judged_value(rule, observed, value.samples)
    above = rule.direction is Direction.ABOVE
    breached = None
    for severity, threshold in levels:
        if (observed > threshold) if above else (observed < threshold):
            breached = severity
    return breached


def _dormant(state: AlertState) -> bool:
    """Inactive, nothing pending, nothing to settle (flapping, snooze): a non-breach leaves it as it is."""
    return state.pending_since is None and not is_active(state)


def _earliest_breach(rule: ThresholdRule) -> timedelta:
    """How long a duration must grow before ``rule`` could breach (adaptive tiers tighten at most by half)."""
    if rule.direction is not Direction.ABOVE:
        return timedelta(0)
    lowest = rule.tiers.levels()[0][1]
    if rule.baseline is not None:
        lowest /= 2
    return timedelta(seconds=max(0.0, lowest))


class _ThresholdStep:
    """One threshold evaluation, as a step (a slotted object rather than a closure: one allocation, and
    there is one per rule and touched scope)."""

    __slots__ = ("applied", "at", "eligible", "rule", "value")

    def __init__(
        self,
        rule: ThresholdRule,
        value: MetricValue,
        at: datetime,
        eligible: bool = True,
        applied: Thresholds | None = None,
    ) -> None:
        self.rule = rule
        self.value = value
        self.at = at
        self.eligible = eligible
        self.applied = applied  # a baseline rule's tiers and why: explained on its transitions

    def __call__(self, state: AlertState) -> Result:
        value = self.value
        if value.value is None and value.samples == 0:
            if state.scope.startswith("contact:"):
                # A contact's window empties when the contact ended: what its alert reports is over.
                return resolve_without_data(self.rule, state, self.at)
            # A queue or a feed that stopped reporting is not a recovery: keep the alert as it is.
            return no_data(self.rule, state, self.at)
        result = evaluate_threshold(self.rule, state, value, self.at, eligible=self.eligible)
        if self.applied is None or not result[1]:
            return result
        return result[0], [_explained(transition, self.applied) for transition in result[1]]


_EXPLAINED = frozenset(
    {TransitionKind.OPENED, TransitionKind.UPGRADED, TransitionKind.DOWNGRADED, TransitionKind.RESOLVED}
)


def _explained(transition: Transition, applied: Thresholds) -> Transition:
    """A baseline rule's change says which threshold applied and why."""
    if transition.transition not in _EXPLAINED:
        return transition
    return replace(transition, basis=applied.explain(transition.severity))


def _match_step(
    rule: MatchRule, event: CxEvent, arrival: datetime | None = None, latest: datetime | None = None
) -> Step:
    at = event.occurred_at if arrival is None else max(arrival, event.occurred_at)
    # Clamped like thresholds (at most MAX_CLOCK_SKEW past the clock): an event dated tomorrow must not
    # open an alert "tomorrow" that no tick ever reaches.
    at = at if latest is None else min(at, latest)

    def step(state: AlertState) -> Result:
        # A re-delivered batch must not count its matches twice against the firing alert.
        if (
            state.status is AlertStatus.FIRING
            and state.last_match_at is not None
            and at <= state.last_match_at
        ):
            return state, []
        return evaluate_match(rule, state, event, at)

    return step


def _match_tick(rule: MatchRule, at: datetime) -> Step:
    def step(state: AlertState) -> Result:
        return tick_match(rule, state, at)

    return step


_IMMATERIAL = frozenset({"last_evaluated_at", "last_value"})
_PENDING_PROGRESS = _IMMATERIAL | {"pending_for", "pending_last_at"}
_MATERIAL = tuple(item.name for item in fields(AlertState) if item.name not in _IMMATERIAL)


def _worth_saving(before: AlertState, after: AlertState) -> bool:
    """Whether a change with no transition still has to be stored (timers, flags, snoozes...).

    Not worth a write: the time and value of the last evaluation (a firing alert that stays put must not
    cost a write per batch), nor a pending breach that merely went on: the stored pending state already
    says "breaching since, confirmed up to its last evaluation", and a breaching evaluation adds the time
    since then whether or not the ones in between were saved — so a `for: 1m` breach costs one write when
    it starts and one when it opens, not one per batch in between. (The engine keeps the unsaved progress
    in memory for the one case that needs it: an evaluation without a verdict stops the clock, and must
    store the time confirmed so far.)
    """
    ignored = _IMMATERIAL
    if (
        before.status is AlertStatus.PENDING
        and after.status is AlertStatus.PENDING
        and before.pending_last_at is not None
        and after.pending_last_at is not None
    ):
        ignored = _PENDING_PROGRESS
    if any(getattr(before, name) != getattr(after, name) for name in _MATERIAL if name not in ignored):
        return True
    return is_active(before) != is_active(after)


def transitions_in_time_order(transitions: Iterable[Transition]) -> list[Transition]:
    """Stable sort by event time (ties keep the order they were recorded in)."""
    return sorted(transitions, key=lambda transition: transition.at)
