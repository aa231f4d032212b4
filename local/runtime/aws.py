"""Embedded AWS: moto in server mode on 127.0.0.1, provisioned from floorwatch.names.

Every resource the CDK stack creates and the handlers touch exists here under the same physical
names (stage "local"): the two Kinesis streams, the tables (keys, GSIs, TTL, the alerts stream), the
failure / escalation queues, the SNS topics, the quarantine bucket. Tables are built from the same
``TableSpec`` objects the CDK constructs use, so their key schemas cannot drift.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from floorwatch.names import (
    TABLES,
    KeyAttribute,
    ResourceNames,
    TableSpec,
)

log = logging.getLogger("floorwatch.local")

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
LOCAL_STAGE = "local"
# Two shards per stream: enough to exercise per-shard pollers and ordering per partition key.
LOCAL_SHARD_COUNT = 2
CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)


def key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def create_table_request(spec: TableSpec, table_name: str) -> dict[str, Any]:
    """CreateTable arguments for ``spec``: on-demand, GSIs projecting ALL, NEW_IMAGE stream if any."""
    attributes: dict[str, str] = {}
    keys = [spec.partition_key, spec.sort_key]
    for index in spec.indexes:
        keys += [index.partition_key, index.sort_key]
    for key in keys:
        if key is not None:
            attributes[key.name] = key.type
    request: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": key_schema(spec.partition_key, spec.sort_key),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ]
    if spec.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    return request


@dataclass
class Resources:
    """What was created: names, ARNs and URLs the pollers and handlers need."""

    names: ResourceNames
    tables: dict[str, str] = field(default_factory=dict)  # logical name -> physical name
    alerts_stream_arn: str = ""
    queue_urls: dict[str, str] = field(default_factory=dict)  # queue name -> URL
    topic_arns: dict[str, str] = field(default_factory=dict)  # topic name -> ARN

    def queue_url(self, name: str) -> str:
        return self.queue_urls[name]

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"

    def stream_arn(self, stream_name: str) -> str:
        return f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{stream_name}"


class EmbeddedAws:
    """A moto server on a free loopback port, and boto3 clients pointed at it."""

    def __init__(self) -> None:
        self._server: Any = None
        self.endpoint_url = ""

    def start(self) -> str:
        from local.runtime import moto_version  # noqa: PLC0415

        moto_version.check()  # a clear message, not an ImportError from moto's internals
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - needed only here

        from local.runtime import inprocess, moto_patches  # noqa: PLC0415 - imports moto

        moto_patches.apply()
        inprocess.install()

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per moto request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # This process's clients reach the server's application directly (see local.runtime.inprocess).
        inprocess.TRANSPORT.register(self.endpoint_url, self._server._server.app)
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            from local.runtime import inprocess  # noqa: PLC0415

            inprocess.TRANSPORT.unregister(self.endpoint_url)
            self._server.stop()
            self._server = None

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            config=CLIENT_CONFIG,
            **CREDENTIALS,
        )


def provision(aws: EmbeddedAws, names: ResourceNames) -> Resources:
    """Create every resource of one stage; returns their names, ARNs and URLs."""
    resources = Resources(names=names)
    _create_streams(aws.client("kinesis"), names)
    _create_tables(aws.client("dynamodb"), names, resources)
    sqs = aws.client("sqs")
    for queue in (
        names.normalize_failures_queue,
        names.evaluate_failures_queue,
        names.fanout_failures_queue,
        names.escalation_queue,
    ):
        resources.queue_urls[queue] = sqs.create_queue(QueueName=queue)["QueueUrl"]
    sns = aws.client("sns")
    for topic in (names.alerts_topic, names.escalation_topic):
        resources.topic_arns[topic] = sns.create_topic(Name=topic)["TopicArn"]
    aws.client("s3").create_bucket(Bucket=names.quarantine_bucket)
    return resources


@contextmanager
def provisioned(names: ResourceNames) -> Iterator[tuple[EmbeddedAws, Resources]]:
    """A moto server with one stage's resources, deleted and stopped on exit (tests, tools)."""
    aws = EmbeddedAws()
    aws.start()
    try:
        resources = provision(aws, names)
        try:
            yield aws, resources
        finally:
            deprovision(aws, resources)
    finally:
        aws.stop()


def deprovision(aws: EmbeddedAws, resources: Resources) -> None:
    """Delete what ``provision`` (and the outbox) created: moto's state is per process, shared by every
    server in it, so a second runtime in the same process (tests, benchmarks) starts from nothing."""
    names = resources.names
    steps: list[tuple[str, Any]] = [
        (
            "kinesis",
            lambda c: [
                c.delete_stream(StreamName=s) for s in (names.raw_events_stream, names.cx_events_stream)
            ],
        ),
        ("dynamodb", lambda c: [c.delete_table(TableName=t) for t in resources.tables.values()]),
        ("sqs", lambda c: [c.delete_queue(QueueUrl=u) for u in resources.queue_urls.values()]),
        ("sns", lambda c: [c.delete_topic(TopicArn=a) for a in resources.topic_arns.values()]),
        ("s3", lambda c: _delete_bucket(c, names.quarantine_bucket)),
    ]
    for service, step in steps:
        try:
            step(aws.client(service))
        except Exception as error:  # noqa: BLE001 - best effort: the process may be exiting anyway
            log.warning("could not delete local %s resources: %s", service, error)


def _delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents") or []:
            s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


def _create_streams(kinesis: Any, names: ResourceNames) -> None:
    streams = (names.raw_events_stream, names.cx_events_stream)
    for stream in streams:
        kinesis.create_stream(StreamName=stream, ShardCount=LOCAL_SHARD_COUNT)
    for stream in streams:
        kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.1})


def _create_tables(dynamodb: Any, names: ResourceNames, resources: Resources) -> None:
    for spec in TABLES:
        table_name = names.table(spec)
        description = dynamodb.create_table(**create_table_request(spec, table_name))["TableDescription"]
        if spec.ttl_attribute:
            # Stored only: moto never expires items (readers filter expired ones, as in AWS).
            dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
        resources.tables[spec.logical_name] = table_name
        if spec.stream:
            resources.alerts_stream_arn = description["LatestStreamArn"]
