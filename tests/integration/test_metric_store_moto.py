"""DynamoMetricStore against moto's DynamoDB (in-process): dedup, ordering of latest values, transaction
splitting, write budget, and parity with the in-memory store."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics import catalog as c
from floorwatch.metrics.catalog import CATALOG
from floorwatch.metrics.fold import FoldConfig, fold
from floorwatch.metrics.model import Stamped, scope_kind
from floorwatch.metrics.window import window_value
from floorwatch.names import METRICS_TABLE
from floorwatch.store import metrics_dynamodb, metrics_log
from floorwatch.store.metrics_dynamodb import DynamoMetricStore, MetricStoreRetriesExhausted
from floorwatch.store.metrics_memory import InMemoryMetricStore
from moto import mock_aws

from tests.unit.metrics.helpers import at, event

pytestmark = pytest.mark.integration

TABLE = "floorwatch-test-metrics"
REGION = "eu-west-1"
SHARD = "shardId-000000000000"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        keys = [METRICS_TABLE.partition_key, *([METRICS_TABLE.sort_key] if METRICS_TABLE.sort_key else [])]
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": key.name, "KeyType": kind}
                for key, kind in zip(keys, ("HASH", "RANGE"), strict=False)
            ],
            AttributeDefinitions=[{"AttributeName": key.name, "AttributeType": key.type} for key in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def store(client: Any, config: FoldConfig | None = None) -> DynamoMetricStore:
    return DynamoMetricStore(client, TABLE, fold_config=config or FoldConfig(), sleep=lambda _: None)


def run(target: Any, events: Sequence[CxEvent], config: FoldConfig | None = None) -> list[CxEvent]:
    new = target.filter_new(SHARD, events)
    target.apply(SHARD, new, fold(new, config or FoldConfig()))
    return new


def scan(client: Any) -> dict[tuple[str, str], dict[str, Any]]:
    items: dict[tuple[str, str], dict[str, Any]] = {}
    kwargs: dict[str, Any] = {"TableName": TABLE, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            bag = {name: _plain(value) for name, value in item.items()}
            items[(item["pk"]["S"], item["sk"]["S"])] = bag
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def stored(client: Any) -> set[str]:
    """Every scope the table holds rows of: entity items' keys and the scopes inside delta-log items."""
    scopes: set[str] = set()
    for (pk, _), item in scan(client).items():
        if pk.startswith(metrics_log.PREFIX):
            scopes.update(scope for scope, _, _ in metrics_log.decode(item["d"]))
        elif not pk.startswith("ledger#"):
            scopes.add(pk)
    return scopes


def _plain(value: dict[str, Any]) -> Any:
    ((kind, content),) = value.items()
    return sorted(content) if kind in ("BS", "SS", "NS") else content


def queue_traffic(events: int = 500, queues: int = 20, seed: int = 3) -> list[CxEvent]:
    """One minute of queue-level traffic: offers, answers, abandons and snapshots over ``queues`` queues."""
    rnd = random.Random(seed)
    kinds = [
        EventType.CONTACT_QUEUED,
        EventType.CONTACT_ANSWERED,
        EventType.CONTACT_ABANDONED,
        EventType.QUEUE_SNAPSHOT,
    ]
    return [
        event(
            kinds[number % 4],
            number * 59.0 / events,
            event_id=f"traffic-{seed}-{number}",
            queue_id=f"queue-{number % queues}",
            values={"wait_seconds": float(rnd.randint(0, 60))}
            if number % 4 != 3
            else {
                "contacts_in_queue": float(rnd.randint(0, 30)),
                "longest_wait_seconds": float(rnd.randint(0, 400)),
            },
        )
        for number in range(events)
    ]


def test_applying_the_same_events_twice_changes_nothing(client: Any) -> None:
    events = queue_traffic(120, 5)
    first = store(client)
    run(first, events)
    before = scan(client)
    assert run(first, events) == []  # the same instance (warm ledger cache)
    second = store(client)  # a new container: reads the ledger from the table
    assert run(second, events) == []
    second.apply(SHARD, events, fold(events))  # even without filter_new nothing is added again
    assert scan(client) == before
    assert second.write_requests == 0


