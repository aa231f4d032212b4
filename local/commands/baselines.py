"""`floorwatch baselines learn|show|seed`: hour-of-week baselines learned offline, read, and seeded.

- ``learn EVENTS.jsonl --rules R --out baselines.json``: learn from recorded platform events (anything
  ``floorwatch normalize`` / ``replay`` accepts) with the scheduled function's learner, run at every
  whole hour of event time (``local.baselines_offline``); progress and rejected records on stderr.
- ``show baselines.json --scope queue:billing [--metric m] [--rules R]``: the scope's slots, one line
  each, in local time (day and hour of the center's clock), with centre, spread, samples; with
  ``--rules`` also the thresholds each slot gives the rules that name the metric.
- ``seed baselines.json --table NAME [--endpoint-url URL] [--region R] [--replace]``: write the file
  into a deployed baselines table through the DynamoDB store the learner uses, so the stack starts
  with what the recording taught (the scheduled learner then continues from it).

Exit status: 0 when it ran, 2 on unusable arguments (missing or invalid file, invalid rules, an
unknown time zone, an unreachable table).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Any

from floorwatch.events.model import CxEvent
from floorwatch.metrics.model import scope_kind
from floorwatch.rules.baselines import adaptive_thresholds, slot_label, usable
from floorwatch.rules.baselines_learner import LearnReport
from floorwatch.rules.config import RulesError, RuleSet, ThresholdRule, load_rules
from floorwatch.rules.durations import format_duration
from floorwatch.store.baselines_dynamodb import DynamoBaselineStore
from floorwatch.store.baselines_memory import InMemoryBaselineStore
from tqdm import tqdm

from local import baselines_file
from local.aws_clients import DEFAULT_REGION, aws_client, aws_usage_errors
from local.baselines_offline import learn
from local.errors import UsageError
from local.payload_files import display_name, read_payloads

EXIT_INVALID = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "baselines",
        help="learn hour-of-week baselines from recorded events, show them, seed a deployed table",
        description="Seasonal baselines outside the deployed stack: learned from a recording with the "
        "scheduled function's learner, printed per slot, or written into a deployed baselines table.",
    )
    commands = parser.add_subparsers(dest="baselines_command", metavar="ACTION", required=True)

    learn_parser = commands.add_parser(
        "learn",
        help="learn baselines from a file of recorded platform events",
        description="Normalize the recorded payloads, fold them into metrics as the evaluator does and run "
        "the baselines learner at every whole hour of event time, as the hourly schedule does; write the "
        "result as a baselines file (JSON, versioned).",
    )
    learn_parser.add_argument("file", metavar="EVENTS.jsonl", help="file of raw payloads, or - for stdin")
    learn_parser.add_argument(
        "--rules", required=True, metavar="RULES.yaml", help="rules file (YAML or JSON)"
    )
    learn_parser.add_argument("--out", required=True, metavar="BASELINES.json", help="file to write")
    learn_parser.add_argument(
        "--from",
        dest="start_from",
        metavar="BASELINES.json",
        help="continue from baselines learned before (an earlier --out)",
    )
    learn_parser.set_defaults(handler=run_learn)

    show = commands.add_parser(
        "show",
        help="print one scope's baselines, slot by slot, in the center's local time",
        description="Print a scope's learned slots from a baselines file: local day and hour, centre "
        "(median), spread (sigma), samples. With --rules, also the thresholds each slot gives.",
    )
    show.add_argument("file", metavar="BASELINES.json")
    show.add_argument("--scope", required=True, help='the scope, e.g. "queue:billing" or "center:acme"')
    show.add_argument("--metric", help="only this metric (default: every metric learned for the scope)")
    show.add_argument("--rules", metavar="RULES.yaml", help="also print the thresholds these rules would use")
    show.set_defaults(handler=run_show)

    seed_parser = commands.add_parser(
        "seed",
        help="write a baselines file into a deployed baselines table (DynamoDB)",
        description="Write the file's baselines into the deployed stack's baselines table, as the learner "
        "writes them (slots first, the pair's watermark last); the scheduled learner continues from there. "
        "A pair the table has learned further is kept unless --replace.",
    )
    seed_parser.add_argument("file", metavar="BASELINES.json")
    seed_parser.add_argument("--table", required=True, metavar="NAME", help="the baselines table's name")
    seed_parser.add_argument("--endpoint-url", metavar="URL", help="DynamoDB endpoint (the local runtime's)")
    seed_parser.add_argument(
        "--region", metavar="REGION", help=f"AWS region (default: $AWS_DEFAULT_REGION, else {DEFAULT_REGION})"
    )
    seed_parser.add_argument(
        "--replace", action="store_true", help="overwrite pairs the table has learned further than the file"
    )
    seed_parser.set_defaults(handler=run_seed)


# --- learn -----------------------------------------------------------------------------------------
def run_learn(args: argparse.Namespace) -> int:
    rules = _rules(args.rules)
    if rules is None:
        return EXIT_INVALID
    start = baselines_file.load(args.start_from) if args.start_from else None
    payloads = read_payloads(args.file)  # a missing file fails here, before anything is written
    with tqdm(unit=" events", file=sys.stderr, disable=None, mininterval=1.0) as progress:
        last_hour: list[str] = []

        def on_event(_event: CxEvent) -> None:
            progress.update(1)

        def on_run(at: datetime, _report: LearnReport) -> None:
            last_hour[:] = [at.astimezone(UTC).strftime("%Y-%m-%d %H:00Z")]
            progress.set_postfix_str(f"learned up to {last_hour[0]}", refresh=False)

        def on_reject(message: str) -> None:
            progress.write(f"{display_name(args.file)} {message}", file=sys.stderr)

        learned = learn(payloads, rules, store=start, on_event=on_event, on_reject=on_reject, on_run=on_run)
    counts = learned.counts
    summary = {
        "rules": args.rules,
        "events": counts.events,
        "first_event": learned.first_event.isoformat() if learned.first_event else None,
        "last_event": learned.last_event.isoformat() if learned.last_event else None,
    }
    pairs = baselines_file.save(learned.baselines, args.out, summary)
    span = ""
    if learned.first_event and learned.last_event:
        span = f" over {format_duration(learned.last_event - learned.first_event)} of event time"
    print(
        f"{counts.records} records read, {counts.events} events, {counts.rejected} rejected{span}; "
        f"{learned.runs} hourly learning runs; {pairs} (scope, metric) pairs written to {args.out}",
        file=sys.stderr,
    )
    if pairs == 0:
        print(
            "no baselines learned: no rule in the rules file has a baseline: block, or no scope of "
            "theirs had data",
            file=sys.stderr,
        )
    return 0


# --- show ------------------------------------------------------------------------------------------
def run_show(args: argparse.Namespace) -> int:
    store = baselines_file.load(args.file)
    rules = _rules(args.rules) if args.rules else None
    if args.rules and rules is None:
        return EXIT_INVALID
    pairs = [
        (scope, metric)
        for scope, metric in store.pairs()
        if scope == args.scope and (args.metric is None or metric == args.metric)
    ]
    if not pairs:
        known = sorted({scope for scope, _ in store.pairs()})
        hint = f" (scopes in the file: {', '.join(known[:10])}{' ...' if len(known) > 10 else ''})"
        what = f"{args.scope} {args.metric}" if args.metric else args.scope
        raise UsageError(f"{args.file} has no baselines for {what}{hint if known else ''}")
    out = sys.stdout
    for scope, metric in pairs:
        out.write(describe(store, scope, metric, _rules_for(rules, scope, metric)))
    return 0


def describe(
    store: InMemoryBaselineStore, scope: str, metric: str, rules: list[ThresholdRule] | None = None
) -> str:
    """A pair's slots as text: a header, then one line per slot in slot (local time) order."""
    state = store.pair(scope, metric)
    slots = store.slots(scope, metric)
    if state is None:
        return ""
    since = state.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if state.since else "no data yet"
    until = state.learned_until.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"{scope} {metric}: window {format_duration(state.window)}, {state.seasonality.replace('_', ' ')}, "
        f"local time {state.timezone}; watched from {since} to {until}; {len(slots)} slots with samples",
    ]
    header = f"  {'slot':<10} {'centre':>10} {'spread':>10} {'samples':>8} {'hours':>6}"
    if rules:
        header += "  thresholds"
    lines.append(header)
    for key, history, baseline, _zone in slots:
        line = (
            f"  {slot_label(key.slot, key.seasonality):<10} {_number(baseline.center):>10} "
            f"{'±' + _number(baseline.sigma):>10} {baseline.samples:>8} {len(history.hours):>6}"
        )
        if rules:
            line += "  " + "; ".join(_thresholds(rule, baseline) for rule in rules)
        lines.append(line)
    return "\n".join(lines) + "\n\n"


