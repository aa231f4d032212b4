"""The alert state machine: pure functions (rule, state, observation, event time) -> (state, transitions).

One `AlertState` per (rule, scope). Nothing here reads a clock: every function takes the instant it acts
at, which for evaluations is event time (a replay of last week gives last week's alerts).

Threshold rules (`evaluate_threshold`), after Prometheus' inactive -> pending -> firing:

- *breach* means strictly past a tier's threshold (value > threshold for ``above``, < for ``below``);
  the breached tier is the most severe one the value is past.
- An alert opens once a breach has held for the rule's ``for``: the time between consecutive breaching
  evaluations adds up, one evaluation that does not breach resets it, and with no ``for`` the first
  breaching evaluation opens. It opens at the tier breached at that moment.
- A firing alert upgrades as soon as a more severe tier is breached (no ``for``), and downgrades or
  resolves only once the value is back past the hysteresis band of its tier (see
  ``ThresholdRule.clear_level``); a value inside the band keeps the tier.
- Missing data (``no_data``): an empty window keeps the alert's tier and records ``no_data_since``; only
  a contact's alert resolves when its window empties (the contact ended: ``resolve_without_data``).
- No verdict: a value of None (no data) or with fewer samples than ``min_samples`` neither opens nor
  resolves anything and does not advance a pending timer — the time up to and after a no-data evaluation
  is not counted as breach, so an alert never opens on time nobody observed; nor does it reset the timer.
- An evaluation earlier in event time than the last one is ignored (a late event cannot rewind the state).

Match rules (`evaluate_match`, `tick_match`): a matching event opens the alert at the rule's severity;
further matches while it fires are counted, never a second alert; it resolves after ``resolve_after``
without a match.

Both: an alert that opens or changes tier ``flapping.opens`` times within ``flapping.within`` is
*flapping*; its own transitions are then recorded with notify=False, a ``flapping_started`` transition
says so once, and ``flapping_stopped`` is recorded when it has neither opened nor resolved for
``flapping.stable_for`` (checked at every evaluation). We count changes in event time rather than
weighting a history of evaluations as Nagios does: evaluations here follow traffic, so a per-evaluation
history would measure the event rate, not the alert's instability. A snooze mutes (notify=False) one
(rule, scope) until a time; nothing is deleted. Acknowledgements, snoozes and escalations are people's
actions: always notified.

Identity: ``alert_id`` is derived from (rule, scope, opened_at), ``version`` counts every transition the
(rule, scope) ever recorded (the alert store's conditional writes expect it) and each transition's id is
``f"{alert_id}:{version}"`` — replaying the same input yields the same ids, so receivers can drop
duplicates. ``Transition.threshold`` is the tier threshold crossed: the new tier's when opening or
upgrading, the left tier's when downgrading, the least severe tier's (the alert's entry line) when
resolving; for match rules, the bound of the rule's value condition, if any.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from statistics import NormalDist
from typing import Any

from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.events.model import CxEvent
from floorwatch.metrics.model import MetricValue, scope_kind
from floorwatch.rules.config import Direction, FlappingPolicy, MatchRule, Rule, ThresholdRule

HISTORY_LIMIT = 20
HISTORY_NOTE_LIMIT = 500


@dataclass(frozen=True)
class HistoryEntry:
    """One thing people (or the escalation policy) did to an alert, as the dashboard lists it."""

    transition: str
    at: datetime
    actor: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "transition": self.transition,
            "at": _time_text(self.at),
            "actor": self.actor,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryEntry:
        return cls(
            transition=str(data["transition"]),
            at=_time_parse(data["at"]),
            actor=_text_in(data.get("actor")),
            note=_text_in(data.get("note")),
        )


class AlertStatus(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"  # breaching, waiting for `for`
    FIRING = "firing"


@dataclass(frozen=True)
class AlertState:
    """Everything the machine remembers about one (rule, scope); JSON-friendly through to_dict()."""

    rule_id: str
    scope: str
    status: AlertStatus = AlertStatus.INACTIVE
    # The current alert when firing; the most recent one when inactive (None: never opened).
    alert_id: str | None = None
    severity: Severity | None = None
    opened_at: datetime | None = None
    resolved_at: datetime | None = None
    version: int = 0
    # Pending: the tier breached now, the first breaching evaluation, the breach time confirmed so far
    # and the last breaching evaluation (None right after a no-data evaluation: that gap is not counted).
    pending_severity: Severity | None = None
    pending_since: datetime | None = None
    pending_for: timedelta = timedelta(0)
    pending_last_at: datetime | None = None
    acknowledged: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    escalation_level: int = 0
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None
    # Flapping: recent opens (at most flapping.opens of them), the last open or resolve.
    recent_opens: tuple[datetime, ...] = ()
    last_change_at: datetime | None = None
    flapping: bool = False
    last_value: float | None = None
    last_evaluated_at: datetime | None = None
    # Match rules: the last matching event and how many matched during the current alert.
    last_match_at: datetime | None = None
    match_count: int = 0
    # Missing data: a threshold alert whose window went empty keeps its tier; since when (None: data).
    no_data_since: datetime | None = None
    # A member alert: the incident it belongs to and that incident's group scope (see alerts.incidents).
    incident_id: str | None = None
    incident_scope: str | None = None
    # An incident (rule_id ``incident``): its firing members ("rule|severity|scope"), the member rule
    # whose change it last reported, when and at which severity it last paged, and since when it has had
    # no firing member (it closes after the policy's close_after).
    members: tuple[str, ...] = ()
    trigger_rule: str | None = None
    paged_at: datetime | None = None
    paged_severity: Severity | None = None
    quiet_since: datetime | None = None
    # The supervisor's screen: the value dashboards were last told (at the opening, a tier change or a
    # coalesced ``updated`` transition) and its event time, the worst such value since the opening; the
    # first thing a person did about the alert besides acknowledging (note, escalate, join, resolve); and
    # what people and the escalation policy did, oldest first (at most HISTORY_LIMIT entries).
    shown_value: float | None = None
    shown_at: datetime | None = None
    worst_value: float | None = None
    acted_at: datetime | None = None
    acted_by: str | None = None
    acted_how: str | None = None
    history: tuple[HistoryEntry, ...] = ()

    @classmethod
    def initial(cls, rule_id: str, scope: str) -> AlertState:
        scope_kind(scope)  # raises ValueError on a malformed scope
        return cls(rule_id=rule_id, scope=scope)

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule_id, self.scope)

    def is_snoozed(self, at: datetime) -> bool:
        return self.snoozed_until is not None and at < self.snoozed_until

    def is_muted(self, at: datetime) -> bool:
        """Transitions of the alert itself are recorded but not pushed (flapping or snoozed)."""
        return self.flapping or self.is_snoozed(at)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only: strings, numbers, booleans, lists, None (times as ISO 8601 UTC)."""
        return {
            "rule_id": self.rule_id,
            "scope": self.scope,
            "status": self.status.value,
            "alert_id": self.alert_id,
            "severity": _enum_out(self.severity),
            "opened_at": _time_out(self.opened_at),
            "resolved_at": _time_out(self.resolved_at),
            "version": self.version,
            "pending_severity": _enum_out(self.pending_severity),
            "pending_since": _time_out(self.pending_since),
            "pending_for_seconds": self.pending_for.total_seconds(),
            "pending_last_at": _time_out(self.pending_last_at),
            "acknowledged": self.acknowledged,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": _time_out(self.acknowledged_at),
            "escalation_level": self.escalation_level,
            "snoozed_until": _time_out(self.snoozed_until),
            "snoozed_by": self.snoozed_by,
            "recent_opens": [_time_text(instant) for instant in self.recent_opens],
            "last_change_at": _time_out(self.last_change_at),
            "flapping": self.flapping,
            "last_value": self.last_value,
            "last_evaluated_at": _time_out(self.last_evaluated_at),
            "last_match_at": _time_out(self.last_match_at),
            "match_count": self.match_count,
            "no_data_since": _time_out(self.no_data_since),
            "incident_id": self.incident_id,
            "incident_scope": self.incident_scope,
            "members": list(self.members),
            "trigger_rule": self.trigger_rule,
            "paged_at": _time_out(self.paged_at),
            "paged_severity": _enum_out(self.paged_severity),
            "quiet_since": _time_out(self.quiet_since),
            "shown_value": self.shown_value,
            "shown_at": _time_out(self.shown_at),
            "worst_value": self.worst_value,
            "acted_at": _time_out(self.acted_at),
            "acted_by": self.acted_by,
            "acted_how": self.acted_how,
            "history": [entry.to_dict() for entry in self.history],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertState:
        """Inverse of to_dict; missing keys take their defaults and numbers may be Decimals (DynamoDB)."""
        return cls(
            rule_id=str(data["rule_id"]),
            scope=str(data["scope"]),
            status=AlertStatus(data.get("status", AlertStatus.INACTIVE.value)),
            alert_id=_text_in(data.get("alert_id")),
            severity=None if data.get("severity") is None else Severity(data["severity"]),
            opened_at=_time_in(data.get("opened_at")),
            resolved_at=_time_in(data.get("resolved_at")),
            version=int(data.get("version", 0)),
            pending_severity=None
            if data.get("pending_severity") is None
            else Severity(data["pending_severity"]),
            pending_since=_time_in(data.get("pending_since")),
            pending_for=timedelta(seconds=float(data.get("pending_for_seconds", 0))),
            pending_last_at=_time_in(data.get("pending_last_at")),
            acknowledged=bool(data.get("acknowledged", False)),
            acknowledged_by=_text_in(data.get("acknowledged_by")),
            acknowledged_at=_time_in(data.get("acknowledged_at")),
            escalation_level=int(data.get("escalation_level", 0)),
            snoozed_until=_time_in(data.get("snoozed_until")),
            snoozed_by=_text_in(data.get("snoozed_by")),
            recent_opens=tuple(_time_parse(text) for text in data.get("recent_opens") or ()),
            last_change_at=_time_in(data.get("last_change_at")),
            flapping=bool(data.get("flapping", False)),
            last_value=_number_in(data.get("last_value")),
            last_evaluated_at=_time_in(data.get("last_evaluated_at")),
            last_match_at=_time_in(data.get("last_match_at")),
            match_count=int(data.get("match_count", 0)),
            no_data_since=_time_in(data.get("no_data_since")),
            incident_id=_text_in(data.get("incident_id")),
            incident_scope=_text_in(data.get("incident_scope")),
            members=tuple(str(member) for member in data.get("members") or ()),
            trigger_rule=_text_in(data.get("trigger_rule")),
            paged_at=_time_in(data.get("paged_at")),
            paged_severity=None if data.get("paged_severity") is None else Severity(data["paged_severity"]),
            quiet_since=_time_in(data.get("quiet_since")),
            shown_value=_number_in(data.get("shown_value")),
            shown_at=_time_in(data.get("shown_at")),
            worst_value=_number_in(data.get("worst_value")),
            acted_at=_time_in(data.get("acted_at")),
            acted_by=_text_in(data.get("acted_by")),
            acted_how=_text_in(data.get("acted_how")),
            history=tuple(HistoryEntry.from_dict(entry) for entry in data.get("history") or ()),
        )


def alert_id_for(rule_id: str, scope: str, opened_at: datetime) -> str:
    """Deterministic: the same breach replayed opens the same alert id."""
    identity = "\x1f".join((rule_id, scope, _time_text(opened_at)))
    return hashlib.blake2b(identity.encode("utf-8"), digest_size=10).hexdigest()


Result = tuple[AlertState, list[Transition]]


# ---------------------------------------------------------------------------------------------------
# Threshold rules


def evaluate_threshold(
    rule: ThresholdRule, state: AlertState, value: MetricValue, at: datetime, *, eligible: bool = True
) -> Result:
    """One evaluation of a threshold rule for the state's scope at event time `at`.

    ``eligible`` False: the rule's ``only_if`` condition does not hold (e.g. fewer than two contacts
    waiting), so nothing breaches: a pending breach is dropped and a firing alert resolves.
    """
    _check(rule, state, at)
    if _is_late(state, at):
        return state, []
    state, transitions = _settle_flapping(rule.flapping, state, at)
    state = replace(state, last_evaluated_at=at)
    observed = _verdict_value(rule, value)
    if observed is None:
        # No verdict: keep the tier or the pending breach, but the unobserved time is not breach time.
        if state.status is AlertStatus.PENDING:
            state = replace(state, pending_last_at=None)
        return state, transitions
    state = replace(state, last_value=observed, no_data_since=None)
    if not eligible:
        if state.status is AlertStatus.FIRING:
            state, more = _resolve(state, observed, rule.tiers.levels()[0][1], at)
            return state, transitions + more
        return _clear_pending(state), transitions
    judged = judged_value(rule, observed, value.samples)
    if state.status is AlertStatus.FIRING:
        state, more = _follow(rule, state, observed, at, judged)
    else:
        state, more = _watch(rule, state, observed, at, judged)
    return state, transitions + more


def judged_value(rule: ThresholdRule, observed: float, samples: int) -> float:
    """What the tiers are compared with: the value itself, or for a ratio rule with ``confidence`` the
    Wilson score bound on the safe side (the upper bound for "below", the lower for "above"), so a ratio
    of a handful of contacts breaches only when even the most favourable reading of them breaches."""
    if rule.confidence is None or samples <= 0:
        return observed
    return wilson_bound(observed, samples, rule.confidence, upper=rule.direction is Direction.BELOW)


@lru_cache(maxsize=32)
def _z_score(confidence: float) -> float:
    """The two-sided normal quantile of a confidence (a handful of values per rule set: cached)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_bound(ratio: float, samples: int, confidence: float, *, upper: bool) -> float:
    """The Wilson score interval's bound for a proportion ``ratio`` of ``samples`` trials (two-sided)."""
    z = _z_score(confidence)
    p = min(1.0, max(0.0, ratio))
    n = float(samples)
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return (centre + spread) / denominator if upper else (centre - spread) / denominator


def _verdict_value(rule: ThresholdRule, value: MetricValue) -> float | None:
    if value.value is None or value.samples < rule.min_samples:
        return None
    return value.value


def _breached_tier(rule: ThresholdRule, value: float) -> tuple[Severity, float] | None:
    breached = [
        (severity, threshold)
        for severity, threshold in rule.tiers.levels()
        if rule.breaches(value, threshold)
    ]
    return breached[-1] if breached else None


def _watch(rule: ThresholdRule, state: AlertState, value: float, at: datetime, judged: float) -> Result:
    """Inactive or pending: start, extend or reset the pending breach; open once it held for `for`."""
    tier = _breached_tier(rule, judged)
    if tier is None:
        return _clear_pending(state), []
    severity, threshold = tier
    if state.status is AlertStatus.PENDING and state.pending_since is not None:
        gained = at - state.pending_last_at if state.pending_last_at is not None else timedelta(0)
        since, confirmed = state.pending_since, state.pending_for + gained
    else:
        since, confirmed = at, timedelta(0)
    state = replace(
        state,
        status=AlertStatus.PENDING,
        pending_severity=severity,
        pending_since=since,
        pending_for=confirmed,
        pending_last_at=at,
    )
    if confirmed < rule.for_:
        return state, []
    return _open(
        rule.flapping, _clear_pending(state), _Change(TransitionKind.OPENED, severity, value, threshold, at)
    )


def _follow(rule: ThresholdRule, state: AlertState, value: float, at: datetime, judged: float) -> Result:
    """Firing: upgrade at once, downgrade or resolve only past the hysteresis band."""
    current = state.severity or Severity.INFO
    tier = _breached_tier(rule, judged)
    if tier is not None and tier[0].rank > current.rank:
        severity, threshold = tier
        # A more severe alert needs its own acknowledgement (and may escalate again).
        state = replace(
            state, severity=severity, acknowledged=False, acknowledged_by=None, acknowledged_at=None
        )
        return _tier_change(
            rule.flapping, state, _Change(TransitionKind.UPGRADED, severity, value, threshold, at)
        )
    held = next(
        (
            severity
            for severity, threshold in reversed(rule.tiers.levels())
            if severity.rank <= current.rank and rule.holds(judged, threshold)
        ),
        None,
    )
    if held is current:
        return state, []
    left_threshold = rule.threshold(current)
    if held is None:
        entry_threshold = rule.tiers.levels()[0][1]
        return _resolve(state, value, entry_threshold, at)
    state = replace(state, severity=held)
    return _tier_change(
        rule.flapping, state, _Change(TransitionKind.DOWNGRADED, held, value, left_threshold, at)
    )


# ---------------------------------------------------------------------------------------------------
# Match rules


def evaluate_match(rule: MatchRule, state: AlertState, event: CxEvent, at: datetime) -> Result:
    """One event for a match rule: a match opens (or is counted by) the alert of the event's scope.

    An event that does not match is just the passage of time (see `tick_match`).
    """
    late_by = rule.match.late_by
    if not rule.matches(event, at if late_by is not None else None):
        return tick_match(rule, state, at)
    event_scope = rule.scope_of(event)
    if event_scope != state.scope:
        raise ValueError(f"event {event.event_id} belongs to {event_scope}, not to the state's {state.scope}")
    _check(rule, state, at)
    if _is_late(state, at):
        return state, []
    state, transitions = _settle_flapping(rule.flapping, state, at)
    value, threshold = rule.match.observed(event)
    if late_by is not None:  # a late-data rule reports how late the event arrived
        value, threshold = (at - event.occurred_at).total_seconds(), late_by.total_seconds()
    state = replace(state, last_evaluated_at=at, last_match_at=at, last_value=value)
    if state.status is AlertStatus.FIRING:
        # Repeated triggers are counted, never a second alert (and never a second notification).
        return replace(state, match_count=state.match_count + 1), transitions
    opening = _Change(TransitionKind.OPENED, rule.severity, value, threshold, at)
    state, more = _open(rule.flapping, replace(state, match_count=1), opening)
    return state, transitions + more


def tick_match(rule: MatchRule, state: AlertState, at: datetime) -> Result:
    """Time passes for a match rule: resolve after `resolve_after` without a matching event."""
    _check(rule, state, at)
    if _is_late(state, at):
        return state, []
    state, transitions = _settle_flapping(rule.flapping, state, at)
    state = replace(state, last_evaluated_at=at)
    quiet_since = state.last_match_at
    if (
        state.status is AlertStatus.FIRING
        and quiet_since is not None
        and at - quiet_since >= rule.resolve_after
    ):
        threshold = rule.match.observed_threshold()
        state, more = _resolve(state, state.last_value, threshold, at)
        return state, transitions + more
    return state, transitions


# ---------------------------------------------------------------------------------------------------
# People's actions


def acknowledge(state: AlertState, at: datetime, user: str) -> Result:
    """Acknowledge the firing alert (stops escalation); idempotent, and a no-op when nothing fires."""
    _check_time(at)
    if state.status is not AlertStatus.FIRING or state.acknowledged or state.severity is None:
        return state, []
    state = replace(state, acknowledged=True, acknowledged_by=user, acknowledged_at=at)
    return _action(state, TransitionKind.ACKNOWLEDGED, at, user)


def snooze(state: AlertState, until: datetime, *, at: datetime, user: str | None = None) -> Result:
    """Mute the (rule, scope) until `until`: its transitions are still recorded, with notify=False.

    A later snooze replaces an earlier one. Snoozing a (rule, scope) that never alerted records no
    transition (there is no alert to attach it to) but still mutes what comes.
    """
    _check_time(at)
    _check_time(until)
    if until <= at:
        raise ValueError(f"a snooze must end after it starts ({_time_text(until)} <= {_time_text(at)})")
    state = replace(state, snoozed_until=until, snoozed_by=user)
    if state.alert_id is None or state.severity is None:
        return state, []
    state, transitions = _action(state, TransitionKind.SNOOZED, at, user, remark=_time_text(until))
    return state, [replace(transition, snoozed_until=until) for transition in transitions]


def escalate(state: AlertState, at: datetime, level: int, user: str | None = None) -> Result:
    """Record that the alert went up the escalation chain to `level` (by policy, or by a person).

    Only a firing, unacknowledged, unsnoozed alert escalates, and only upwards: a re-delivered
    escalation message is a no-op.
    """
    _check_time(at)
    if (
        state.status is not AlertStatus.FIRING
        or state.severity is None
        or state.acknowledged
        or state.is_snoozed(at)
        or level <= state.escalation_level
    ):
        return state, []
    state = replace(state, escalation_level=level)
    return _action(state, TransitionKind.ESCALATED, at, user, remark=f"level {level}")


# ---------------------------------------------------------------------------------------------------
# Shared steps


@dataclass(frozen=True)
class _Change:
    """What one transition says; `_record` gives it its version and id."""

    kind: TransitionKind
    severity: Severity
    value: float | None
    threshold: float | None
    at: datetime
    actor: str | None = None
    notify: bool | None = None  # None: notified unless the alert is muted (flapping or snoozed)


def _open(policy: FlappingPolicy, state: AlertState, opening: _Change) -> Result:
    at = opening.at
    opens, starts_flapping = _recent_changes(policy, state, at)
    state = replace(
        state,
        status=AlertStatus.FIRING,
        alert_id=alert_id_for(state.rule_id, state.scope, at),
        severity=opening.severity,
        opened_at=at,
        resolved_at=None,
        acknowledged=False,
        acknowledged_by=None,
        acknowledged_at=None,
        escalation_level=0,
        acted_at=None,
        acted_by=None,
        acted_how=None,
        history=(),
        recent_opens=opens,
        last_change_at=at,
        flapping=state.flapping or starts_flapping,
    )
    return _record_counted(state, opening, starts_flapping)


def _tier_change(policy: FlappingPolicy, state: AlertState, change: _Change) -> Result:
    """An upgrade or a downgrade counts toward flapping like an opening: an alert bouncing between
    warning and critical is as unstable as one opening and resolving."""
    at = change.at
    changes, starts_flapping = _recent_changes(policy, state, at)
    state = replace(
        state, recent_opens=changes, last_change_at=at, flapping=state.flapping or starts_flapping
    )
    return _record_counted(state, change, starts_flapping)


def _recent_changes(
    policy: FlappingPolicy, state: AlertState, at: datetime
) -> tuple[tuple[datetime, ...], bool]:
    """The openings and tier changes within ``policy.within`` including one at ``at`` (at most
    ``policy.opens`` of them), and whether that one starts flapping."""
    changes = (*(seen for seen in state.recent_opens if at - seen <= policy.within), at)[-policy.opens :]
    return changes, not state.flapping and len(changes) >= policy.opens


def _record_counted(state: AlertState, change: _Change, starts_flapping: bool) -> Result:
    """Record a counted change, followed by the one notice that replaces the muted ones when it starts
    flapping: "this alert is flapping"."""
    state, transitions = _record(state, change)
    if starts_flapping:
        notice = replace(change, kind=TransitionKind.FLAPPING_STARTED, notify=not state.is_snoozed(change.at))
        state, more = _record(state, notice)
        transitions += more
    return state, transitions


def _resolve(state: AlertState, value: float | None, threshold: float | None, at: datetime) -> Result:
    """Close the alert; the resolve counts toward flapping stability through last_change_at."""
    severity = state.severity or Severity.INFO
    state = replace(
        state,
        status=AlertStatus.INACTIVE,
        resolved_at=at,
        last_change_at=at,
        acknowledged=False,
        acknowledged_by=None,
        acknowledged_at=None,
        escalation_level=0,
        match_count=0,
    )
    return _record(state, _Change(TransitionKind.RESOLVED, severity, value, threshold, at))


def _settle_flapping(policy: FlappingPolicy, state: AlertState, at: datetime) -> Result:
    """End flapping once nothing opened or resolved for `stable_for`, and say so."""
    if not state.flapping or state.last_change_at is None or at - state.last_change_at < policy.stable_for:
        return state, []
    state = replace(state, flapping=False, recent_opens=())
    if state.severity is None:
        return state, []
    stopped = _Change(
        TransitionKind.FLAPPING_STOPPED,
        state.severity,
        state.last_value,
        None,
        at,
        notify=not state.is_snoozed(at),
    )
    return _record(state, stopped)


def _action(
    state: AlertState,
    kind: TransitionKind,
    at: datetime,
    user: str | None,
    *,
    note: str | None = None,
    remark: str | None = None,
) -> Result:
    """A person's action on the alert: always pushed, so every dashboard shows who did what; kept in the
    alert's history, and the first note / escalation / join by a person is when someone acted."""
    severity = state.severity
    if severity is None:
        return state, []
    entry = HistoryEntry(kind.value, at, user, _history_note(note or remark))
    state = replace(state, history=(*state.history, entry)[-HISTORY_LIMIT:])
    if user is not None and kind in _ACTING_KINDS:
        state = _acted(state, at, user, _ACTING_KINDS[kind])
    state, transitions = _record(
        state, _Change(kind, severity, state.last_value, None, at, actor=user, notify=True)
    )
    return state, [replace(transition, note=note) for transition in transitions] if note else transitions


# What counts as acting on an alert (the floor's "act within 90 s"), by transition: acknowledging does not.
_ACTING_KINDS = {
    TransitionKind.NOTED: "note",
    TransitionKind.ESCALATED: "escalate",
    TransitionKind.JOINED: "join",
    TransitionKind.RESOLVED: "resolve",
}


def _acted(state: AlertState, at: datetime, user: str, how: str) -> AlertState:
    """The first action counts (the action clock stops there); later ones are in the history."""
    if state.acted_at is not None:
        return state
    return replace(state, acted_at=at, acted_by=user, acted_how=how)


def _history_note(note: str | None) -> str | None:
    if note is None or len(note) <= HISTORY_NOTE_LIMIT:
        return note
    return note[: HISTORY_NOTE_LIMIT - 1] + "\u2026"


def _clear_pending(state: AlertState) -> AlertState:
    status = AlertStatus.INACTIVE if state.status is AlertStatus.PENDING else state.status
    return replace(
        state,
        status=status,
        pending_severity=None,
        pending_since=None,
        pending_for=timedelta(0),
        pending_last_at=None,
    )


def _record(state: AlertState, change: _Change) -> Result:
    """Append one transition: bump the (rule, scope) version and derive the transition id from it."""
    alert_id = state.alert_id
    if alert_id is None:
        raise ValueError("a transition needs an alert")
    version = state.version + 1
    state = replace(state, version=version)
    transition = Transition(
        transition_id=f"{alert_id}:{version}",
        alert_id=alert_id,
        transition=change.kind,
        rule=state.rule_id,
        scope=state.scope,
        severity=change.severity,
        value=change.value,
        threshold=change.threshold,
        at=change.at,
        version=version,
        notify=not state.is_muted(change.at) if change.notify is None else change.notify,
        actor=change.actor,
    )
    return state, [transition]


def _check(rule: Rule, state: AlertState, at: datetime) -> None:
    if rule.id != state.rule_id:
        raise ValueError(f"rule '{rule.id}' evaluated against the state of rule '{state.rule_id}'")
    if scope_kind(state.scope) is not rule.scope:
        raise ValueError(f"rule '{rule.id}' watches {rule.scope.value} scopes, not {state.scope}")
    _check_time(at)


def _check_time(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone: the state machine works in UTC event time")


def _is_late(state: AlertState, at: datetime) -> bool:
    return state.last_evaluated_at is not None and at < state.last_evaluated_at


# --- plain-data conversions ------------------------------------------------------------------------


def _time_text(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time_out(instant: datetime | None) -> str | None:
    return None if instant is None else _time_text(instant)


def _time_parse(text: object) -> datetime:
    parsed = datetime.fromisoformat(str(text))
    if parsed.tzinfo is None:
        raise ValueError(f"{text} has no time zone")
    return parsed.astimezone(UTC)


def _time_in(text: object) -> datetime | None:
    return None if text is None else _time_parse(text)


def _text_in(value: object) -> str | None:
    return None if value is None else str(value)


def _number_in(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float | Decimal | str):
        return float(value)
    raise ValueError(f"{value!r} is not a number")


def _enum_out(value: StrEnum | None) -> str | None:
    return None if value is None else value.value


# ---------------------------------------------------------------------------------------------------
# People's actions taken from the dashboard (appended by the delivery work)


def resolve_by(state: AlertState, at: datetime, user: str) -> Result:
    """A person closes the firing alert (the issue is handled); a no-op when nothing fires.

    Like any resolve it counts toward flapping; if the condition still holds, the next evaluation
    starts a new pending breach (and, after ``for``, a new alert).
    """
    _check_time(at)
    if state.status is not AlertStatus.FIRING or state.severity is None:
        return state, []
    state = _acted(state, at, user, "resolve")
    entry = HistoryEntry(TransitionKind.RESOLVED.value, at, user)
    state = replace(state, history=(*state.history, entry)[-HISTORY_LIMIT:])
    state, transitions = _resolve(state, state.last_value, None, at)
    return state, [replace(transition, actor=user, notify=True) for transition in transitions]


def joined(state: AlertState, at: datetime, user: str) -> Result:
    """A person opened the firing alert's live session (Join / Monitor): that is acting on it."""
    _check_time(at)
    if state.status is not AlertStatus.FIRING or state.severity is None:
        return state, []
    return _action(state, TransitionKind.JOINED, at, user)


def value_update(
    state: AlertState, value: float, worst: float, threshold: float | None, at: datetime
) -> Result:
    """Publish the firing alert's live value (the engine decides when: see floorwatch.alerts.live).

    Muted like the alert's other transitions (flapping or snoozed): dashboards show it without a sound.
    """
    _check_time(at)
    severity = state.severity
    if state.status is not AlertStatus.FIRING or severity is None:
        return state, []
    state = replace(state, shown_value=value, shown_at=at, worst_value=worst)
    state, transitions = _record(state, _Change(TransitionKind.UPDATED, severity, value, threshold, at))
    return state, [replace(transition, worst_value=worst) for transition in transitions]


def note(state: AlertState, at: datetime, user: str, text: str) -> Result:
    """A person's note on the current (or most recent) alert, pushed to every dashboard."""
    _check_time(at)
    if not text.strip():
        raise ValueError("a note needs some text")
    return _action(state, TransitionKind.NOTED, at, user, note=text)


def resolve_without_data(rule: ThresholdRule, state: AlertState, at: datetime) -> Result:
    """No data at all over the rule's window (the contact ended, the queue's snapshots stopped): the
    condition the alert reports is gone, so a firing alert resolves (value None) and a pending breach is
    dropped, instead of waiting forever for a verdict that cannot come. (The engine calls this only for a
    window with no sample at all; fewer samples than ``min_samples`` stays "no verdict".) A silent feed
    is the staleness rules' business."""
    _check(rule, state, at)
    if _is_late(state, at):
        return state, []
    state, transitions = _settle_flapping(rule.flapping, state, at)
    state = replace(state, last_evaluated_at=at)
    if state.status is AlertStatus.PENDING:
        return _clear_pending(state), transitions
    if state.status is not AlertStatus.FIRING:
        return state, transitions
    resolved, more = _resolve(state, None, rule.tiers.levels()[0][1], at)
    return resolved, transitions + more


def no_data(rule: ThresholdRule, state: AlertState, at: datetime) -> Result:
    """Nothing at all in the rule's window of a queue, agent or feed: missing data is not recovery.

    The alert keeps its tier (and a pending breach its progress, as with any evaluation without a
    verdict); ``no_data_since`` records since when nothing was observed, for dashboards to say so. A
    scope that stopped reporting is the silence rules' business (metric ``silence_surprise``).
    """
    _check(rule, state, at)
    if _is_late(state, at):
        return state, []
    state, transitions = _settle_flapping(rule.flapping, state, at)
    state = replace(state, last_evaluated_at=at)
    if state.status is AlertStatus.PENDING:
        state = replace(state, pending_last_at=None)
    if state.status is AlertStatus.FIRING and state.no_data_since is None:
        state = replace(state, no_data_since=at)
    return state, transitions
