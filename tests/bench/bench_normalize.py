"""Normalizer throughput and the normalize handler's cold import.

Throughput: Kinesis trigger events of 500 records each (base64 data, sequence numbers, arrival times,
exactly as the event source mapping delivers them), payloads cycling through every example in
``events/`` (all platforms, including records that are skipped by design), through the real handler
(``handlers.normalize.build_handler``) with the in-memory sink and quarantine. One process, one core;
best of 3 runs, in wall-clock and in CPU time (the steadier figure on a shared machine). Goal: 20,000
events/s.

Cold import: a fresh interpreter per run times ``import handlers.normalize`` (what a Lambda cold start
pays before the first invocation), then the cold-start setup (settings from the environment, the Kinesis
and S3 clients; no network); median of 5 runs, wall and CPU. Goal: under 400 ms.

Stages (``--stages``): where one core's time goes, each part of the normalizer run alone over the same
2,000 records, interleaved, best of 15 rounds in CPU time, as a share of the whole handler's: decoding
the trigger event (base64), parsing JSON, picking the adapter, each platform's adapter (CxEvent
construction included; each platform's records also alone, grouped), and CxEvent construction alone (the
adapters' own keyword arguments, replayed). Shares are steadier than throughput on a shared machine.

Prints figures; asserts nothing. Run: ``.venv/bin/python -m tests.bench normalize [--stages]``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from floorwatch.events import normalize as normalizer
from floorwatch.events.model import CxEvent
from floorwatch.events.pipeline import process_batch
from floorwatch.settings import NormalizeSettings
from floorwatch.store.memory import InMemoryEventSink, InMemoryQuarantine
from handlers import normalize

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "events"
RECORDS_PER_EVENT = 500
BATCHES = 40  # 20,000 records
REPEATS = 3
IMPORT_RUNS = 5
STAGE_BATCHES = 4  # 2,000 records
STAGE_ROUNDS = 15
STREAM_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/floorwatch-bench-raw-events"
# After the newest example (17:30): the normalizer refuses events over 15 minutes past their arrival.
ARRIVAL = 1795456800.123  # 2026-11-23T18:00:00.123Z
SETTINGS = NormalizeSettings(
    cx_events_stream="floorwatch-bench-cx-events", quarantine_bucket="floorwatch-bench-q"
)


def example_payloads() -> list[bytes]:
    """Every example payload (arrays flattened), as compact JSON bytes, in a stable order."""
    payloads: list[bytes] = []
    for path in sorted(EXAMPLES.glob("*/*.json")):
        document: Any = json.loads(path.read_text())
        for item in document if isinstance(document, list) else [document]:
            payloads.append(json.dumps(item, separators=(",", ":")).encode())
    return payloads


def kinesis_event(payloads: list[bytes], batch: int) -> dict[str, Any]:
    records = []
    for position in range(RECORDS_PER_EVENT):
        data = payloads[(batch * RECORDS_PER_EVENT + position) % len(payloads)]
        sequence = str(49_659_842_375_940_583_145_096_471_016_428_536_553_347_416_532_434_845_698 + position)
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": f"pk-{position % 37}",
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(data).decode("ascii"),
                    "approximateArrivalTimestamp": ARRIVAL + batch,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{sequence}",
                "eventName": "aws:kinesis:record",
                "awsRegion": "eu-west-1",
                "eventSourceARN": STREAM_ARN,
            }
        )
    return {"Records": records}


def throughput() -> None:
    payloads = example_payloads()
    events = [kinesis_event(payloads, batch) for batch in range(BATCHES)]
    normalize.logger.setLevel("WARNING")  # the per-batch info line is not what is measured
    runs = [_timed_run(events) for _ in range(REPEATS)]
    published = runs[0][0]
    elapsed = min(run[1] for run in runs)
    cpu = min(run[2] for run in runs)
    records = BATCHES * RECORDS_PER_EVENT
    mix = process_batch(normalize.raw_records(events[0]), InMemoryEventSink(), InMemoryQuarantine())
    print(f"   payloads: {len(payloads)} examples from events/ (all platforms), cycled")
    print(
        f"   one 500-record batch: {mix.events_published} events, {len(mix.skipped)} records skipped "
        f"(lifecycle/unmapped), {len(mix.quarantined)} quarantined"
    )
    print(
        f"   {records:,} records in {BATCHES} Kinesis events of {RECORDS_PER_EVENT} -> {published:,} events "
        f"(best of {REPEATS} runs)"
    )
    print(f"   throughput: {published / elapsed:,.0f} events/s ({records / elapsed:,.0f} records/s) wall,")
    print(
        f"               {published / cpu:,.0f} events/s per CPU-second (goal: 20,000 events/s on one core)"
    )
    print(
        f"   per 500-record invocation: {elapsed / BATCHES * 1000:.1f} ms wall, "
        f"{cpu / BATCHES * 1000:.1f} ms CPU"
    )


def _timed_run(events: list[dict[str, Any]]) -> tuple[int, float, float]:
    """(events published, wall seconds, CPU seconds) for every trigger event through a fresh handler."""
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    handle = normalize.build_handler(SETTINGS, sink, quarantine)
    with contextlib.redirect_stdout(io.StringIO()):  # the EMF metrics each invocation prints
        handle(events[0], None)  # warm up (first-call work inside libraries)
        sink.events.clear()
        published = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        for event in events:
            handle(event, None)
            # As the Kinesis sink does in Lambda: the batch's events are gone once published. Kept, the
            # run's 20,000 events made every full garbage collection walk them all (a cost Lambda never has).
            published += len(sink.events)
            sink.events.clear()
        return published, time.perf_counter() - started, time.process_time() - cpu_started


COLD_START = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
started, cpu_started = time.perf_counter(), time.process_time()
import handlers.normalize
imported, cpu_imported = time.perf_counter(), time.process_time()
handlers.normalize._default_handler()  # settings from the environment + the two clients (no network)
wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
print(imported - started, wall, cpu_imported - cpu_started, cpu)
"""
COLD_START_ENVIRONMENT = {
    "FLOORWATCH_CX_EVENTS_STREAM": "floorwatch-bench-cx-events",
    "FLOORWATCH_QUARANTINE_BUCKET": "floorwatch-bench-q",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}


