"""Feedback report: how each rule's alerts were received, per scope, and what tuning the data supports.

Pure functions over what the system already records (``floorwatch rules report`` reads them from the
tables or from exported files and prints the result):

- the **alert history**: transitions (``floorwatch.alerts.model.Transition``) of member alerts and of
  their incidents (pseudo-rule ``incident``);
- the **audit log** (``floorwatch.store.audit_port.AuditEntry``): acknowledgements and feedback
  ("not useful", with a reason) given on an alert *or on its incident* — the dashboard shows one card
  per incident, so feedback on an incident counts for every member alert it held.

Per (rule, scope), for the alerts opened in the report's window: alerts opened, incidents they were
part of, pages (incident ``paged`` transitions that went to SMS / e-mail while the scope was a member),
alerts acknowledged and the median time to acknowledge, feedback (useful / not useful, latest answer
per alert) and the reasons given. A row is **flagged** when at least ``FLAG_MIN_NOT_USEFUL`` alerts
were marked not useful and they are at least ``FLAG_RATE`` of its alerts.

A **suggested threshold change** (``suggest``) is made only where the data supports it: a threshold
rule whose entry tier (its least severe one: what opens an alert) raised mostly alerts marked not useful,
whose peak values lie on one side of a level and every other alert's (useful or not judged) on the
other. The suggestion is the roundest level between them, so it would have kept every alert nobody
called not useful. Peaks are re-judged from the metric history where there is one
(``with_metric_peaks``: the rule's metric over its window, minute by minute while the alert was open);
otherwise they are the values the transitions recorded (opening, tier changes), an estimate. Either way
the command replays the change on recorded events (``replay_effect``) when it has them.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from floorwatch.alerts.incidents import Member
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.metrics.catalog import CATALOG
from floorwatch.metrics.model import DEFAULT_BUCKET, BucketRow
from floorwatch.metrics.window import window_value
from floorwatch.rules.config import INCIDENT_RULE_ID, Direction, Rule, ThresholdRule
from floorwatch.security.roles import Action
from floorwatch.store.audit_port import AuditEntry
from floorwatch.store.metrics_port import MetricStore

AlertKey = tuple[str, str]  # (rule, scope)

FLAG_MIN_NOT_USEFUL = 3
FLAG_RATE = 0.5
# A change is suggested only on this much evidence: enough alerts marked not useful, most of the
# scope's alerts, and the new level must have silenced at least this share of them.
SUGGEST_MIN_NOT_USEFUL = 3
SUGGEST_MIN_RATE = 0.5
SUGGEST_MIN_DROPPED_SHARE = 0.5
NO_REASON = "(no reason given)"
MAX_REASONS = 5
# Peaks from the metric history: the rule's metric over its window, every PEAK_STEP while the alert was
# open (at most MAX_PEAK_SPAN of it: an alert open for days says little about its peak anyway).
PEAK_STEP = timedelta(minutes=1)
MAX_PEAK_SPAN = timedelta(hours=24)
PEAKS_FROM_TRANSITIONS = "the values its transitions recorded (opening, tier changes: an estimate)"


@dataclass(frozen=True)
class Window:
    """The alerts opened in [since, until) are reported."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError("the report's window ends before it starts")

    def holds(self, instant: datetime) -> bool:
        return self.since <= instant < self.until


@dataclass(frozen=True)
class Feedback:
    at: datetime
    actor: str
    useful: bool
    reason: str


@dataclass(frozen=True)
class AlertRecord:
    """One alert of one (rule, scope), as the history and the audit log tell it."""

    alert_id: str
    rule: str
    scope: str
    opened_at: datetime
    resolved_at: datetime | None
    peak: float | None  # the most extreme value its transitions recorded, in the rule's direction
    incidents: tuple[str, ...]
    acknowledged_at: datetime | None
    feedback: Feedback | None  # the latest answer (on the alert or on its incident)
    peak_from_metrics: bool = False  # the peak was re-judged from the metric history

    @property
    def key(self) -> AlertKey:
        return (self.rule, self.scope)

    @property
    def not_useful(self) -> bool:
        return self.feedback is not None and not self.feedback.useful

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return None if self.acknowledged_at is None else self.acknowledged_at - self.opened_at

    def overlaps(self, start: datetime, end: datetime | None) -> bool:
        """Whether [opened, resolved] meets [start, end] (an open end runs on)."""
        starts_before_other_ends = end is None or self.opened_at <= end
        ends_after_other_starts = self.resolved_at is None or self.resolved_at >= start
        return starts_before_other_ends and ends_after_other_starts


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int