def offers(adds: dict[str, float]) -> dict[str, float]:
    """A queue row's counters without its cadence count (every event adds to it; checked above)."""
    return {name: amount for name, amount in adds.items() if name != c.EVENTS}


def test_duplicate_event_ids_inside_a_batch_and_in_later_batches_are_ignored(client: Any) -> None:
    target = store(client)
    queued = event(EventType.CONTACT_QUEUED, 5, queue_id="q", event_id="dup-1")
    other = event(EventType.CONTACT_QUEUED, 6, queue_id="q", event_id="other")
    assert [e.event_id for e in run(target, [queued, queued, other])] == ["dup-1", "other"]
    later = [queued, event(EventType.CONTACT_QUEUED, 7, queue_id="q", event_id="new")]
    assert [e.event_id for e in run(store(client), later)] == ["new"]
    [row] = target.recent_rows("queue:q", at(59), 5)
    assert row.adds == {c.OFFERED: 3.0, c.EVENTS: 3.0}  # EVENTS: the queue's cadence (silence rules)


def test_an_older_latest_value_never_overwrites_a_newer_one_and_the_batch_still_counts(
    client: Any,
) -> None:
    target = store(client)
    run(target, [event(EventType.QUEUE_SNAPSHOT, 40, queue_id="q", values={"contacts_in_queue": 5.0})])
    late = event(
        EventType.QUEUE_SNAPSHOT, 10, queue_id="q", values={"contacts_in_queue": 9.0, "agents_online": 3.0}
    )
    run(target, [late, event(EventType.CONTACT_QUEUED, 12, queue_id="q")])
    [row] = target.recent_rows("queue:q", at(59), 5)
    assert row.latest[c.CONTACTS_IN_QUEUE] == Stamped(5.0, at(40))
    assert row.latest[c.AGENTS_ONLINE] == Stamped(3.0, at(10))  # never stored before: taken
    assert offers(row.adds) == {c.OFFERED: 1.0}
    assert target.cancellations == 1


def test_shards_writing_one_feed_out_of_order_keep_the_newest_last_seen_without_cancelling(
    client: Any,
) -> None:
    shard_a, shard_b = store(client), store(client)
    first = [event(EventType.TICKET, 40.7, source=Source.ZENDESK)]
    shard_a.apply("shard-a", first, fold(first))
    late = [event(EventType.TICKET, 10, source=Source.ZENDESK)]
    shard_b.apply("shard-b", late, fold(late))
    [row] = shard_a.recent_rows("feed:zendesk", at(59), 5)
    assert row.latest[c.LAST_SEEN] == Stamped(at(40).timestamp(), at(40))
    assert shard_a.cancellations == shard_b.cancellations == 0


def test_a_newer_latest_value_replaces_the_stored_one(client: Any) -> None:
    target = store(client)
    run(target, [event(EventType.AGENT_STATE, 5, agent_id="a", labels={"state": "on_hold"})])
    run(target, [event(EventType.AGENT_STATE, 50, agent_id="a", labels={"state": "after_contact_work"})])
    [row] = target.recent_rows("agent:a", at(59), 5)
    assert row.latest[c.AGENT_STATE] == Stamped("after_contact_work", at(50))
    assert target.cancellations == 0


def test_a_batch_touching_more_than_100_items_is_split_into_transactions(client: Any) -> None:
    events = [
        event(EventType.CONTACT_QUEUED, n * 0.1, queue_id=f"q{n}", event_id=f"wide-{n}") for n in range(250)
    ]
    target = store(client)
    assert len(run(target, events)) == 250
    assert target.transactions >= 3
    items = scan(client)
    queues = {pk: item for (pk, _), item in items.items() if pk.startswith("queue:")}
    assert len(queues) == 250
    assert all(item["c_contacts_offered"] == "1" for item in queues.values())
    [center] = target.recent_rows("center:default", at(59), 5)  # from the log items of every transaction
    assert center.adds[c.OFFERED] == 250
    assert run(store(client), events) == []


