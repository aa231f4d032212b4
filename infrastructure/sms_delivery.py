"""SMS delivery-status logging: every text's outcome in CloudWatch Logs, so a failed SMS is visible.

SNS logs SMS deliveries only when the account's SMS settings name an IAM role it may use to write
CloudWatch Logs (``SetSMSAttributes``: ``DeliveryStatusIAMRole``, ``DeliveryStatusSuccessSamplingRate``);
topics' own delivery-status logging does not cover the SMS protocol. Like the API Gateway logging role,
this is an account-wide, per-region setting: the stack sets it with a custom resource (an SDK call on
create and update) and turn it off with ``-c sms_delivery_logging=false`` where the account manages it
already. Failures are always logged once the role is set; successes at ``SUCCESS_SAMPLING_PERCENT``
(texts are few: criticals and escalations). SNS writes log groups under ``sns/<region>/<account>/``
(docs/operating.md says where to look).
"""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from infrastructure.nag import suppress

SUCCESS_SAMPLING_PERCENT = 100


class SmsDeliveryLogging(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        log_groups = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:sns/{Aws.REGION}/*"
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sns.amazonaws.com"),
            description="Lets SNS write SMS delivery-status logs (account-wide SMS setting)",
            inline_policies={
                "DeliveryStatusLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=[
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:PutMetricFilter",
                                "logs:PutRetentionPolicy",
                            ],
                            resources=[log_groups, f"{log_groups}:*"],
                        )
                    ]
                )
            },
        )
        # The account's SMS setting keeps pointing at this role after the stack is gone (another stage
        # may rely on it): keep the role (its name is generated, so a new deployment never collides).
        self.role.apply_removal_policy(RemovalPolicy.RETAIN)
        suppress(
            self.role,
            "IAM5",
            "SNS names its SMS delivery-status log groups and streams itself (sns/<region>/<account>/...); "
            "the wildcard is limited to those groups of this account and region.",
            applies_to=[
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:sns/<AWS::Region>/*",
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:sns/<AWS::Region>/*:*",
            ],
        )
        call = cr.AwsSdkCall(
            service="SNS",
            action="setSMSAttributes",
            parameters={
                "attributes": {
                    "DeliveryStatusIAMRole": self.role.role_arn,
                    "DeliveryStatusSuccessSamplingRate": str(SUCCESS_SAMPLING_PERCENT),
                }
            },
            physical_resource_id=cr.PhysicalResourceId.of(
                f"{Stack.of(self).stack_name}-sms-delivery-logging"
            ),
        )
        self.setting = cr.AwsCustomResource(
            self,
            "AccountSetting",
            on_create=call,
            on_update=call,
            # SetSMSAttributes has no resource-level permissions; PassRole only for this role.
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(actions=["sns:SetSMSAttributes"], resources=["*"]),
                    iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.role.role_arn]),
                ]
            ),
            install_latest_aws_sdk=False,
        )
        suppress(
            self.setting,
            "IAM5",
            "sns:SetSMSAttributes is an account-level action without resource-level permissions, so its "
            "only possible resource is '*'; the custom resource runs only while CloudFormation deploys.",
            applies_to=["Resource::*"],
            apply_to_children=True,
        )
        explain_provider(self)


def explain_provider(scope: Construct) -> None:
    """The SDK-call handler is a CDK-provided singleton function at stack level (one for every
    AwsCustomResource of the stack): why its runtime and managed policy are what they are."""
    stack = Stack.of(scope)
    for child in stack.node.children:
        if not child.node.id.startswith("AWS679f53fac002430cb0da5b7982bd2287"):
            continue
        suppress(
            child,
            "L1",
            "CDK's AwsCustomResource handler: aws-cdk-lib pins its runtime, and it runs only during "
            "deployments to set the account's SMS settings (delivery-status logging, origination policies).",
            apply_to_children=True,
        )
        suppress(
            child,
            "IAM4",
            "CDK's AwsCustomResource handler uses AWSLambdaBasicExecutionRole for its own logs; it "
            "runs only while CloudFormation deploys.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            ],
            apply_to_children=True,
        )


class SmsOriginationPolicies(Construct):
    """Let SNS send this account's texts through the origination identities named in the settings.

    An origination identity (a toll-free or 10DLC number, a pool, a sender ID) created since 24 September
    2024 carries no permission for SNS: without a resource-based policy, SNS cannot use it and texts to
    countries that require one (the US among them) fail without an error to the publisher. Per identity,
    the stack writes its resource policy (``PutResourcePolicy``) on create and update: SNS of this account
    may ``sms-voice:SendTextMessage`` through it. The policy is left in place when the stack is deleted
    (another stage of the account may send through the same number), and the call replaces any policy
    the identity had: an identity shared with other accounts or services keeps its own policy (leave it
    out of ``sms_origination_identities`` and add the statement docs/deploying.md shows).
    """

    def __init__(self, scope: Construct, construct_id: str, identities: tuple[str, ...]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.policies: list[cr.AwsCustomResource] = []
        for position, arn in enumerate(identities, start=1):
            call = cr.AwsSdkCall(
                service="PinpointSMSVoiceV2",
                action="putResourcePolicy",
                parameters={"ResourceArn": arn, "Policy": stack.to_json_string(sns_send_policy(arn))},
                physical_resource_id=cr.PhysicalResourceId.of(f"{stack.stack_name}-sms-origination-{arn}"),
            )
            policy = cr.AwsCustomResource(
                self,
                f"Identity{position}",
                on_create=call,
                on_update=call,
                policy=cr.AwsCustomResourcePolicy.from_statements(
                    [iam.PolicyStatement(actions=["sms-voice:PutResourcePolicy"], resources=[arn])]
                ),
                install_latest_aws_sdk=False,
            )
            self.policies.append(policy)
        explain_provider(self)


def sns_send_policy(arn: str) -> dict[str, object]:
    """The identity's resource policy: Amazon SNS, on behalf of this account only, may text through it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FloorwatchSnsSendsTexts",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sms-voice:SendTextMessage",
                "Resource": arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            }
        ],
    }
