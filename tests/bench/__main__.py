"""`make bench`: run every tests/bench/bench_*.py module's `main()` in turn and print its figures.

Benchmarks print numbers; they never assert on wall-clock time. `python -m tests.bench NAME...` runs
only the named modules (e.g. `normalize evaluate`); options after one name go to that module's `main`
(e.g. `quality --days 4 --rules my_rules.yaml`).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(info.name for info in pkgutil.iter_modules([str(here)]) if info.name.startswith("bench_"))
    options = [index for index, arg in enumerate(argv) if arg.startswith("-")]
    argv, forwarded = (argv[: options[0]], argv[options[0] :]) if options else (argv, [])
    if forwarded and len(argv) != 1:
        print("options go to one benchmark: name exactly one before them", file=sys.stderr)
        return 2
    wanted = {f"bench_{name.removeprefix('bench_')}" for name in argv}
    unknown = wanted - set(names)
    if unknown:
        known = ", ".join(names)
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {known}", file=sys.stderr)
        return 2
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"== {name.removeprefix('bench_')}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"tests.bench.{name}")
        if forwarded:
            module.main(forwarded)
        else:
            module.main()
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