def cold_import() -> None:
    imports, starts, cpu_imports, cpu_starts = [], [], [], []
    environment = {**os.environ, **COLD_START_ENVIRONMENT}
    for _ in range(IMPORT_RUNS):
        done = subprocess.run(
            [sys.executable, "-c", COLD_START, str(ROOT / "functions")],
            capture_output=True,
            text=True,
            check=True,
            env=environment,
        )
        imported, started, cpu_imported, cpu_started = (float(part) for part in done.stdout.split()[-4:])
        imports.append(imported)
        starts.append(started)
        cpu_imports.append(cpu_imported)
        cpu_starts.append(cpu_started)
    print(
        f"   cold import of handlers.normalize: median {_ms(imports)} wall, {_ms(cpu_imports)} CPU "
        f"(min {min(imports) * 1000:.0f} / {min(cpu_imports) * 1000:.0f} ms; {IMPORT_RUNS} fresh "
        "interpreters; goal < 400 ms)"
    )
    print(
        f"   import + cold-start setup (settings, Kinesis and S3 clients): median {_ms(starts)} wall, "
        f"{_ms(cpu_starts)} CPU"
    )


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f} ms"


def stages() -> None:
    payloads = example_payloads()
    events = [kinesis_event(payloads, batch) for batch in range(1, STAGE_BATCHES + 1)]
    normalize.logger.setLevel("WARNING")
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    handle = normalize.build_handler(SETTINGS, sink, quarantine)

    def whole() -> None:
        for event in events:
            handle(event, None)
            sink.events.clear()

    with contextlib.redirect_stdout(io.StringIO()):
        handle(kinesis_event(payloads, 0), None)  # warm up
        arguments = _constructor_arguments(whole)
    records = [record for event in events for record in normalize.raw_records(event)]
    documents = [normalizer.from_json(record.data) for record in records]
    by_platform: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for document, record in zip(documents, records, strict=True):
        adapter = normalizer._select_adapter(document)[0] if isinstance(document, dict) else None
        platform = adapter.source.value if adapter else "unrecognised"
        by_platform[platform].append((document, record.arrival_time))
    parts: dict[str, Callable[[], object]] = {
        "whole handler": whole,
        "decode the trigger event (base64)": lambda: [normalize.raw_records(event) for event in events],
        "parse JSON": lambda: [normalizer.from_json(record.data) for record in records],
        "pick the adapter": lambda: [normalizer._select_adapter(document) for document in documents],
        "adapters (choice and CxEvent construction included)": lambda: [
            normalizer.normalize_document(document, record.arrival_time)
            for document, record in zip(documents, records, strict=True)
        ],
        "  of which CxEvent construction": lambda: [CxEvent(**fields) for fields in arguments],
    }
    for platform, items in sorted(by_platform.items(), key=lambda item: -len(item[1])):
        parts[f"  {platform}"] = _normalizing(items)
    best = _best_cpu(parts)
    total, whole = len(records), best["whole handler"]
    rest = whole - sum(best[name] for name in list(parts)[1:3]) - best[list(parts)[4]]
    print(f"   stages over {total:,} records ({len(arguments):,} events), CPU, best of {STAGE_ROUNDS}:")
    print(f"     {'':52} per record of the mix (of its own)")
    for name, seconds in best.items():
        own = len(by_platform[name.strip()]) if name.strip() in by_platform else total
        mix, alone = seconds / total * 1e6, seconds / own * 1e6
        print(f"     {name:52} {mix:5.1f} us ({alone:5.1f} us)  {seconds / whole:4.0%}")
    print(
        f"     {'the rest (batch loop, time window, publishing, GC)':52} {rest / total * 1e6:5.1f} us  {'':9}"
        f"{rest / whole:4.0%}"
    )
    print("     (each platform's records run grouped, which a core runs faster than the mix: their sum falls")
    print("     short of the adapters' line)")


