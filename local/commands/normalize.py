"""`floorwatch normalize FILE`: raw platform payloads -> CxEvent JSON Lines, offline.

Runs the exact normalizer the Lambda runs, so an integrator can check a sample file before sending
it. Events go to stdout (one JSON object per line); each rejected or skipped record and the summary go
to stderr, so ``floorwatch normalize in.jsonl > events.jsonl`` keeps the events file clean.
Exit status 0 when it ran, even if records were rejected (the summary counts them).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Any

from floorwatch.events.normalize import normalize_document

from local.payload_files import STDIN, read_payloads


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "normalize",
        help="print the CxEvents a file of raw payloads normalizes to",
        description=(
            "Normalize raw platform payloads to CxEvents, as the normalize Lambda does. FILE holds "
            "one JSON payload per line (JSON Lines; blank lines ignored), or a single JSON document: "
            "an array is a list of payloads (item N counts from 1), anything else is one payload. "
            "Events are printed to stdout one per line; rejected and skipped records and a summary to stderr."
        ),
    )
    parser.add_argument("file", metavar="FILE", help=f"file of raw payloads, or {STDIN} for stdin")
    parser.add_argument(
        "--arrival-time",
        metavar="ISO8601",
        type=_instant,
        help="the Kinesis arrival time to assume for payloads without a time of their own "
        "(Contact Lens voice segments), e.g. 2026-11-23T09:15:55Z; without it they are rejected",
    )
    parser.set_defaults(handler=run)


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def run(args: argparse.Namespace) -> int:
    payloads = read_payloads(args.file)
    read = written = rejected = skipped = 0
    try:
        for payload in payloads:
            read += 1
            if not payload.parsed:
                rejected += 1
                print(f"{payload.position}: {payload.problem}", file=sys.stderr)
                continue
            outcome = normalize_document(payload.document, args.arrival_time)
            if outcome.rejected:
                rejected += 1
                print(f"{payload.position}: {outcome.reason}", file=sys.stderr)
                continue
            if outcome.skipped is not None:
                skipped += 1
                print(f"{payload.position}: skipped: {outcome.skipped}", file=sys.stderr)
            for event in outcome.events:
                sys.stdout.write(event.to_json() + "\n")
                written += 1
        sys.stdout.flush()
    except BrokenPipeError:
        # `floorwatch normalize big.jsonl | head`: the reader left; stop quietly, like other Unix tools.
        _silence_stdout()
        return 0
    summary = f"{read} records read, {written} events written, {skipped} skipped, {rejected} rejected"
    print(summary, file=sys.stderr)
    return 0


def _silence_stdout() -> None:
    # Python would report the broken pipe again when flushing stdout at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (e.g. captured in tests)
        pass
    finally:
        os.close(devnull)
