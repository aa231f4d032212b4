"""Alert quality: score a replay's transitions against the simulator's labels.

Inputs: the labels ``floorwatch simulate --labels`` wrote (``local.simulator.labels``) and the
transitions ``floorwatch replay`` printed (one ``Transition.to_dict()`` per line).

Alerts and incidents. An alert is one ``alert_id``. When any line carries ``incident_id``, an incident
is the set of lines sharing it (the incident's own lines, ``"rule": "incident"``, have ``alert_id`` =
the incident id; a line without ``incident_id`` is an incident of its own alert); otherwise each alert
is its own incident. An incident's scopes: every line's ``scope``, plus ``queue:<queue_id>`` of every
line that names a queue.

Matching rule. A *detection* is an ``opened`` or ``upgraded`` line. An incident detects a label when
one of its scopes is one of the label's ``scopes`` and one of its detections lies in
[label start, label end + ``GRACE``]; the time to detect is the first such detection minus the label's
start (critical: the first such detection at severity critical). An incident is *true* (for precision)
when it matches a label the same way, counting the label's ``affected`` scopes too (a dead feed makes
queue alerts everywhere: not false alarms, not detections of the dead feed either).

Pages. A line is an SMS page when ``"sms"`` is in its ``channels``; lines without ``channels`` get the
channels today's fan-out asks for (``floorwatch.delivery.sns.requested_channels`` with the rules file).
A page is false when its incident is not true.

Per-day figures divide by the simulated days (the labels' ``simulation`` lines); control days (the
``control_day`` lines) are also reported on their own: everything raised on them is false. So are the
weekly peaks (``normal_peak`` lines, simulations with weekly seasonality): normal traffic, so a page
opened in one is false unless it matches an incident label.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from floorwatch.alerts.model import Transition
from floorwatch.delivery.sns import requested_channels
from floorwatch.rules.config import RuleSet

from local.simulator.labels import CONTROL_DAY, NORMAL_PEAK, SIMULATION, Label, parse_instant

GRACE = timedelta(minutes=10)
DETECTIONS = frozenset({"opened", "upgraded"})
INCIDENT_RULE = "incident"
SMS = "sms"
CRITICAL = "critical"


@dataclass(frozen=True)
class Line:
    """The fields of one transition line that scoring reads."""

    at: datetime
    alert_id: str
    transition: str
    rule: str
    scope: str
    severity: str
    queue_id: str | None
    incident_id: str | None
    channels: tuple[str, ...]

    @property
    def is_page(self) -> bool:
        return SMS in self.channels

    @property
    def is_detection(self) -> bool:
        return self.transition in DETECTIONS


def read_lines(text: str, rules: RuleSet | None, where: str = "transitions") -> list[Line]:
    """Transition lines from JSON Lines; ValueError naming the line on anything unusable."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            lines.append(to_line(json.loads(raw), rules))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{where} line {number}: {error}") from None
    return lines


def to_line(data: Mapping[str, Any], rules: RuleSet | None) -> Line:
    """One ``Transition.to_dict()`` (with the lead's ``incident_id`` / ``channels`` when present)."""
    for key in ("at", "alert_id", "transition", "rule", "scope", "severity"):
        if not isinstance(data.get(key), str):
            raise ValueError(f"'{key}' must be a string")
    channels = data.get("channels")
    if channels is None:
        channels = _requested(data, rules)
    elif not isinstance(channels, list):
        raise ValueError("'channels' must be a list")
    incident = data.get("incident_id")
    queue = data.get("queue_id")
    return Line(
        at=parse_instant(data["at"]),
        alert_id=data["alert_id"],
        transition=data["transition"],
        rule=data["rule"],
        scope=data["scope"],
        severity=data["severity"],
        queue_id=str(queue) if queue else None,
        incident_id=str(incident) if incident else None,
        channels=tuple(str(channel) for channel in channels),
    )


def _requested(data: Mapping[str, Any], rules: RuleSet | None) -> tuple[str, ...]:
    """What today's fan-out sends a line without ``channels`` to (needs the rules it was replayed with)."""
    if rules is None:
        raise ValueError("no 'channels' on the line: give the rules file it was replayed with")
    return requested_channels(Transition.from_dict(data), rules.get(data["rule"]))