@dataclass(frozen=True)
class Suggestion:
    """Move the entry tier ``severity`` of ``rule`` from ``current`` to ``suggested`` (for ``scope``)."""

    rule: str
    scope: str
    severity: Severity
    direction: Direction
    current: float
    suggested: float
    silenced: tuple[str, ...]  # ids of the not-useful alerts whose peak would not have breached it
    not_useful: int
    kept: int  # alerts not marked not useful, all still past the new level

    def describe(self) -> str:
        sign = ">" if self.direction is Direction.ABOVE else "<"
        return (
            f"{self.severity.value} {sign}{self.current:g} -> {sign}{self.suggested:g}: by their peaks, "
            f"{len(self.silenced)} of {self.not_useful} not-useful alerts would not have opened; "
            f"the {self.kept} other alert{'s' if self.kept != 1 else ''} still would"
        )


@dataclass(frozen=True)
class Verdict:
    """A suggestion, or why the data does not support one."""

    suggestion: Suggestion | None
    reason: str


@dataclass(frozen=True)
class ReplayCount:
    alerts: int
    pages: int


@dataclass(frozen=True)
class ReplayEffect:
    """What a suggested change would have done, replayed on recorded events (counts in the window)."""

    before: ReplayCount  # the rules as they are (how well the events reproduce the history)
    after: ReplayCount  # with the suggested tier
    recorded: int  # alerts the history holds for the row
    not_useful_silenced: int  # recorded not-useful alerts no replayed alert (after) overlaps
    not_useful: int
    others_lost: int  # recorded alerts not marked not useful that the change would have lost


@dataclass(frozen=True)
class Row:
    rule: str
    scope: str  # "*" for a rule's total over its scopes
    alerts: int
    incidents: int
    pages: int
    acknowledged: int
    median_ack: timedelta | None
    rated: int
    not_useful: int
    reasons: tuple[ReasonCount, ...]
    verdict: Verdict | None = None  # per scope only
    # Peaks (for threshold rules), ascending: of the alerts marked not useful, and of the others.
    peaks_not_useful: tuple[float, ...] = ()
    peaks_others: tuple[float, ...] = ()
    replay: ReplayEffect | None = None
    replay_note: str | None = None

    @property
    def key(self) -> AlertKey:
        return (self.rule, self.scope)

    @property
    def not_useful_rate(self) -> float:
        return self.not_useful / self.alerts if self.alerts else 0.0

    @property
    def flagged(self) -> bool:
        return self.not_useful >= FLAG_MIN_NOT_USEFUL and self.not_useful_rate >= FLAG_RATE


@dataclass(frozen=True)
class Report:
    window: Window
    rows: tuple[Row, ...]  # per (rule, scope), busiest first
    rules: tuple[Row, ...]  # per rule over all its scopes
    feedback_entries: int  # feedback entries read in the window (on any alert)
    unmatched_feedback: int  # feedback on alerts the history does not hold (opened before the window...)
    peaks_from: str = PEAKS_FROM_TRANSITIONS  # where the alerts' peaks came from
    records: tuple[AlertRecord, ...] = ()  # every alert reported (the replay compares with them)

    @property
    def flagged(self) -> tuple[Row, ...]:
        return tuple(row for row in (*self.rules, *self.rows) if row.flagged)


# --- building the alert records ------------------------------------------------------------------


def alert_records(
    transitions: Iterable[Transition],
    audit: Iterable[AuditEntry],
    window: Window,
    directions: Mapping[str, Direction] | None = None,
) -> list[AlertRecord]:
    """Every member alert opened in ``window``, with what happened to it (oldest first).

    ``directions``: each threshold rule's direction (its peak is its maximum for ``above``, its
    minimum for ``below``); a rule not in it has no peak."""
    by_alert: dict[str, list[Transition]] = defaultdict(list)
    for transition in transitions:
        if transition.rule != INCIDENT_RULE_ID:
            by_alert[transition.alert_id].append(transition)
    feedback, acks = _people(audit)
    records: list[AlertRecord] = []
    for alert_id, history in by_alert.items():
        history.sort(key=lambda item: (item.at, item.version))
        opened = next((item for item in history if item.transition is TransitionKind.OPENED), None)
        if opened is None or not window.holds(opened.at):
            continue
        incidents = tuple(dict.fromkeys(item.incident_id for item in history if item.incident_id))
        direction = (directions or {}).get(opened.rule)
        records.append(
            AlertRecord(
                alert_id=alert_id,
                rule=opened.rule,
                scope=opened.scope,
                opened_at=opened.at,
                resolved_at=next(
                    (item.at for item in history if item.transition is TransitionKind.RESOLVED), None
                ),
                peak=None if direction is None else _peak(history, direction),
                incidents=incidents,
                acknowledged_at=_acknowledged_at(history, acks, (alert_id, *incidents), opened.at),
                feedback=_latest(feedback, (alert_id, *incidents)),
            )
        )
    records.sort(key=lambda record: (record.opened_at, record.alert_id))
    return records