def _thresholds(rule: ThresholdRule, baseline: Any) -> str:
    tiers = ", ".join(
        f"{severity.value} {_number(value)}"
        for severity, value in adaptive_thresholds(rule, baseline).levels()
    )
    note = "" if usable(rule, baseline) else " (static: baseline not usable yet)"
    return f"{rule.id}: {tiers}{note}"


def _rules_for(rules: RuleSet | None, scope: str, metric: str) -> list[ThresholdRule] | None:
    if rules is None:
        return None
    kind = scope_kind(scope)
    return [
        rule for rule in rules.threshold_rules(kind) if rule.metric == metric and rule.baseline is not None
    ]


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:.0f}"


# --- seed ------------------------------------------------------------------------------------------
def run_seed(args: argparse.Namespace) -> int:
    store = baselines_file.load(args.file)
    target = DynamoBaselineStore(aws_client("dynamodb", args.endpoint_url, args.region), args.table)
    region = args.region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    where = f"DynamoDB (region {region}" + (f", endpoint {args.endpoint_url})" if args.endpoint_url else ")")

    def not_found(code: str) -> str | None:
        return f"table {args.table!r} not found" if code == "ResourceNotFoundException" else None

    with aws_usage_errors(where, not_found):
        report = baselines_file.seed(store, target, replace=args.replace)
    for message in report.skipped:
        print(f"kept: {message}", file=sys.stderr)
    print(
        f"{args.table}: {report.pairs_written} pairs seeded ({report.slots_written} slots written, "
        f"{report.slots_cleared} old slots cleared), {len(report.skipped)} kept"
    )
    return 0


def _rules(path: str) -> RuleSet | None:
    try:
        return load_rules(path)
    except RulesError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in {path}: nothing done", file=sys.stderr)
        return None