def test_more_agent_deltas_than_one_log_item_holds_are_split_too(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_dynamodb, "MAX_LOGGED_KEYS", 40)
    events = [agent_report(n * 0.5, "available", 0, agent=f"wide-{n}") for n in range(100)]
    target = store(client)
    assert len(run(target, events)) == 100
    log_items = [item for (pk, _), item in scan(client).items() if pk.startswith(metrics_log.PREFIX)]
    assert len(log_items) >= 3  # 100 agents and the feed: at most 40 deltas an item
    assert max(len(metrics_log.decode(item["d"])) for item in log_items) <= 40
    cold = store(client)
    assert all(cold.recent_rows(f"agent:wide-{n}", at(59), 5) for n in range(100))
    assert run(cold, events) == []


def test_another_writer_applying_first_is_detected_by_the_ledger(client: Any) -> None:
    events = [event(EventType.CONTACT_QUEUED, n, queue_id="q", event_id=f"race-{n}") for n in range(6)]
    slow, fast = store(client), store(client)
    seen_new = slow.filter_new(SHARD, events)  # slow reads the (empty) ledger first...
    run(fast, events[:4])  # ...then another invocation applies part of the batch
    slow.apply(SHARD, seen_new, fold(seen_new))
    [row] = slow.recent_rows("queue:q", at(59), 5)
    assert offers(row.adds) == {c.OFFERED: 6.0}
    assert slow.cancellations == 1


def test_full_ledger_chunks_are_sealed_and_followed(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_dynamodb, "LEDGER_CHUNK_CAPACITY", 10)
    target = store(client)
    batches = [
        [event(EventType.CONTACT_QUEUED, n, queue_id="q", event_id=f"chunk-{b}-{n}") for n in range(8)]
        for b in range(3)
    ]
    for batch in batches:
        run(target, batch)
    ledger = {sk: item for (pk, sk), item in scan(client).items() if pk == f"ledger#{SHARD}"}
    assert sorted(ledger) == ["2026-11-23T09:00:00Z", "2026-11-23T09:00:00Z#1", "2026-11-23T09:00:00Z#2"]
    assert [ledger[sk].get("sealed") for sk in sorted(ledger)] == [True, True, None]
    assert sum(len(item["d"]) for item in ledger.values()) == 24
    everything = [e for batch in batches for e in batch]
    assert store(client).filter_new(SHARD, everything) == []
    [row] = target.recent_rows("queue:q", at(59), 5)
    assert offers(row.adds) == {c.OFFERED: 24.0}


def test_write_requests_for_500_events_over_20_queues(client: Any) -> None:
    target = store(client)
    events = queue_traffic(500, 20)
    run(target, events)
    per_event = target.write_requests / len(events)
    print(f"\n500 events / 20 queues: {target.write_requests} write requests, {per_event:.3f} per event")
    assert target.write_requests <= 25
    assert per_event <= 0.05
    offered = sum(
        target.recent_rows(f"queue:queue-{q}", at(59), 1)[0].adds.get(c.OFFERED, 0.0) for q in range(20)
    )
    assert offered == 125.0


class Interfering:
    """The moto client, except that the first ``failures`` transactions fail with ``code`` first."""

    def __init__(self, client: Any, failures: int, code: str = "TransactionConflict") -> None:
        self._client, self.failures, self._code = client, failures, code

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        if self.failures > 0:
            self.failures -= 1
            if self._code == "ValidationException":
                raise ClientError({"Error": {"Code": self._code, "Message": "bad"}}, "TransactWriteItems")
            reasons = [{"Code": self._code}] + [{"Code": "None"}] * (len(kwargs["TransactItems"]) - 1)
            error = {"Code": "TransactionCanceledException", "Message": "cancelled"}
            raise ClientError({"Error": error, "CancellationReasons": reasons}, "TransactWriteItems")
        return self._client.transact_write_items(**kwargs)  # type: ignore[no-any-return]