@dataclass
class Group:
    """One incident: its lines, in time order."""

    key: str
    lines: list[Line]
    scopes: frozenset[str]

    @property
    def opened_at(self) -> datetime:
        return self.lines[0].at


def incidents(lines: Sequence[Line]) -> list[Group]:
    """Group lines into incidents (see the module docstring)."""
    grouped = any(line.incident_id for line in lines)
    members: dict[str, list[Line]] = {}
    for line in sorted(lines, key=lambda line: line.at):
        key = line.alert_id
        if grouped and line.incident_id:
            key = line.incident_id
        members.setdefault(key, []).append(line)
    groups = []
    for key, group in members.items():
        scopes = {line.scope for line in group} | {
            f"queue:{line.queue_id}" for line in group if line.queue_id
        }
        groups.append(Group(key, group, frozenset(scopes)))
    return sorted(groups, key=lambda group: (group.opened_at, group.key))


def _first_detection(
    group: Group | Sequence[Line], scopes: frozenset[str], label: Label, *, critical: bool = False
) -> datetime | None:
    lines = group.lines if isinstance(group, Group) else group
    own = group.scopes if isinstance(group, Group) else _scopes_of(lines)
    if not own & scopes:
        return None
    until = label.end + GRACE
    for line in lines:
        if (
            line.is_detection
            and label.start <= line.at <= until
            and (not critical or line.severity == CRITICAL)
        ):
            return line.at
    return None


def _scopes_of(lines: Sequence[Line]) -> frozenset[str]:
    return frozenset(
        {line.scope for line in lines} | {f"queue:{line.queue_id}" for line in lines if line.queue_id}
    )


# --- the tally: counts that add up over many simulated days ------------------------------------------
@dataclass
class RuleTally:
    alerts: int = 0
    true_alerts: int = 0
    control_alerts: int = 0
    pages: int = 0
    false_pages: int = 0
    detected: int = 0  # labels this rule's alerts detected
    detect_seconds: list[float] = field(default_factory=list)

    def add(self, other: RuleTally) -> None:
        self.alerts += other.alerts
        self.true_alerts += other.true_alerts
        self.control_alerts += other.control_alerts
        self.pages += other.pages
        self.false_pages += other.false_pages
        self.detected += other.detected
        self.detect_seconds += other.detect_seconds


@dataclass
class KindTally:
    labels: int = 0
    detected: int = 0
    detect_seconds: list[float] = field(default_factory=list)
    critical_seconds: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # "start scope" of each missed label

    def add(self, other: KindTally) -> None:
        self.labels += other.labels
        self.detected += other.detected
        self.detect_seconds += other.detect_seconds
        self.critical_seconds += other.critical_seconds
        self.missed += other.missed


@dataclass
class PeriodTally:
    """Alerts, incidents and pages over some days (all days, or the control days only)."""

    days: float = 0.0
    alerts: int = 0
    incidents: int = 0
    true_incidents: int = 0
    pages: int = 0
    false_pages: int = 0

    def add(self, other: PeriodTally) -> None:
        self.days += other.days
        self.alerts += other.alerts
        self.incidents += other.incidents
        self.true_incidents += other.true_incidents
        self.pages += other.pages
        self.false_pages += other.false_pages


@dataclass
class Tally:
    overall: PeriodTally = field(default_factory=PeriodTally)
    control: PeriodTally = field(default_factory=PeriodTally)
    peaks: PeriodTally = field(default_factory=PeriodTally)  # within the normal weekly peaks
    rules: dict[str, RuleTally] = field(default_factory=dict)
    kinds: dict[str, KindTally] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.overall.add(other.overall)
        self.control.add(other.control)
        self.peaks.add(other.peaks)
        for name, rule in other.rules.items():
            self.rules.setdefault(name, RuleTally()).add(rule)
        for name, kind in other.kinds.items():
            self.kinds.setdefault(name, KindTally()).add(kind)

    def rule(self, name: str) -> RuleTally:
        return self.rules.setdefault(name, RuleTally())

    @property
    def labels(self) -> int:
        return sum(kind.labels for kind in self.kinds.values())

    @property
    def detected(self) -> int:
        return sum(kind.detected for kind in self.kinds.values())

    def detect_seconds(self, *, critical: bool = False) -> list[float]:
        return [
            seconds
            for kind in self.kinds.values()
            for seconds in (kind.critical_seconds if critical else kind.detect_seconds)
        ]


