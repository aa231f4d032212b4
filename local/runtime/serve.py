"""Run the local runtime in the foreground until Ctrl-C (shared by `floorwatch dev` and `floorwatch demo`)."""

from __future__ import annotations

import argparse
import io
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TextIO

from local.errors import UsageError
from local.runtime.runtime import DEFAULT_DASHBOARD_DIR, LocalRuntime, RuntimeOptions

log = logging.getLogger("floorwatch.local")

# A background job started once the runtime is up (the demo's simulator); it returns when the event is set.
Companion = Callable[[LocalRuntime, threading.Event], None]


def add_runtime_arguments(parser: argparse.ArgumentParser, *, tick_default: float) -> None:
    parser.add_argument("--port", type=int, default=8000, help="gateway port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--rules", type=Path, metavar="FILE", help="rules file (default: the packaged rules)")
    parser.add_argument(
        "--tick",
        type=float,
        default=tick_default,
        metavar="SECONDS",
        help="evaluate's scheduled tick (AWS: 60; default: %(default)s)",
    )
    parser.add_argument(
        "--batching-window",
        type=float,
        metavar="SECONDS",
        help="override the Kinesis mappings' batching window (default: the deployed value, 1 s)",
    )
    parser.add_argument(
        "--queues",
        default=",".join(default_queue_ids()),
        help="queues the printed supervisor token covers (comma-separated; default: %(default)s)",
    )
    parser.add_argument("--teams", default="", help="teams the printed supervisor token covers")
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="handler logs"
    )


def default_queue_ids() -> list[str]:
    """The simulated center's queues (the demo's traffic), so the printed token sees them."""
    try:
        from local.simulator.config import DEFAULT_QUEUES  # noqa: PLC0415 - optional companion package
    except ImportError:
        return []
    return [queue.name for queue in DEFAULT_QUEUES]


def options_from(args: argparse.Namespace) -> RuntimeOptions:
    if args.rules is not None and not args.rules.is_file():
        raise UsageError(f"rules file {args.rules} not found")
    if not 0 <= args.port < 65536:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    return RuntimeOptions(
        rules_file=args.rules,
        port=args.port,
        dashboard_dir=DEFAULT_DASHBOARD_DIR,
        tick_seconds=args.tick,
        batching_window=args.batching_window,
        log_level=args.log_level,
    )


EMF_PREFIX = '{"_aws":'


class WithoutMetricLines(io.TextIOBase):
    """stdout minus the handlers' CloudWatch EMF lines (Powertools prints one JSON line per flush;
    disabling metrics instead would make Powertools keep them in memory forever)."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            *lines, self._pending = self._pending.split("\n")
            for line in lines:
                if not line.startswith(EMF_PREFIX):
                    self._target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self._target.flush()


def serve(args: argparse.Namespace, title: str, companion: Companion | None = None) -> int:
    """Start, print the URLs, block until Ctrl-C / SIGTERM, stop everything cleanly."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S"
    )
    log.setLevel(logging.INFO)
    sys.stdout = WithoutMetricLines(sys.stdout)
    options = options_from(args)
    print(f"floorwatch {title}: starting embedded AWS and the local gateway...", flush=True)
    try:
        runtime = LocalRuntime(options).start()
    except OSError as error:
        raise UsageError(
            f"cannot start the local runtime: {error} (is port {options.port} in use? try --port 0)"
        ) from None
    stop = threading.Event()
    _on_signals(stop)
    worker: threading.Thread | None = None
    try:
        _print_addresses(runtime, args)
        if companion is not None:
            worker = threading.Thread(target=companion, args=(runtime, stop), name="companion", daemon=True)
            worker.start()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        stop.set()
    finally:
        print("\nstopping...", flush=True)
        stop.set()
        if worker is not None:
            worker.join(10)
        runtime.stop()
        print("stopped.", flush=True)
    return 0


def _on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _print_addresses(runtime: LocalRuntime, args: argparse.Namespace) -> None:
    queues = [queue for queue in args.queues.split(",") if queue]
    teams = [team for team in args.teams.split(",") if team]
    token = runtime.mint_token(role="supervisor", user="demo-supervisor", teams=teams, queues=queues)
    assert runtime.gateway is not None
    lines = [
        "",
        f"  Dashboard (supervisor of {', '.join(queues + teams) or 'nothing: pass --queues'}):",
        f"    {runtime.dashboard_url(token)}",
        f"  WebSocket:     {runtime.ws_url()}?token=<token>",
        f"  Ops outbox:    {runtime.gateway.http_url}outbox",
        f"  AWS endpoint:  {runtime.aws.endpoint_url}   (e.g. floorwatch send FILE --stream "
        f"{runtime.names.raw_events_stream} --endpoint-url {runtime.aws.endpoint_url})",
        f"  More tokens:   floorwatch token --role supervisor --user ana --queues billing "
        f"--secret-file {runtime.token_file}",
        "",
    ]
    missing = runtime.unavailable_functions()
    if missing:
        lines.append(
            f"  Not available yet (their triggers wait): {', '.join('handlers.' + m for m in missing)}"
        )
    lines.append("  Ctrl-C stops everything.")
    print("\n".join(lines), flush=True)
