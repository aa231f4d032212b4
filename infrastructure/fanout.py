"""Fan-out: the alerts table stream -> fanout Lambda -> subscribed dashboards (@connections), the SNS
alerts topic (filtered by severity), the escalation topic (for `escalated` transitions, filtered by
level), the audit log, and for alerts with an acknowledgement deadline a delayed escalation check.
"""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct
from floorwatch.names import (
    ENV_ALERTS_TABLE,
    ENV_ALERTS_TOPIC_ARN,
    ENV_AUDIT_TABLE,
    ENV_CONNECTIONS_TABLE,
    ENV_DASHBOARD_URL,
    ENV_ESCALATION_TOPIC_ARN,
    ENV_WEBSOCKET_ENDPOINT,
    FANOUT_BATCH_SIZE,
    FANOUT_MAX_RETRY_ATTEMPTS,
    ResourceNames,
)

from infrastructure.nag import indexes_finding, suppress
from infrastructure.notifications import NotificationsConstruct
from infrastructure.python_function import PythonFunction
from infrastructure.queues import failure_queue
from infrastructure.settings import Settings
from infrastructure.tables import Tables
from infrastructure.websocket import WebSocketApiConstruct, connect_console_environment

FANOUT_HANDLER = "handlers.fanout.handler"
# Posting to many connections concurrently; API Gateway answers in tens of milliseconds each.
FANOUT_TIMEOUT_SECONDS = 60


class FanoutConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        tables: Tables,
        websocket: WebSocketApiConstruct,
        notifications: NotificationsConstruct,
        dashboard_url: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        names = ResourceNames(settings.stage)
        self.failures = failure_queue(
            self, "FanoutFailures", queue_name=names.fanout_failures_queue, source="alerts table stream"
        )
        self.fanout = PythonFunction(
            self,
            "Fanout",
            settings=settings,
            name="fanout",
            handler=FANOUT_HANDLER,
            description="Pushes alert transitions to dashboards and SNS; schedules escalation checks",
            environment={
                ENV_CONNECTIONS_TABLE: tables.connections.table_name,
                ENV_ALERTS_TABLE: tables.alerts.table_name,
                ENV_AUDIT_TABLE: tables.audit.table_name,
                ENV_WEBSOCKET_ENDPOINT: websocket.stage.callback_url,
                ENV_ALERTS_TOPIC_ARN: notifications.alerts_topic.topic_arn,
                ENV_ESCALATION_TOPIC_ARN: notifications.escalation_topic.topic_arn,
                **notifications.escalation_environment(settings),
                **({ENV_DASHBOARD_URL: dashboard_url} if dashboard_url else {}),
                **connect_console_environment(settings),
            },
            reads_rules=True,
            timeout_seconds=FANOUT_TIMEOUT_SECONDS,
        )
        # Grants dynamodb stream read on the alerts table stream and sqs:SendMessage on the failures queue.
        self.fanout.function.add_event_source(
            event_sources.DynamoEventSource(
                tables.alerts,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=FANOUT_BATCH_SIZE,
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                retry_attempts=FANOUT_MAX_RETRY_ATTEMPTS,
                on_failure=event_sources.SqsDlq(self.failures),
            )
        )
        role = self.fanout.role
        # Finds subscribers through the by-subscription index; deletes connections that are gone (410).
        tables.connections.grant_read_write_data(role)
        # Reads an alert's current state (is it still unacknowledged?) before scheduling a check.
        tables.alerts.grant_read_data(role)
        tables.grant_audit_append(role)  # escalations are audited here, once the level is claimed
        websocket.grant_manage_connections(role)
        notifications.alerts_topic.grant_publish(role)
        notifications.escalation_topic.grant_publish(role)
        notifications.escalation_queue.grant_send_messages(role)
        suppress(
            role,
            "IAM5",
            "The fan-out queries the connections table's by-subscription index and the alerts table's "
            "by-alert-id index, and posts to @connections/<id> of the dashboards' WebSocket stage; each "
            "wildcard is limited to those resources.",
            applies_to=[
                indexes_finding(tables.connections),
                indexes_finding(tables.alerts),
                websocket.manage_connections_finding(),
            ],
            apply_to_children=True,
        )
        suppress(
            role,
            "IAM5",
            "The DynamoDB stream event source adds dynamodb:ListStreams, which has no resource-level "
            "permissions (IAM requires Resource '*'); it lists stream ARNs only, reading none.",
            applies_to=["Resource::*"],
            apply_to_children=True,
        )
