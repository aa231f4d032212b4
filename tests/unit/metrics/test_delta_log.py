"""The delta log's encoding and its reader, on an in-memory table (the moto tests cover DynamoDB)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from floorwatch.metrics.model import BucketDelta, BucketKey, Stamped
from floorwatch.metrics.presence import AgentPresence, ContactQueue
from floorwatch.store import metrics_log
from floorwatch.store.metrics_log import DeltaLogReader, decode, encode, stamp_text

from tests.unit.metrics.helpers import at

NOW = at(0).timestamp() + 3600.0  # the writers' clock: an hour after the events


def delta(**latest: float | str) -> BucketDelta:
    return BucketDelta({"contacts_handled": 1.0}, {k: Stamped(v, at(12.345678)) for k, v in latest.items()})


def test_deltas_survive_encoding_exactly() -> None:
    deltas = {
        BucketKey("agent:a", at(0)): BucketDelta(
            {"handle_seconds_sum": 0.1 + 0.2}, {"agent_state": Stamped("on_hold", at(7.000001))}, "nyc"
        ),
        BucketKey("feed:generic", at(60)): BucketDelta({"events": 3.0}, {"last_seen": Stamped(61.0, at(61))}),
    }
    decoded = decode(encode(deltas))
    assert [(scope, bucket) for scope, bucket, _ in decoded] == [
        ("agent:a", int(at(0).timestamp())),
        ("feed:generic", int(at(60).timestamp())),
    ]
    assert [entry for _, _, entry in decoded] == list(deltas.values())


class Table:
    """Log items by (pk, sk), answering the reader's queries the way DynamoDB's key conditions do."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], bytes] = {}
        self.queries = 0

    def put(self, stamp: float, deltas: Mapping[BucketKey, BucketDelta], writer: str = "s0") -> str:
        text = stamp_text(stamp)
        sort_key = f"{text}#{writer}#1"
        self.items[(metrics_log.PREFIX + text[:10], sort_key)] = encode(deltas)
        return sort_key

    def query(self, pk: str, since: str, before: str | None) -> Iterable[Mapping[str, Any]]:
        self.queries += 1
        return [
            {"sk": {"S": sk}, "d": {"B": blob}}
            for (key, sk), blob in sorted(self.items.items())
            if key == pk and sk >= since and (before is None or sk <= before)
        ]


def reader(table: Table, clock: list[float]) -> DeltaLogReader:
    return DeltaLogReader(table.query, lambda: clock[0], timedelta(hours=2), timedelta(days=8))


def test_rows_merge_every_writer_and_a_new_instant_reads_only_what_is_new() -> None:
    table, clock = Table(), [NOW]
    table.put(NOW - 5, {BucketKey("agent:a", at(0)): delta(agent_state="available")}, "s0")
    table.put(NOW - 4, {BucketKey("agent:a", at(0)): delta()}, "s1")
    log = reader(table, clock)
    [row] = log.rows("agent:a", at(30), 5)
    assert row.adds == {"contacts_handled": 2.0}  # both writers' items, added
    assert row.latest["agent_state"].value == "available"
    read = log.items_read
    assert log.rows("agent:a", at(30), 5) == [row]  # the same instant: nothing read again
    table.put(NOW + 1, {BucketKey("agent:a", at(60)): delta(agent_state="on_hold")}, "s1")
    clock[0] = NOW + 2
    rows = log.rows("agent:a", at(90), 5)
    assert [r.latest["agent_state"].value for r in rows] == ["on_hold", "available"]
    assert log.items_read == read + 1  # only the new item (the older ones are skipped by their key)
    assert row.adds == {"contacts_handled": 2.0}  # a row handed out never changes