def score(labels: Sequence[Label], lines: Sequence[Line], days: float | None = None) -> Tally:
    """Score one run (see the module docstring); ``days`` overrides the labels' simulated period."""
    tally = Tally()
    scripted = [label for label in labels if label.is_incident]
    control = [label for label in labels if label.kind == CONTROL_DAY]
    peaks = [label for label in labels if label.kind == NORMAL_PEAK]
    groups = incidents(lines)
    true_groups = {group.key for group in groups if any(_is_true(group, label) for label in scripted)}
    group_of = {id(line): group.key for group in groups for line in group.lines}

    tally.overall.days = days if days is not None else _days(labels, SIMULATION)
    tally.control.days = _days(labels, CONTROL_DAY)
    tally.overall.incidents = len(groups)
    tally.overall.true_incidents = len(true_groups)
    tally.control.incidents = sum(1 for group in groups if _within(group.opened_at, control))
    tally.peaks.days = _days(labels, NORMAL_PEAK)
    tally.peaks.incidents = sum(1 for group in groups if _within(group.opened_at, peaks))
    tally.peaks.true_incidents = sum(
        1 for group in groups if group.key in true_groups and _within(group.opened_at, peaks)
    )
    _tally_alerts(tally, lines, scripted, control, peaks)
    for line in lines:
        if not line.is_page:
            continue
        false = group_of[id(line)] not in true_groups
        rule = tally.rule(line.rule)
        rule.pages += 1
        rule.false_pages += false
        tally.overall.pages += 1
        tally.overall.false_pages += false
        if _within(line.at, control):
            tally.control.pages += 1
            tally.control.false_pages += 1
        if _within(line.at, peaks):
            tally.peaks.pages += 1
            tally.peaks.false_pages += false
    _tally_labels(tally, scripted, groups, lines)
    return tally


def _tally_alerts(
    tally: Tally,
    lines: Sequence[Line],
    scripted: Sequence[Label],
    control: Sequence[Label],
    peaks: Sequence[Label] = (),
) -> None:
    alerts: dict[str, list[Line]] = {}
    for line in lines:
        if line.rule != INCIDENT_RULE:
            alerts.setdefault(line.alert_id, []).append(line)
    for alert in alerts.values():
        alert.sort(key=lambda line: line.at)
        if not any(line.transition == "opened" for line in alert):
            continue
        rule = tally.rule(alert[0].rule)
        rule.alerts += 1
        tally.overall.alerts += 1
        if any(_first_detection(alert, _all_scopes(label), label) for label in scripted):
            rule.true_alerts += 1
        if _within(alert[0].at, control):
            rule.control_alerts += 1
            tally.control.alerts += 1
        if _within(alert[0].at, peaks):
            tally.peaks.alerts += 1


def _tally_labels(
    tally: Tally, scripted: Sequence[Label], groups: Sequence[Group], lines: Sequence[Line]
) -> None:
    by_rule: dict[str, list[Line]] = {}
    for line in lines:
        if line.rule != INCIDENT_RULE:
            by_rule.setdefault(line.alert_id, []).append(line)
    for label in scripted:
        kind = tally.kinds.setdefault(label.kind, KindTally())
        kind.labels += 1
        wanted = frozenset(label.scopes)
        first = _earliest(_first_detection(group, wanted, label) for group in groups)
        critical = _earliest(_first_detection(group, wanted, label, critical=True) for group in groups)
        if first is None:
            kind.missed.append(f"{label.start:%Y-%m-%d %H:%M} {label.queue or ','.join(label.scopes[:1])}")
            continue
        kind.detected += 1
        kind.detect_seconds.append((first - label.start).total_seconds())
        if critical is not None:
            kind.critical_seconds.append((critical - label.start).total_seconds())
        per_rule: dict[str, datetime] = {}
        for alert in by_rule.values():
            found = _first_detection(alert, wanted, label)
            if found is not None and (alert[0].rule not in per_rule or found < per_rule[alert[0].rule]):
                per_rule[alert[0].rule] = found
        for name, found in per_rule.items():
            rule = tally.rule(name)
            rule.detected += 1
            rule.detect_seconds.append((found - label.start).total_seconds())