def _normalizing(items: list[tuple[Any, Any]]) -> Callable[[], object]:
    return lambda: [normalizer.normalize_document(document, arrival) for document, arrival in items]


def _constructor_arguments(run: Callable[[], None]) -> list[dict[str, Any]]:
    """The keyword arguments the adapters give CxEvent during ``run()``, to replay its construction alone."""
    captured: list[dict[str, Any]] = []
    original = CxEvent.__init__

    def capturing(self: CxEvent, **fields: Any) -> None:
        captured.append(dict(fields))
        original(self, **fields)

    CxEvent.__init__ = capturing  # type: ignore[method-assign]
    try:
        run()
    finally:
        CxEvent.__init__ = original  # type: ignore[method-assign]
    return captured


def _best_cpu(parts: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Each part's least CPU time over interleaved rounds (the machine's speed drifts; interleaving
    exposes every part to the same drift)."""
    best = dict.fromkeys(parts, float("inf"))
    with contextlib.redirect_stdout(io.StringIO()):
        for _ in range(STAGE_ROUNDS):
            for name, part in parts.items():
                started = time.process_time()
                part()
                best[name] = min(best[name], time.process_time() - started)
    return best


def main(argv: list[str] | None = None) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"   machine: {os.cpu_count()} CPUs, load average {load} (wall-clock figures suffer under load)")
    if argv and "--stages" in argv:
        stages()
        return
    throughput()
    cold_import()


if __name__ == "__main__":
    main()