def test_rows_reach_back_one_horizon_and_an_older_instant_reads_older_items_once() -> None:
    table, clock = Table(), [NOW]
    table.put(NOW - 3 * 3600, {BucketKey("agent:a", at(0)): delta(agent_state="not_ready")})
    table.put(NOW, {BucketKey("agent:a", at(4 * 3600)): delta()})
    log = reader(table, clock)
    assert [r.bucket for r in log.rows("agent:a", at(4 * 3600 + 30), 5)] == [at(4 * 3600)]  # 09:00 is 4 h old
    assert [r.bucket for r in log.rows("agent:a", at(30), 5)] == [at(0)]  # an older instant: read back once
    own = BucketKey("agent:a", at(4 * 3600))
    sort_key = table.put(NOW + 1, {own: delta()})
    log.written(sort_key, NOW + 1, [("agent:a", int(at(4 * 3600).timestamp()), delta())])
    clock[0] = NOW + 5
    [row] = log.rows("agent:a", at(4 * 3600 + 40), 5)
    assert row.adds == {"contacts_handled": 2.0}  # our own item once, though the refresh returns it too


def test_presence_and_contacts_queues_survive_encoding_and_a_presence_reader_decodes_nothing_else() -> None:
    told = metrics_log.Told(
        (AgentPresence("c1", "a1", "on_contact", ("billing", "tech"), at(7.000001)),),
        (ContactQueue("k1", "billing", at(3)), ContactQueue("k2", "tech", at(4))),
    )
    assert metrics_log.decode_told(metrics_log.encode_told(told)) == told

    sort_key = f"{stamp_text(NOW)}#s0#1"
    item = {"sk": {"S": sort_key}, "d": {"B": b"not zlib: a presence reader never decodes it"}}
    item["p"] = {"B": metrics_log.encode_told(told)}

    def query(pk: str, since: str, before: str | None) -> list[Mapping[str, Any]]:
        return [item] if pk == metrics_log.PREFIX + sort_key[:10] and sort_key >= since else []

    presence_only = DeltaLogReader(query, lambda: NOW, timedelta(minutes=15), timedelta(days=8), rows=False)
    assert presence_only.presence("c1", at(60)) == list(told.presence)
    assert presence_only.presence("c2", at(60)) == []
    assert presence_only.contact_queues(["k1", "k9"], at(60)) == {"k1": told.contacts[0]}
    # Two horizons later (and after FORGET_EVERY), the entries are let go with the rows.
    assert presence_only.presence("c1", at(60) + timedelta(hours=1)) == []


def test_an_item_committed_long_after_its_stamp_is_taken_in_by_the_next_sweep_and_only_once() -> None:
    """Writer s0 stamps its item, then its transaction is retried for a minute; meanwhile s1's newer item
    is read. Refreshes reach back only ``SETTLE`` from the newest stamp, so the late item is found by the
    sweep that reaches back ``LATE_COMMIT``: its agent's counts are then in, once."""
    table, clock = Table(), [NOW]
    key = BucketKey("agent:a", at(0))
    table.put(NOW, {key: delta(agent_state="available")}, "s1")
    log = reader(table, clock)
    assert log.rows("agent:a", at(30), 5)[0].adds == {"contacts_handled": 1.0}
    late_stamp = NOW - 50  # taken before s1's, committed only now
    table.put(late_stamp, {key: delta()}, "s0")
    for second in range(1, int(metrics_log.SWEEP_EVERY.total_seconds()), 5):
        clock[0] = NOW + second
        [row] = log.rows("agent:a", at(30 + second), 5)
        assert row.adds == {"contacts_handled": 1.0}  # not yet: the late item is older than SETTLE
    clock[0] = NOW + metrics_log.SWEEP_EVERY.total_seconds()
    [row] = log.rows("agent:a", at(200), 5)
    assert row.adds == {"contacts_handled": 2.0}  # the sweep took it in
    clock[0] += metrics_log.SWEEP_EVERY.total_seconds()
    [row] = log.rows("agent:a", at(400), 5)
    assert row.adds == {"contacts_handled": 2.0}  # the next sweep returns it again: skipped, not added twice
