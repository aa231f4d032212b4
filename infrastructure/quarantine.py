"""Quarantine: where every raw record that cannot become a CxEvent ends up, with the reason.

The normalizer writes one JSON object per rejected record ({raw_base64, reason, source,
arrival_time, stream, shard_id, sequence_number}), so "nothing lost" holds even for garbage input.
Raw records can hold personal data, hence: private, TLS-only, and expiring.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infrastructure.nag import suppress

# Deleted objects and overwritten versions stay recoverable this long after expiry or a mistake.
NONCURRENT_VERSION_DAYS = 7
ACCESS_LOG_DAYS = 365


def private_bucket(
    scope: Construct,
    construct_id: str,
    *,
    lifecycle_rules: list[s3.LifecycleRule],
    versioned: bool = False,
    server_access_logs_bucket: s3.IBucket | None = None,
    server_access_logs_prefix: str | None = None,
) -> s3.Bucket:
    """S3-managed encryption (server access logs cannot be delivered to SSE-KMS buckets), no public
    access, TLS only, bucket-owner objects. RETAIN: quarantined records are evidence, and
    CloudFormation cannot delete a non-empty bucket anyway."""
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=RemovalPolicy.RETAIN,
        lifecycle_rules=lifecycle_rules,
        versioned=versioned,
        server_access_logs_bucket=server_access_logs_bucket,
        server_access_logs_prefix=server_access_logs_prefix,
    )


class Quarantine(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, expiry_days: int) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = private_bucket(
            self,
            "AccessLogs",
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(ACCESS_LOG_DAYS))
            ],
        )
        suppress(
            self.access_logs,
            "S1",
            "This bucket is the server access log target of the quarantine bucket; logging it into itself "
            "would recurse and a further log bucket would only move the same finding.",
        )
        # Names are global, so CloudFormation picks one; functions receive it via an environment variable.
        self.bucket = private_bucket(
            self,
            "Bucket",
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="quarantine-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-rejected-records",
                    expiration=Duration.days(expiry_days),
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )

    def grant_put_records(self, grantee: iam.IGrantable) -> iam.Grant:
        """s3:PutObject only: writers can add rejected records but never read, list, tag or delete them."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["s3:PutObject"], resource_arns=[self.bucket.arn_for_objects("*")]
        )
