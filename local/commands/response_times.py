"""`floorwatch response-times`: how fast alerts are acknowledged and acted on, per rule and per person.

Reads alert transitions from files (``Transition.to_dict()`` per line as `floorwatch replay` prints
them, the alerts table's items, or `aws dynamodb scan` output: local/report_sources.py) or, with
``--table``, from the alerts table itself (a filtered scan: against the local runtime with
``--endpoint-url``, or against AWS with your credentials).
Prints two tables, per rule and per person (who acknowledged / who acted): alerts, how many were
acknowledged, median and 90th-percentile time to acknowledge, how many within the floor's 30 s, and
the same for acting (a note, an escalation, a join, a resolve by hand) against 90 s
(floorwatch.alerts.response_times). ``--json`` prints one JSON object instead.

Exit status 0 when it ran, 2 on unusable arguments (missing file, unreadable line, unreachable table).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from floorwatch.alerts.model import Transition
from floorwatch.alerts.response_times import (
    ACK_TARGET,
    ACT_TARGET,
    Figures,
    GroupBy,
    Response,
    responses,
    summarize,
)

from local.aws_clients import aws_usage_errors
from local.errors import UsageError
from local.report_sources import dynamodb_client, read_transition_file, scan_transitions, to_stderr

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "response-times",
        help="time to acknowledge and to act on alerts, per rule and per person",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("files", metavar="TRANSITIONS.jsonl", nargs="*", help="files of transitions")
    parser.add_argument("--table", metavar="NAME", help="read the alerts table instead of files")
    parser.add_argument("--endpoint-url", metavar="URL", help="AWS endpoint (e.g. the local runtime's)")
    parser.add_argument("--region", help="AWS region (default: $AWS_DEFAULT_REGION, else us-east-1)")
    parser.add_argument("--since", metavar="ISO8601", help="only alerts that opened at or after this time")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    since = _since(args.since)
    if bool(args.files) == bool(args.table):
        raise UsageError("give either transition files or --table NAME")
    transitions = _from_table(args, since) if args.table else list(_from_files(args.files))
    found = [item for item in responses(transitions) if since is None or item.opened_at >= since]
    by_rule, by_person = summarize(found, GroupBy.RULE), summarize(found, GroupBy.PERSON)
    if args.json:
        document = {
            "alerts": len(found),
            "ack_target_seconds": ACK_TARGET.total_seconds(),
            "act_target_seconds": ACT_TARGET.total_seconds(),
            "by_rule": [figures.to_dict() for figures in by_rule],
            "by_person": [figures.to_dict() for figures in by_person],
        }
        print(json.dumps(document, indent=2))
        return 0
    print_report(found, by_rule, by_person, sys.stdout)
    return 0


def print_report(
    found: Sequence[Response], by_rule: Sequence[Figures], by_person: Sequence[Figures], out: TextIO
) -> None:
    ack, act = int(ACK_TARGET.total_seconds()), int(ACT_TARGET.total_seconds())
    print(f"{len(found)} alerts; targets: acknowledge within {ack} s, act within {act} s", file=out)
    for title, rows in (("rule", by_rule), ("person", by_person)):
        print(file=out)
        header = (
            f"{title:<36} {'alerts':>6} {'acked':>6} {'ack p50':>8} {'ack p90':>8} {f'<={ack}s':>7} "
            f"{'acted':>6} {'act p50':>8} {'act p90':>8} {f'<={act}s':>7}"
        )
        print(header, file=out)
        for row in rows:
            print(
                f"{row.key[:36]:<36} {row.alerts:>6} {row.acknowledged:>6} {_seconds(row.ack_median):>8} "
                f"{_seconds(row.ack_p90):>8} {_share(row.ack_within_target, row.acknowledged):>7} "
                f"{row.acted:>6} {_seconds(row.act_median):>8} {_seconds(row.act_p90):>8} "
                f"{_share(row.act_within_target, row.acted):>7}",
                file=out,
            )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


def _share(part: int, whole: int) -> str:
    return "-" if not whole else f"{100 * part / whole:.0f}%"


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since: '{text}' is not an ISO 8601 time (e.g. 2026-11-23T09:00:00Z)") from None
    if parsed.tzinfo is None:
        raise UsageError(f"--since: '{text}' has no time zone (add Z for UTC)")
    return parsed


def _from_files(paths: Iterable[str]) -> list[Transition]:
    return [transition for path in paths for transition in read_transition_file(path)]


def _from_table(args: argparse.Namespace, since: datetime | None) -> list[Transition]:
    client = dynamodb_client(args.endpoint_url, args.region)

    def missing(code: str) -> str | None:
        return (
            f"table {args.table!r} not found (check --table, --region)"
            if code == "ResourceNotFoundException"
            else None
        )

    with aws_usage_errors(args.endpoint_url or "AWS", missing):
        # From the opening on: an alert's acknowledgement and actions come after it, never before.
        return scan_transitions(client, args.table, since or EPOCH, to_stderr())
