from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from floorwatch.names import DEFAULT_STAGE, ResourceNames

from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra


def _tls_only_policy(policy: dict[str, Any]) -> bool:
    return any(
        statement["Effect"] == "Deny"
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for statement in policy["PolicyDocument"]["Statement"]
    )


def test_quarantine_bucket_is_private_encrypted_versioned_expiring_and_retained(
    synthesized: Synthesized,
) -> None:
    bucket = synthesized.resource(synthesized.stack.ingest.quarantine.bucket)
    properties = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    [rule] = properties["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == 90  # cdk.json quarantine_expiry_days
    assert "NoncurrentVersionExpiration" in rule  # expiry of a versioned object must really delete it
    logs_bucket_id = synthesized.logical_id(synthesized.stack.ingest.quarantine.access_logs)
    assert properties["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_bucket_id}


@pytest.mark.parametrize("bucket_attribute", ["bucket", "access_logs"])
def test_buckets_refuse_requests_without_tls(synthesized: Synthesized, bucket_attribute: str) -> None:
    bucket = getattr(synthesized.stack.ingest.quarantine, bucket_attribute)
    bucket_id = synthesized.logical_id(bucket)
    policies = synthesized.template.find_resources(
        "AWS::S3::BucketPolicy", {"Properties": {"Bucket": {"Ref": bucket_id}}}
    )
    assert [p for p in policies.values() if _tls_only_policy(p["Properties"])], (
        f"{bucket_id} accepts plain HTTP"
    )


def test_failure_queue_is_named_encrypted_and_tls_only(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": ResourceNames(DEFAULT_STAGE).normalize_failures_queue,
            "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": Match.any_value(),
        },
    )
    queue_id = synthesized.logical_id(synthesized.stack.ingest.normalize_failures)
    policies = synthesized.template.find_resources("AWS::SQS::QueuePolicy")
    tls_only = [
        p
        for p in policies.values()
        if {"Ref": queue_id} in p["Properties"]["Queues"] and _tls_only_policy(p["Properties"])
    ]
    assert tls_only, "the failure queue accepts plain HTTP"