def test_transient_cancellations_are_retried_with_backoff(client: Any) -> None:
    pauses: list[float] = []
    target = DynamoMetricStore(Interfering(client, failures=2), TABLE, sleep=pauses.append)
    run(target, [event(EventType.CONTACT_QUEUED, 5, queue_id="q")])
    [row] = target.recent_rows("queue:q", at(59), 5)
    assert offers(row.adds) == {c.OFFERED: 1.0}
    assert len(pauses) == 2 and pauses[1] > pauses[0]


def test_a_batch_that_keeps_failing_raises_and_writes_nothing(client: Any) -> None:
    target = DynamoMetricStore(Interfering(client, failures=99), TABLE, sleep=lambda _: None, max_attempts=3)
    with pytest.raises(MetricStoreRetriesExhausted):
        run(target, [event(EventType.CONTACT_QUEUED, 5, queue_id="q")])
    assert scan(client) == {}
    invalid = DynamoMetricStore(Interfering(client, 1, "ValidationException"), TABLE, sleep=lambda _: None)
    with pytest.raises(ClientError, match="ValidationException"):
        run(invalid, [event(EventType.CONTACT_QUEUED, 5, queue_id="q")])
    assert invalid.transactions == 1  # not retried: it would fail the same way


def test_a_batch_spanning_more_buckets_than_the_ledger_cache_holds(client: Any) -> None:
    target = DynamoMetricStore(client, TABLE, ledger_cache_size=1)
    events = [event(EventType.CONTACT_QUEUED, minute * 60, queue_id="q") for minute in range(3)]
    assert len(run(target, events)) == 3
    assert run(target, events) == []
    assert [offers(row.adds) for row in target.recent_rows("queue:q", at(180), 5)] == [{c.OFFERED: 1.0}] * 3


def mixed_batches(seed: int = 11) -> list[list[CxEvent]]:
    """Ten minutes of everything, in shuffled batches, with re-deliveries and late events."""
    rnd = random.Random(seed)
    events: list[CxEvent] = []
    for number in range(250):
        seconds = rnd.uniform(0, 600)
        kind = rnd.choice(list(EventType))
        agent = f"agent-{rnd.randint(0, 5)}"
        events.append(
            event(
                kind,
                seconds,
                event_id=f"mixed-{number}",
                source=rnd.choice([Source.GENERIC, Source.GENESYS, Source.AMAZON_CONNECT_AGENT]),
                queue_id=rnd.choice([None, "billing", "sales", "support"]),
                team_id=rnd.choice([None, "team-a", "team-b"]),
                agent_id=agent if kind is EventType.AGENT_STATE else rnd.choice([None, agent]),
                contact_id=rnd.choice([None, f"contact-{rnd.randint(0, 6)}"]),
                labels={"state": rnd.choice(["on_hold", "after_contact_work", "not_ready", "available"])},
                values={
                    "wait_seconds": round(rnd.uniform(0, 50), 3),
                    "handle_seconds": round(rnd.uniform(30, 900), 2),
                    "acw_seconds": round(rnd.uniform(0, 120), 2),
                    "score": round(rnd.uniform(-1, 1), 3),
                    "state_seconds": round(rnd.uniform(0, 90), 1),
                    "contacts_in_queue": float(rnd.randint(0, 40)),
                    "agents_available": float(rnd.randint(0, 9)),
                },
            )
        )
    events.sort(key=lambda e: e.occurred_at)
    batches = [events[start : start + 50] for start in range(0, len(events), 50)]
    for batch in batches:
        rnd.shuffle(batch)  # late events inside a batch
        batch.extend(rnd.sample(events, 5))  # re-deliveries of anything seen before or after
    return batches


