"""`floorwatch replay --rules RULES.yaml [--tick 10s] EVENTS.jsonl`: backtest rules on recorded events.

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
- stderr: each rejected record with its line number and reason, and a closing summary.

Deterministic: the same file and rules give byte-identical output (ids are derived from the input).
Exit status 0 when it ran, 2 on unusable arguments or an invalid rules file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from floorwatch.alerts.live import LivePolicy
from floorwatch.alerts.model import Transition
from floorwatch.engine import MAX_CLOCK_SKEW, Engine, transitions_in_time_order
from floorwatch.events.model import CxEvent
from floorwatch.events.normalize import normalize_document
from floorwatch.rules.config import RulesError, RuleSet, load_rules
from floorwatch.rules.durations import parse_duration
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.metrics_memory import InMemoryMetricStore

from local.errors import UsageError
from local.payload_files import RawPayload, read_payloads

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
    payloads = read_payloads(args.file)
    if args.live_updates < 0:
        raise UsageError("--live-updates: give 0 (none) or a number of seconds")
    live_policy = LivePolicy(timedelta(seconds=args.live_updates)) if args.live_updates else None
    result = replay(rules, payloads, tick, live_policy)
    out = sys.stdout
    for transition in result.transitions:
        out.write(transition_line(transition) + "\n")
    out.flush()
    print(
        f"{result.records} records read, {result.events} events replayed, {result.rejected} rejected, "
        f"{len(result.transitions)} transitions",
        file=sys.stderr,
    )
    return 0


@dataclass
class ReplayResult:
    transitions: list[Transition] = field(default_factory=list)
    records: int = 0
    events: int = 0
    rejected: int = 0


def replay(
    rules: RuleSet,
    payloads: Iterable[RawPayload],
    tick: timedelta = DEFAULT_TICK,
    live_policy: LivePolicy | None = None,
) -> ReplayResult:
    """Normalize, evaluate in event time with ticks, and return the transitions in event-time order."""
    result = ReplayResult()
    engine = Engine(rules, InMemoryMetricStore(), InMemoryAlertStore(), live_policy=live_policy)
    ticks = _Ticks(engine, tick)
    recorded: list[Transition] = []
    for event, arrival in _with_arrival(_events(payloads, result)):
        # As in the Lambda: ticks follow the clock (never an event's own stamp), and an event stamped in
        # the future (a platform with a wrong clock) is judged at most MAX_CLOCK_SKEW past its arrival.
        recorded += ticks.until(min(event.occurred_at, arrival))
        recorded += engine.process(PARTITION, [event], now=arrival)
    result.transitions = transitions_in_time_order(recorded)
    return result


def _with_arrival(events: Iterable[CxEvent]) -> Iterator[tuple[CxEvent, datetime]]:
    """Each event with the replay's clock when it "arrived": a recording has no arrival times, so the
    clock is the newest time that both this event and the next one vouch for (one event from a wrong
    clock is bounded by its successor), never going back."""
    clock: datetime | None = None
    previous: CxEvent | None = None
    for event in events:
        if previous is not None:
            vouched = min(previous.occurred_at, event.occurred_at)
            clock = vouched if clock is None else max(clock, vouched)
            yield previous, clock
        previous = event
    if previous is not None:
        last = previous.occurred_at
        yield previous, last if clock is None else max(clock, min(last, clock + MAX_CLOCK_SKEW))


def transition_line(transition: Transition) -> str:
    return json.dumps(transition.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _events(payloads: Iterable[RawPayload], result: ReplayResult) -> Iterator[CxEvent]:
    for payload in payloads:
        result.records += 1
        if not payload.parsed:
            _reject(result, payload, payload.problem or "unusable")
            continue
        outcome = normalize_document(payload.document)
        if outcome.rejected:
            _reject(result, payload, outcome.reason or "rejected")
            continue
        for event in outcome.events:
            result.events += 1
            yield event


def _reject(result: ReplayResult, payload: RawPayload, reason: str) -> None:
    result.rejected += 1
    print(f"{payload.position}: {reason}", file=sys.stderr)


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
