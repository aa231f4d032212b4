"""Evaluator benchmarks: throughput on one core (in-memory stores) and DynamoDB writes per event (moto).

1. events/s: simulated traffic (Amazon Connect agent and contact events, contact records, Contact Lens,
   generic snapshots: a busy hour of the default center), normalized once, then processed by
   ``Engine.process`` in 500-event batches (the evaluate Lambda's batch size) with the default rules,
   the in-memory metric and alert stores, a tick every minute of event time (the deployed schedule).
   Only the engine is timed.
2. writes/event: 500-event batches through the DynamoDB metric and alert stores on moto (in-process),
   counting every item written (each item of a transaction counts): a queue-level batch (contact events
   and snapshots), the same with agent states and sentiment, the simulated busy hour of the default
   center, and the busy hour of the cost benchmark's reference center (500 agents' worth of agent states,
   Contact Lens sentiment and contact events at ~5,000 contacts an hour) - the realistic mix.

Run: ``make bench`` or ``.venv/bin/python -m tests.bench evaluate``.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from floorwatch.engine import Engine
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.events.normalize import normalize_document
from floorwatch.rules.config import load_default_rules
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.metrics_memory import InMemoryMetricStore

from local.simulator import generate

BATCH = 500
BUSY_START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
SHARD = "shardId-000000000000"
TICK = timedelta(minutes=1)


def simulated_events(duration: timedelta = timedelta(hours=1)) -> list[CxEvent]:
    events: list[CxEvent] = []
    for record in generate(BUSY_START, duration, seed=11):
        events += normalize_document(record.payload).events
    return events


def throughput(events: list[CxEvent], rounds: int = 3) -> float:
    """Best of ``rounds`` (each on fresh stores): events per second of engine time."""
    rules = load_default_rules()
    best = 0.0
    for _ in range(rounds):
        engine = Engine(rules, InMemoryMetricStore(), InMemoryAlertStore())
        next_tick = events[0].occurred_at
        started = time.process_time()  # CPU time: the figure holds on a busy machine too
        for start in range(0, len(events), BATCH):
            batch = events[start : start + BATCH]
            newest = batch[-1].occurred_at
            while next_tick <= newest:
                engine.tick(next_tick)
                next_tick += TICK
            engine.process(SHARD, batch)
        best = max(best, len(events) / (time.process_time() - started))
    return best


def queue_batch(queues: int = 20, size: int = BATCH, *, mixed: bool = False) -> list[CxEvent]:
    """``size`` events within one minute over ``queues`` queues (optionally with agents and contacts)."""
    rng = random.Random(5)
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    events: list[CxEvent] = []
    for index in range(size):
        queue = f"q{index % queues:02d}"
        at = start + timedelta(seconds=index * 59 / size)
        kind = rng.choice(
            [
                EventType.CONTACT_QUEUED,
                EventType.CONTACT_ANSWERED,
                EventType.CONTACT_ENDED,
                EventType.QUEUE_SNAPSHOT,
            ]
            + ([EventType.AGENT_STATE, EventType.SENTIMENT] if mixed else [])
        )
        fields: dict[str, Any] = {"queue_id": queue}
        values: dict[str, float] = {}
        labels: dict[str, str] = {}
        # A healthy floor (no alert to raise): what most batches look like.
        if kind is EventType.CONTACT_ANSWERED:
            values["wait_seconds"] = rng.uniform(0, 15)
        elif kind is EventType.CONTACT_ENDED:
            values["handle_seconds"] = rng.uniform(120, 400)
        elif kind is EventType.QUEUE_SNAPSHOT:
            values.update(
                contacts_in_queue=rng.randint(0, 8),
                longest_wait_seconds=rng.uniform(0, 50),
                agents_available=rng.randint(2, 6),
            )
        elif kind is EventType.AGENT_STATE:
            fields = {"agent_id": f"a{rng.randint(0, 199)}", "team_id": f"t{index % 8}"}
            labels["state"] = rng.choice(["available", "on_contact", "after_contact_work", "on_hold"])
            values["state_seconds"] = rng.uniform(0, 60)
        elif kind is EventType.SENTIMENT:
            fields["contact_id"] = f"c{rng.randint(0, 299)}"
            values["score"] = rng.uniform(0, 1)
        if mixed and kind is EventType.CONTACT_ENDED:
            fields["agent_id"] = f"a{rng.randint(0, 199)}"
        events.append(
            CxEvent(
                event_id=f"e{index}",
                source=Source.GENERIC,
                type=kind,
                occurred_at=at,
                values=values,
                labels=labels,
                **fields,
            )
        )
    return events


def writes_per_event(events: list[CxEvent]) -> tuple[float, int, int]:
    """(writes per event, metric items written, alert items written) for ``events`` through moto, in
    500-event batches."""
    import boto3
    from floorwatch.names import ALERTS_TABLE, METRICS_TABLE
    from floorwatch.store.alerts_dynamodb import DynamoAlertStore
    from floorwatch.store.metrics_dynamodb import DynamoMetricStore
    from floorwatch.store.watches import DynamoWatchList
    from moto import mock_aws

    from local.runtime import moto_patches
    from tests.integration.ddb_tables import create_table

    moto_patches.apply()  # moto deep-copies whole tables per transaction otherwise (same results)
    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        create_table(client, METRICS_TABLE, "bench-metrics")
        create_table(client, ALERTS_TABLE, "bench-alerts")
        rules = load_default_rules()
        metrics = DynamoMetricStore(client, "bench-metrics", learned_kinds=rules.learned_kinds())
        alerts = DynamoAlertStore(client, "bench-alerts")
        watches = DynamoWatchList(client, "bench-metrics")
        engine = Engine(rules, metrics, alerts, watches=watches)
        for start in range(0, len(events), BATCH):
            engine.process(SHARD, events[start : start + BATCH])
        alert_writes = alerts.write_requests + watches.writes
        return (metrics.write_requests + alert_writes) / len(events), metrics.write_requests, alert_writes


def main() -> None:
    events = simulated_events()
    per_second = throughput(events)
    print(
        f"evaluator throughput: {per_second:,.0f} events/s on one core ({len(events):,} simulated events, "
        f"batches of {BATCH}, default rules, in-memory stores; goal 50,000)"
    )
    from tests.bench.bench_cost import peak_sample

    figures = (
        ("one 500-event batch over 20 queues (contact events, snapshots)", queue_batch(), 0.05),
        (
            "the same with agent states and sentiment over 200 agents, 300 contacts",
            queue_batch(mixed=True),
            0.1,
        ),
        ("simulated traffic (a busy hour), first 6,000 events", events[:6000], 0.1),
        (
            "busy hour of the reference center (cost benchmark), 3 minutes of its peak",
            peak_sample(3).events,
            0.1,
        ),
    )
    for label, batch, goal in figures:
        ratio, metric_writes, alert_writes = writes_per_event(batch)
        print(
            f"DynamoDB writes per event, {label}, 500-event batches: {ratio:.3f} ({len(batch):,} events: "
            f"{metric_writes} metric/ledger items + {alert_writes} alert/watch items; goal <= {goal})"
        )


if __name__ == "__main__":
    main()