def test_in_memory_and_dynamodb_stores_give_the_same_window_values(client: Any) -> None:
    config = FoldConfig(sl_threshold_seconds={"billing": 30})
    dynamo, memory = store(client, config), InMemoryMetricStore(config)
    for batch in mixed_batches():
        assert [e.event_id for e in run(dynamo, batch, config)] == [
            e.event_id for e in run(memory, batch, config)
        ]
    stored_scopes = stored(client)
    assert stored_scopes == set(memory.scopes())
    assert {scope_kind(scope).value for scope in stored_scopes} >= {"agent", "contact", "queue", "feed"}
    cold = store(client, config)  # a new process: agent and contact rows from the delta log only
    compared = 0
    for scope in memory.scopes():
        for minute in (3, 7.5, 25):
            when = at(minute * 60)
            rows_dynamo, rows_memory = (
                dynamo.recent_rows(scope, when, 20),
                memory.recent_rows(scope, when, 20),
            )
            assert [row.bucket for row in rows_dynamo] == [row.bucket for row in rows_memory]
            assert cold.recent_rows(scope, when, 20) == rows_dynamo, scope
            for metric in CATALOG.values():
                if scope_kind(scope) not in metric.scopes:
                    continue
                for window in (timedelta(minutes=5), timedelta(minutes=15)):
                    expected = window_value(metric, rows_memory, when, window)
                    actual = window_value(metric, rows_dynamo, when, window)
                    assert actual.samples == expected.samples, (scope, metric.name, when)
                    if expected.value is None:
                        assert actual.value is None, (scope, metric.name, when)
                        continue
                    assert actual.value == pytest.approx(expected.value, rel=1e-9), (scope, metric.name, when)
                    compared += expected.value is not None
    assert compared > 300


def agent_report(seconds: float, state: str, in_state: float, agent: str = "a1") -> CxEvent:
    return event(
        EventType.AGENT_STATE,
        seconds,
        agent_id=agent,
        labels={"state": state},
        values={"state_seconds": in_state},
    )


def logged(client: Any, scope: str) -> list[tuple[int, metrics_log.BucketDelta]]:
    """The deltas of ``scope`` in the delta log, oldest write first."""
    found = []
    for (pk, _), item in sorted(scan(client).items()):
        if pk.startswith(metrics_log.PREFIX):
            found += [
                (bucket, delta) for name, bucket, delta in metrics_log.decode(item["d"]) if name == scope
            ]
    return found


def test_a_heartbeat_repeating_the_agent_state_writes_nothing_for_the_agent(client: Any) -> None:
    target = store(client)
    run(target, [agent_report(10, "not_ready", 0)])
    before = target.write_requests
    # 120 s later the platform repeats the state with the time spent in it: nothing new to store.
    run(target, [agent_report(130, "not_ready", 120), agent_report(250, "not_ready", 240)])
    assert [bucket for bucket, _ in logged(client, "agent:a1")] == [int(at(0).timestamp())]
    assert not any(pk.startswith("agent:") for pk, _ in scan(client))  # agents live in the log only
    # The ledger chunk of the 09:00 window (both events are in it), one log item (the feed's and the
    # center's deltas).
    assert target.write_requests - before == 2
    assert [bucket for bucket, _ in logged(client, "feed:generic")] == [
        int(at(s).timestamp()) for s in (0, 120, 240)
    ]
    duration = window_value(
        CATALOG["agent_not_ready_seconds"],
        target.recent_rows("agent:a1", at(300), 15),
        at(300),
        timedelta(minutes=15),
    )
    assert duration.value == 290.0  # since 09:00:10, whichever report says so


def test_a_repeated_state_is_written_again_after_half_the_horizon(client: Any) -> None:
    target = DynamoMetricStore(client, TABLE, horizon=timedelta(minutes=20), sleep=lambda _: None)
    for seconds in range(10, 1500, 120):  # a heartbeat every 2 minutes for 25 minutes
        run(target, [agent_report(seconds, "not_ready", seconds - 10)])
    written = [delta.latest[c.AGENT_STATE].at for _, delta in logged(client, "agent:a1")]
    assert written == [at(10), at(610), at(1210)]  # the first report, then one every 10 minutes
    # A new process reading 20 minutes back still finds the state, so the duration is whole.
    rows = store(client).recent_rows("agent:a1", at(1500), 15)
    duration = window_value(CATALOG["agent_not_ready_seconds"], rows, at(1500), timedelta(minutes=15))
    assert duration.value == 1490.0


