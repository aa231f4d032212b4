"""cdk-nag suppressions: each one names its rule, says why, and sits next to the resource it excuses."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct

# cdk-nag itself accepts 10 characters; a reason shorter than this rarely explains anything.
MIN_REASON_LENGTH = 20


def suppress(
    construct: IConstruct,
    rule: str,
    reason: str,
    *,
    applies_to: Sequence[str] = (),
    apply_to_children: bool = False,
) -> None:
    """Suppress one AwsSolutions rule on one construct, narrowed to `applies_to` findings when given."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"suppression of {rule} needs a real reason, got {reason!r}")
    NagSuppressions.add_resource_suppressions(
        construct,
        [NagPackSuppression(id=f"AwsSolutions-{rule}", reason=reason, applies_to=list(applies_to) or None)],
        apply_to_children=apply_to_children,
    )


def _logical_id(construct: IConstruct) -> str:
    resource = construct.node.default_child
    if resource is None:
        raise ValueError("imported resources have no logical id to suppress against")
    return str(Stack.of(construct).resolve(resource.logical_id))  # type: ignore[attr-defined]


def objects_finding(bucket: s3.IBucket) -> str:
    """The cdk-nag finding id of an IAM resource `<bucket arn>/*` (a wildcard over one bucket's keys)."""
    return f"Resource::<{_logical_id(bucket)}.Arn>/*"


def indexes_finding(table: dynamodb.ITable) -> str:
    """The finding id of `<table arn>/index/*`, which grant_*_data adds for a table with indexes."""
    return f"Resource::<{_logical_id(table)}.Arn>/index/*"