def _people(audit: Iterable[AuditEntry]) -> tuple[dict[str, list[Feedback]], dict[str, list[datetime]]]:
    """Feedback and acknowledgements by the alert (or incident) id they were given on."""
    feedback: dict[str, list[Feedback]] = defaultdict(list)
    acks: dict[str, list[datetime]] = defaultdict(list)
    for entry in audit:
        if entry.alert_id is None:
            continue  # refused actions on unknown alerts, subscriptions
        if entry.action == Action.FEEDBACK:
            useful = entry.details.get("useful")
            if isinstance(useful, bool):
                reason = entry.details.get("reason")
                text = reason if isinstance(reason, str) else ""
                feedback[entry.alert_id].append(Feedback(entry.at, entry.actor, useful, text))
        elif entry.action == Action.ACK and entry.details.get("changed") is not False:
            acks[entry.alert_id].append(entry.at)
    return feedback, acks


def _peak(history: Sequence[Transition], direction: Direction) -> float | None:
    values = [
        item.value
        for item in history
        if item.value is not None
        and math.isfinite(item.value)
        and item.transition in (TransitionKind.OPENED, TransitionKind.UPGRADED, TransitionKind.DOWNGRADED)
    ]
    if not values:
        return None
    return max(values) if direction is Direction.ABOVE else min(values)


def _acknowledged_at(
    history: Sequence[Transition], acks: Mapping[str, list[datetime]], ids: Sequence[str], opened: datetime
) -> datetime | None:
    """The first acknowledgement: the alert's own ``acknowledged`` transition (an incident's
    acknowledgement is recorded on its members too), else an audited ack of it or its incident."""
    times = [item.at for item in history if item.transition is TransitionKind.ACKNOWLEDGED]
    times += [at for alert_id in ids for at in acks.get(alert_id, ()) if at >= opened]
    return min(times, default=None)


def _latest(feedback: Mapping[str, list[Feedback]], ids: Sequence[str]) -> Feedback | None:
    answers = [answer for alert_id in ids for answer in feedback.get(alert_id, ())]
    return max(answers, key=lambda answer: answer.at, default=None)


# --- rows ------------------------------------------------------------------------------------------


def build_report(
    transitions: Sequence[Transition],
    audit: Sequence[AuditEntry],
    window: Window,
    rules: Iterable[Rule] = (),
    metrics: tuple[MetricStore, str] | None = None,
) -> Report:
    """The report without replays: per (rule, scope) and per rule, with a verdict on each scope.

    ``metrics``: a metric store holding the window's history and what it is (for the report), to
    re-judge each alert's peak from; without it, peaks are the values the transitions recorded."""
    by_id = {rule.id: rule for rule in rules}
    directions = {rule.id: rule.direction for rule in by_id.values() if isinstance(rule, ThresholdRule)}
    records = alert_records(transitions, audit, window, directions)
    if metrics is not None:
        records = with_metric_peaks(records, by_id, metrics[0], window)
    pages = _pages(transitions, window)
    by_key: dict[AlertKey, list[AlertRecord]] = defaultdict(list)
    for record in records:
        by_key[record.key].append(record)
    rows = [
        _row(rule_id, scope, group, len(pages.get((rule_id, scope), ())), _verdict(by_id, group))
        for (rule_id, scope), group in by_key.items()
    ]
    rows.sort(key=lambda row: (-row.alerts, row.rule, row.scope))
    by_rule: dict[str, list[AlertRecord]] = defaultdict(list)
    for record in records:
        by_rule[record.rule].append(record)
    totals = [
        _row(
            rule_id,
            "*",
            group,
            len({page for (rule, _), ids in pages.items() if rule == rule_id for page in ids}),
        )
        for rule_id, group in by_rule.items()
    ]
    totals.sort(key=lambda row: (-row.alerts, row.rule))
    known = {record.alert_id for record in records} | {i for record in records for i in record.incidents}
    given = [entry for entry in audit if entry.action == Action.FEEDBACK and window.holds(entry.at)]
    unmatched = sum(1 for entry in given if entry.alert_id not in known)
    peaks_from = _peaks_from(records, metrics[1] if metrics else None)
    return Report(window, tuple(rows), tuple(totals), len(given), unmatched, peaks_from, tuple(records))


