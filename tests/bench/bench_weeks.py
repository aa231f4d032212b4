"""Alert quality over weeks: the static rules against the baseline rules (issue 10's measure).

One simulated center with weekly seasonality (``local.simulator.weekly``: busy weekdays, a quiet
weekend, a Monday-morning rush that is normal, recurs every week and drifts a little in time and size)
runs for ``--weeks`` weeks (8) with incidents at random hours — quiet hours included (``quiet_stall``:
a queue nobody answers for an hour at night; and every kind on weekends). Then:

1. **learn** on the first ``weeks - 2`` weeks with the baseline rules, as ``floorwatch baselines learn``
   does (``local.baselines_offline``): the events are folded into a metric store (no alert evaluation:
   only the baselines are wanted) and the scheduled function's learner runs at every whole hour of
   event time;
2. **replay** the last two weeks twice, as ``floorwatch replay`` does (10 s ticks, fresh alert and
   metric stores from the same instant): (a) the static rules, (b) the baseline rules with the learned
   baselines (``replay --baselines``; frozen at the end of the learning weeks, or learning on hourly
   with ``--keep-learning``, as ``replay --learn``);
3. **score** both against the labels (``local.quality``; the normal peaks are ``normal_peak`` labels)
   and check the issue's three goals.

The simulation runs once: after the learning weeks the process forks, and each replay continues the
same simulation in its own process (``--jobs 2``, the default, runs both at once; ``--jobs 1`` one
after the other). Benchmarks print numbers; nothing here asserts, least of all on time.

Run: ``make bench`` (all benchmarks) or ``.venv/bin/python -m tests.bench weeks``; options:
``--weeks``, ``--agents``, ``--seed``, ``--per-day``, ``--rules-static``, ``--rules-baseline``,
``--jobs``, ``--replay-days``, ``--keep-learning``, ``--learn-all``, ``--tick``.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from multiprocessing.connection import Connection
from typing import Any

from floorwatch.rules.baselines import HISTORY
from floorwatch.rules.config import RuleSet, load_rules
from floorwatch.rules.durations import parse_duration
from floorwatch.store.baselines_memory import InMemoryBaselineStore
from floorwatch.store.baselines_port import BaselineStore

from local import baselines_offline as offline
from local.commands.replay import replay
from local.quality import Tally, clock, first_detections, score, text_table, to_line
from local.simulator.config import DEFAULT_QUEUES, SMALL_QUEUES, CenterConfig
from local.simulator.engine import Simulation, placement
from local.simulator.incidents import KIND_NAMES, QUIET_STALL, random_incidents
from local.simulator.labels import NORMAL_PEAK, SIMULATION, Label, meta_labels
from local.simulator.model import SimRecord
from local.simulator.weekly import WeeklyShape, is_quiet

FIRST_MONDAY = datetime(2026, 9, 7, tzinfo=UTC)  # eight weeks from here end on Monday 2 November
WEEK = timedelta(weeks=1)
DAY = timedelta(days=1)
REPLAY_WEEKS = 2
DEFAULT_WEEKS = 8
DEFAULT_AGENTS = 30
DEFAULT_PER_DAY = 3
DEFAULT_SEED = 7
DEFAULT_JOBS = 2
SNAPSHOT_SECONDS = 60.0  # a snapshot a minute (LIGHT_CENTER): half the records of the default 30 s
DEFAULT_TICK = timedelta(minutes=1)  # the deployed evaluator's schedule (infrastructure/alerting.py)
PEAK_WEEKS_SEEN = 3  # the goal: no page on a normal peak seen in this many earlier weeks
KINDS = (*KIND_NAMES, QUIET_STALL, QUIET_STALL)  # every kind in turn; a night stall twice as often


def default_rules(name: str) -> str:
    return str(resources.files("floorwatch.rules").joinpath(name))


@dataclass(frozen=True)
class Setup:
    duration: timedelta  # simulated from FIRST_MONDAY (weeks)
    agents: int = DEFAULT_AGENTS
    seed: int = DEFAULT_SEED
    per_day: int = DEFAULT_PER_DAY
    rules_static: str = field(default_factory=lambda: default_rules("default_rules.yaml"))
    rules_baseline: str = field(default_factory=lambda: default_rules("baseline_rules.yaml"))
    jobs: int = DEFAULT_JOBS
    replay: timedelta = WEEK * REPLAY_WEEKS  # the end of the run replayed; shorter only for a quick check
    keep_learning: bool = False  # the baseline replay learns on hourly (as production); default: frozen
    learn_all: bool = False  # fold every learning week, not only those the learner still keeps
    tick: timedelta = DEFAULT_TICK

    @property
    def start(self) -> datetime:
        return FIRST_MONDAY

    @property
    def learn_end(self) -> datetime:
        return self.end - self.replay

    @property
    def end(self) -> datetime:
        return FIRST_MONDAY + self.duration

    @property
    def learn_weeks(self) -> float:
        return (self.learn_end - self.start) / WEEK

    def period(self) -> str:
        """The replayed period: "weeks 7-8", or its instants when it is not whole weeks."""
        learned, total = self.learn_end - self.start, self.end - self.start
        if learned % WEEK == timedelta(0) and total % WEEK == timedelta(0):
            return f"weeks {learned // WEEK + 1}-{total // WEEK}"
        return f"{self.learn_end:%a %d %b %H:%M}-{self.end:%a %d %b %H:%M} UTC"

    def center(self) -> CenterConfig:
        return CenterConfig(
            queues=DEFAULT_QUEUES + SMALL_QUEUES,
            agents=self.agents,
            snapshot_seconds=SNAPSHOT_SECONDS,
            weekly=WeeklyShape(),
        )


@dataclass
class Row:
    """One replay of the last two weeks, scored."""

    name: str
    tally: Tally
    detections: dict[Label, datetime | None]
    peaks: int  # normal weekly peaks in the replayed period
    records: int
    events: int
    transitions: int
    seconds: float

    @property
    def false_alerts(self) -> int:
        return self.tally.overall.alerts - sum(rule.true_alerts for rule in self.tally.rules.values())

    @property
    def recall(self) -> float:
        return self.tally.detected / self.tally.labels if self.tally.labels else 0.0

    @property
    def precision(self) -> float:
        overall = self.tally.overall
        return overall.true_incidents / overall.incidents if overall.incidents else 0.0


@dataclass
class LearnStats:
    records: int = 0
    events: int = 0
    runs: int = 0
    seconds: float = 0.0
    pairs: set[str] = field(default_factory=set)


# --- learning ---------------------------------------------------------------------------------------
class _Between:
    """The payloads of the records in [since, until) (what the learner reads); keeps the first record at
    or after ``until``."""

    def __init__(self, records: Iterator[SimRecord], since: datetime, until: datetime) -> None:
        self._records = records
        self._since = since
        self._until = until
        self.following: SimRecord | None = None
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for record in self._records:
            if record.at >= self._until:
                self.following = record
                return
            if record.at >= self._since:
                self.count += 1
                yield record.payload


def learn_from(setup: Setup, rules: RuleSet) -> datetime:
    """Where learning needs to start: a slot keeps only the samples of the last ``HISTORY`` (4 weeks),
    and a pair is used once watched for its rule's ``min_history``; a day more warms the windows up. The
    weeks before are simulated (the center runs on) but not folded: folding them would give the same
    baselines, slower (``--learn-all`` does it anyway)."""
    if setup.learn_all:
        return setup.start
    needed = max([HISTORY] + [rule.baseline.min_history for rule in rules.threshold_rules() if rule.baseline])
    return max(setup.start, setup.learn_end - needed - DAY)


def learn(
    records: Iterator[SimRecord], rules: RuleSet, since: datetime, until: datetime, stats: LearnStats
) -> tuple[InMemoryBaselineStore, SimRecord | None]:
    """Learn the baselines of ``rules`` from the records in [since, until) with the product's offline
    learning (``local.baselines_offline``: the events folded into a metric store, the scheduled learner
    run at every whole hour of event time); returns them and the first record at or after ``until``
    (the records iterator has consumed it)."""
    started = time.perf_counter()
    source = _Between(records, since, until)
    learned = offline.learn(source, rules)
    stats.records = source.count
    stats.events = learned.counts.events
    stats.runs = learned.runs
    stats.pairs = {f"{scope}#{metric}" for scope, metric in learned.baselines.pairs()}
    stats.seconds = time.perf_counter() - started
    return learned.baselines, source.following


# --- replaying ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    name: str
    rules_path: str
    baselines: BaselineStore | None


def replay_and_score(
    variant: Variant, simulation: Simulation, records: Iterator[SimRecord], setup: Setup
) -> Row:
    started = time.perf_counter()
    rules = load_rules(variant.rules_path)
    counted = _Counter(records)
    payloads = (record.payload for record in counted)
    result = replay(
        rules,
        payloads,
        setup.tick,
        baselines=variant.baselines,
        learn=setup.keep_learning and variant.baselines is not None,
    )
    lines = [to_line(transition.to_dict(), rules) for transition in result.transitions]
    labels = replay_labels(simulation, setup)
    return Row(
        variant.name,
        score(labels, lines),
        first_detections(labels, lines),
        sum(1 for label in labels if label.kind == NORMAL_PEAK),
        counted.count,
        result.events,
        len(result.transitions),
        time.perf_counter() - started,
    )


def replay_labels(simulation: Simulation, setup: Setup) -> list[Label]:
    """The labels of the replayed weeks: their period, their normal peaks and their incidents."""
    start, end = setup.learn_end, setup.end
    summary = f"seed {setup.seed}, {setup.agents} agents, {setup.period()}"
    period = [label for label in meta_labels(start, end - start, (), summary) if label.kind == SIMULATION]
    peaks = [label for label in simulation.peak_labels() if start <= label.start < end]
    incidents = [label for label in simulation.labels() if start <= label.start < end]
    return period + peaks + incidents


class _Counter:
    def __init__(self, records: Iterator[SimRecord]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[SimRecord]:
        for record in self._records:
            self.count += 1
            yield record


def _child(send: Connection, work: tuple[Any, ...]) -> None:
    try:
        send.send(("ok", replay_and_score(*work)))
    except Exception as error:  # the parent names it, then the child's traceback follows on stderr
        send.send(("error", f"{type(error).__name__}: {error}"))
        raise
    finally:
        send.close()


def replay_both(
    simulation: Simulation, records: Iterator[SimRecord], store: BaselineStore, setup: Setup
) -> list[Row]:
    """Fork one process per variant; each continues the simulation from the end of the learning weeks."""
    context = multiprocessing.get_context("fork")
    variants = [
        (Variant("static", setup.rules_static, None), simulation, records, setup),
        (Variant("baseline", setup.rules_baseline, store), simulation, records, setup),
    ]
    rows: list[Row] = []
    pending = list(variants)
    while pending:
        batch, pending = pending[: setup.jobs], pending[setup.jobs :]
        running = []
        for work in batch:
            receive, send = context.Pipe(duplex=False)
            name = work[0].name
            process = context.Process(target=_child, args=(send, work), name=f"weeks-{name}")
            process.start()
            send.close()
            running.append((name, process, receive))
        for name, process, receive in running:
            status, payload = receive.recv()
            process.join()
            if status != "ok":
                raise RuntimeError(f"the {name} replay failed: {payload}")
            rows.append(payload)
    return rows


# --- the run -------------------------------------------------------------------------------------------
def run(setup: Setup) -> tuple[list[Row], LearnStats, Simulation]:
    center = setup.center()
    duration = setup.end - setup.start
    incidents = random_incidents(
        placement(setup.start, duration, center), setup.seed, setup.per_day, kinds=KINDS
    )
    simulation = Simulation(setup.start, duration, setup.seed, center=center, incidents=incidents)
    records = simulation.run()
    stats = LearnStats()
    print(
        f"{setup.duration / WEEK:.1f} weeks from {setup.start:%Y-%m-%d} (seed {setup.seed}), "
        f"{setup.agents} agents in "
        f"{len(center.queues)} queues, {len(incidents)} incidents ({setup.per_day} a day); learning on "
        f"{setup.learn_weeks:.1f} week(s), replaying {setup.period()}",
        flush=True,
    )
    rules = load_rules(setup.rules_baseline)
    since = learn_from(setup, rules)
    store, following = learn(records, rules, since, setup.learn_end, stats)
    print(
        f"  learned from {since:%Y-%m-%d %H:%M} to {setup.learn_end:%Y-%m-%d %H:%M}: {stats.records:,} "
        f"records, {stats.events:,} events folded, {stats.runs} hourly learner runs, {len(stats.pairs)} "
        f"(scope, metric) pairs ({stats.seconds:.0f} s)",
        flush=True,
    )
    rest = itertools.chain([following] if following is not None else [], records)
    rows = replay_both(simulation, rest, store, setup)
    for row in rows:
        print(
            f"  replayed {row.name}: {row.records:,} records, {row.events:,} events, "
            f"{row.transitions:,} transitions ({row.seconds:.0f} s)",
            flush=True,
        )
    return rows, stats, simulation


# --- the report ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Goal:
    text: str
    passed: bool
    value: str


def quiet_labels(rows: Sequence[Row], center: CenterConfig) -> list[Label]:
    return sorted(
        (label for label in rows[0].detections if is_quiet(center, label.start)),
        key=lambda label: label.start,
    )


def goals(static: Row, baseline: Row, center: CenterConfig, learn_weeks: float) -> list[Goal]:
    fewer_alerts = baseline.false_alerts <= static.false_alerts * 0.5
    fewer_pages = baseline.tally.overall.false_pages <= static.tally.overall.false_pages * 0.5
    equal_recall = baseline.recall >= static.recall
    quiet = quiet_labels([static, baseline], center)
    only_baseline = [
        label
        for label in quiet
        if baseline.detections[label] is not None and static.detections[label] is None
    ]
    peaks_known = learn_weeks >= PEAK_WEEKS_SEEN
    return [
        Goal(
            ">= 50 % fewer false alerts and false pages at equal recall",
            fewer_alerts and fewer_pages and equal_recall,
            f"false alerts {static.false_alerts} -> {baseline.false_alerts}, false pages "
            f"{static.tally.overall.false_pages} -> {baseline.tally.overall.false_pages}, recall "
            f"{static.recall:.0%} -> {baseline.recall:.0%}",
        ),
        Goal(
            f"0 pages on a normal peak seen in {PEAK_WEEKS_SEEN} earlier weeks",
            peaks_known and baseline.tally.peaks.pages == 0,
            f"{baseline.tally.peaks.pages} page(s) on {baseline.peaks} peak(s) (static rules: "
            f"{static.tally.peaks.pages})"
            + ("" if peaks_known else f"; only {learn_weeks:.1f} learning week(s): not measurable"),
        ),
        Goal(
            "a quiet-hour incident caught that the static rules miss",
            bool(only_baseline),
            f"{len(only_baseline)} of {len(quiet)} quiet-hour incidents"
            + (": " + ", ".join(_describe(label) for label in only_baseline[:4]) if only_baseline else ""),
        ),
    ]


def _describe(label: Label) -> str:
    return f"{label.kind} {label.queue or ''} {label.start:%a %d %H:%M}".replace("  ", " ")


def report(rows: Sequence[Row], setup: Setup) -> str:
    static, baseline = rows
    center = setup.center()
    quiet = quiet_labels(rows, center)
    table = [
        [
            "rules",
            "alerts",
            "SMS pages",
            "false alerts",
            "false pages",
            "precision",
            "recall",
            "TTD median",
            "pages on normal peaks",
            "quiet-hour incidents caught",
        ]
    ]
    for row in rows:
        overall = row.tally.overall
        caught = sum(1 for label in quiet if row.detections[label] is not None)
        table.append(
            [
                f"{row.name} ({_short(setup.rules_static if row is static else setup.rules_baseline)})",
                str(overall.alerts),
                str(overall.pages),
                str(row.false_alerts),
                str(overall.false_pages),
                f"{row.precision:.0%}",
                f"{row.recall:.0%} ({row.tally.detected}/{row.tally.labels})",
                clock(row.tally.detect_seconds(), "median"),
                str(row.tally.peaks.pages),
                f"{caught}/{len(quiet)}",
            ]
        )
    out = [
        f"{setup.period()}: {static.tally.labels} incidents "
        f"({len(quiet)} at quiet hours: nights 22-06 and weekends), "
        f"{static.peaks} normal weekly peak(s)",
        text_table(table),
        "",
        _kind_table(rows),
        "",
        _rule_table(rows),
        "",
        "goals (issue 10):",
    ]
    for goal in goals(static, baseline, center, setup.learn_weeks):
        out.append(f"  [{'PASS' if goal.passed else 'FAIL'}] {goal.text}: {goal.value}")
    return "\n".join(out)


def _kind_table(rows: Sequence[Row]) -> str:
    kinds = sorted({name for row in rows for name in row.tally.kinds})
    table = [
        [
            "incident kind",
            "labels",
            *(f"{row.name}: detected" for row in rows),
            *(f"{row.name}: TTD" for row in rows),
        ]
    ]
    for name in kinds:
        tallies = [row.tally.kinds.get(name) for row in rows]
        labels = max((tally.labels for tally in tallies if tally), default=0)
        table.append(
            [
                name,
                str(labels),
                *(str(tally.detected if tally else 0) for tally in tallies),
                *(clock(tally.detect_seconds if tally else [], "median") for tally in tallies),
            ]
        )
    return text_table(table)


def _rule_table(rows: Sequence[Row]) -> str:
    """Per rule, both rule sets side by side: where the false alerts and pages are (what to tune next)."""
    names = sorted({name for row in rows for name in row.tally.rules})
    header = ["rule"]
    for row in rows:
        header += [f"{row.name}: alerts", f"{row.name}: false", f"{row.name}: false pages"]
    table = [header]
    for name in names:
        line = [name]
        for row in rows:
            tally = row.tally.rules.get(name)
            alerts = tally.alerts if tally else 0
            line += [
                str(alerts),
                str(alerts - tally.true_alerts if tally else 0),
                str(tally.false_pages if tally else 0),
            ]
        table.append(line)
    return text_table(table)


def _short(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench weeks", description=__doc__)
    parser.add_argument(
        "--weeks", type=int, default=DEFAULT_WEEKS, help="simulated weeks (default %(default)s)"
    )
    parser.add_argument(
        "--agents", type=int, default=DEFAULT_AGENTS, help="center size (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    parser.add_argument(
        "--per-day", type=int, default=DEFAULT_PER_DAY, help="incidents a day (default %(default)s)"
    )
    parser.add_argument(
        "--rules-static",
        default=default_rules("default_rules.yaml"),
        help="the static rules (default: the shipped default_rules.yaml)",
    )
    parser.add_argument(
        "--rules-baseline",
        default=default_rules("baseline_rules.yaml"),
        help="the baseline rules (default: the shipped baseline_rules.yaml)",
    )
    parser.add_argument(
        "--jobs", type=int, choices=(1, 2), default=DEFAULT_JOBS, help="replays at once (default %(default)s)"
    )
    parser.add_argument(
        "--replay-days",
        type=int,
        default=REPLAY_WEEKS * 7,
        help="replay the last DAYS days (default %(default)s: two weeks); the weeks before are learned",
    )
    parser.add_argument(
        "--keep-learning",
        action="store_true",
        help="the baseline replay goes on learning hourly, as production does (default: frozen baselines)",
    )
    parser.add_argument(
        "--learn-all",
        action="store_true",
        help="fold every learning week (default: only the weeks the learner keeps, HISTORY and min_history)",
    )
    parser.add_argument(
        "--tick",
        default="1m",
        help="replay tick (default %(default)s: the deployed evaluator's schedule; floorwatch replay: 10s)",
    )
    args = parser.parse_args(argv if argv is not None else [])
    try:
        tick = parse_duration(args.tick)
    except ValueError as error:
        parser.error(f"--tick: {error}")
    if tick <= timedelta(0):
        parser.error("--tick must be longer than 0s")
    if args.weeks < 1 or not 1 <= args.replay_days < args.weeks * 7:  # a day to learn on at least
        parser.error("--replay-days must be at least 1 and leave at least a day of the --weeks to learn on")
    if args.agents < 12 or args.per_day < 0:
        parser.error("--agents must be at least 12 (one per queue and more) and --per-day at least 0")
    for path in (args.rules_static, args.rules_baseline):
        load_rules(path)  # a bad file fails here, before an hour of simulation
    setup = Setup(
        WEEK * args.weeks,
        args.agents,
        args.seed,
        args.per_day,
        args.rules_static,
        args.rules_baseline,
        args.jobs,
        DAY * args.replay_days,
        args.keep_learning,
        args.learn_all,
        tick,
    )
    started = time.perf_counter()
    rows, _, _ = run(setup)
    print(report(rows, setup))
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"CPU: {own.ru_utime + own.ru_stime:.0f} s simulating and learning, "
        f"{children.ru_utime + children.ru_stime:.0f} s in the replays; "
        f"{time.perf_counter() - started:.0f} s wall",
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
