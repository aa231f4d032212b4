"""The DynamoDB tables, built from floorwatch.names.TABLES so the deployed key schemas, indexes, TTL
and streams are the very specs the stores and the local runtime use.

All tables: on-demand (bursty, unpredictable traffic; no capacity planning), encrypted with the
AWS-managed KMS key (alias/aws/dynamodb: no key policy to maintain, readable by granted roles without
extra kms permissions), point-in-time recovery on. Alerts and the audit log are kept when the stack is
deleted (history and evidence); metrics, connections and baselines are derived data and go with it.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct
from floorwatch.names import (
    ALERTS_TABLE,
    AUDIT_TABLE,
    BASELINES_TABLE,
    CONNECTIONS_TABLE,
    METRICS_TABLE,
    TABLES,
    KeyAttribute,
    ResourceNames,
    TableSpec,
)

# Kept when the stack is deleted or the table replaced (the alert history and the audit log are
# records), but not when the stack's first deployment rolls back: the table is then new and empty, and
# keeping it would make every retry fail with "already exists" (its name is fixed per stage).
# CloudFormation's DeletionPolicy RetainExceptOnCreate.
RETAINED_TABLES = frozenset({ALERTS_TABLE.logical_name, AUDIT_TABLE.logical_name})
_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
# What a role may never do to the append-only audit log, even if a broader grant is added later.
AUDIT_FORBIDDEN_ACTIONS = (
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
)


def _attribute(key: KeyAttribute | None) -> dynamodb.Attribute | None:
    return None if key is None else dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


def table_from_spec(
    scope: Construct, construct_id: str, spec: TableSpec, names: ResourceNames
) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        construct_id,
        table_name=names.table(spec),
        partition_key=_attribute(spec.partition_key),
        sort_key=_attribute(spec.sort_key),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=spec.ttl_attribute,
        stream=dynamodb.StreamViewType.NEW_IMAGE if spec.stream else None,
        removal_policy=(
            RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
            if spec.logical_name in RETAINED_TABLES
            else RemovalPolicy.DESTROY
        ),
    )
    for index in spec.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=_attribute(index.partition_key),
            sort_key=_attribute(index.sort_key),
            projection_type=dynamodb.ProjectionType.ALL,
        )
    return table


class Tables(Construct):
    """Every table of names.TABLES; `by_spec` maps each spec's logical name to its table."""

    def __init__(self, scope: Construct, construct_id: str, *, names: ResourceNames) -> None:
        super().__init__(scope, construct_id)
        self.by_spec: dict[str, dynamodb.Table] = {
            spec.logical_name: table_from_spec(self, spec.logical_name.capitalize(), spec, names)
            for spec in TABLES
        }
        self.metrics = self.by_spec[METRICS_TABLE.logical_name]
        self.alerts = self.by_spec[ALERTS_TABLE.logical_name]
        self.connections = self.by_spec[CONNECTIONS_TABLE.logical_name]
        self.audit = self.by_spec[AUDIT_TABLE.logical_name]
        self.baselines = self.by_spec[BASELINES_TABLE.logical_name]

    def grant_audit_append(self, grantee: iam.IGrantable) -> iam.Grant:
        """dynamodb:PutItem on the audit table and nothing else; update and delete explicitly denied.

        Not grant_write_data: that would include UpdateItem, DeleteItem and BatchWriteItem.
        """
        principal = grantee.grant_principal
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=list(AUDIT_FORBIDDEN_ACTIONS),
                resources=[self.audit.table_arn],
            )
        )
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["dynamodb:PutItem"], resource_arns=[self.audit.table_arn]
        )