def _peaks_from(records: Sequence[AlertRecord], metrics: str | None) -> str:
    judged = sum(1 for record in records if record.peak_from_metrics)
    if metrics is None or not judged:
        return PEAKS_FROM_TRANSITIONS + (f"; {metrics} held no history of them" if metrics else "")
    with_peaks = sum(1 for record in records if record.peak is not None)
    if judged == with_peaks:
        return f"the metric history ({metrics})"
    return (
        f"the metric history ({metrics}) for {judged} of {with_peaks} alerts, "
        f"{PEAKS_FROM_TRANSITIONS} for the others"
    )


def _row(
    rule: str, scope: str, records: Sequence[AlertRecord], pages: int, verdict: Verdict | None = None
) -> Row:
    waits = [wait for record in records if (wait := record.time_to_acknowledge) is not None]
    rated = [record for record in records if record.feedback is not None]
    return Row(
        rule=rule,
        scope=scope,
        alerts=len(records),
        incidents=len({incident for record in records for incident in record.incidents}),
        pages=pages,
        acknowledged=len(waits),
        median_ack=timedelta(seconds=statistics.median(wait.total_seconds() for wait in waits))
        if waits
        else None,
        rated=len(rated),
        not_useful=sum(1 for record in rated if record.not_useful),
        reasons=reasons_given(record.feedback for record in records if record.not_useful),
        verdict=verdict,
        peaks_not_useful=tuple(sorted(r.peak for r in records if r.peak is not None and r.not_useful)),
        peaks_others=tuple(sorted(r.peak for r in records if r.peak is not None and not r.not_useful)),
    )


