"""DynamoConnectionStore against moto: same behaviour as the in-memory store, expiry filtered on read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from floorwatch.names import CONNECTIONS_TABLE
from floorwatch.store.connections_dynamodb import DynamoConnectionStore
from floorwatch.store.connections_port import ALL_SCOPES, Principal
from moto import mock_aws

from tests.integration.ddb_tables import create_table, use_fake_credentials

pytestmark = pytest.mark.integration

TABLE = "floorwatch-test-connections"
REGION = "eu-west-1"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ANA = Principal(user="ana", role="supervisor", teams=("billing", "tech"), queues=("billing",))
MO = Principal(user="mo", role="manager")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_credentials(monkeypatch, REGION)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, CONNECTIONS_TABLE, TABLE)
        yield dynamodb


def test_add_get_subscribe_round_trip(client: Any) -> None:
    store = DynamoConnectionStore(client, TABLE, clock=Clock(T0))
    store.add("c1", ANA, T0)
    store.subscribe("c1", ["queue:billing", "team:tech"])

    connection = store.get("c1")

    assert connection is not None
    assert connection.principal == ANA
    assert connection.connected_at == T0
    assert connection.subscriptions == {"queue:billing", "team:tech"}


def test_subscribers_by_scope_and_wildcard(client: Any) -> None:
    store = DynamoConnectionStore(client, TABLE, clock=Clock(T0))
    store.add("c1", ANA, T0)
    store.add("c2", MO, T0)
    store.add("c3", ANA, T0)
    store.subscribe("c1", ["queue:billing"])
    store.subscribe("c2", [ALL_SCOPES])
    store.subscribe("c3", ["queue:tech"])

    found = store.subscribers(["queue:billing", "team:billing"])

    assert [(c.connection_id, c.principal) for c in found] == [("c1", ANA), ("c2", MO)]


def test_unsubscribe_remove_and_unknown(client: Any) -> None:
    store = DynamoConnectionStore(client, TABLE, clock=Clock(T0))
    store.add("c1", ANA, T0)
    store.subscribe("c1", ["queue:billing", "queue:tech"])
    store.unsubscribe("c1", ["queue:billing"])
    assert store.subscribers(["queue:billing"]) == []

    store.remove("c1")
    store.remove("c1")
    store.subscribe("c1", ["queue:tech"])  # gone: ignored, writes nothing

    assert store.get("c1") is None
    assert store.subscribers(["queue:tech"]) == []
    assert client.scan(TableName=TABLE)["Count"] == 0


def test_items_carry_ttl_and_expired_ones_are_filtered(client: Any) -> None:
    clock = Clock(T0)
    store = DynamoConnectionStore(client, TABLE, clock=clock)
    store.add("c1", ANA, T0)
    store.subscribe("c1", [ALL_SCOPES])
    items = client.scan(TableName=TABLE)["Items"]
    assert {int(item["expires_at"]["N"]) for item in items} == {int((T0 + timedelta(hours=2)).timestamp())}

    clock.now = T0 + timedelta(hours=2, seconds=1)  # TTL passed, DynamoDB has not deleted yet

    assert store.get("c1") is None
    assert store.subscribers(["queue:billing"]) == []


def test_many_subscriptions_batch_beyond_25(client: Any) -> None:
    store = DynamoConnectionStore(client, TABLE, clock=Clock(T0))
    store.add("c1", MO, T0)
    scopes = [f"queue:q{n}" for n in range(60)]
    store.subscribe("c1", scopes)
    assert store.get("c1").subscriptions == set(scopes)  # type: ignore[union-attr]
    store.remove("c1")
    assert client.scan(TableName=TABLE)["Count"] == 0


class DeletesOnly:
    """The calls the fan-out's role allows on the connections table: Query and DeleteItem."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def query(self, **kwargs: Any) -> Any:
        return self._client.query(**kwargs)

    def delete_item(self, **kwargs: Any) -> Any:
        return self._client.delete_item(**kwargs)


def test_the_fanout_removes_a_gone_connection_with_deletes_only(client: Any) -> None:
    DynamoConnectionStore(client, TABLE, clock=Clock(T0)).add("c1", ANA, T0)
    DynamoConnectionStore(client, TABLE, clock=Clock(T0)).subscribe("c1", [f"queue:q{n}" for n in range(30)])
    fanout_view = DynamoConnectionStore(DeletesOnly(client), TABLE, clock=Clock(T0), remove_item_by_item=True)  # type: ignore[arg-type]

    fanout_view.remove("c1")

    assert client.scan(TableName=TABLE)["Count"] == 0
