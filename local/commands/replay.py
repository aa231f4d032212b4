"""`floorwatch replay --rules RULES.yaml [--tick 10s] [--baselines B.json] [--learn] EVENTS.jsonl`: backtest
rules on recorded events.

The records go through the normalizer (anything `floorwatch normalize` accepts), then through the
evaluation engine the Lambda runs, with in-memory stores, in event time:

- each event is one batch, evaluated right after it for the scopes it touches (as a Lambda batch is);
- every ``--tick`` of event time (ticks on whole multiples of it since the epoch, strictly between one
  event and the next: a tick at an event's own instant runs after it) active alerts, quiet feeds and
  agents in a watched state are evaluated, so ``for`` timers,
  staleness and match rules' ``resolve_after`` work while nothing arrives (no ticks after the last event);
- event time is bounded as the Lambda bounds it: an event stamped in the future is judged at most
  ``MAX_CLOCK_SKEW`` (5 minutes) past the replay's clock (the newest time the event and its successor
  agree on), so one wrong clock cannot run an hour of ticks;
- stdout: one JSON object per transition of the alerts and their incidents (``Transition.to_dict()``),
  sorted by event time;
- stderr: each rejected record with its line number and reason, and a closing summary;
- baselines: rules with ``baseline:`` keep their static tiers unless ``--baselines`` gives learned ones
  (a file of `floorwatch baselines learn`) or ``--learn`` learns them as the replay goes: the hourly
  learner runs at every whole hour of event time into the store the engine reads, between the ticks
  before and after that hour (``local.baselines_offline.HourlyLearning``), so a replay of six weeks
  behaves like six weeks of production.

Deterministic: the same file and rules give byte-identical output (ids are derived from the input).
Exit status 0 when it ran, 2 on unusable arguments or an invalid rules file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from floorwatch.alerts.live import LivePolicy
from floorwatch.alerts.model import Transition
from floorwatch.engine import Engine, transitions_in_time_order
from floorwatch.rules.config import RulesError, RuleSet, load_rules
from floorwatch.rules.durations import parse_duration
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.baselines_memory import InMemoryBaselineStore
from floorwatch.store.baselines_port import BaselineStore
from floorwatch.store.metrics_memory import InMemoryMetricStore

from local import baselines_file
from local.baselines_offline import HourlyLearning
from local.errors import UsageError
from local.payload_files import read_payloads
from local.recordings import Counts, Record, clock_of, cx_events, with_arrival

EXIT_INVALID = 2
DEFAULT_TICK = timedelta(seconds=10)
PARTITION = "replay"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="backtest alert rules against a file of recorded events",
        description=(
            "Replay recorded raw payloads (one per line, anything `floorwatch normalize` accepts) through "
            "the evaluation engine in event time and print every alert transition as JSON, one per line, "
            "in event-time order. Rejected records and a summary go to stderr."
        ),
    )
    parser.add_argument("--rules", required=True, metavar="RULES.yaml", help="rules file (YAML or JSON)")
    parser.add_argument(
        "--tick",
        default="10s",
        metavar="DURATION",
        help="evaluate active alerts every DURATION of event time between events (default 10s)",
    )
    parser.add_argument(
        "--baselines",
        metavar="BASELINES.json",
        help="adapt rules with baseline: to these learned baselines (from `floorwatch baselines learn`)",
    )
    parser.add_argument(
        "--learn",
        action="store_true",
        help="also learn baselines as the replay goes (the hourly learner at every whole hour of event "
        "time), starting from --baselines when given",
    )
    parser.add_argument(
        "--save-baselines",
        metavar="BASELINES.json",
        help="with --learn: write the baselines learned by the end of the replay to this file",
    )
    parser.add_argument(
        "--live-updates",
        type=int,
        default=0,
        metavar="SECONDS",
        help="also print the cards' live value updates (`updated`), at most one per alert per SECONDS "
        "of event time, as the evaluate function does (default 0: none)",
    )
    parser.add_argument("file", metavar="EVENTS.jsonl", help="file of raw payloads, or - for stdin")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    tick = _tick(args.tick)
    try:
        rules = load_rules(args.rules)
    except RulesError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in {args.rules}: nothing replayed", file=sys.stderr)
        return EXIT_INVALID
    if args.save_baselines and not args.learn:
        raise UsageError("--save-baselines needs --learn (without it the replay learns nothing)")
    baselines = baselines_file.load(args.baselines) if args.baselines else None
    payloads = read_payloads(args.file)
    if args.live_updates < 0:
        raise UsageError("--live-updates: give 0 (none) or a number of seconds")
    live_policy = LivePolicy(timedelta(seconds=args.live_updates)) if args.live_updates else None
    result = replay(rules, payloads, tick, baselines=baselines, learn=args.learn, live_policy=live_policy)
    out = sys.stdout
    for transition in result.transitions:
        out.write(transition_line(transition) + "\n")
    out.flush()
    print(
        f"{result.records} records read, {result.events} events replayed, {result.rejected} rejected, "
        f"{len(result.transitions)} transitions"
        + (f", {result.learning_runs} hourly learning runs" if args.learn else ""),
        file=sys.stderr,
    )
    if args.save_baselines and isinstance(result.baselines, InMemoryBaselineStore):
        pairs = baselines_file.save(result.baselines, args.save_baselines, {"rules": args.rules})
        print(f"{pairs} (scope, metric) pairs written to {args.save_baselines}", file=sys.stderr)
    return 0


@dataclass
class ReplayResult:
    transitions: list[Transition] = field(default_factory=list)
    records: int = 0
    events: int = 0
    rejected: int = 0
    baselines: BaselineStore | None = None  # what the engine read (learned further with ``learn``)
    learning_runs: int = 0


def replay(
    rules: RuleSet,
    payloads: Iterable[Record],
    tick: timedelta = DEFAULT_TICK,
    *,
    baselines: BaselineStore | None = None,
    learn: bool = False,
    live_policy: LivePolicy | None = None,
) -> ReplayResult:
    """Normalize, evaluate in event time with ticks, and return the transitions in event-time order.

    ``baselines``: the engine adapts rules with ``baseline:`` to them (``floorwatch replay --baselines``);
    ``learn``: the learner also runs at every whole hour of event time, into ``baselines`` (a new store
    when None), as the hourly schedule does in production (``floorwatch replay --learn``);
    ``live_policy``: also publish the cards' live values (``floorwatch replay --live-updates``)."""
    result = ReplayResult()
    if learn and baselines is None:
        baselines = InMemoryBaselineStore()
    metrics = InMemoryMetricStore()
    engine = Engine(rules, metrics, InMemoryAlertStore(), baselines=baselines, live_policy=live_policy)
    hourly = HourlyLearning(rules, metrics, baselines) if learn and baselines is not None else None
    ticks = _Ticks(engine, tick)
    recorded: list[Transition] = []
    counts = Counts()
    for event, arrival in with_arrival(cx_events(payloads, counts, _print_reject)):
        # As in the Lambda: ticks follow the clock (never an event's own stamp), and an event stamped in
        # the future (a platform with a wrong clock) is judged at most MAX_CLOCK_SKEW past its arrival.
        clock = clock_of(event, arrival)
        if hourly is not None:
            for at in hourly.due(clock):  # the hourly learner, between the ticks before and after it
                recorded += ticks.until(at)
                hourly.run(at)
        recorded += ticks.until(clock)
        recorded += engine.process(PARTITION, [event], now=arrival)
    result.transitions = transitions_in_time_order(recorded)
    result.records, result.events, result.rejected = counts.records, counts.events, counts.rejected
    result.baselines = baselines
    result.learning_runs = hourly.runs if hourly is not None else 0
    return result


def transition_line(transition: Transition) -> str:
    return json.dumps(transition.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _print_reject(message: str) -> None:
    print(message, file=sys.stderr)


class _Ticks:
    """Ticks on whole multiples of ``every`` since the epoch, up to the newest event time seen."""

    def __init__(self, engine: Engine, every: timedelta) -> None:
        self._engine = engine
        self._every = every
        self._next: datetime | None = None

    def until(self, instant: datetime) -> list[Transition]:
        if self._next is None:
            steps = (instant - _EPOCH) // self._every + 1
            self._next = _EPOCH + self._every * steps
            return []
        found: list[Transition] = []
        # Strictly before the event: a tick at the event's own instant runs after it (and the other events
        # of that instant), so it never judges an older snapshot than the one that just arrived.
        while self._next < instant:
            found += self._engine.tick(self._next)
            self._next += self._every
        return found


def _tick(text: str) -> timedelta:
    try:
        tick = parse_duration(text)
    except ValueError as error:
        raise UsageError(f"--tick: {error}") from None
    if tick <= timedelta(0):
        raise UsageError("--tick must be longer than 0s")
    return tick