def reasons_given(answers: Iterable[Feedback | None]) -> tuple[ReasonCount, ...]:
    """The reasons people gave, most frequent first; spellings differing only in case and spacing
    count as one (shown as first written)."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for answer in answers:
        if answer is None:
            continue
        text = re.sub(r"\s+", " ", answer.reason).strip() or NO_REASON
        key = text.casefold()
        shown.setdefault(key, text)
        counts[key] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ReasonCount(shown[key], count) for key, count in ranked[:MAX_REASONS])


def _pages(transitions: Iterable[Transition], window: Window) -> dict[AlertKey, set[str]]:
    """Per member (rule, scope): the incident pages (SMS / e-mail) sent while it was a member."""
    pages: dict[AlertKey, set[str]] = defaultdict(set)
    for transition in transitions:
        if (
            transition.rule == INCIDENT_RULE_ID
            and transition.transition is TransitionKind.PAGED
            and transition.channels
            and window.holds(transition.at)
        ):
            for entry in transition.members:
                pages[Member.parse(entry).key].add(transition.transition_id)
    return pages


def count_pages(transitions: Iterable[Transition], key: AlertKey, window: Window) -> int:
    return len(_pages(transitions, window).get(key, ()))


# --- peaks from the metric history -----------------------------------------------------------------


def with_metric_peaks(
    records: Sequence[AlertRecord], rules: Mapping[str, Rule], store: MetricStore, window: Window
) -> list[AlertRecord]:
    """Each threshold alert's peak re-judged from the metric history (the transitions record the value
    at opening and at tier changes only: a warning that rose to just under critical shows its opening
    value). The more extreme of both is kept; alerts of other rules are left as they are."""
    found: list[AlertRecord] = []
    for record in records:
        rule = rules.get(record.rule)
        if not isinstance(rule, ThresholdRule):
            found.append(record)
            continue
        end = min(record.resolved_at or window.until, record.opened_at + MAX_PEAK_SPAN)
        needed = (end - record.opened_at + rule.window) // DEFAULT_BUCKET + 2
        rows = store.recent_rows(record.scope, end, needed)
        peak = metric_peak(rule, rows, record.opened_at, end)
        if peak is None:
            found.append(record)
            continue
        candidates = [peak] if record.peak is None else [peak, record.peak]
        best = max(candidates) if rule.direction is Direction.ABOVE else min(candidates)
        found.append(replace(record, peak=best, peak_from_metrics=True))
    return found


def metric_peak(
    rule: ThresholdRule, rows: Sequence[BucketRow], start: datetime, end: datetime
) -> float | None:
    """The most extreme value of the rule's metric over its window, every ``PEAK_STEP`` from ``start``
    to ``end`` (``rows``: the scope's items, newest first); evaluations with fewer samples than the
    rule's ``min_samples`` give no verdict here either."""
    definition = CATALOG[rule.metric]
    values: list[float] = []
    at = start
    while at <= end:
        value = window_value(definition, rows, at, rule.window)
        if value.value is not None and math.isfinite(value.value) and value.samples >= rule.min_samples:
            values.append(value.value)
        at += PEAK_STEP
    if not values:
        return None
    return max(values) if rule.direction is Direction.ABOVE else min(values)


# --- suggestions -----------------------------------------------------------------------------------


def _verdict(rules: Mapping[str, Rule], records: Sequence[AlertRecord]) -> Verdict:
    rule = rules.get(records[0].rule)
    if rule is None:
        return Verdict(None, "the rule is not in the rules file: no suggestion")
    if not isinstance(rule, ThresholdRule):
        return Verdict(None, "a match rule has no threshold to move")
    if rule.baseline is not None and _mostly_not_useful(records):
        # Its thresholds are learned per hour of week; the static tiers are only fallback and guard rails.
        return Verdict(None, "a baseline rule: tune its baseline (sigmas, limits), not the static tiers")
    return suggest(rule, records)


def _mostly_not_useful(records: Sequence[AlertRecord]) -> bool:
    return sum(1 for record in records if record.not_useful) >= SUGGEST_MIN_NOT_USEFUL


def suggest(rule: ThresholdRule, records: Sequence[AlertRecord]) -> Verdict:
    """A new level for the rule's entry tier, where the alerts' feedback and peaks support one.

    Supported when at least ``SUGGEST_MIN_NOT_USEFUL`` alerts, and ``SUGGEST_MIN_RATE`` of them all, were
    marked not useful, and a level exists that every other alert's peak still breaches while at least
    ``SUGGEST_MIN_DROPPED_SHARE`` of the not-useful ones would not have. The level must stay inside the
    rule's tier order (below the next tier for ``above``)."""
    not_useful = [record for record in records if record.not_useful]
    others = [record for record in records if not record.not_useful]
    if len(not_useful) < SUGGEST_MIN_NOT_USEFUL:
        return Verdict(None, f"{len(not_useful)} alert(s) marked not useful: too few to suggest a change")
    if len(not_useful) < SUGGEST_MIN_RATE * len(records):
        return Verdict(
            None, f"only {len(not_useful)} of {len(records)} alerts were marked not useful: no change"
        )
    if any(record.peak is None for record in records):
        return Verdict(None, "the history holds no peak value for some alerts: no suggestion")
    above = rule.direction is Direction.ABOVE
    entry, current = rule.tiers.levels()[0]
    # Peaks on a common axis where higher is worse: for "below" rules the values are negated.
    sign = 1.0 if above else -1.0
    kept_floor = min((sign * _known(record.peak) for record in others), default=math.inf)
    silenced = [record for record in not_useful if sign * _known(record.peak) < kept_floor]
    needed = math.ceil(SUGGEST_MIN_DROPPED_SHARE * len(not_useful))
    if len(silenced) < needed:
        return Verdict(
            None,
            f"the not-useful alerts peaked as high as the others: no level between them "
            f"(only {len(silenced)} of {len(not_useful)} lie below every other alert's peak)",
        )
    highest_silenced = max(sign * _known(record.peak) for record in silenced)
    ceiling = kept_floor
    later = rule.tiers.levels()[1:]
    if later:
        ceiling = min(ceiling, sign * later[0][1])
    level = roundest_between(highest_silenced, ceiling)
    if level is None or level <= sign * current:
        return Verdict(
            None,
            f"a level silencing the not-useful alerts would pass the {later[0][0].value} tier"
            if later and sign * later[0][1] <= highest_silenced
            else "no level between the not-useful alerts' peaks and the others' fits the rule",
        )
    suggestion = Suggestion(
        rule=rule.id,
        scope=records[0].scope,
        severity=entry,
        direction=rule.direction,
        current=current,
        suggested=sign * level + 0.0,  # + 0.0: no "-0"
        silenced=tuple(record.alert_id for record in silenced),
        not_useful=len(not_useful),
        kept=len(others),
    )
    return Verdict(suggestion, suggestion.describe())


def _known(value: float | None) -> float:
    if value is None:  # callers checked; kept for the type checker
        raise ValueError("no peak value")
    return value


def roundest_between(low: float, high: float) -> float | None:
    """The roundest number in [low, high) (``high`` may be infinite): a level a person would write.

    A peak equal to the level does not breach it (breaches are strict), so ``low`` itself is allowed."""
    if not math.isfinite(low):
        return None
    if not math.isfinite(high):
        # Nothing above to keep: just past the highest peak silenced, not an arbitrary round thousand.
        high = low + max(abs(low) * 0.25, 1e-9)
    if high <= low:
        return None
    span = max(abs(low), abs(high))
    step = 10.0 ** math.floor(math.log10(span))
    for _ in range(40):
        for factor in (1.0, 0.5, 0.2):
            unit = step * factor
            candidate = math.ceil(round(low / unit, 9)) * unit  # round: 1.7000000001 steps is 1.7
            if candidate < low:
                candidate += unit
            if candidate < high:
                return round(candidate, 10)
        step /= 10
    return None


def with_tier(rule: ThresholdRule, severity: Severity, level: float) -> ThresholdRule:
    """The rule with one tier moved (the replay's variant)."""
    tiers = rule.tiers.model_copy(update={severity.value: level})
    return rule.model_copy(update={"tiers": tiers})


# --- replays ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Replayed:
    opened_at: datetime
    resolved_at: datetime | None


def _replayed_alerts(transitions: Iterable[Transition], key: AlertKey, window: Window) -> list[_Replayed]:
    spans: dict[str, list[datetime | None]] = {}
    for transition in transitions:
        if (transition.rule, transition.scope) != key:
            continue
        if transition.transition is TransitionKind.OPENED:
            spans[transition.alert_id] = [transition.at, None]
        elif transition.transition is TransitionKind.RESOLVED and transition.alert_id in spans:
            spans[transition.alert_id][1] = transition.at
    found: list[_Replayed] = []
    for opened, resolved in spans.values():
        if opened is not None and window.holds(opened):
            found.append(_Replayed(opened, resolved))
    return found


def replay_effect(
    records: Sequence[AlertRecord],
    before: Sequence[Transition],
    after: Sequence[Transition],
    key: AlertKey,
    window: Window,
) -> ReplayEffect:
    """Compare a replay with the rules as they are (``before``) and one with the change (``after``)
    for one (rule, scope): a recorded alert is "still raised" when a replayed alert overlaps it."""
    mine = [record for record in records if record.key == key]
    kept_after = _replayed_alerts(after, key, window)

    def raised(record: AlertRecord) -> bool:
        return any(record.overlaps(item.opened_at, item.resolved_at) for item in kept_after)

    not_useful = [record for record in mine if record.not_useful]
    return ReplayEffect(
        before=ReplayCount(len(_replayed_alerts(before, key, window)), count_pages(before, key, window)),
        after=ReplayCount(len(kept_after), count_pages(after, key, window)),
        recorded=len(mine),
        not_useful_silenced=sum(1 for record in not_useful if not raised(record)),
        not_useful=len(not_useful),
        others_lost=sum(1 for record in mine if not record.not_useful and not raised(record)),
    )


@dataclass(frozen=True)
class ReplayPlan:
    """The distinct rule variants to replay: one per (rule, tier, level), shared by the scopes that
    got the same suggestion."""

    variants: dict[tuple[str, Severity, float], list[AlertKey]] = field(default_factory=dict)

    @classmethod
    def of(cls, report: Report) -> ReplayPlan:
        variants: dict[tuple[str, Severity, float], list[AlertKey]] = defaultdict(list)
        for row in report.rows:
            suggestion = row.verdict.suggestion if row.verdict else None
            if suggestion is not None:
                variants[(suggestion.rule, suggestion.severity, suggestion.suggested)].append(row.key)
        return cls(dict(variants))
