"""The `floorwatch` command line: one sub-command module per concern under local/commands/.

Each command module exposes ``register(subparsers)``, which adds its parser and sets
``handler=<function(args) -> int>``. Exit status: 0 when the command ran, 2 on unusable arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from local.commands import COMMAND_MODULES
from local.errors import MotoVersionError, UsageError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="floorwatch",
        description="Real-time contact-center monitoring: tools for the pipeline and the local runtime.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse exits with status 2 on unusable arguments
    try:
        status: int = args.handler(args)
    except UsageError as error:
        print(f"floorwatch {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except MotoVersionError as error:  # the local runtime cannot start on this environment
        print(f"floorwatch {args.command}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
