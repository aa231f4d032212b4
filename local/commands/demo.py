"""`floorwatch demo`: the local runtime plus the simulated contact center (what `make demo` runs).

Starts everything `floorwatch dev` starts, then the simulator pushes a center's traffic into the raw
stream with PutRecords, event time accelerated by --speed, with the scripted incidents (a volume
spike, a long-wait pile-up, a sentiment collapse, a compliance breach, an agent stuck on hold, a
silent feed) within the first minutes. Open the printed dashboard URL; Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from floorwatch.store.kinesis import KinesisEntry, KinesisWriter

from local.runtime.runtime import LocalRuntime
from local.runtime.serve import add_runtime_arguments, serve

log = logging.getLogger("floorwatch.local")

DEFAULT_SPEED = 10.0
SIMULATED_DURATION = timedelta(hours=8)
MAX_RECORDS_PER_PUT = 500


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
    if args.speed <= 0:
        args.speed = DEFAULT_SPEED

    def simulate(runtime: LocalRuntime, stop: threading.Event) -> None:
        push_simulation(runtime, stop, speed=args.speed, seed=args.seed)

    return serve(args, "demo", companion=simulate)


def push_simulation(runtime: LocalRuntime, stop: threading.Event, *, speed: float, seed: int) -> None:
    """Pace the simulator's records to wall time / ``speed`` and PutRecords them in small batches."""
    from local.simulator.engine import generate  # noqa: PLC0415 - the simulator is optional for dev

    writer = KinesisWriter(runtime.aws.client("kinesis"), runtime.names.raw_events_stream)
    started_wall = time.monotonic()
    start = datetime.now(UTC).replace(microsecond=0)
    batch: list[KinesisEntry] = []
    print(f"simulator: pushing traffic at {speed:g}x (event time starts {start.isoformat()})", flush=True)
    for record in generate(start, SIMULATED_DURATION, seed):
        due = started_wall + (record.at - start).total_seconds() / speed
        if due > time.monotonic() or len(batch) >= MAX_RECORDS_PER_PUT:
            _flush(writer, batch)
            if stop.wait(max(0.0, due - time.monotonic())):
                return
        batch.append(KinesisEntry(data=_json(record.payload), partition_key=record.partition_key))
    _flush(writer, batch)


def _flush(writer: KinesisWriter, batch: list[KinesisEntry]) -> None:
    if not batch:
        return
    failed = writer.put(batch)
    if failed:
        log.warning("simulator: %d records not stored (%s)", len(failed), failed[0].error_code)
    batch.clear()


def _json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
