"""The supervisor dashboard as a static site: a private S3 bucket behind CloudFront (origin access
control), deployed from dashboard/ by CloudFormation.

The page holds no data: it opens the WebSocket API (URL in its `ws` query parameter) with the token in
its `token` query parameter, and everything it shows comes over that authenticated connection.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct, IConstruct

from infrastructure.nag import objects_finding, suppress
from infrastructure.settings import Settings

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"
INDEX = "index.html"


class DashboardSite(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Only the deployed copy of dashboard/ lives here: nothing to keep. The deployment below
            # empties it on deletion (retain_on_delete=False), so no second custom resource is needed.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        suppress(
            self.bucket,
            "S1",
            "The bucket holds only the public static dashboard page, written by the stack's deployment; "
            "it is read solely by CloudFront through origin access control, so access logs add nothing.",
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"floorwatch {settings.stage} supervisor dashboard",
            default_root_object=INDEX,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
            ),
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        )
        self._explain_distribution()
        self._deploy(settings)

    @property
    def url(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}"

    def _explain_distribution(self) -> None:
        reasons = {
            "CFR1": "Supervisors open the dashboard wherever they work; the page itself carries no data, "
            "and everything it shows arrives over the token-authorized WebSocket API.",
            "CFR2": "A static page without data or forms; the API it talks to authorizes every connection "
            "with a signed token and is throttled per stage, which is where abuse would matter.",
            "CFR3": "The dashboard URL carries the supervisor's bearer token in its query string; "
            "CloudFront standard logs record query strings, so access logging would store credentials.",
            "CFR4": "The distribution uses the default *.cloudfront.net certificate, for which CloudFront "
            "does not allow choosing the minimum TLS version; a custom domain would bring its own policy.",
        }
        for rule, reason in reasons.items():
            suppress(self.distribution, rule, reason)

    def _deploy(self, settings: Settings) -> None:
        deployment_logs = logs.LogGroup(
            self, "DeploymentLogs", retention=settings.log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        s3_deployment.BucketDeployment(
            self,
            "Deployment",
            destination_bucket=self.bucket,
            sources=[s3_deployment.Source.asset(str(DASHBOARD_DIR))],
            distribution=self.distribution,
            distribution_paths=["/*"],
            log_group=deployment_logs,
            # Deleting the stack deletes the deployed files first, so the bucket is empty when its
            # turn comes and `cdk destroy` does not stop at "The bucket you tried to delete is not
            # empty". Nothing else writes to this bucket.
            retain_on_delete=False,
        )
        # The deployment's handler is a CDK-provided singleton function at stack level.
        stack = Stack.of(self)
        for child in stack.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                self._explain_deployment_handler(child)

    def _explain_deployment_handler(self, handler: IConstruct) -> None:
        suppress(
            handler,
            "L1",
            "CDK's BucketDeployment handler: aws-cdk-lib pins its runtime, and it runs only during "
            "deployments to copy the dashboard files.",
            apply_to_children=True,
        )
        suppress(
            handler,
            "IAM4",
            "CDK's BucketDeployment handler uses AWSLambdaBasicExecutionRole for its own logs; it runs only "
            "while CloudFormation deploys the dashboard.",
            applies_to=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            ],
            apply_to_children=True,
        )
        suppress(
            handler,
            "IAM5",
            "CDK's BucketDeployment handler reads the staged asset from the CDK bootstrap bucket, replaces "
            "the objects of the dashboard bucket, and invalidates the distribution (CloudFront "
            "invalidation actions support no resource-level permissions); the wildcards cover exactly that.",
            applies_to=[
                "Action::s3:GetObject*",
                "Action::s3:GetBucket*",
                "Action::s3:List*",
                "Action::s3:DeleteObject*",
                "Action::s3:Abort*",
                "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
                objects_finding(self.bucket),
                "Resource::*",
            ],
            apply_to_children=True,
        )
