"""The local runtime's tables are shaped exactly like the deployed ones.

Synthesizes the CDK app once, provisions the local resources into moto, and compares per table: key
schema, attribute definitions, global secondary indexes (keys and projection), TTL attribute and
stream view type. The physical names differ only by stage (the template's stage vs "local").
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from collections.abc import Iterator
from typing import Any

import pytest
from floorwatch.names import TABLES, ResourceNames, TableSpec

from local.runtime.aws import provisioned

pytestmark = [pytest.mark.integration, pytest.mark.infra, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    from aws_cdk.assertions import Template

    from infrastructure.application import build_app

    built = build_app(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    built.app.synth()
    stage = built.stack.node.try_get_context("stage") or "dev"
    return dict(Template.from_stack(built.stack).to_json()), str(stage)


@pytest.fixture(scope="module")
def local_tables() -> Iterator[dict[str, dict[str, Any]]]:
    names = ResourceNames("parity")  # not "local": an e2e module's runtime may hold those names
    with provisioned(names) as (aws, _):
        dynamodb = aws.client("dynamodb")
        described = {}
        for spec in TABLES:
            table = dynamodb.describe_table(TableName=names.table(spec))["Table"]
            ttl = dynamodb.describe_time_to_live(TableName=names.table(spec))["TimeToLiveDescription"]
            described[spec.logical_name] = {**table, "ttl": ttl}
        yield described


def deployed_table(template: dict[str, Any], table_name: str) -> dict[str, Any]:
    for resource in template["Resources"].values():
        if (
            resource["Type"] == "AWS::DynamoDB::Table"
            and resource["Properties"].get("TableName") == table_name
        ):
            return dict(resource["Properties"])
    raise AssertionError(f"no AWS::DynamoDB::Table named {table_name} in the template")


def shape_of_deployed(properties: dict[str, Any]) -> dict[str, Any]:
    ttl = properties.get("TimeToLiveSpecification") or {}
    return {
        "keys": _keys(properties["KeySchema"]),
        "attributes": _attributes(properties["AttributeDefinitions"]),
        "indexes": _indexes(properties.get("GlobalSecondaryIndexes") or []),
        "ttl": ttl.get("AttributeName") if ttl.get("Enabled") else None,
        "stream": (properties.get("StreamSpecification") or {}).get("StreamViewType"),
    }


def shape_of_local(table: dict[str, Any]) -> dict[str, Any]:
    ttl = table["ttl"]
    return {
        "keys": _keys(table["KeySchema"]),
        "attributes": _attributes(table["AttributeDefinitions"]),
        "indexes": _indexes(table.get("GlobalSecondaryIndexes") or []),
        "ttl": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None,
        "stream": (table.get("StreamSpecification") or {}).get("StreamViewType"),
    }


def _keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in schema]


def _attributes(definitions: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(item["AttributeName"], item["AttributeType"]) for item in definitions}


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        index["IndexName"]: (_keys(index["KeySchema"]), index["Projection"]["ProjectionType"])
        for index in indexes
    }


@pytest.mark.parametrize("spec", TABLES, ids=[spec.logical_name for spec in TABLES])
def test_local_table_matches_the_synthesized_template(
    spec: TableSpec, template: tuple[dict[str, Any], str], local_tables: dict[str, dict[str, Any]]
) -> None:
    resources, stage = template
    deployed = shape_of_deployed(deployed_table(resources, ResourceNames(stage).table(spec)))
    local = shape_of_local(local_tables[spec.logical_name])

    assert local == deployed
    assert deployed["keys"][0] == (spec.partition_key.name, "HASH")  # and both follow the spec


def test_the_template_has_no_table_the_local_runtime_lacks(template: tuple[dict[str, Any], str]) -> None:
    resources, stage = template
    deployed = {
        resource["Properties"].get("TableName")
        for resource in resources["Resources"].values()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }
    assert deployed == {ResourceNames(stage).table(spec) for spec in TABLES}