def first_detections(labels: Sequence[Label], lines: Sequence[Line]) -> dict[Label, datetime | None]:
    """Each incident label's first detection (the matching rule above), None when it was missed."""
    groups = incidents(lines)
    return {
        label: _earliest(_first_detection(group, frozenset(label.scopes), label) for group in groups)
        for label in labels
        if label.is_incident
    }


def _is_true(group: Group, label: Label) -> bool:
    return _first_detection(group, _all_scopes(label), label) is not None


def _all_scopes(label: Label) -> frozenset[str]:
    return frozenset(label.scopes) | frozenset(label.affected)


def _earliest(instants: Iterable[datetime | None]) -> datetime | None:
    found = [instant for instant in instants if instant is not None]
    return min(found) if found else None


def _within(at: datetime, periods: Sequence[Label]) -> bool:
    return any(period.start <= at < period.end for period in periods)


def _days(labels: Sequence[Label], kind: str) -> float:
    return sum((label.end - label.start).total_seconds() for label in labels if label.kind == kind) / 86400


# --- the report ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Goal:
    text: str
    met: bool
    value: str


def goals(tally: Tally) -> list[Goal]:
    """The issue's goals, checked on ``tally``."""
    overall, control = tally.overall, tally.control
    pages = sum(rule.pages for rule in tally.rules.values())
    true_pages = pages - sum(rule.false_pages for rule in tally.rules.values())
    detect, critical = tally.detect_seconds(), tally.detect_seconds(critical=True)
    control_days = max(control.days, 1e-9)
    return [
        Goal("recall 100 %", tally.detected == tally.labels, _percent(tally.detected, tally.labels)),
        Goal(
            "precision >= 60 %",
            _ratio(overall.true_incidents, overall.incidents) >= 0.6,
            _percent(overall.true_incidents, overall.incidents),
        ),
        Goal("SMS precision >= 90 %", _ratio(true_pages, pages, 1.0) >= 0.9, _percent(true_pages, pages)),
        Goal(
            "<= 1 false page per center-day",
            _per_day(overall.false_pages, overall.days) <= 1,
            f"{_per_day(overall.false_pages, overall.days):.2f}",
        ),
        Goal("control day: no page", control.pages == 0, f"{control.pages} on {control.days:g} day(s)"),
        Goal(
            "control day: <= 5 incidents",
            control.incidents / control_days <= 5,
            f"{control.incidents / control_days:.1f} a day",
        ),
        Goal(
            "median time to detect < 2 min",
            bool(detect) and statistics.median(detect) < 120,
            clock(detect, "median"),
        ),
        Goal("worst critical < 5 min", not critical or max(critical) < 300, clock(critical, "max")),
    ]


def report(tally: Tally) -> str:
    """The tables: overall (all days, control days), per incident kind, per rule, and the goals."""
    out: list[str] = []
    out.append(_overall_table(tally))
    out.append("")
    out.append(_kind_table(tally))
    out.append("")
    out.append(_rule_table(tally))
    out.append("")
    out.append("goals (issue 9):")
    for goal in goals(tally):
        out.append(f"  [{'met' if goal.met else 'NOT met':>7}] {goal.text:<32} {goal.value}")
    missed = [(name, item) for name, kind in sorted(tally.kinds.items()) for item in kind.missed]
    if missed:
        out.append("missed labels: " + "; ".join(f"{name} {item}" for name, item in missed[:20]))
    return "\n".join(out)


