"""`floorwatch simulate`: realistic contact-center traffic, pushed to Kinesis or written to a file.

Pushing (default): records go to ``--stream`` with PutRecords, paced so simulated time runs ``--speed``
times faster than wall time; a progress line on stderr; Ctrl-C stops after the current batch and
prints a summary (exit 0). ``--out FILE`` writes the same payloads as JSON Lines instead (unpaced),
for `floorwatch normalize`, `floorwatch replay` or `floorwatch send`; ``--labels FILE`` then also writes
where each scripted incident happened (``local.simulator.labels``), for `floorwatch score`.

Incidents: the default timeline (``--incidents all``, shifted by ``--incidents-at``), a list of its
names or of ``KIND@OFFSET[/QUEUE]`` placements, or ``random[:N]``: N a day at random hours and queues
(seeded by ``--seed``), except on ``--control-days``.

Weeks: ``--weekly`` gives the center weekly seasonality (``local.simulator.weekly``: weekday and weekend
volumes, a normal Monday-morning peak that drifts a little each week); ``--weeks N`` simulates N weeks
with it (``--duration Nw``); with either, ``random`` also places the quiet-hour kinds (a night stall).
``--timezone`` puts the center in an IANA time zone (daylight-saving time included).

Exit status: 0 when it ran; 1 when some records could not be stored after the retries; 2 on unusable
arguments (bad duration or start, unknown incident, unknown stream, unreachable endpoint).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from botocore.exceptions import ClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from floorwatch.events.model import EARLIEST_EVENT_TIME, LATEST_EVENT_TIME
from floorwatch.names import ResourceNames
from floorwatch.rules.durations import parse_duration
from floorwatch.store.kinesis import KinesisWriter

from local.commands.send import DEFAULT_REGION, _kinesis_client
from local.errors import UsageError
from local.simulator import pusher
from local.simulator.config import DEFAULT_QUEUES, SMALL_QUEUES, CenterConfig, busy_offset_hours
from local.simulator.engine import Simulation, placement
from local.simulator.incidents import (
    ALL_KIND_NAMES,
    DEFAULT_INCIDENTS,
    DEFAULT_PER_DAY,
    KIND_NAMES,
    KINDS,
    Incident,
    parse_random,
    random_incidents,
    select_incidents,
    timeline,
)
from local.simulator.labels import meta_labels, write_labels
from local.simulator.weekly import WeeklyShape

LOCAL_RAW_STREAM = ResourceNames(stage="local").raw_events_stream
DEFAULT_OUT_DURATION = timedelta(hours=1)
MAX_AGENTS = 100_000
MAX_WEEKS = 52
PROGRESS_EVERY_SECONDS = 1.0  # on a terminal; otherwise one line every 10 s
EXIT_SOME_NOT_STORED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="generate realistic contact-center traffic (push to Kinesis or write JSON Lines)",
        description=(
            "Simulate a contact center (8 queues, 120 agents by default; voice and chat on Amazon\n"
            "Connect, e-mail and tasks from a generic desk tool) with scripted incidents. Pushes its raw\n"
            "platform payloads to a Kinesis stream with PutRecords, paced by --speed (Ctrl-C stops), or\n"
            "writes them to --out as JSON Lines. Same --seed, --start and options: same records."
        ),
        epilog="incident timeline (offsets from --start, plus --incidents-at):\n  "
        + "\n  ".join(timeline(DEFAULT_INCIDENTS, speed=pusher.DEMO_SPEED))
        + "\n\nincident kinds for KIND@OFFSET[/QUEUE] and random[:N]:\n  "
        + "\n  ".join(f"{kind.name:<22} {kind.summary}" for kind in KINDS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=pusher.DEMO_SPEED,
        help="simulated seconds per wall second (60: a minute per second; 0: unpaced; default %(default)g)",
    )
    parser.add_argument(
        "--duration",
        metavar="DURATION",
        help="simulated time to cover, e.g. 30m, 8h, 1d (default: until Ctrl-C; with --out: 1h)",
    )
    parser.add_argument("--start", metavar="ISO8601", help="simulated start instant (default: now, UTC)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    parser.add_argument(
        "--incidents",
        default="all",
        metavar="all|none|list|random[:N]|NAME,...",
        help="which scripted incidents to run: the default timeline (all), none, some of its names or "
        "KIND@OFFSET[/QUEUE] items (e.g. slow_slide@10h30m/billing), or random[:N] (N a day, default "
        f"{DEFAULT_PER_DAY}, at random hours and queues); 'list' prints the timeline and exits "
        "(default: all)",
    )
    parser.add_argument(
        "--control-days",
        default="",
        metavar="DAY,...",
        help="with --incidents random: days (1 = the first simulated day) left free of incidents",
    )
    parser.add_argument(
        "--incidents-at",
        default="0s",
        metavar="DURATION",
        help="shift the incident timeline, e.g. 10h for a day starting at midnight (default 0s)",
    )
    parser.add_argument("--agents", type=int, default=120, help="agents in the center (default %(default)s)")
    parser.add_argument(
        "--small-queues",
        action="store_true",
        help=f"add two tiny queues ({', '.join(queue.name for queue in SMALL_QUEUES)}: one or two agents)",
    )
    parser.add_argument(
        "--utc-offset",
        type=float,
        metavar="HOURS",
        help="the center's local time zone for the hour-of-day curve (default: 0 with --start; without "
        "--start, whatever makes now 10:00 local, so traffic is busy whenever you run it)",
    )
    parser.add_argument(
        "--timezone",
        metavar="IANA",
        help="the center's time zone as an IANA name, e.g. Europe/London (instead of --utc-offset; keeps "
        "daylight-saving time); the rules file names it under centers: <instance id>: {timezone: ...}",
    )
    parser.add_argument(
        "--weekly",
        action="store_true",
        help="weekly seasonality: busy weekdays, a quiet weekend, a normal Monday-morning peak that drifts "
        "a little week to week",
    )
    parser.add_argument(
        "--weeks",
        type=int,
        metavar="N",
        help="simulate N weeks with weekly seasonality (the same as --weekly --duration Nw)",
    )
    parser.add_argument(
        "--out", metavar="FILE", help="write JSON Lines to FILE ('-': stdout) instead of pushing"
    )
    parser.add_argument(
        "--labels",
        metavar="FILE",
        help="with --out: write where each scripted incident happened to FILE (JSON Lines)",
    )
    parser.add_argument(
        "--stream", default=LOCAL_RAW_STREAM, metavar="NAME", help="Kinesis stream (default %(default)s)"
    )
    parser.add_argument("--endpoint-url", metavar="URL", help="Kinesis endpoint (e.g. the local runtime's)")
    parser.add_argument(
        "--region", metavar="REGION", help=f"AWS region (default: $AWS_DEFAULT_REGION, else {DEFAULT_REGION})"
    )
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class _Plan:
    start: datetime
    duration: timedelta
    seed: int
    center: CenterConfig
    incidents: tuple[Incident, ...]
    incidents_at: timedelta
    control_days: tuple[int, ...] = ()
    labels: str | None = None


def run(args: argparse.Namespace) -> int:
    if args.incidents.strip().lower() == "list":
        print("\n".join(timeline(DEFAULT_INCIDENTS, speed=args.speed or None)))
        return 0
    if not 0 <= args.speed < math.inf:  # NaN fails too
        raise UsageError(f"--speed must be a finite number >= 0 (0: unpaced), got {args.speed:g}")
    if args.labels is not None and args.out is None:
        raise UsageError("--labels needs --out (labels are written once the whole run is generated)")
    start = _start(args.start)
    default_duration = DEFAULT_OUT_DURATION if args.out is not None else pusher.UNLIMITED
    duration = _duration(args.duration, "--duration") if args.duration else default_duration
    if args.weeks is not None:
        if args.duration:
            raise UsageError("--weeks sets the duration: give --weeks or --duration, not both")
        if not 1 <= args.weeks <= MAX_WEEKS:
            raise UsageError(f"--weeks must be between 1 and {MAX_WEEKS}, got {args.weeks}")
        duration = timedelta(weeks=args.weeks)
    center = _center(args, start)
    control_days = _control_days(args.control_days)
    per_day = _per_day(args.incidents)
    if per_day is None:
        if control_days:
            raise UsageError("--control-days goes with --incidents random[:N]")
        incidents = _incidents(args.incidents, center)
    elif not args.duration and args.weeks is None and args.out is None:
        raise UsageError("--incidents random needs --duration (incidents are placed over the whole run)")
    else:
        kinds = ALL_KIND_NAMES if center.weekly is not None else KIND_NAMES
        incidents = random_incidents(
            placement(start, duration, center), args.seed, per_day, kinds=kinds, control_days=control_days
        )
    plan = _Plan(
        start=start,
        duration=duration,
        seed=args.seed,
        center=center,
        incidents=incidents,
        incidents_at=_duration(args.incidents_at, "--incidents-at", allow_zero=True),
        control_days=control_days,
        labels=args.labels,
    )
    if args.out is not None:
        return _write(args.out, plan)
    return _push(args, plan)


def _incidents(choice: str, center: CenterConfig) -> tuple[Incident, ...]:
    try:
        return select_incidents(choice, [queue.name for queue in center.queues])
    except ValueError as error:
        raise UsageError(f"--incidents: {error}") from None


def _per_day(choice: str) -> int | None:
    try:
        return parse_random(choice)
    except ValueError as error:
        raise UsageError(f"--incidents: {error}") from None


def _control_days(text: str) -> tuple[int, ...]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() and int(part) >= 1 for part in parts):
        raise UsageError(f"--control-days: expected day numbers from 1, e.g. 2,5; got {text!r}")
    return tuple(sorted({int(part) for part in parts}))


def _start(text: str | None) -> datetime:
    if text is None:
        return pusher.default_start()
    try:
        instant = datetime.fromisoformat(text.strip())  # Python 3.11+ reads "Z" and offsets
    except ValueError:
        raise UsageError(f"--start: not an ISO 8601 instant: {text!r} (e.g. 2026-11-23T09:00:00Z)") from None
    instant = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    if not EARLIEST_EVENT_TIME <= instant < LATEST_EVENT_TIME:  # events outside would be refused anyway
        raise UsageError(
            f"--start must lie in the years {EARLIEST_EVENT_TIME.year} to {LATEST_EVENT_TIME.year - 1}, "
            f"got {text!r}"
        )
    return instant


def _duration(text: str, option: str, *, allow_zero: bool = False) -> timedelta:
    try:
        duration = parse_duration(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None
    if duration < timedelta(0) or (duration == timedelta(0) and not allow_zero):
        raise UsageError(f"{option} must be positive, got {text!r}")
    return duration


def _center(args: argparse.Namespace, start: datetime) -> CenterConfig:
    if args.timezone is not None and args.utc_offset is not None:
        raise UsageError("give --timezone or --utc-offset, not both")
    if args.utc_offset is not None:
        offset = args.utc_offset
    else:
        offset = 0.0 if args.start is not None or args.timezone else busy_offset_hours(start)
    if not -24 < offset < 24:
        raise UsageError(f"--utc-offset must be within +-24 hours, got {offset:g}")
    if not 1 <= args.agents <= MAX_AGENTS:  # a typo of many digits would simulate for hours
        raise UsageError(f"--agents must be between 1 and {MAX_AGENTS}, got {args.agents}")
    queues = DEFAULT_QUEUES + SMALL_QUEUES if args.small_queues else DEFAULT_QUEUES
    weekly = WeeklyShape() if args.weekly or args.weeks is not None else None
    if args.timezone is not None:
        try:
            CenterConfig(timezone=args.timezone)
        except ValueError as error:
            raise UsageError(f"--timezone: {error}") from None
    try:
        return CenterConfig(
            queues=queues, agents=args.agents, utc_offset_hours=offset, weekly=weekly, timezone=args.timezone
        )
    except ValueError as error:
        raise UsageError(f"--agents: {error}") from None


def _write(out: str, plan: _Plan) -> int:
    simulation = Simulation(
        plan.start,
        plan.duration,
        plan.seed,
        center=plan.center,
        incidents=plan.incidents,
        incidents_at=plan.incidents_at,
    )
    written = 0
    with _output(out) as stream:
        for record in simulation.run():
            stream.write(json.dumps(record.payload, ensure_ascii=False, separators=(",", ":")) + "\n")
            written += 1
    where = "stdout" if out == "-" else out
    print(
        f"{written} records written to {where} (simulated {plan.start:%Y-%m-%dT%H:%M:%SZ} + {plan.duration})",
        file=sys.stderr,
    )
    if plan.center.timezone:
        center, zone = plan.center.instance_id, plan.center.timezone
        print(
            f"center {center} is in {zone}; for baselines in its local time the rules file says: "
            f"centers: {{{center}: {{timezone: {zone}}}}}",
            file=sys.stderr,
        )
    if plan.labels is not None:
        _write_labels(plan, simulation)
    return 0


def _write_labels(plan: _Plan, simulation: Simulation) -> None:
    assert plan.labels is not None
    summary = f"seed {plan.seed}, {plan.center.agents} agents, {len(plan.center.queues)} queues"
    if plan.center.timezone:
        summary += f", center {plan.center.instance_id} in {plan.center.timezone}"
    labels = (
        meta_labels(plan.start, plan.duration, plan.control_days, summary)
        + simulation.peak_labels()
        + simulation.labels()
    )
    with _output(plan.labels) as stream:
        stream.write(write_labels(labels))
    incidents = sum(1 for label in labels if label.is_incident)
    where = "stdout" if plan.labels == "-" else plan.labels
    print(f"{incidents} incident labels written to {where}", file=sys.stderr)


@contextmanager
def _output(out: str) -> Iterator[TextIO]:
    if out == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        handle = Path(out).open("w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as error:
        raise UsageError(f"cannot write {out}: {error.strerror or error}") from None
    with handle:
        yield handle


def _push(args: argparse.Namespace, plan: _Plan) -> int:
    region = args.region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    writer = KinesisWriter(_kinesis_client(args.endpoint_url, region), args.stream)
    where = f"stream {args.stream!r}" + (f" at {args.endpoint_url}" if args.endpoint_url else f" in {region}")
    print(
        f"simulating from {plan.start:%Y-%m-%dT%H:%M:%SZ} at {args.speed:g}x into {where}; Ctrl-C stops",
        file=sys.stderr,
    )
    stop = threading.Event()
    line = _ProgressLine(args.speed)
    try:
        with _stop_on_interrupt(stop):
            final = pusher.run(
                writer,
                args.speed,
                stop,
                start=plan.start,
                duration=plan.duration,
                seed=plan.seed,
                center=plan.center,
                incidents=plan.incidents,
                incidents_at=plan.incidents_at,
                on_progress=line.update,
            )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code == "ResourceNotFoundException":
            raise UsageError(f"stream {args.stream!r} not found ({where})") from None
        raise UsageError(f"Kinesis refused PutRecords: {code}: {error}") from None
    except BotocoreConnectionError as error:
        raise UsageError(f"cannot reach Kinesis ({where}): {error}") from None
    except NoCredentialsError:
        raise UsageError(
            "no AWS credentials found (any non-empty AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY work locally)"
        ) from None
    line.finish(final, stopped=stop.is_set())
    return EXIT_SOME_NOT_STORED if final.failed else 0


@contextmanager
def _stop_on_interrupt(stop: threading.Event) -> Iterator[None]:
    """First Ctrl-C: stop after the current batch; a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _ProgressLine:
    def __init__(self, speed: float) -> None:
        self._speed = speed
        self._tty = sys.stderr.isatty()
        self._every = PROGRESS_EVERY_SECONDS if self._tty else 10.0
        self._last = 0.0

    def update(self, progress: pusher.Progress) -> None:
        now = time.monotonic()
        if now - self._last < self._every:
            return
        self._last = now
        self._print(progress, end="\r" if self._tty else "\n")

    def finish(self, progress: pusher.Progress, *, stopped: bool) -> None:
        self._print(progress, end="\n")
        print(
            f"{'stopped' if stopped else 'done'}: {progress.stored} records stored, {progress.failed} failed",
            file=sys.stderr,
        )

    def _print(self, progress: pusher.Progress, end: str) -> None:
        elapsed = int(progress.simulated_elapsed.total_seconds())
        rate = progress.stored / progress.wall_seconds if progress.wall_seconds > 0 else 0.0
        text = (
            f"simulated {progress.simulated_at:%H:%M:%S} (+{elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:"
            f"{elapsed % 60:02d}) | {progress.stored} stored, {progress.failed} failed | {rate:.0f} rec/s"
        )
        print(text.ljust(78), end=end, file=sys.stderr, flush=True)
