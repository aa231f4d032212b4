"""Create a DynamoDB table (keys, GSIs with projection ALL) from a names.TableSpec, for moto tests."""

from __future__ import annotations

from typing import Any

from floorwatch.names import KeyAttribute, TableSpec


def _key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def create_table(client: Any, spec: TableSpec, name: str) -> None:
    """A pay-per-request table shaped exactly like ``spec`` (the deployed one uses the same spec)."""
    attributes: dict[str, str] = {}
    for key in (spec.partition_key, spec.sort_key):
        if key is not None:
            attributes[key.name] = key.type
    for index in spec.indexes:
        for key in (index.partition_key, index.sort_key):
            if key is not None:
                attributes[key.name] = key.type
    extra: dict[str, Any] = {}
    if spec.indexes:
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ]
    client.create_table(
        TableName=name,
        KeySchema=_key_schema(spec.partition_key, spec.sort_key),
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