def test_another_writers_agent_deltas_are_read_and_merged(client: Any) -> None:
    mine, theirs = store(client), store(client)
    run(mine, [agent_report(10, "available", 0)])
    assert mine.recent_rows("agent:a1", at(20), 15)[0].latest[c.AGENT_STATE].value == "available"
    theirs.apply(
        "shardId-000000000001", [agent_report(30, "on_hold", 0)], fold([agent_report(30, "on_hold", 0)])
    )
    [row] = mine.recent_rows("agent:a1", at(40), 15)  # a new instant: the log is read again
    assert row.latest[c.AGENT_STATE] == Stamped("on_hold", at(30))
    assert row.latest[c.AGENT_STATE_SINCE].value == at(30).timestamp()


def test_a_changed_agent_state_is_written_after_heartbeats(client: Any) -> None:
    target = store(client)
    run(target, [agent_report(10, "not_ready", 0), agent_report(130, "not_ready", 120)])
    run(target, [agent_report(140, "available", 0)])
    rows = target.recent_rows("agent:a1", at(150), 15)
    assert rows[0].latest[c.AGENT_STATE] == Stamped("available", at(140))
    # A new process knows nothing yet: it writes the heartbeat once, then skips the next ones.
    fresh = store(client)
    run(fresh, [agent_report(200, "available", 60)])
    written = fresh.write_requests
    run(fresh, [agent_report(230, "available", 90)])
    assert fresh.write_requests - written == 2  # the log item (the feed's and center's deltas), the ledger


def test_ledger_chunks_stay_small_on_a_busy_minute(client: Any) -> None:
    target = store(client)
    for second in range(60):  # one-second batches of 40 events: 2,400 digests in one minute
        run(
            target,
            [
                event(EventType.CONTACT_QUEUED, second + n / 40, queue_id="q", event_id=f"busy-{second}-{n}")
                for n in range(40)
            ],
        )
    chunks = [item for (pk, _), item in scan(client).items() if pk.startswith("ledger#")]
    assert max(len(item["d"]) for item in chunks) <= metrics_dynamodb.LEDGER_CHUNK_CAPACITY
    assert sum(len(item["d"]) for item in chunks) == 2400
    # A cold process reads the whole minute back (one Query) and recognizes every event as applied.
    cold = store(client)
    replayed = [
        event(EventType.CONTACT_QUEUED, 59 + n / 40, queue_id="q", event_id=f"busy-59-{n}") for n in range(40)
    ]
    assert cold.filter_new(SHARD, replayed) == []
    assert cold.read_requests == 1


class LedgerCounting:
    """The moto client, counting the ledger items each transaction writes."""

    def __init__(self, client: Any) -> None:
        self._client, self.ledger_items = client, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        for entry in kwargs["TransactItems"]:
            (_, request), *_ = entry.items()
            key = request.get("Key") or request["Item"]
            self.ledger_items += key["pk"]["S"].startswith("ledger#")
        return self._client.transact_write_items(**kwargs)  # type: ignore[no-any-return]


def test_a_full_batch_writes_one_ledger_item_per_minute_and_still_deduplicates(client: Any) -> None:
    counting = LedgerCounting(client)
    target = DynamoMetricStore(counting, TABLE, sleep=lambda _: None)
    batches = [
        [
            event(EventType.CONTACT_QUEUED, n * 0.1, queue_id="q", event_id=f"full-{batch}-{n}")
            for n in range(150)
        ]
        for batch in range(3)
    ]
    for batch in batches:
        run(target, batch)
    assert counting.ledger_items == 3  # each batch's chunk is born sealed: nothing to seal afterwards
    small = [event(EventType.CONTACT_QUEUED, 30, queue_id="q", event_id="small")]
    run(target, small)
    assert counting.ledger_items == 4  # a small batch opens a chunk that later batches fill
    everything = [e for batch in batches for e in batch] + small
    assert run(target, everything) == []
    assert run(store(client), everything) == []  # a new process reads every chunk
    [row] = store(client).recent_rows("queue:q", at(59), 5)
    assert offers(row.adds) == {c.OFFERED: 451.0}


