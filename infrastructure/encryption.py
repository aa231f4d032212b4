"""Customer-managed KMS encryption (issue 14, item 8), behind the ``customer_managed_key`` context flag.

Off (the default): every store uses its AWS-managed key (alias/aws/dynamodb, aws/kinesis, SQS- or
S3-managed, aws/sns), which needs no key policy and no kms grants. On: one stack key, rotated yearly,
encrypts the Kinesis streams, every DynamoDB table (and so the alerts stream), every SQS queue, the
alerts and escalation topics, the quarantine bucket and every log group. The operations topic keeps its
own customer-managed key (infrastructure/alarms.py: CloudWatch alarms must be allowed to use it).

Applied after the constructs are built, on their CloudFormation resources, so the constructs keep one
code path and the flag lives here. What a function may read or write is still decided by its resource
grants (infrastructure/least_privilege.py and each construct): the key statement added to every function
role allows only ``kms:Decrypt``, ``kms:Encrypt``, ``kms:GenerateDataKey`` and ``kms:DescribeKey`` on this
key, and only through DynamoDB, Kinesis, SQS, SNS and S3 (``kms:ViaService``). The key policy adds
CloudWatch Logs (log groups are encrypted by the service, scoped to this account's log groups).

Not covered, on purpose: the quarantine access-log bucket (S3 server access logs cannot be delivered to
an SSE-KMS bucket), the dashboard site bucket (public content served through CloudFront), the token
secret (Secrets Manager's own key; the authorizer alone reads it). Producers outside the stack that put
records on raw-events need ``kms:GenerateDataKey`` on the key (its ARN is the EncryptionKeyArn output).
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from infrastructure.nag import suppress

OUTPUT_ENCRYPTION_KEY = "EncryptionKeyArn"
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
VIA_SERVICES = ("dynamodb", "kinesis", "sqs", "sns", "s3")
LOGS_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


class CustomerManagedEncryption(Construct):
    """The stack key and its application; ``encrypt`` re-keys what the stack built."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/floorwatch-{stage}",
            description=f"floorwatch ({stage}): streams, tables, queues, topics, quarantine, logs",
            enable_key_rotation=True,
            rotation_period=Duration.days(365),
            # Alerts and the audit log are retained with the stack: their key must outlive it too.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=list(LOGS_KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )
        CfnOutput(
            Stack.of(self),
            OUTPUT_ENCRYPTION_KEY,
            value=self.key.key_arn,
            description="KMS key of the streams, tables, queues, topics, quarantine and logs "
            "(producers of raw-events need kms:GenerateDataKey on it)",
        )

    def encrypt(
        self, root: IConstruct, *, buckets: Iterable[s3.IBucket], skip_topics: Iterable[sns.ITopic]
    ) -> None:
        """Every stream, table, queue, topic (but ``skip_topics``) and log group under ``root``, and
        ``buckets``."""
        skipped = {topic.node.path for topic in skip_topics}
        arn = self.key.key_arn
        for node in root.node.find_all():
            if isinstance(node, dynamodb.CfnTable):
                node.sse_specification = dynamodb.CfnTable.SSESpecificationProperty(
                    sse_enabled=True, sse_type="KMS", kms_master_key_id=arn
                )
            elif isinstance(node, kinesis.CfnStream):
                node.stream_encryption = kinesis.CfnStream.StreamEncryptionProperty(
                    encryption_type="KMS", key_id=arn
                )
                suppress(
                    node,
                    "KDS3",
                    "customer_managed_key=true asks for the stack's own key on every store, streams "
                    "included (a compliance choice; the default keeps aws/kinesis and its lower cost).",
                )
            elif isinstance(node, sqs.CfnQueue):
                node.sqs_managed_sse_enabled = None
                node.kms_master_key_id = arn
            elif isinstance(node, sns.CfnTopic) and node.node.scope.node.path not in skipped:  # type: ignore[union-attr]
                node.kms_master_key_id = arn
            elif isinstance(node, logs.CfnLogGroup):
                node.kms_key_id = arn
        for bucket in buckets:
            resource = bucket.node.default_child
            assert isinstance(resource, s3.CfnBucket)
            resource.bucket_encryption = s3.CfnBucket.BucketEncryptionProperty(
                server_side_encryption_configuration=[
                    s3.CfnBucket.ServerSideEncryptionRuleProperty(
                        server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                            sse_algorithm="aws:kms", kms_master_key_id=arn
                        ),
                        bucket_key_enabled=True,
                    )
                ]
            )

    def grant_use(self, roles: Iterable[iam.IRole]) -> None:
        """Each role may use the key, through the data services only (its resource grants decide what)."""
        via = [f"{service}.{Aws.REGION}.amazonaws.com" for service in VIA_SERVICES]
        for role in roles:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=list(KEY_USE_ACTIONS),
                    resources=[self.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": via}},
                )
            )
