"""`floorwatch quarantine list|redrive`: see why raw records were rejected, and send them again.

``list`` prints one JSON line per quarantined record (key, reason, source, arrival time...) on stdout,
oldest arrival day first, so it pipes into ``jq``/``grep``. ``redrive`` puts the records' raw bytes
back on the raw-events stream (same partition key) and moves each one the stream accepted to
``redriven/`` in the bucket (floorwatch.store.quarantine explains why move, not delete); a record
that could not be re-sent stays in quarantine. Typical use: fix an adapter, deploy, re-drive.

Exit status: 0 done (every selected record re-driven); 1 some records were not re-driven (listed on
stderr); 2 unusable arguments: unknown bucket or stream, unreachable endpoint, no credentials.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from floorwatch.names import QUARANTINE_PREFIX
from floorwatch.store.kinesis import KinesisWriter
from floorwatch.store.quarantine import (
    QuarantineObjectError,
    quarantine_keys,
    read_quarantined,
    redrive,
)

from local.aws_clients import DEFAULT_REGION, aws_client, aws_usage_errors

EXIT_DONE = 0
EXIT_SOME_NOT_REDRIVEN = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "quarantine",
        help="list or re-drive raw records the normalizer rejected",
        description=(
            "Inspect and re-drive the quarantine bucket, where the normalize function keeps every raw "
            "record it could not turn into events, with the reason."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list",
        help="print one JSON line per quarantined record (key, reason, source, arrival_time...)",
        description="Print one JSON line per quarantined record, oldest arrival day first.",
    )
    _common_arguments(listing)
    listing.set_defaults(handler=run_list)

    again = actions.add_parser(
        "redrive",
        help="put quarantined records back on the raw-events stream",
        description=(
            "Put quarantined records' raw bytes back on a Kinesis stream (normally raw-events), then move "
            "each record the stream accepted to redriven/ in the bucket. Without --key, every record "
            "under --prefix is re-driven. Exit status: 0 all re-driven, 1 some not, 2 unusable arguments."
        ),
    )
    _common_arguments(again)
    again.add_argument("--stream", required=True, metavar="NAME", help="stream to re-drive to (raw-events)")
    again.add_argument(
        "--key",
        action="append",
        metavar="KEY",
        help="re-drive only this object key (as printed by `list`); repeatable",
    )
    again.set_defaults(handler=run_redrive)


def _common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bucket", required=True, metavar="NAME", help="quarantine bucket name")
    parser.add_argument(
        "--prefix",
        metavar="PREFIX",
        help=f"only keys under this prefix, e.g. 2026/11/23/ (taken as under {QUARANTINE_PREFIX})",
    )
    parser.add_argument("--endpoint-url", metavar="URL", help="AWS endpoint (e.g. the local runtime's)")
    parser.add_argument(
        "--region",
        metavar="REGION",
        help=f"AWS region (default: $AWS_DEFAULT_REGION, else {DEFAULT_REGION})",
    )


def run_list(args: argparse.Namespace) -> int:
    s3 = _client("s3", args)
    count = 0
    with _aws_errors(args):
        for key in quarantine_keys(s3, args.bucket, args.prefix):
            print(json.dumps(_listing(s3, args.bucket, key), ensure_ascii=False), flush=False)
            count += 1
    print(f"{count} quarantined records in {args.bucket}", file=sys.stderr)
    return EXIT_DONE


def _listing(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    try:
        document = read_quarantined(s3, bucket, key)
    except QuarantineObjectError as error:
        return {"key": key, "error": error.problem}
    return {
        "key": key,
        "reason": document.reason,
        "source": document.source,
        "arrival_time": document.arrival_time.isoformat().replace("+00:00", "Z"),
        "quarantined_at": document.quarantined_at.isoformat().replace("+00:00", "Z"),
        "stream": document.stream,
        "shard_id": document.shard_id,
        "sequence_number": document.sequence_number,
        "bytes": len(document.raw()),
    }


def run_redrive(args: argparse.Namespace) -> int:
    s3 = _client("s3", args)
    writer = KinesisWriter(_client("kinesis", args), args.stream)
    with _aws_errors(args):
        # The whole selection is fixed before anything is sent: a re-driven record that is still
        # invalid comes back under a new key, and a live listing could pick it up and loop.
        keys = list(args.key) if args.key else list(quarantine_keys(s3, args.bucket, args.prefix))
        if not keys:
            print("nothing to re-drive")
            return EXIT_DONE
        result = redrive(s3, args.bucket, keys, writer)
    for key, problem in result.failed.items():
        print(f"{key}: {problem}", file=sys.stderr)
    print(f"{len(result.redriven)} records re-driven to {args.stream}, {len(result.failed)} not re-driven")
    return EXIT_SOME_NOT_REDRIVEN if result.failed else EXIT_DONE


def _client(service: str, args: argparse.Namespace) -> Any:
    return aws_client(service, args.endpoint_url, args.region)


_NOT_FOUND: dict[str, Callable[[argparse.Namespace], str]] = {
    "NoSuchBucket": lambda args: f"bucket {args.bucket!r} not found",
    "ResourceNotFoundException": lambda args: f"stream {getattr(args, 'stream', '?')!r} not found",
}


def _aws_errors(args: argparse.Namespace) -> AbstractContextManager[None]:
    """Turn the errors that mean "wrong arguments or environment" into UsageError (exit 2)."""

    def missing(code: str) -> str | None:
        return _NOT_FOUND[code](args) if code in _NOT_FOUND else None

    return aws_usage_errors(args.endpoint_url or "AWS", missing)
