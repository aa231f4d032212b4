"""The DynamoDB publish ledger on moto (floorwatch.delivery.once's markers), and the fan-out handler at
cold start texting once when the alerts stream redelivers its batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from floorwatch import names
from floorwatch.delivery.once import MARKER_RETENTION, Claim, PublishInFlight
from floorwatch.store.deliveries_dynamodb import DynamoPublishLedger
from moto import mock_aws

from tests.integration.ddb_tables import create_table, use_fake_credentials

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
TABLE = names.ResourceNames("test").table(names.DELIVERIES_TABLE)
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DynamoPublishLedger, object]]:
    use_fake_credentials(monkeypatch, REGION)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, names.DELIVERIES_TABLE, TABLE)
        yield DynamoPublishLedger(client, TABLE), client


def test_a_claim_is_first_then_in_flight_then_done_once_confirmed(
    ledger: tuple[DynamoPublishLedger, object],
) -> None:
    store, _ = ledger
    assert store.claim("t1@topic", T0, T0 + LEASE) is Claim.FIRST
    with pytest.raises(PublishInFlight):
        store.claim("t1@topic", T0 + timedelta(seconds=1), T0 + LEASE)
    store.confirm("t1@topic", T0 + timedelta(seconds=2))
    assert store.claim("t1@topic", T0 + timedelta(hours=1), T0 + timedelta(hours=1) + LEASE) is Claim.DONE


def test_an_expired_claim_is_taken_over_once(ledger: tuple[DynamoPublishLedger, object]) -> None:
    store, _ = ledger
    store.claim("t1@topic", T0, T0 + LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    assert store.claim("t1@topic", later, later + LEASE) is Claim.AGAIN
    with pytest.raises(PublishInFlight):  # the takeover holds a fresh lease
        store.claim("t1@topic", later, later + LEASE)


def test_a_released_claim_is_a_first_claim_again_and_a_sent_marker_cannot_be_released(
    ledger: tuple[DynamoPublishLedger, object],
) -> None:
    store, client = ledger
    store.claim("t1@topic", T0, T0 + LEASE)
    store.release("t1@topic")
    assert store.claim("t1@topic", T0, T0 + LEASE) is Claim.FIRST
    store.confirm("t1@topic", T0)
    store.release("t1@topic")  # a late release after the confirmation changes nothing
    assert store.claim("t1@topic", T0, T0 + LEASE) is Claim.DONE
    item = client.get_item(TableName=TABLE, Key={"pk": {"S": "t1@topic"}})["Item"]  # type: ignore[attr-defined]
    assert int(item["expires_at"]["N"]) == int((T0 + MARKER_RETENTION).timestamp())
