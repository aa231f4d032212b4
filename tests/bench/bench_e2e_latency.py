"""End-to-end latency on the local runtime: PutRecords -> the supervisor's WebSocket receives the alert.

A producer thread puts 200 events/s for 60 s (PutRecords every 100 ms) into the raw stream: queue
snapshots, answered contacts and agent states over 8 queues and 120 agents (the evaluator does its
usual metric writes), and among them two latency probes per second: a compliance event that opens an
alert at once (tests/bench/e2e_rules.yaml). A WebSocket client subscribed as a manager notes when each
probe's `opened` transition arrives. Latency = arrival - the start of the PutRecords call carrying the
probe, through raw-events -> normalize -> cx-events -> evaluate -> alerts stream -> fanout ->
@connections -> WebSocket.

Runs with the deployed mappings' settings (floorwatch.names: batch sizes, batching windows);
BENCH_WINDOW=SECONDS runs it again with that batching window on both Kinesis hops. Besides the
end-to-end figures it prints where a probe's time went, hop by hop (put -> normalize starts, normalize,
-> evaluate starts, evaluate, -> fanout starts, fanout, -> the WebSocket client has it), from the
runtime's invocation observers. Everything (moto, pollers, handlers) shares one Python process, so the
figures are this machine's, not Lambda's. Prints figures; asserts nothing.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import re
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floorwatch.store.kinesis import KinesisEntry, KinesisWriter
from websockets.sync.client import connect

from local.runtime import LocalRuntime, RuntimeOptions

RULES = Path(__file__).with_name("e2e_rules.yaml")
EVENTS_PER_SECOND = 200
DURATION_SECONDS = int(os.environ.get("BENCH_SECONDS", "60"))  # shorter for a quick look
PROBES_PER_SECOND = 2
PUT_INTERVAL_SECONDS = 0.1
DRAIN_SECONDS = 30  # after the load stops, how long late probes may still arrive
QUEUES = ("billing", "tech-support", "sales", "retention", "claims", "payments", "onboarding", "general")
AGENTS = 120


HOPS = ("put", "normalize", "evaluate", "fanout", "ws")
PROBE_ID = re.compile(r"probe-[0-9a-f]{12}")


@dataclass
class Probes:
    sent: dict[str, float] = field(default_factory=dict)  # contact id -> monotonic time of the put
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # contact id -> mark -> monotonic time ("put", "<function>.start", "<function>.end", "ws")
    marks: dict[str, dict[str, float]] = field(default_factory=dict)

    def arrived(self, contact_id: str, at: float) -> None:
        with self.lock:
            started = self.sent.pop(contact_id, None)
            if started is not None:
                self.latencies.append(at - started)
                self.marks.setdefault(contact_id, {}).update(put=started, ws=at)

    def observe(self, function: str) -> Any:
        """An invocation observer noting when the first invocation carrying each probe ran."""

        def observer(event: Any, started: float, ended: float) -> None:
            found = PROBE_ID.findall(_probe_text(event))
            with self.lock:
                for probe in found:
                    marks = self.marks.setdefault(probe, {})
                    marks.setdefault(f"{function}.start", started)
                    marks.setdefault(f"{function}.end", ended)

        return observer


def _probe_text(event: Any) -> str:
    """The part of an invocation's records that names probes (Kinesis data, the stream's new image)."""
    parts: list[str] = []
    for record in event.get("Records") or ():
        if "kinesis" in record:
            parts.append(base64.b64decode(record["kinesis"]["data"]).decode("utf-8", "replace"))
        elif "dynamodb" in record:
            image = record["dynamodb"].get("NewImage") or {}
            if image.get("item_type", {}).get("S") == "transition":
                parts.append(str(image.get("scope", {}).get("S", "")))
    return " ".join(parts)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def load_event(rng: random.Random, sequence: int) -> dict[str, Any]:
    queue = QUEUES[sequence % len(QUEUES)]
    common = {
        "source": "generic",
        "event_id": f"bench-{sequence}",
        "occurred_at": now_iso(),
        "center_id": "bench",
    }
    kind = sequence % 3
    if kind == 0:
        values = {
            "contacts_in_queue": rng.randint(0, 8),
            "longest_wait_seconds": rng.randint(0, 50),
            "agents_available": rng.randint(1, 10),
        }
        return {**common, "type": "queue_snapshot", "queue_id": queue, "channel": "voice", "values": values}
    agent = f"agent-{rng.randrange(AGENTS):03d}"
    if kind == 1:
        return {
            **common,
            "type": "contact_answered",
            "queue_id": queue,
            "agent_id": agent,
            "contact_id": f"c-{sequence}",
            "channel": "voice",
            "values": {"wait_seconds": round(rng.uniform(0, 30), 1)},
        }
    state = rng.choice(("available", "on_contact", "after_contact_work"))
    return {**common, "type": "agent_state", "agent_id": agent, "queue_id": queue, "labels": {"state": state}}


def probe_event(contact_id: str) -> dict[str, Any]:
    return {
        "source": "generic",
        "event_id": f"probe-{contact_id}",
        "type": "compliance",
        "occurred_at": now_iso(),
        "center_id": "bench",
        "queue_id": "billing",
        "contact_id": contact_id,
        "channel": "voice",
        "labels": {"category": "bench-probe"},
    }


def produce(runtime: LocalRuntime, probes: Probes, stop: threading.Event) -> int:
    writer = KinesisWriter(runtime.aws.client("kinesis"), runtime.names.raw_events_stream)
    rng = random.Random(7)
    per_put = int(EVENTS_PER_SECOND * PUT_INTERVAL_SECONDS)
    puts = int(DURATION_SECONDS / PUT_INTERVAL_SECONDS)
    probe_every = int(1 / (PROBES_PER_SECOND * PUT_INTERVAL_SECONDS))
    started = time.monotonic()
    sequence = 0
    for put in range(puts):
        if stop.wait(max(0.0, started + put * PUT_INTERVAL_SECONDS - time.monotonic())):
            break
        payloads = []
        probe_id = f"probe-{uuid.uuid4().hex[:12]}" if put % probe_every == 0 else None
        if probe_id is not None:
            payloads.append(probe_event(probe_id))
        while len(payloads) < per_put:
            payloads.append(load_event(rng, sequence))
            sequence += 1
        entries = [
            KinesisEntry(json.dumps(p).encode(), str(p.get("contact_id") or p["event_id"])) for p in payloads
        ]
        put_started = time.monotonic()
        if probe_id is not None:
            with probes.lock:
                probes.sent[probe_id] = put_started
        writer.put(entries)
    return puts * per_put


def listen(url: str, probes: Probes, stop: threading.Event, ready: threading.Event) -> None:
    with connect(url, open_timeout=30) as socket:
        socket.send(json.dumps({"action": "subscribe", "scopes": ["*"], "request_id": "bench"}))
        ready.set()
        while not stop.is_set():
            try:
                message = json.loads(socket.recv(timeout=0.5))
            except TimeoutError:
                continue
            if message.get("type") == "transition" and message.get("transition") == "opened":
                scope = str(message.get("scope", ""))
                if scope.startswith("contact:probe-"):
                    probes.arrived(scope.removeprefix("contact:"), time.monotonic())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run(label: str, batching_window: float | None) -> None:
    runtime = LocalRuntime(RuntimeOptions(rules_file=RULES, batching_window=batching_window)).start()
    probes = Probes()
    for function in ("normalize", "evaluate", "fanout"):
        runtime.functions[function].observers.append(probes.observe(function))
    stop_listening, ready = threading.Event(), threading.Event()
    try:
        token = runtime.mint_token(role="manager", user="bench")
        listener = threading.Thread(
            target=listen, args=(runtime.ws_url(token), probes, stop_listening, ready)
        )
        listener.start()
        ready.wait(30)
        time.sleep(0.5)  # the subscription is stored before the first probe opens
        began = time.monotonic()
        events = produce(runtime, probes, threading.Event())
        put_seconds = time.monotonic() - began
        deadline = time.monotonic() + DRAIN_SECONDS
        while probes.sent and time.monotonic() < deadline:
            time.sleep(0.2)
        stop_listening.set()
        listener.join(10)
        report(label, events, put_seconds, probes, runtime)
    finally:
        stop_listening.set()
        runtime.stop()


def report(label: str, events: int, put_seconds: float, probes: Probes, runtime: LocalRuntime) -> None:
    latencies = probes.latencies
    received, missing = len(latencies), len(probes.sent)
    print(f"   {label}: {events} events in {put_seconds:.1f} s ({events / put_seconds:.0f}/s), ", end="")
    print(f"{received} probes received, {missing} not within {DRAIN_SECONDS} s after the load")
    if latencies:
        print(
            f"     PutRecords -> WebSocket: p50 {statistics.median(latencies):.2f} s, "
            f"p99 {percentile(latencies, 0.99):.2f} s, max {max(latencies):.2f} s"
        )
    busy = ", ".join(
        f"{name} {function.invocations} calls {function.busy_seconds:.1f} s"
        for name, function in runtime.functions.items()
        if function.invocations
    )
    print(f"     handler time: {busy}")
    report_hops(probes)


def report_hops(probes: Probes) -> None:
    """p50 / p99 of each hop over the probes that were seen at both of its ends."""
    steps = ["put"]
    for function in HOPS[1:-1]:
        steps += [f"{function}.start", f"{function}.end"]
    steps.append("ws")
    print("     per hop (p50 / p99):", end="")
    for begin, end in itertools.pairwise(steps):
        spans = [
            marks[end] - marks[begin] for marks in probes.marks.values() if begin in marks and end in marks
        ]
        if spans:
            name = begin.removesuffix(".start") if begin.endswith(".start") else f"{begin} -> {end}"
            print(
                f"\n       {name:32} {statistics.median(spans):.3f} / {percentile(spans, 0.99):.3f} s", end=""
            )
    print()


def main() -> None:
    print(f"   {EVENTS_PER_SECOND} events/s for {DURATION_SECONDS} s, {PROBES_PER_SECOND} probes/s")
    run("deployed mappings (floorwatch.names)", None)
    window = os.environ.get("BENCH_WINDOW")
    if window:
        run(f"batching window {float(window)} s on both Kinesis hops", float(window))


if __name__ == "__main__":
    main()
