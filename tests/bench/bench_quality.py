"""Alert quality: simulated days with labelled incidents, replayed with the rules, scored.

The set (default 16 days): 14 incident days, alternating a 40- and a 120-agent center (both with the
two tiny queues of ``SMALL_QUEUES`` next to the eight default ones), a different seed each day, 6
incidents a day at random hours and queues, every kind in turn; plus one incident-free control day per
center size. Each day is simulated from midnight UTC (local time = UTC), replayed through the engine
as `floorwatch replay` does (10 s ticks) and scored by ``local.quality`` (matching rule there); the
tallies add up into one report. Days run in parallel processes (``--jobs``, default 2).

Run: ``make bench`` or ``.venv/bin/python -m tests.bench quality``; for quick iterations on rules:
``.venv/bin/python -m tests.bench.bench_quality --rules my_rules.yaml --days 4``.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from floorwatch.rules.config import load_rules

from local.commands.replay import replay
from local.payload_files import RawPayload
from local.quality import Tally, report, score, to_line
from local.simulator.config import DEFAULT_QUEUES, SMALL_QUEUES, CenterConfig
from local.simulator.engine import Simulation, placement
from local.simulator.incidents import KIND_NAMES, random_incidents
from local.simulator.labels import meta_labels

FIRST_DAY = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)
PER_DAY = 6
CENTER_SIZES = (40, 120)
DEFAULT_DAYS = 16  # 14 incident days + 2 control days
DEFAULT_JOBS = 2


def default_rules() -> str:
    return str(resources.files("floorwatch.rules").joinpath("default_rules.yaml"))


@dataclass(frozen=True)
class DayPlan:
    number: int  # 1-based position in the set
    agents: int
    seed: int
    control: bool
    kinds: tuple[str, ...]  # the kinds to place, in turn


def plan(days: int) -> list[DayPlan]:
    """``days`` days: the last two (one per center size) are control days once there are 4 or more;
    the kinds rotate over the incident days so every kind appears (11 kinds, 6 a day)."""
    controls = {days - 1, days} if days >= 4 else set()
    plans = []
    turn = 0
    for number in range(1, days + 1):
        control = number in controls
        kinds: tuple[str, ...] = ()
        if not control:
            kinds = tuple(KIND_NAMES[(turn + i) % len(KIND_NAMES)] for i in range(PER_DAY))
            turn += PER_DAY
        agents = CENTER_SIZES[(number - 1) % len(CENTER_SIZES)]
        plans.append(DayPlan(number, agents, seed=100 + number, control=control, kinds=kinds))
    return plans


@dataclass(frozen=True)
class DayResult:
    plan: DayPlan
    tally: Tally
    records: int
    transitions: int
    incidents: int
    seconds: float


def run_day(day: DayPlan, rules_path: str) -> DayResult:
    started = time.perf_counter()
    rules = load_rules(rules_path)
    start = FIRST_DAY + DAY * (day.number - 1)
    center = CenterConfig(queues=DEFAULT_QUEUES + SMALL_QUEUES, agents=day.agents)
    incidents = (
        ()
        if day.control
        else random_incidents(placement(start, DAY, center), day.seed, PER_DAY, kinds=day.kinds)
    )
    simulation = Simulation(start, DAY, day.seed, center=center, incidents=incidents)
    records = list(simulation.run())
    payloads = (RawPayload(f"record {i}", b"", record.payload) for i, record in enumerate(records, 1))
    result = replay(rules, payloads)
    lines = [to_line(transition.to_dict(), rules) for transition in result.transitions]
    summary = f"seed {day.seed}, {day.agents} agents"
    labels = meta_labels(start, DAY, (1,) if day.control else (), summary) + simulation.labels()
    return DayResult(
        day,
        score(labels, lines),
        len(records),
        len(result.transitions),
        len(incidents),
        time.perf_counter() - started,
    )


def run(days: int, rules_path: str, jobs: int) -> Tally:
    plans = plan(days)
    total = Tally()
    print(
        f"{days} simulated days ({sum(not p.control for p in plans)} with {PER_DAY} incidents, "
        f"{sum(p.control for p in plans)} control), centers of {' and '.join(map(str, CENTER_SIZES))} "
        "agents, "
        f"rules {rules_path}, {jobs} process(es)",
        flush=True,
    )
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_day, day, rules_path) for day in plans]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            total.add(result.tally)
            day = result.plan
            print(
                f"  [{done}/{len(plans)}] day {day.number:2d} ({day.agents} agents, seed {day.seed}"
                f"{', control' if day.control else ''}): {result.records:,} records, {result.incidents} "
                f"incidents, {result.transitions} transitions, {result.tally.overall.pages} SMS "
                f"({result.seconds:.0f} s)",
                flush=True,
            )
    return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_quality", description=__doc__)
    parser.add_argument("--rules", default=default_rules(), help="rules file (default: the shipped rules)")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="simulated days (default %(default)s)")
    parser.add_argument(
        "--jobs", type=int, default=DEFAULT_JOBS, help="parallel processes (default %(default)s)"
    )
    args = parser.parse_args(argv if argv is not None else [])
    if args.days < 1 or args.jobs < 1:
        parser.error("--days and --jobs must be at least 1")
    print(report(run(args.days, args.rules, args.jobs)))


if __name__ == "__main__":
    main(sys.argv[1:])
