"""`floorwatch score --labels LABELS.jsonl [--rules RULES.yaml] TRANSITIONS.jsonl`: alert quality.

Scores the transitions of a `floorwatch replay` against the labels `floorwatch simulate --labels` wrote
for the same run: alerts and incidents opened, precision, recall, time to detect, SMS pages per day,
false pages per day, per rule and per incident kind, and the control days on their own. The matching
rule is in ``local.quality``. ``--rules`` (the rules the replay used) is needed when the transitions do
not say which channels they went to. Exit status 0 when it ran, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from floorwatch.rules.config import RulesError, RuleSet, load_rules

from local.errors import UsageError
from local.payload_files import display_name, read_source
from local.quality import read_lines, report, score
from local.simulator.labels import read_labels


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score a replay's alert transitions against the simulator's incident labels",
        description=(
            "Compare the transitions of `floorwatch replay` (TRANSITIONS.jsonl) with the labels of\n"
            "`floorwatch simulate --labels` for the same run, and print precision, recall, time to\n"
            "detect and pages per day: overall, on control days, per incident kind and per rule."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--labels", required=True, metavar="LABELS.jsonl", help="the simulator's labels")
    parser.add_argument(
        "--rules",
        metavar="RULES.yaml",
        help="the rules the replay used (which transitions went out by SMS, when lines lack 'channels')",
    )
    parser.add_argument("--days", type=float, help="simulated days to divide by (default: from the labels)")
    parser.add_argument(
        "file", metavar="TRANSITIONS.jsonl", help="`floorwatch replay` output, or - for stdin"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.days is not None and args.days <= 0:
        raise UsageError(f"--days must be positive, got {args.days:g}")
    rules = _rules(args.rules)
    try:
        labels = read_labels(read_source(args.labels).decode("utf-8"), display_name(args.labels))
        lines = read_lines(read_source(args.file).decode("utf-8"), rules, display_name(args.file))
    except (ValueError, UnicodeDecodeError) as error:
        raise UsageError(str(error)) from None
    tally = score(labels, lines, args.days)
    if not tally.overall.days:
        raise UsageError("the labels hold no 'simulation' line: say how many days they cover with --days")
    print(report(tally))
    return 0


def _rules(path: str | None) -> RuleSet | None:
    if path is None:
        return None
    try:
        return load_rules(path)
    except RulesError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        raise UsageError(f"{len(error.problems)} problem(s) in {path}") from None
