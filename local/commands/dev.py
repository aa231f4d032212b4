"""`floorwatch dev`: the whole pipeline on this machine, without traffic (feed it yourself).

Embedded AWS (moto on 127.0.0.1), the local event source mappings calling the same handlers Lambda
runs, and the WebSocket gateway serving the dashboard. Prints the dashboard URL with a supervisor
token and the WebSocket URL; runs until Ctrl-C. Push events with `floorwatch send FILE --stream
floorwatch-local-raw-events --endpoint-url <the printed AWS endpoint>` or `floorwatch simulate`.
"""

from __future__ import annotations

import argparse
from typing import Any

from local.runtime.serve import add_runtime_arguments, serve


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dev",
        help="run the local runtime (embedded AWS, pipeline, dashboard) without a simulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_runtime_arguments(parser, tick_default=60.0)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return serve(args, "dev")
