"""`floorwatch demo`: the local runtime plus the simulated contact center (what `make demo` runs).

Starts everything `floorwatch dev` starts, then the simulator (local.simulator.pusher) pushes a
center's traffic into the raw stream with PutRecords, event time accelerated by --speed, with the
scripted incidents (a volume spike, a long-wait pile-up, a sentiment collapse, a compliance breach,
an agent stuck on hold, a silent feed) within the first two minutes at the default speed. Open the
printed dashboard URL; Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from floorwatch.store.kinesis import KinesisWriter

from local.errors import UsageError
from local.runtime.runtime import LocalRuntime
from local.runtime.serve import add_runtime_arguments, serve

log = logging.getLogger("floorwatch.local")

DEFAULT_SPEED = 10.0  # local.simulator.pusher.DEMO_SPEED: every incident within two wall minutes


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the local runtime with the simulated contact center (make demo)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_runtime_arguments(parser, tick_default=10.0)
    parser.add_argument(
        "--speed", type=float, default=DEFAULT_SPEED, help="event-time acceleration (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="simulator seed (same seed, same traffic)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.speed < 0:
        raise UsageError("--speed must be >= 0 (0: as fast as Kinesis takes it)")

    def simulate(runtime: LocalRuntime, stop: threading.Event) -> None:
        push_simulation(runtime, stop, speed=args.speed, seed=args.seed)

    return serve(args, "demo", companion=simulate)


def push_simulation(runtime: LocalRuntime, stop: threading.Event, *, speed: float, seed: int) -> None:
    """The simulator's paced pusher, writing to the local raw-events stream until ``stop``."""
    from local.simulator import incidents, pusher  # noqa: PLC0415 - `floorwatch dev` needs no simulator

    writer = KinesisWriter(runtime.aws.client("kinesis"), runtime.names.raw_events_stream)
    print(f"simulator: pushing a contact center's traffic at {speed:g}x event time; incidents:", flush=True)
    print(
        "\n".join("  " + line for line in incidents.timeline(incidents.DEFAULT_INCIDENTS, speed)), flush=True
    )
    try:
        progress = pusher.run(writer, speed, stop, seed=seed)
    except Exception:
        if not stop.is_set():  # errors after shutdown began are moto going away
            log.exception("simulator stopped")
        return
    print(f"simulator: {progress.stored} records pushed, {progress.failed} failed", flush=True)
