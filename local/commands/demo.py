"""`floorwatch demo`: the local runtime plus the simulated contact center (what `make demo` runs).

Starts everything `floorwatch dev` starts, then the simulator (local.simulator.pusher) pushes a
center's traffic into the raw stream with PutRecords, event time accelerated by --speed, with the
scripted incidents (a volume spike, a long-wait pile-up, a sentiment collapse, a compliance breach,
an agent stuck on hold, a silent feed) within the first two minutes at the default speed. Open the
printed dashboard URL; Ctrl-C stops everything.

Event time runs ``--speed`` times faster than the wall clock, so the evaluator runs on the simulation's
clock (see ``simulated_evaluator_clock``): its scheduled ticks judge silence and time-in-state at the
simulation's "now", and its guard against events from the future (a batch is judged at most 5 minutes
past the function's clock) does not hold the simulated center minutes behind.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import math
import threading
from collections.abc import Iterator
from datetime import datetime
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
    if not 0 <= args.speed < math.inf:  # NaN fails too
        raise UsageError("--speed must be a finite number >= 0 (0: as fast as Kinesis takes it)")

    from local.simulator import pusher  # noqa: PLC0415 - `floorwatch dev` needs no simulator

    start = pusher.default_start()
    clock = pusher.SimulatedClock(start, args.speed) if args.speed else None

    def simulate(runtime: LocalRuntime, stop: threading.Event) -> None:
        if clock is None:  # unpaced: event time has no relation to any clock, so no event-time window
            from handlers import normalize  # noqa: PLC0415 - the in-process Lambda module

            normalize.use_event_time(None, window=None)
            try:
                push_simulation(runtime, stop, speed=args.speed, seed=args.seed, start=start)
            finally:
                normalize.use_event_time(None)
            return
        clock.begin()
        # Entered only now that the runtime has set the functions' environment: importing the handler
        # module earlier would configure its logger (level, service) before LOG_LEVEL is set.
        with simulated_evaluator_clock(clock):
            push_simulation(runtime, stop, speed=args.speed, seed=args.seed, start=start)

    status = serve(args, "demo", companion=simulate)
    # Everything is stopped. The interpreter's final garbage collection over what the embedded AWS
    # and the handlers accumulated took seconds after "stopped." (more the longer the demo ran);
    # frozen objects are left to the operating system.
    gc.freeze()
    return status


@contextlib.contextmanager
def simulated_evaluator_clock(clock: Any) -> Iterator[None]:
    """While inside, ``handlers.evaluate`` reads "now" from ``clock`` (anything with ``now()``).

    Only the evaluator: the dashboard's ages and acknowledgement timers and the escalation delays stay
    in wall-clock seconds, as a supervisor lives them.
    """
    from handlers import evaluate, normalize  # noqa: PLC0415 - the in-process Lambda modules

    evaluate.use_clock(clock.now)
    # The normalizer's event-time window is centred on the simulated "now" too: arrival times are wall
    # clock, and the simulated center's events run ahead of them by design.
    normalize.use_event_time(clock.now)
    try:
        yield
    finally:
        evaluate.use_clock(None)
        normalize.use_event_time(None)


def push_simulation(
    runtime: LocalRuntime, stop: threading.Event, *, speed: float, seed: int, start: datetime | None = None
) -> None:
    """The simulator's paced pusher, writing to the local raw-events stream until ``stop``."""
    from local.simulator import incidents, pusher  # noqa: PLC0415 - `floorwatch dev` needs no simulator

    writer = KinesisWriter(runtime.aws.client("kinesis"), runtime.names.raw_events_stream)
    print(f"simulator: pushing a contact center's traffic at {speed:g}x event time; incidents:", flush=True)
    print(
        "\n".join("  " + line for line in incidents.timeline(incidents.DEFAULT_INCIDENTS, speed)), flush=True
    )
    try:
        progress = pusher.run(writer, speed, stop, seed=seed, start=start)
    except Exception:
        if not stop.is_set():  # errors after shutdown began are moto going away
            log.exception("simulator stopped")
        return
    print(f"simulator: {progress.stored} records pushed, {progress.failed} failed", flush=True)
