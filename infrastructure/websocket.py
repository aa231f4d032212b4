"""The supervisors' WebSocket API (API Gateway v2): token authorizer on $connect, one Lambda for every
route, a throttled stage with access logs, and the token signing key in Secrets Manager.

Routes follow the WebSocket protocol (route selection on `$request.body.action`); the handler answers
and pushes through the @connections management API, so its routes have no route responses. Gateway
actions (`ping`, the dashboards' heartbeat) are answered by API Gateway itself: a MOCK integration whose
response template is the protocol's (`floorwatch.protocol.GATEWAY_RESPONSE_TEMPLATES`) and a `$default`
route response, so a heartbeat costs two messages and no invocation or table read.
"""

from __future__ import annotations

import json
from typing import Any

import jsii
from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from floorwatch.names import (
    ENV_ALERTS_TABLE,
    ENV_AUDIT_TABLE,
    ENV_CONNECT_CONSOLE_URL,
    ENV_CONNECTIONS_TABLE,
    ENV_ESCALATION_CHAIN,
    ENV_METRICS_TABLE,
    ENV_TOKEN_SECRET_ARN,
    ENV_WEBSOCKET_ENDPOINT,
    ResourceNames,
)
from floorwatch.protocol import CLIENT_ACTIONS, GATEWAY_RESPONSE_TEMPLATES

from infrastructure.least_privilege import grant_alert_writes, grant_post_to_connections
from infrastructure.nag import indexes_finding, suppress
from infrastructure.python_function import PythonFunction
from infrastructure.settings import Settings
from infrastructure.tables import Tables

AUTHORIZER_HANDLER = "handlers.authorizer.handler"
WEBSOCKET_HANDLER = "handlers.websocket.handler"
ROUTE_SELECTION = "$request.body.action"
TOKEN_IDENTITY_SOURCE = "route.request.querystring.token"
# Client actions of the protocol (floorwatch.protocol); each gets a route (and so its own metrics and
# access-log route key): the websocket function's, or for gateway actions a MOCK answered by API Gateway.
ACTION_ROUTES = CLIENT_ACTIONS
FUNCTION_ROUTES = tuple(action for action in CLIENT_ACTIONS if action not in GATEWAY_RESPONSE_TEMPLATES)
# API Gateway evaluates template selection expressions; an escaped `$default` selects the `$default`
# template whatever the message's content type.
DEFAULT_TEMPLATE = "$default"
DEFAULT_TEMPLATE_SELECTION = "\\$default"
MOCK_REQUEST_TEMPLATE = json.dumps({"statusCode": 200})  # a MOCK integration answers what this says
# Per stage, across all connections: a floor of supervisors sends a few messages a minute each.
THROTTLE_RATE_PER_SECOND = 100
THROTTLE_BURST = 200
TOKEN_KEY_LENGTH = 64
AUTHORIZER_TIMEOUT_SECONDS = 10
WEBSOCKET_TIMEOUT_SECONDS = 29  # API Gateway waits at most 29 s for an integration
# One JSON object per request: what failed where, without message bodies (they may name people).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "connectionId": "$context.connectionId",
    "status": "$context.status",
    "ip": "$context.identity.sourceIp",
    "principal": "$context.authorizer.principalId",
    "error": "$context.error.message",
    "integrationError": "$context.integration.error",
    "authorizerError": "$context.authorizer.error",
    "latency": "$context.integrationLatency",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))


class WebSocketApiConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        tables: Tables,
    ) -> None:
        super().__init__(scope, construct_id)
        names = ResourceNames(settings.stage)
        self.token_secret = self._token_secret(names)
        self.authorizer = PythonFunction(
            self,
            "Authorizer",
            settings=settings,
            name="authorizer",
            handler=AUTHORIZER_HANDLER,
            description="Verifies the signed supervisor token on WebSocket $connect",
            environment={ENV_TOKEN_SECRET_ARN: self.token_secret.secret_arn},
            timeout_seconds=AUTHORIZER_TIMEOUT_SECONDS,
        )
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            api_name=names.websocket_api,
            description="floorwatch supervisor dashboards: live alerts and actions",
            route_selection_expression=ROUTE_SELECTION,
        )
        self.stage = self._stage(settings)
        self.handler = PythonFunction(
            self,
            "Handler",
            settings=settings,
            name="websocket",
            handler=WEBSOCKET_HANDLER,
            description="Handles every WebSocket route: connections, subscriptions, alert actions",
            environment={
                ENV_CONNECTIONS_TABLE: tables.connections.table_name,
                ENV_ALERTS_TABLE: tables.alerts.table_name,
                ENV_METRICS_TABLE: tables.metrics.table_name,
                ENV_AUDIT_TABLE: tables.audit.table_name,
                # Unset for an empty chain: the function then uses the same default as the fan-out.
                **(
                    {ENV_ESCALATION_CHAIN: settings.escalation_level_names}
                    if settings.escalation_chain
                    else {}
                ),
                ENV_WEBSOCKET_ENDPOINT: self.stage.callback_url,
                **connect_console_environment(settings),
            },
            reads_rules=True,
            timeout_seconds=WEBSOCKET_TIMEOUT_SECONDS,
        )
        self._routes()
        self._grant(tables)

    def _token_secret(self, names: ResourceNames) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            "TokenSigningKey",
            secret_name=names.token_secret,
            description="HS256 key that signs supervisor dashboard tokens (floorwatch token)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=TOKEN_KEY_LENGTH, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        suppress(
            secret,
            "SMG4",
            "Rotating the signing key invalidates every dashboard token at once; tokens are short-lived "
            "(hours), and the key is rotated deliberately by an operator (put-secret-value), not on a timer.",
        )
        return secret

    def _stage(self, settings: Settings) -> apigwv2.WebSocketStage:
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=settings.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        return apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=settings.stage,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=THROTTLE_RATE_PER_SECOND, burst_limit=THROTTLE_BURST
            ),
            access_log_settings=_AccessLogSettings(access_logs),
        )

    def _routes(self) -> None:
        function = self.handler.function
        authorizer = authorizers.WebSocketLambdaAuthorizer(
            "TokenAuthorizer", self.authorizer.function, identity_source=[TOKEN_IDENTITY_SOURCE]
        )
        self.routes: dict[str, apigwv2.WebSocketRoute] = {
            "$connect": self.api.add_route(
                "$connect",
                integration=integrations.WebSocketLambdaIntegration("Connect", function),
                authorizer=authorizer,
            ),
            "$disconnect": self.api.add_route(
                "$disconnect", integration=integrations.WebSocketLambdaIntegration("Disconnect", function)
            ),
        }
        # Not "Default": CDK drops that id from logical ids, and the $default route's would collide.
        for route_key, integration_id in (
            ("$default", "Unknown"),
            *((a, a.capitalize()) for a in FUNCTION_ROUTES),
        ):
            self.routes[route_key] = self.api.add_route(
                route_key, integration=integrations.WebSocketLambdaIntegration(integration_id, function)
            )
        routes: dict[str, Construct] = dict(self.routes)
        for route_key, template in GATEWAY_RESPONSE_TEMPLATES.items():
            routes[route_key] = self._gateway_route(route_key, template)
        for route_key, route in routes.items():
            if route_key != "$connect":
                suppress(
                    route,
                    "APIG4",
                    "WebSocket APIs authorize only on $connect: this route runs on a connection the token "
                    "authorizer already admitted, and the handler checks the caller's role on every action.",
                )

    def _gateway_route(self, route_key: str, response_template: str) -> apigwv2.CfnRoute:
        """A route API Gateway answers itself: MOCK integration -> response template -> the caller.

        The L2 WebSocketMockIntegration of this CDK version takes no integration response, so the four
        resources are declared directly (as in API Gateway's guide to WebSocket integration responses).
        """
        name = route_key.capitalize()
        api_id = self.api.api_id
        integration = apigwv2.CfnIntegration(
            self,
            f"{name}Mock",
            api_id=api_id,
            integration_type="MOCK",
            request_templates={DEFAULT_TEMPLATE: MOCK_REQUEST_TEMPLATE},
            template_selection_expression=DEFAULT_TEMPLATE_SELECTION,
            passthrough_behavior="WHEN_NO_MATCH",
        )
        apigwv2.CfnIntegrationResponse(
            self,
            f"{name}Answer",
            api_id=api_id,
            integration_id=integration.ref,
            integration_response_key=DEFAULT_TEMPLATE,
            response_templates={DEFAULT_TEMPLATE: response_template},
            template_selection_expression=DEFAULT_TEMPLATE_SELECTION,
        )
        route = apigwv2.CfnRoute(
            self,
            f"{name}Route",
            api_id=api_id,
            route_key=route_key,
            target=f"integrations/{integration.ref}",
            route_response_selection_expression=DEFAULT_TEMPLATE,  # two-way: the answer goes back
        )
        apigwv2.CfnRouteResponse(
            self,
            f"{name}RouteResponse",
            api_id=api_id,
            route_id=route.ref,
            route_response_key=DEFAULT_TEMPLATE,
        )
        return route

    def _grant(self, tables: Tables) -> None:
        self.token_secret.grant_read(self.authorizer.role)
        role = self.handler.role
        # Connection meta and subscription items; disconnect deletes them.
        tables.connections.grant_read_write_data(role)
        # Snapshots (active index), actions on alerts (by-alert-id index, conditional writes).
        grant_alert_writes(tables, role)  # conditional Puts only (infrastructure/least_privilege.py)
        tables.metrics.grant_read_data(role)  # KPI tiles; which queues exist (the scope registry)
        tables.grant_audit_append(role)
        self.grant_manage_connections(role)
        suppress(
            role,
            "IAM5",
            "The WebSocket handler queries the sparse indexes of the connections and alerts tables and "
            "posts to @connections/<id> of this API's stage; each wildcard is limited to those resources.",
            applies_to=[
                indexes_finding(tables.connections),
                indexes_finding(tables.alerts),
                self.manage_connections_finding(),
            ],
            apply_to_children=True,
        )

    def grant_manage_connections(self, grantee: iam.IGrantable) -> iam.Grant:
        """execute-api:ManageConnections on this stage, POST only (infrastructure/least_privilege.py)."""
        return grant_post_to_connections(self.api, self.stage.stage_name, grantee)

    def manage_connections_finding(self) -> str:
        """The cdk-nag finding id of the @connections wildcard that grant_manage_connections adds."""
        stack = self.api.stack
        api_id: Any = stack.resolve(self.api.node.default_child.logical_id)  # type: ignore[union-attr]
        return (
            "Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
            f"<{api_id}>/{self.stage.stage_name}/POST/@connections/*"
        )


def connect_console_environment(settings: Settings) -> dict[str, str]:
    """The cards' Amazon Connect link (websocket and fan-out functions), when the stage names one."""
    url = settings.connect_console_url
    return {ENV_CONNECT_CONSOLE_URL: url} if url else {}
