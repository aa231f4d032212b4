"""`floorwatch send FILE... --stream NAME`: push raw payloads to a Kinesis stream with PutRecords.

Each payload becomes one record: a JSON Lines line is sent byte for byte, a payload from a whole-file
JSON document (see local.payload_files) as its compact JSON. Lines that are not JSON are reported on
stderr and skipped: the pipeline would only quarantine them.

Partition key: the payload's stable digest (floorwatch.events.adapters.base.payload_digest, a hash
of its canonical JSON, independent of key order and whitespace), so re-sending a file puts every
payload on the same shard as the first time. The raw stream needs no stronger ordering: the
normalizer re-partitions events by queue/agent into cx-events, and evaluation runs in event time.

Exit status: 0 when every payload was stored; 1 when some could not be stored after the retries
(they are listed on stderr) or Kinesis stopped the run part-way; 2 on unusable arguments: missing
file, unknown stream, unreachable endpoint, no credentials.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from floorwatch.events.adapters.base import payload_digest
from floorwatch.store.kinesis import FailedEntry, KinesisEntry, KinesisWriter
from tqdm import tqdm

from local.aws_clients import aws_client
from local.errors import UsageError
from local.payload_files import STDIN, RawPayload, display_name, read_payloads

DEFAULT_REGION = "us-east-1"
PROGRESS_THRESHOLD = 1000  # records; below this a progress bar only shows on a terminal
MAX_FAILURES_LISTED = 20  # failures after retries are usually systemic (throttling): list a sample

EXIT_ALL_STORED = 0
EXIT_SOME_NOT_STORED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "send",
        help="send files of raw payloads to a Kinesis stream",
        description=(
            "Send raw platform payloads to a Kinesis stream (PutRecords, 500 records / 5 MiB per call, "
            "failed entries retried). FILE holds one JSON payload per line, or one JSON document "
            "(an array is a list of payloads). Each payload's partition key is a hash of its content, "
            "so a re-sent payload lands on the same shard. Exit status: 0 all stored, 1 some not "
            "stored after retries, 2 unusable arguments (missing file, unknown stream, unreachable endpoint)."
        ),
    )
    parser.add_argument("files", metavar="FILE", nargs="+", help=f"file of raw payloads ({STDIN} for stdin)")
    parser.add_argument("--stream", required=True, metavar="NAME", help="Kinesis stream name")
    parser.add_argument("--endpoint-url", metavar="URL", help="Kinesis endpoint (e.g. the local runtime's)")
    parser.add_argument(
        "--region",
        metavar="REGION",
        help=f"AWS region (default: $AWS_DEFAULT_REGION, else {DEFAULT_REGION})",
    )
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class Outgoing:
    origin: str  # "<file> line N", for messages
    entry: KinesisEntry


def run(args: argparse.Namespace) -> int:
    if args.files.count(STDIN) > 1:
        raise UsageError("stdin (-) can be read only once")
    outgoing, skipped = _collect(args.files)  # reads every file first: a missing one stops before sending
    region = args.region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    writer = KinesisWriter(_kinesis_client(args.endpoint_url, region), args.stream)
    entries = [item.entry for item in outgoing]
    where = f"region {region}" + (f", endpoint {args.endpoint_url}" if args.endpoint_url else "")
    show_progress = len(entries) > PROGRESS_THRESHOLD or sys.stderr.isatty()
    stored = 0
    with tqdm(total=len(entries), unit="rec", file=sys.stderr, disable=not show_progress) as progress:

        def on_progress(newly_stored: int) -> None:
            nonlocal stored
            stored += newly_stored
            progress.update(newly_stored)

        try:
            failed = writer.put(entries, on_progress=on_progress)
        except ClientError as error:
            return _stopped_by_kinesis(error, args.stream, where, stored, len(entries))
        except BotocoreConnectionError as error:
            raise UsageError(_stored_so_far(f"cannot reach Kinesis ({where}): {error}", stored)) from None
        except NoCredentialsError:
            raise UsageError(
                "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; "
                "any non-empty values work against the local runtime)"
            ) from None
    _report_failures(outgoing, failed)
    summary = f"{args.stream}: {stored} records stored, {len(failed)} failed"
    if skipped:
        summary += f", {skipped} skipped (not valid JSON)"
    print(summary)
    return EXIT_SOME_NOT_STORED if failed else EXIT_ALL_STORED


def _collect(paths: Sequence[str]) -> tuple[list[Outgoing], int]:
    sources = [(display_name(path), read_payloads(path)) for path in paths]
    outgoing: list[Outgoing] = []
    skipped = 0
    for name, payloads in sources:
        for payload in payloads:
            if payload.parsed:
                outgoing.append(Outgoing(f"{name} {payload.position}", to_entry(payload)))
            else:
                skipped += 1
                print(f"{name} {payload.position}: {payload.problem} (skipped)", file=sys.stderr)
    return outgoing, skipped


def to_entry(payload: RawPayload) -> KinesisEntry:
    return KinesisEntry(data=payload.data, partition_key=payload_digest(payload.document))


def _kinesis_client(endpoint_url: str | None, region: str) -> Any:
    # botocore retries whole-call failures (throttling, 5xx, connection) a few times; the writer
    # retries the entries a successful call reports as failed.
    return aws_client("kinesis", endpoint_url, region)


def _stopped_by_kinesis(error: ClientError, stream: str, where: str, stored: int, total: int) -> int:
    code = error.response.get("Error", {}).get("Code", "Unknown")
    if code == "ResourceNotFoundException":
        raise UsageError(_stored_so_far(f"stream {stream!r} not found ({where})", stored)) from None
    message = error.response.get("Error", {}).get("Message", str(error))
    print(f"send stopped: Kinesis refused PutRecords: {code}: {message}", file=sys.stderr)
    print(f"{stream}: {stored} records stored, {total - stored} not sent")
    return EXIT_SOME_NOT_STORED


def _stored_so_far(message: str, stored: int) -> str:
    return f"{message} ({stored} records were stored before the error)" if stored else message


def _report_failures(outgoing: Sequence[Outgoing], failed: Sequence[FailedEntry]) -> None:
    for failure in failed[:MAX_FAILURES_LISTED]:
        origin = outgoing[failure.index].origin
        print(f"{origin}: not stored: {failure.error_code}: {failure.error_message}", file=sys.stderr)
    if len(failed) > MAX_FAILURES_LISTED:
        print(f"... and {len(failed) - MAX_FAILURES_LISTED} more not stored", file=sys.stderr)
