"""FloorwatchStack: one stack per stage (`Floorwatch-<stage>`), composed of one construct per concern.

Environment-agnostic on purpose: nothing here looks anything up in an AWS account, so `python app.py`
synthesizes offline; account and region come from the deploying credentials.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack, Tags
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct
from floorwatch.names import ResourceNames

from infrastructure.alarms import OperationsAlarms
from infrastructure.alerting import AlertingConstruct
from infrastructure.dashboard import DashboardSite
from infrastructure.encryption import CustomerManagedEncryption
from infrastructure.fanout import FanoutConstruct
from infrastructure.ingest import IngestConstruct
from infrastructure.monitored import Monitored, StreamConsumer
from infrastructure.nag import suppress
from infrastructure.notifications import NotificationsConstruct
from infrastructure.operations_dashboard import OperationsDashboard
from infrastructure.settings import Settings
from infrastructure.sms_delivery import SmsDeliveryLogging, SmsOriginationPolicies
from infrastructure.tables import Tables
from infrastructure.websocket import WebSocketApiConstruct

# One CloudFormation stack per stage, so two stages can live in one account and region.
STACK_ID_PREFIX = "Floorwatch"


def stack_id(stage: str) -> str:
    """The construct id, and so the CloudFormation stack name, of a stage: `Floorwatch-dev`."""
    return f"{STACK_ID_PREFIX}-{stage}"


# CloudFormation output keys: what `cdk deploy --outputs-file` hands to producers and operators.
OUTPUT_RAW_EVENTS_STREAM = "RawEventsStreamName"
OUTPUT_CX_EVENTS_STREAM = "CxEventsStreamName"
OUTPUT_QUARANTINE_BUCKET = "QuarantineBucketName"
OUTPUT_NORMALIZE_FAILURES_QUEUE = "NormalizeFailuresQueueUrl"
OUTPUT_WEBSOCKET_URL = "WebSocketUrl"
OUTPUT_ALERTS_TOPIC = "AlertsTopicArn"
OUTPUT_ESCALATION_TOPIC = "EscalationTopicArn"
OUTPUT_TOKEN_SECRET = "TokenSecretName"
OUTPUT_DASHBOARD_URL = "DashboardUrl"
OUTPUT_OPERATIONS_TOPIC = "OperationsTopicArn"
OUTPUT_OPERATIONS_DASHBOARD = "OperationsDashboardName"
OUTPUT_EMAILS_TO_CONFIRM = "EmailSubscriptionsToConfirm"


class FloorwatchStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"floorwatch ({settings.stage}): real-time contact-center monitoring",
        )
        self.settings = settings
        Tags.of(self).add("project", "floorwatch")
        Tags.of(self).add("stage", settings.stage)

        self.tables = Tables(self, "Tables", names=ResourceNames(settings.stage))
        self.ingest = IngestConstruct(self, "Ingest", settings=settings)
        self.alerting = AlertingConstruct(
            self, "Alerting", settings=settings, tables=self.tables, cx_events=self.ingest.cx_events
        )
        self.notifications = NotificationsConstruct(
            self, "Notifications", settings=settings, tables=self.tables
        )
        self.websocket = WebSocketApiConstruct(self, "WebSocket", settings=settings, tables=self.tables)
        self.dashboard = (
            DashboardSite(self, "Dashboard", settings=settings) if settings.dashboard_site else None
        )
        # Links in SMS / e-mail: the configured URL, else the hosted dashboard, else none.
        dashboard_url = settings.dashboard_url or (self.dashboard.url if self.dashboard else "")
        self.fanout = FanoutConstruct(
            self,
            "Fanout",
            settings=settings,
            tables=self.tables,
            websocket=self.websocket,
            notifications=self.notifications,
            dashboard_url=dashboard_url,
        )
        if settings.apigateway_logging_role:
            self._apigateway_logging_role()
        self.sms_delivery = (
            SmsDeliveryLogging(self, "SmsDeliveryLogging") if settings.sms_delivery_logging else None
        )
        self.sms_origination = (
            SmsOriginationPolicies(self, "SmsOrigination", settings.sms_origination_identities)
            if settings.sms_origination_identities
            else None
        )
        monitored = self._monitored()
        self.alarms = OperationsAlarms(
            self, "Alarms", monitored=monitored, contacts=settings.operations_contacts
        )
        self.operations_dashboard = OperationsDashboard(
            self, "OperationsDashboard", monitored=monitored, alarms=self.alarms.alarms
        )
        self.encryption = self._customer_managed_key(monitored) if settings.customer_managed_key else None
        self._outputs()

    def _monitored(self) -> Monitored:
        """Everything the alarms and the operations dashboard watch, by role."""
        functions = {
            "normalize": self.ingest.normalize,
            "evaluate": self.alerting.evaluate,
            "baselines": self.alerting.baselines,
            "authorizer": self.websocket.authorizer,
            "websocket": self.websocket.handler,
            "fanout": self.fanout.fanout,
            "escalate": self.notifications.escalate,
        }
        return Monitored(
            stage=self.settings.stage,
            functions={name: python_function.function for name, python_function in functions.items()},
            consumers=(
                StreamConsumer("raw-events -> normalize", self.ingest.normalize.function),
                StreamConsumer("cx-events -> evaluate", self.alerting.evaluate.function),
                StreamConsumer("alerts stream -> fanout", self.fanout.fanout.function),
            ),
            raw_events=self.ingest.raw_events,
            failure_queues={
                "normalize-failures": self.ingest.normalize_failures,
                "evaluate-failures": self.alerting.evaluate_failures,
                "fanout-failures": self.fanout.failures,
                "escalation-dlq": self.notifications.escalation_dead_letters,
            },
            topics={
                "alerts": self.notifications.alerts_topic,
                "escalations": self.notifications.escalation_topic,
            },
        )

    def _customer_managed_key(self, monitored: Monitored) -> CustomerManagedEncryption:
        """`-c customer_managed_key=true`: one key for the data stores (infrastructure/encryption.py)."""
        encryption = CustomerManagedEncryption(self, "Encryption", stage=self.settings.stage)
        encryption.encrypt(self, buckets=[self.ingest.quarantine.bucket], skip_topics=[self.alarms.topic])
        encryption.grant_use(function.role for function in monitored.functions.values() if function.role)
        return encryption

    def _apigateway_logging_role(self) -> None:
        """WebSocket stages can only write access logs once the region's API Gateway account settings
        name a CloudWatch Logs role. This sets it (an account-wide, per-region setting); turn it off
        with `-c apigateway_logging_role=false` where the account already has one."""
        role = iam.Role(
            self,
            "ApiGatewayLogging",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets API Gateway write access and execution logs to CloudWatch Logs",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        # Other APIs in the account may depend on the setting: never take the role away with the stack.
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        suppress(
            role,
            "IAM4",
            "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy for API Gateway's "
            "account-wide logging role, which serves every API of the region, not just this stack.",
        )
        account = apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        self.websocket.stage.node.add_dependency(account)

    def _outputs(self) -> None:
        ingest = self.ingest
        CfnOutput(
            self,
            OUTPUT_RAW_EVENTS_STREAM,
            value=ingest.raw_events.stream_name,
            description="Kinesis stream that contact-center platforms PutRecords raw events to",
        )
        CfnOutput(
            self,
            OUTPUT_CX_EVENTS_STREAM,
            value=ingest.cx_events.stream_name,
            description="Kinesis stream of normalized CxEvents",
        )
        CfnOutput(
            self,
            OUTPUT_QUARANTINE_BUCKET,
            value=ingest.quarantine.bucket.bucket_name,
            description="S3 bucket holding raw records the normalizer rejected, with the reason",
        )
        CfnOutput(
            self,
            OUTPUT_NORMALIZE_FAILURES_QUEUE,
            value=ingest.normalize_failures.queue_url,
            description="SQS queue describing raw-events batches the normalizer gave up on",
        )
        CfnOutput(
            self,
            OUTPUT_WEBSOCKET_URL,
            value=self.websocket.stage.url,
            description="wss:// URL the supervisor dashboard connects to (append ?token=<JWT>)",
        )
        CfnOutput(
            self,
            OUTPUT_ALERTS_TOPIC,
            value=self.notifications.alerts_topic.topic_arn,
            description="SNS topic of notifying alert transitions (attribute severity)",
        )
        CfnOutput(
            self,
            OUTPUT_ESCALATION_TOPIC,
            value=self.notifications.escalation_topic.topic_arn,
            description="SNS topic of escalations (attribute level: the escalation chain level name)",
        )
        if self.dashboard:
            CfnOutput(
                self,
                OUTPUT_DASHBOARD_URL,
                value=f"{self.dashboard.url}/?ws={self.websocket.stage.url}",
                description="The hosted supervisor dashboard, pointed at this stack's WebSocket API "
                "(append &token=<JWT> from `floorwatch token`)",
            )
        CfnOutput(
            self,
            OUTPUT_OPERATIONS_TOPIC,
            value=self.alarms.topic.topic_arn,
            description="SNS topic every floorwatch alarm notifies (subscribe on-call here)",
        )
        CfnOutput(
            self,
            OUTPUT_OPERATIONS_DASHBOARD,
            value=self.operations_dashboard.dashboard.dashboard_name,
            description="CloudWatch dashboard of the pipeline's health",
        )
        CfnOutput(
            self,
            OUTPUT_TOKEN_SECRET,
            value=self.websocket.token_secret.secret_name,
            description="Secrets Manager secret holding the dashboard token signing key",
        )
        emails = [*self.settings.alert_contacts.email, *self.settings.operations_contacts.email]
        if emails:
            # Printed by `cdk deploy`: an unconfirmed address silently receives nothing.
            CfnOutput(
                self,
                OUTPUT_EMAILS_TO_CONFIRM,
                value=", ".join(dict.fromkeys(emails)),
                description="E-mail subscriptions stay pending until each address clicks the link in "
                "the 'AWS Notification - Subscription Confirmation' message; `make subscriptions` "
                "lists which are still pending",
            )
