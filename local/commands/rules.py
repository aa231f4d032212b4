"""`floorwatch rules check [FILE]`: validate a rules file and show what each rule watches.

(`floorwatch rules report` — feedback per rule and scope, suggested thresholds — lives in
``local.commands.rules_report``.)

One line per rule on stdout, a summary on stderr, exit 0. An invalid file prints every problem
(file, line, rule, field) on stderr and exits 2, so it can guard a deploy: `floorwatch rules check
rules.yaml && cdk deploy`. Without FILE it checks the rules shipped with floorwatch.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from floorwatch.alerts.model import Severity
from floorwatch.rules.config import (
    Direction,
    MatchRule,
    Rule,
    RulesError,
    RuleSet,
    ThresholdRule,
    load_default_rules,
    load_rules,
)
from floorwatch.rules.durations import format_duration

from local.commands import rules_report

EXIT_INVALID = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("rules", help="work with alert rule files", description=__doc__)
    actions = parser.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate a rules file and print what each rule watches",
        description=(
            "Validate a rules file (YAML) against the rule schema and the metric catalog. Prints one "
            "line per rule; on errors prints each problem with its line and exits with status 2."
        ),
    )
    check.add_argument("file", metavar="FILE", nargs="?", help="rules file (default: the shipped rules)")
    check.set_defaults(handler=run_check)
    rules_report.register(actions)


def run_check(args: argparse.Namespace) -> int:
    try:
        rules = load_default_rules() if args.file is None else load_rules(args.file)
    except RulesError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''}: the rules were not loaded", file=sys.stderr)
        return EXIT_INVALID
    for rule in rules:
        print(describe(rule))
    print(_summary(rules), file=sys.stderr)
    return 0


def describe(rule: Rule) -> str:
    """One line: what the rule watches, when it fires, who hears about it."""
    if isinstance(rule, ThresholdRule):
        parts = [
            rule.id,
            f"{rule.metric} per {rule.scope.value}{_filters(rule)}",
            _tiers(rule),
            f"for {format_duration(rule.for_)}",
            f"window {format_duration(rule.window)}",
        ]
        if rule.min_samples:
            parts.append(f"min {rule.min_samples} samples")
    else:
        parts = [
            rule.id,
            f"match {_condition(rule)} on the {rule.scope.value}{_filters(rule)}",
            rule.severity.value,
            f"resolves after {format_duration(rule.resolve_after)} quiet",
        ]
    parts.append(f"notify {_notify(rule)}")
    if rule.ack_within is not None:
        parts.append(f"ack within {format_duration(rule.ack_within)}")
    return "  ".join(parts)


def _tiers(rule: ThresholdRule) -> str:
    sign = ">" if rule.direction is Direction.ABOVE else "<"
    return " ".join(f"{severity.value}{sign}{threshold:g}" for severity, threshold in rule.tiers.levels())


def _condition(rule: MatchRule) -> str:
    terms = ["|".join(kind.value for kind in rule.match.types)]
    terms += [f"{name}={'|'.join(choices)}" for name, choices in rule.match.labels.items()]
    terms += [f"{name} {condition}" for name, condition in rule.match.values.items()]
    return " ".join(terms)


def _filters(rule: Rule) -> str:
    filters = rule.filters()
    if not filters:
        return ""
    return " (" + "; ".join(f"{name} {', '.join(ids)}" for name, ids in filters.items()) + ")"


def _notify(rule: Rule) -> str:
    severities: tuple[Severity, ...] = rule.severities()
    return " ".join(
        f"{severity.value}:{'+'.join(rule.channels(severity)) or 'none'}" for severity in severities
    )


def _summary(rules: RuleSet) -> str:
    thresholds, matches = len(rules.threshold_rules()), len(rules.match_rules())
    return f"{rules.source}: {len(rules)} rules OK ({thresholds} threshold, {matches} match)"