def test_one_ledger_item_per_ten_minutes_yet_duplicates_judged_per_minute_as_in_memory(client: Any) -> None:
    """A batch spanning minutes writes one ledger item per 10-minute window; an id repeated in another
    minute of the same window is still a new event (a platform whose ids omit the time, e.g. Genesys's
    repeated overall sentiment), as the in-memory store judges it."""
    queued = [
        event(EventType.CONTACT_QUEUED, minute * 60.0, event_id=f"q-{minute}", queue_id="billing")
        for minute in range(6)
    ]
    dynamo, memory = store(client), InMemoryMetricStore()
    before = dynamo.write_requests
    run(dynamo, queued)
    ledger_items = {key for key in scan(client) if key[0].startswith("ledger#")}
    assert len(ledger_items) == 1  # six minutes, one window (one item per minute before)
    # Queue items of six minutes, one ledger item, one log item (the feed's and the center's deltas).
    assert dynamo.write_requests - before == 6 + 1 + 1

    repeated = [
        event(EventType.CONTACT_QUEUED, 30.0, event_id="same", queue_id="billing"),
        event(EventType.CONTACT_QUEUED, 45.0, event_id="same", queue_id="billing"),  # same minute: duplicate
        event(EventType.CONTACT_QUEUED, 150.0, event_id="same", queue_id="billing"),  # another minute: new
    ]
    for target in (dynamo, memory):
        run(target, queued)  # all applied already (the memory store sees them for the first time)
        assert [e.occurred_at for e in target.filter_new(SHARD, repeated)] == [at(30), at(150)]
        run(target, repeated)
        assert target.filter_new(SHARD, repeated) == []
    offered = {
        str(row.bucket): row.adds.get(c.OFFERED) for row in dynamo.recent_rows("queue:billing", at(600), 10)
    }
    assert offered == {
        str(row.bucket): row.adds.get(c.OFFERED) for row in memory.recent_rows("queue:billing", at(600), 10)
    }


def test_team_and_center_rows_come_from_the_log_unless_a_baseline_keeps_their_items(client: Any) -> None:
    """No shipped rule learns a baseline on a team or center: their deltas ride in the batches' log items
    (no item per team or center and minute). A store given ``learned_kinds`` with them keeps their items.
    Either way every reader sees the same rows, also across the deploy that switches (a minute written
    both ways sums up), and they are the in-memory store's rows."""

    def offers(second: float, n: int) -> list[CxEvent]:
        return [
            event(
                EventType.CONTACT_ENDED,
                second + k,
                queue_id="billing",
                agent_id=f"a{k}",
                team_id="t1",
                event_id=f"end-{second}-{k}",
                values={"handle_seconds": 100.0 + k},
            )
            for k in range(n)
        ]

    before, after = offers(0, 3) + offers(60, 2), offers(90, 4) + offers(180, 1)
    keeping = DynamoMetricStore(client, TABLE, sleep=lambda _: None, learned_kinds={"team", "center"})
    run(keeping, before)  # 09:00 and 09:01 as items
    assert {"team:t1", "center:default"} <= {pk for pk, _ in scan(client)}
    logging = store(client)  # the next deploy: no team or center baseline any more
    run(logging, after)  # 09:01 (again) and 09:03 in the log only
    items = {(pk, sk) for pk, sk in scan(client) if pk in ("team:t1", "center:default")}
    assert {sk for _, sk in items} == {"2026-11-23T09:00:00Z", "2026-11-23T09:01:00Z"}
    memory = InMemoryMetricStore()
    memory.apply(SHARD, before + after, fold(before + after))
    for scope in ("team:t1", "center:default"):
        expected = memory.recent_rows(scope, at(300), 10)
        assert len(expected) == 3
        for reader in (keeping, logging, store(client)):
            rows = reader.recent_rows(scope, at(300), 10)
            assert [(r.bucket, r.adds) for r in rows] == [(r.bucket, r.adds) for r in expected]
        assert (
            store(client).recent_rows(scope, at(300), 2) == store(client).recent_rows(scope, at(300), 10)[:2]
        )
