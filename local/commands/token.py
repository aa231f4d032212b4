"""`floorwatch token`: mint a signed, expiring dashboard token (prints it on stdout).

    floorwatch token --role supervisor --user ana --teams billing,tech [--queues vip] [--ttl 8h]
                     [--secret-file PATH]

The key file is --secret-file, else $FLOORWATCH_TOKEN_SECRET_FILE, else .floorwatch/token-secret; it
is created with a random key (mode 0600) when it does not exist, so the local runtime, which reads the
same file, accepts the token. For a deployed stack, pass a file holding the Secrets Manager secret's
value. The expiry goes to stderr, so `TOKEN=$(floorwatch token ...)` captures the token alone.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floorwatch.names import ENV_TOKEN_SECRET_FILE
from floorwatch.rules.durations import format_duration, parse_duration
from floorwatch.security.roles import ROLES
from floorwatch.security.tokens import DEFAULT_TTL, SigningKeyError, ensure_key_file, mint

from local.errors import UsageError

DEFAULT_SECRET_FILE = Path(".floorwatch") / "token-secret"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "token",
        help="mint a signed dashboard token",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--role", required=True, choices=sorted(ROLES), help="what the holder may do")
    parser.add_argument("--user", required=True, help="who holds the token (audit log name)")
    parser.add_argument("--teams", default="", help="comma-separated team ids the holder covers")
    parser.add_argument("--queues", default="", help="comma-separated queue ids the holder covers")
    parser.add_argument(
        "--ttl", default=format_duration(DEFAULT_TTL), help="validity, e.g. 30m, 8h (default: %(default)s)"
    )
    parser.add_argument("--secret-file", type=Path, help="signing key file (created if missing)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        ttl = parse_duration(args.ttl)
    except ValueError as error:
        raise UsageError(f"--ttl: {error}") from None
    if ttl.total_seconds() <= 0:
        raise UsageError("--ttl must be positive")
    path = args.secret_file or Path(os.environ.get(ENV_TOKEN_SECRET_FILE) or DEFAULT_SECRET_FILE)
    try:
        key = ensure_key_file(path)
    except (SigningKeyError, OSError) as error:
        raise UsageError(str(error)) from None
    now = datetime.now(UTC)
    token = mint(
        key,
        user=args.user,
        role=args.role,
        teams=_ids(args.teams),
        queues=_ids(args.queues),
        ttl=ttl,
        now=now,
    )
    print(token)
    print(
        f"{args.role} {args.user}: valid until {(now + ttl).isoformat(timespec='seconds')} (key {path})",
        file=sys.stderr,
    )
    return 0


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
