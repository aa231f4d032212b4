"""`floorwatch rules report`: how each rule's alerts were received, and what tuning the feedback supports.

Reads the audit log (acknowledgements, "not useful" feedback with reasons) and the alert history
(transitions of alerts and incidents) from exported files or from the tables (the local runtime's,
or a deployed stage's; read-only scans), and prints per rule and scope: alerts opened, incidents,
pages, acknowledged, median time to acknowledge, the "not useful" rate and its reasons, a flag on
rules marked not useful often, and a suggested threshold change where the data supports one
(``floorwatch.alerts.feedback_report``). With ``--events`` each suggestion is replayed on the recorded
events (as ``floorwatch replay`` does) to show what it would have done to the window's alerts.

Exit status 0 when it ran, 2 on unusable arguments or input (missing or malformed file, unknown table,
unreachable endpoint, invalid rules file).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from floorwatch.alerts.feedback_report import (
    NO_REASON,
    ReplayEffect,
    ReplayPlan,
    Report,
    Row,
    Window,
    build_report,
    replay_effect,
    with_tier,
)
from floorwatch.alerts.model import Transition
from floorwatch.rules.config import (
    Direction,
    RulesError,
    RuleSet,
    ThresholdRule,
    load_default_rules,
    load_rules,
)
from floorwatch.rules.durations import format_duration, parse_duration
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from floorwatch.store.metrics_port import MetricStore
from floorwatch.timefmt import iso_seconds

from local.commands.replay import replay
from local.errors import UsageError
from local.payload_files import RawPayload, display_name, read_payloads
from local.report_sources import (
    History,
    Tables,
    aws_errors,
    dynamodb_client,
    events_history,
    read_files,
    read_tables,
    table_names,
    to_stderr,
)

EXIT_INVALID = 2
DEFAULT_SINCE = "7d"


def register(actions: Any) -> None:
    parser = actions.add_parser(
        "report",
        help="per rule and scope: alerts, acknowledgements, 'not useful' feedback, suggested thresholds",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--rules", metavar="RULES.yaml", help="the rules in force (default: the shipped rules)"
    )
    files = parser.add_argument_group("files (exported or recorded)")
    files.add_argument(
        "--audit", metavar="AUDIT.jsonl", help="audit log entries (JSON Lines, or a table scan)"
    )
    files.add_argument(
        "--alerts",
        metavar="ALERTS.jsonl",
        help="alert transitions (`floorwatch replay` output, or a table scan)",
    )
    tables = parser.add_argument_group("tables (read-only; the default AWS credentials chain)")
    tables.add_argument(
        "--stage", metavar="STAGE", help="read floorwatch-STAGE-audit / -alerts (local: 'local')"
    )
    tables.add_argument("--audit-table", metavar="NAME", help="audit table name (overrides --stage)")
    tables.add_argument("--alerts-table", metavar="NAME", help="alerts table name (overrides --stage)")
    tables.add_argument(
        "--metrics-table", metavar="NAME", help="metrics table, for the alerts' peaks (overrides --stage)"
    )
    tables.add_argument("--endpoint-url", metavar="URL", help="DynamoDB endpoint (e.g. the local runtime's)")
    tables.add_argument(
        "--region", metavar="REGION", help="AWS region (default: $AWS_DEFAULT_REGION, else us-east-1)"
    )
    parser.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        metavar="DURATION|TIME",
        help=f"alerts opened this long before --until, or since an ISO time (default {DEFAULT_SINCE})",
    )
    parser.add_argument(
        "--until",
        metavar="TIME",
        help="end of the window, ISO 8601 (default: now for tables, the newest record for files)",
    )
    parser.add_argument(
        "--events",
        metavar="EVENTS.jsonl",
        help="recorded raw events of the window: replay each suggestion on them (as `floorwatch replay`)",
    )
    parser.add_argument("--tick", default="10s", metavar="DURATION", help="replay tick (default 10s)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        rules = load_default_rules() if args.rules is None else load_rules(args.rules)
    except RulesError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in {args.rules}: no report", file=sys.stderr)
        return EXIT_INVALID
    tick = _duration("--tick", args.tick)
    history, window, tables = _read(args)
    payloads = list(read_payloads(args.events)) if args.events is not None else None
    if payloads is not None:
        metrics: tuple[MetricStore, str] | None = (events_history(payloads), display_name(args.events))
        report = build_report(history.transitions, history.audit, window, rules, metrics)
    elif tables is not None and tables.metrics is not None:
        report = _with_metric_table(history, window, rules, tables, tables.metrics)
    else:
        report = build_report(history.transitions, history.audit, window, rules)
    if payloads is not None:
        report = _with_replays(report, rules, args.events, payloads, tick)
    else:
        note = "the replay needs recorded events: add --events EVENTS.jsonl"
        rows = tuple(
            replace(row, replay_note=note) if row.verdict and row.verdict.suggestion else row
            for row in report.rows
        )
        report = replace(report, rows=rows)
    if args.json:
        print(json.dumps(report_json(report, history.where), indent=2, ensure_ascii=False))
    else:
        print(render(report, history.where))
    return 0


# --- input -------------------------------------------------------------------------------------------


def _read(args: argparse.Namespace) -> tuple[History, Window, Tables | None]:
    from_files = args.audit is not None or args.alerts is not None
    from_tables = any(
        value is not None
        for value in (args.stage, args.audit_table, args.alerts_table, args.metrics_table, args.endpoint_url)
    )
    if from_files and from_tables:
        raise UsageError("read either files (--audit, --alerts) or tables (--stage ...), not both")
    if from_files:
        if args.audit is None or args.alerts is None:
            raise UsageError("give both --audit AUDIT.jsonl and --alerts ALERTS.jsonl")
        history = read_files(args.audit, args.alerts)
        newest = history.newest()
        until = _time("--until", args.until) if args.until else (newest or _now()) + timedelta(microseconds=1)
        return history, _window(args.since, until), None
    if not from_tables:
        raise UsageError(
            "say what to read: --audit FILE --alerts FILE, or --stage STAGE (with --endpoint-url for the "
            "local runtime)"
        )
    audit, alerts, metrics = table_names(args.stage, args.audit_table, args.alerts_table, args.metrics_table)
    tables = Tables(audit, alerts, args.endpoint_url, args.region or _default_region(), metrics)
    until = _time("--until", args.until) if args.until else _now()
    window = _window(args.since, until)
    client = dynamodb_client(tables.endpoint_url, tables.region)
    return read_tables(tables, window.since, client, progress=to_stderr()), window, tables


def _default_region() -> str | None:
    return os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")


def _now() -> datetime:
    return datetime.now(UTC)


def _window(since: str, until: datetime) -> Window:
    text = since.strip()
    start: datetime
    try:
        start = until - parse_duration(text)
    except ValueError:
        try:
            start = _time("--since", text)
        except UsageError:
            raise UsageError(
                f"--since: {since!r} is neither a duration (e.g. 7d, 36h) nor an ISO 8601 time"
            ) from None
    if start >= until:
        raise UsageError(f"--since ({iso_seconds(start)}) must be before --until ({iso_seconds(until)})")
    return Window(start, until)


def _time(option: str, text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not an ISO 8601 time (e.g. 2026-11-30T00:00:00Z)") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _duration(option: str, text: str) -> timedelta:
    try:
        value = parse_duration(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None
    if value <= timedelta(0):
        raise UsageError(f"{option} must be longer than 0s")
    return value


def _with_metric_table(
    history: History, window: Window, rules: RuleSet, tables: Tables, table: str
) -> Report:
    """The report with peaks re-judged from the metrics table (which keeps 8 days); without it when the
    table does not exist (a warning: the transitions' values still give estimates)."""
    progress = to_stderr()
    progress(f"re-judging the alerts' peaks from {table}")
    store = DynamoMetricStore(
        dynamodb_client(tables.endpoint_url, tables.region), table, learned_kinds=rules.learned_kinds()
    )
    with aws_errors(tables):
        try:
            return build_report(history.transitions, history.audit, window, rules, (store, table))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
    progress(f"warning: metrics table {table!r} not found: peaks are the values the transitions recorded")
    return build_report(history.transitions, history.audit, window, rules)


# --- replays -----------------------------------------------------------------------------------------


def _with_replays(
    report: Report, rules: RuleSet, events: str, payloads: list[RawPayload], tick: timedelta
) -> Report:
    plan = ReplayPlan.of(report)
    if not plan.variants:
        return report
    progress = to_stderr()
    progress(f"replaying {display_name(events)} ({len(payloads)} records) with the rules as they are")
    before = replay(rules, payloads, tick).transitions
    records = report.records
    effects: dict[tuple[str, str], ReplayEffect] = {}
    for number, ((rule_id, severity, level), keys) in enumerate(plan.variants.items(), 1):
        rule = rules.get(rule_id)
        if not isinstance(rule, ThresholdRule):
            continue
        changed = RuleSet(
            tuple(with_tier(rule, severity, level) if item.id == rule_id else item for item in rules),
            rules.source,
            rules.incidents,
        )
        sign = ">" if rule.direction is Direction.ABOVE else "<"
        progress(
            f"replaying with {rule_id} {severity.value} {sign}{level:g} ({number} of {len(plan.variants)})"
        )
        after = _quiet_replay(changed, payloads, tick)
        for key in keys:
            effects[key] = replay_effect(records, before, after, key, report.window)
    rows = tuple(replace(row, replay=effects[row.key]) if row.key in effects else row for row in report.rows)
    return replace(report, rows=rows)


def _quiet_replay(rules: RuleSet, payloads: Sequence[Any], tick: timedelta) -> list[Transition]:
    """A replay whose rejected records were already reported by the first one."""
    with contextlib.redirect_stderr(io.StringIO()):
        return replay(rules, payloads, tick).transitions


# --- output ------------------------------------------------------------------------------------------

_COLUMNS = ("rule", "scope", "alerts", "incidents", "pages", "acked", "median ack", "not useful", "")


def render(report: Report, where: str) -> str:
    window = report.window
    lines = [
        f"Alerts opened {iso_seconds(window.since)} .. {iso_seconds(window.until)} "
        f"({format_duration(window.until - window.since)}), from {where}",
        f"{report.feedback_entries} feedback entries"
        + (
            f" ({report.unmatched_feedback} on alerts outside the window)"
            if report.unmatched_feedback
            else ""
        ),
    ]
    lines.append(f"Alerts' peaks (for suggestions): {report.peaks_from}")
    if not report.rows:
        lines.append("No alert opened in the window.")
        return "\n".join(lines)
    lines.append("")
    lines += _table([_cells(row) for row in report.rows], notes=[_notes(row) for row in report.rows])
    lines += ["", "Per rule (all scopes):"]
    lines += _table([_cells(row) for row in report.rules], notes=[[] for _ in report.rules])
    flagged = report.flagged
    lines.append("")
    if flagged:
        lines.append("Marked not useful often:")
        lines += [
            f"  {row.rule} on {'every scope' if row.scope == '*' else row.scope}: "
            f"{row.not_useful} of {row.alerts} alerts ({row.not_useful_rate:.0%})"
            for row in flagged
        ]
    else:
        lines.append("No rule was marked not useful often.")
    return "\n".join(lines)


def _cells(row: Row) -> list[str]:
    rate = f"{row.not_useful} ({row.not_useful_rate:.0%})" if row.not_useful else "0"
    return [
        row.rule,
        row.scope,
        str(row.alerts),
        str(row.incidents),
        str(row.pages),
        str(row.acknowledged),
        _duration_text(row.median_ack),
        rate,
        "FLAGGED" if row.flagged else "",
    ]


def _notes(row: Row) -> list[str]:
    notes: list[str] = []
    if row.reasons:
        notes.append("reasons: " + ", ".join(f"{_quoted(item.reason)} x{item.count}" for item in row.reasons))
    if row.peaks_not_useful:
        others = ", ".join(f"{peak:g}" for peak in row.peaks_others) or "none"
        notes.append(
            f"peaks: not useful {', '.join(f'{peak:g}' for peak in row.peaks_not_useful)}; others {others}"
        )
    if row.verdict is not None and (row.verdict.suggestion is not None or row.not_useful):
        label = "suggestion" if row.verdict.suggestion else "no change"
        notes.append(f"{label}: {row.verdict.reason}")
    if row.replay is not None:
        notes.append("replay: " + _replay_text(row.replay))
    elif row.replay_note:
        notes.append(row.replay_note)
    return notes


def _quoted(reason: str) -> str:
    return reason if reason == NO_REASON else f'"{reason}"'


def _replay_text(effect: ReplayEffect) -> str:
    return (
        f"alerts {effect.before.alerts} -> {effect.after.alerts}, pages {effect.before.pages} -> "
        f"{effect.after.pages} (the history holds {effect.recorded}); not-useful alerts silenced "
        f"{effect.not_useful_silenced} of {effect.not_useful}; other alerts lost {effect.others_lost}"
    )


def _table(rows: list[list[str]], notes: list[list[str]]) -> list[str]:
    widths = [max(len(cells[i]) for cells in [list(_COLUMNS), *rows]) for i in range(len(_COLUMNS))]
    numeric = range(2, 8)

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    out = [line(_COLUMNS)]
    for cells, extra in zip(rows, notes, strict=True):
        out.append(line(cells))
        out += [f"    {note}" for note in extra]
    return out


def _duration_text(value: timedelta | None) -> str:
    if value is None:
        return "-"
    return format_duration(timedelta(seconds=round(value.total_seconds())))


def report_json(report: Report, where: str) -> dict[str, Any]:
    return {
        "source": where,
        "since": iso_seconds(report.window.since),
        "until": iso_seconds(report.window.until),
        "feedback_entries": report.feedback_entries,
        "unmatched_feedback": report.unmatched_feedback,
        "peaks_from": report.peaks_from,
        "scopes": [_row_json(row) for row in report.rows],
        "rules": [_row_json(row) for row in report.rules],
        "flagged": [{"rule": row.rule, "scope": row.scope} for row in report.flagged],
    }


def _row_json(row: Row) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule": row.rule,
        "scope": row.scope,
        "alerts": row.alerts,
        "incidents": row.incidents,
        "pages": row.pages,
        "acknowledged": row.acknowledged,
        "median_ack_seconds": None if row.median_ack is None else row.median_ack.total_seconds(),
        "rated": row.rated,
        "not_useful": row.not_useful,
        "not_useful_rate": round(row.not_useful_rate, 4),
        "reasons": [{"reason": item.reason, "count": item.count} for item in row.reasons],
        "flagged": row.flagged,
        "peaks": {"not_useful": list(row.peaks_not_useful), "others": list(row.peaks_others)},
    }
    if row.scope == "*":
        return data
    suggestion = row.verdict.suggestion if row.verdict else None
    data["suggestion"] = (
        None
        if suggestion is None
        else {
            "tier": suggestion.severity.value,
            "direction": suggestion.direction.value,
            "current": suggestion.current,
            "suggested": suggestion.suggested,
            "silenced_alerts": list(suggestion.silenced),
            "not_useful": suggestion.not_useful,
            "kept": suggestion.kept,
        }
    )
    data["verdict"] = row.verdict.reason if row.verdict else None
    effect = row.replay
    data["replay"] = (
        None
        if effect is None
        else {
            "before": {"alerts": effect.before.alerts, "pages": effect.before.pages},
            "after": {"alerts": effect.after.alerts, "pages": effect.after.pages},
            "recorded": effect.recorded,
            "not_useful_silenced": effect.not_useful_silenced,
            "not_useful": effect.not_useful,
            "others_lost": effect.others_lost,
        }
    )
    if row.replay_note:
        data["replay_note"] = row.replay_note
    return data
