"""The deployed tables are exactly floorwatch.names.TABLES: keys, indexes, TTL, streams."""

from __future__ import annotations

from typing import Any

import pytest
from floorwatch.names import DEFAULT_STAGE, TABLES, ResourceNames, TableSpec

from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra

NAMES = ResourceNames(DEFAULT_STAGE)


def _tables_by_name(synthesized: Synthesized) -> dict[str, Any]:
    tables = synthesized.template.find_resources("AWS::DynamoDB::Table")
    return {table["Properties"]["TableName"]: table for table in tables.values()}


def _key_schema(partition: str, sort: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition, "KeyType": "HASH"}]
    return schema + ([{"AttributeName": sort, "KeyType": "RANGE"}] if sort else [])


def _expected_attributes(spec: TableSpec) -> dict[str, str]:
    keys = [spec.partition_key, spec.sort_key]
    for index in spec.indexes:
        keys += [index.partition_key, index.sort_key]
    return {key.name: key.type for key in keys if key is not None}


def test_there_is_one_table_per_spec(synthesized: Synthesized) -> None:
    assert sorted(_tables_by_name(synthesized)) == sorted(NAMES.table(spec) for spec in TABLES)


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.logical_name)
def test_table_matches_its_spec(synthesized: Synthesized, spec: TableSpec) -> None:
    properties = _tables_by_name(synthesized)[NAMES.table(spec)]["Properties"]
    sort = spec.sort_key.name if spec.sort_key else None
    assert properties["KeySchema"] == _key_schema(spec.partition_key.name, sort)
    attributes = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    assert attributes == _expected_attributes(spec)
    indexes = {index["IndexName"]: index for index in properties.get("GlobalSecondaryIndexes", [])}
    assert sorted(indexes) == sorted(index.name for index in spec.indexes)
    for index in spec.indexes:
        deployed = indexes[index.name]
        index_sort = index.sort_key.name if index.sort_key else None
        assert deployed["KeySchema"] == _key_schema(index.partition_key.name, index_sort)
        assert deployed["Projection"] == {"ProjectionType": "ALL"}
    if spec.ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in properties
    if spec.stream:
        assert properties["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    else:
        assert "StreamSpecification" not in properties


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.logical_name)
def test_table_is_on_demand_encrypted_and_recoverable(synthesized: Synthesized, spec: TableSpec) -> None:
    properties = _tables_by_name(synthesized)[NAMES.table(spec)]["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    # SSEEnabled without a key: the AWS-managed KMS key (absent would mean the AWS-owned key).
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert "ProvisionedThroughput" not in properties


def test_alerts_and_audit_outlive_the_stack_derived_data_does_not(synthesized: Synthesized) -> None:
    # RetainExceptOnCreate: a first deploy that rolls back deletes its new, empty tables, so the retry
    # does not fail on "already exists"; a deleted stack or a replaced table keeps them.
    tables = _tables_by_name(synthesized)
    policies = {
        name: (table.get("DeletionPolicy", "Delete"), table.get("UpdateReplacePolicy", "Delete"))
        for name, table in tables.items()
    }
    kept, derived = ("RetainExceptOnCreate", "Retain"), ("Delete", "Delete")
    assert policies == {
        NAMES.table(spec): kept if spec.logical_name in {"alerts", "audit"} else derived for spec in TABLES
    }