def _overall_table(tally: Tally) -> str:
    rows = [
        [
            "period",
            "days",
            "alerts",
            "incidents",
            "precision",
            "recall",
            "TTD med",
            "TTD max",
            "crit med",
            "crit max",
            "SMS/day",
            "false SMS/day",
            "SMS prec",
            "incidents/day",
        ]
    ]
    pages = sum(rule.pages for rule in tally.rules.values())
    true_pages = pages - sum(rule.false_pages for rule in tally.rules.values())
    detect, critical = tally.detect_seconds(), tally.detect_seconds(critical=True)
    overall, control = tally.overall, tally.control
    rows.append(
        [
            "all days",
            f"{overall.days:g}",
            str(overall.alerts),
            str(overall.incidents),
            _percent(overall.true_incidents, overall.incidents),
            _percent(tally.detected, tally.labels),
            clock(detect, "median"),
            clock(detect, "max"),
            clock(critical, "median"),
            clock(critical, "max"),
            f"{_per_day(overall.pages, overall.days):.2f}",
            f"{_per_day(overall.false_pages, overall.days):.2f}",
            _percent(true_pages, pages),
            f"{_per_day(overall.incidents, overall.days):.1f}",
        ]
    )
    rows.append(
        [
            "control days",
            f"{control.days:g}",
            str(control.alerts),
            str(control.incidents),
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            f"{_per_day(control.pages, control.days):.2f}",
            f"{_per_day(control.false_pages, control.days):.2f}",
            "-",
            f"{_per_day(control.incidents, control.days):.1f}",
        ]
    )
    peaks = tally.peaks
    if peaks.days:
        rows.append(
            [
                "normal peaks",
                f"{peaks.days:.2f}",
                str(peaks.alerts),
                str(peaks.incidents),
                _percent(peaks.true_incidents, peaks.incidents),
                *["-"] * 5,
                f"{peaks.pages} SMS",
                f"{peaks.false_pages} false",
                "-",
                "-",
            ]
        )
    return text_table(rows)


def _kind_table(tally: Tally) -> str:
    rows = [
        [
            "incident kind",
            "labels",
            "detected",
            "recall",
            "TTD med",
            "TTD max",
            "critical",
            "crit med",
            "crit max",
        ]
    ]
    for name, kind in sorted(tally.kinds.items()):
        rows.append(
            [
                name,
                str(kind.labels),
                str(kind.detected),
                _percent(kind.detected, kind.labels),
                clock(kind.detect_seconds, "median"),
                clock(kind.detect_seconds, "max"),
                str(len(kind.critical_seconds)),
                clock(kind.critical_seconds, "median"),
                clock(kind.critical_seconds, "max"),
            ]
        )
    return text_table(rows)


def _rule_table(tally: Tally) -> str:
    rows = [
        [
            "rule",
            "alerts",
            "precision",
            "control alerts",
            "SMS",
            "false SMS",
            "SMS/day",
            "false SMS/day",
            "labels detected",
            "TTD med",
        ]
    ]
    days = tally.overall.days
    for name, rule in sorted(tally.rules.items(), key=lambda item: (-item[1].alerts, item[0])):
        rows.append(
            [
                name,
                str(rule.alerts),
                _percent(rule.true_alerts, rule.alerts),
                str(rule.control_alerts),
                str(rule.pages),
                str(rule.false_pages),
                f"{_per_day(rule.pages, days):.2f}",
                f"{_per_day(rule.false_pages, days):.2f}",
                str(rule.detected),
                clock(rule.detect_seconds, "median"),
            ]
        )
    return text_table(rows)


def text_table(rows: list[list[str]]) -> str:
    """Rows as aligned columns (the first row a header, underlined; the first column left-aligned)."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _ratio(part: int, whole: int, empty: float = 0.0) -> float:
    return part / whole if whole else empty


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def _per_day(count: float, days: float) -> float:
    return count / days if days else 0.0


def clock(seconds: Sequence[float], how: str) -> str:
    """The median or max of ``seconds`` as m:ss ("-" when empty)."""
    if not seconds:
        return "-"
    value = statistics.median(seconds) if how == "median" else max(seconds)
    whole = round(value)
    return f"{whole // 60}:{whole % 60:02d}"
