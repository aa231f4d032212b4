from datetime import timedelta

from floorwatch.events.model import EventType
from floorwatch.metrics import catalog as c
from floorwatch.metrics.fold import FoldConfig, fold
from floorwatch.metrics.model import Stamped
from floorwatch.store.metrics_memory import InMemoryMetricStore

from tests.unit.metrics.helpers import T0, at, event

SHARD = "shardId-000000000000"


def run(store: InMemoryMetricStore, events, partition: str = SHARD) -> list:
    new = store.filter_new(partition, events)
    store.apply(partition, new, fold(new))
    return new


def snapshot(store: InMemoryMetricStore) -> dict:
    return {scope: store.recent_rows(scope, at(86_400), 1_000) for scope in store.scopes()}


def traffic():
    return [
        event(EventType.CONTACT_QUEUED, 1, queue_id="q", event_id="e1"),
        event(EventType.CONTACT_ANSWERED, 12, queue_id="q", event_id="e2", values={"wait_seconds": 11.0}),
        event(EventType.QUEUE_SNAPSHOT, 30, queue_id="q", event_id="e3", values={"contacts_in_queue": 4.0}),
        event(EventType.CONTACT_ABANDONED, 75, queue_id="q", event_id="e4"),
    ]


def test_the_same_events_twice_leave_identical_state() -> None:
    store = InMemoryMetricStore()
    assert len(run(store, traffic())) == 4
    first = snapshot(store)
    assert run(store, traffic()) == []
    store.apply(SHARD, traffic(), fold(traffic()))  # even when the caller skips filter_new
    assert snapshot(store) == first
    assert store.applied_events == 4


def test_a_duplicate_inside_one_batch_counts_once() -> None:
    store = InMemoryMetricStore()
    twice = [*traffic()[:1], *traffic()[:1]]
    assert len(store.filter_new(SHARD, twice)) == 1
    store.apply(SHARD, twice, fold(twice[:1]))
    assert store.recent_rows("queue:q", at(59), 5)[0].adds == {c.OFFERED: 1.0, c.EVENTS: 1.0}


def test_partly_applied_batches_only_add_the_new_events() -> None:
    store = InMemoryMetricStore()
    run(store, traffic()[:2])
    store.apply(SHARD, traffic(), fold(traffic()))  # a retry that overlaps the applied part
    rows = store.recent_rows("queue:q", at(119), 5)
    assert [row.adds for row in rows] == [
        {c.ABANDONED: 1.0, c.EVENTS: 1.0},
        {
            c.OFFERED: 1.0,
            c.ANSWERED: 1.0,
            c.WAIT_SUM: 11.0,
            c.WAIT_COUNT: 1.0,
            c.ANSWERED_WITHIN_SL: 1.0,
            c.EVENTS: 3.0,
        },
    ]


def test_recent_rows_are_newest_first_limited_and_not_after_at() -> None:
    store = InMemoryMetricStore()
    run(store, [event(EventType.CONTACT_QUEUED, minute * 60 + 5, queue_id="q") for minute in (0, 1, 2, 4, 7)])
    buckets = [row.bucket for row in store.recent_rows("queue:q", at(4 * 60 + 59), 3)]
    assert buckets == [at(240), at(120), at(60)]
    assert [row.bucket for row in store.recent_rows("queue:q", at(240), 10)] == [
        at(240),
        at(120),
        at(60),
        at(0),
    ]
    assert store.recent_rows("queue:q", at(-1), 10) == []
    assert store.recent_rows("queue:nope", at(240), 10) == []


def test_an_older_gauge_never_overwrites_a_newer_one_across_batches() -> None:
    store = InMemoryMetricStore()
    run(store, [event(EventType.QUEUE_SNAPSHOT, 40, queue_id="q", values={"contacts_in_queue": 5.0})])
    run(store, [event(EventType.QUEUE_SNAPSHOT, 10, queue_id="q", values={"contacts_in_queue": 9.0})])
    [item] = store.recent_rows("queue:q", at(59), 5)
    assert item.latest[c.CONTACTS_IN_QUEUE] == Stamped(5.0, at(40))


def test_items_past_retention_are_gone_in_event_time() -> None:
    store = InMemoryMetricStore(retention=timedelta(hours=1))
    run(
        store,
        [
            event(EventType.CONTACT_QUEUED, 0, queue_id="q"),
            event(EventType.CONTACT_QUEUED, 3000, queue_id="q"),
        ],
    )
    assert len(store.recent_rows("queue:q", at(3599), 10)) == 2
    assert [row.bucket for row in store.recent_rows("queue:q", T0 + timedelta(hours=1), 10)] == [at(3000)]


def test_ledgers_are_per_partition() -> None:
    store = InMemoryMetricStore(FoldConfig())
    run(store, traffic(), "shard-a")
    assert len(store.filter_new("shard-b", traffic())) == 4


def test_ledger_and_items_expire_like_dynamodb_ttl_but_in_event_time() -> None:
    store = InMemoryMetricStore(retention=timedelta(hours=1))
    early = [event(EventType.CONTACT_QUEUED, 0, queue_id="old", event_id="early")]
    run(store, early)
    assert run(store, early) == []  # still remembered
    run(store, [event(EventType.CONTACT_QUEUED, 2 * 3600, queue_id="new")])  # two hours later in event time
    assert "queue:old" not in store.scopes()
    assert store.filter_new(SHARD, early) == early  # a re-delivery this late is beyond the dedup horizon
