"""The supervisors' WebSocket API: routes of the protocol, token authorizer on $connect only, a
throttled stage with access logs, and a signing key only the authorizer can read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from floorwatch.names import DEFAULT_STAGE, ENV_TOKEN_SECRET_ARN, ResourceNames
from floorwatch.protocol import CLIENT_ACTIONS, GATEWAY_ACTIONS, GATEWAY_RESPONSE_TEMPLATES

from tests.infrastructure.support import Synthesized, all_actions, allowed, role_statements, roles_allowed

pytestmark = pytest.mark.infra

NAMES = ResourceNames(DEFAULT_STAGE)
# API Gateway's own routes, and one per client action of the protocol.
ROUTES = {"$connect", "$disconnect", "$default", *CLIENT_ACTIONS}


def _only(synthesized: Synthesized, resource_type: str) -> dict[str, Any]:
    [resource] = synthesized.template.find_resources(resource_type).values()
    return resource["Properties"]  # type: ignore[no-any-return]


def _routes(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    routes = synthesized.template.find_resources("AWS::ApiGatewayV2::Route").values()
    return {route["Properties"]["RouteKey"]: route["Properties"] for route in routes}


def test_api_selects_routes_by_action(synthesized: Synthesized) -> None:
    api = _only(synthesized, "AWS::ApiGatewayV2::Api")
    assert api["Name"] == NAMES.websocket_api
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"


def test_every_protocol_route_exists(synthesized: Synthesized) -> None:
    assert set(_routes(synthesized)) == ROUTES


def test_connect_is_authorized_by_the_token_in_the_query_string(synthesized: Synthesized) -> None:
    authorizer = _only(synthesized, "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]
    authorizer_function = synthesized.logical_id(synthesized.stack.websocket.authorizer.function)
    assert f'"{authorizer_function}"' in json.dumps(authorizer["AuthorizerUri"])
    connect = _routes(synthesized)["$connect"]
    assert connect["AuthorizationType"] == "CUSTOM"
    [authorizer_id] = synthesized.template.find_resources("AWS::ApiGatewayV2::Authorizer")
    assert connect["AuthorizerId"] == {"Ref": authorizer_id}


def _integrations(synthesized: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    """route key -> (the integration's logical id, its properties)."""
    integrations = synthesized.template.find_resources("AWS::ApiGatewayV2::Integration")
    found = {}
    for route_key, route in _routes(synthesized).items():
        [integration_id] = [part["Ref"] for part in route["Target"]["Fn::Join"][1] if isinstance(part, dict)]
        found[route_key] = (integration_id, integrations[integration_id]["Properties"])
    return found


def test_every_route_but_the_gateways_own_integrates_the_websocket_function(synthesized: Synthesized) -> None:
    function_id = synthesized.logical_id(synthesized.stack.websocket.handler.function)
    targets = {
        key: props for key, (_, props) in _integrations(synthesized).items() if key not in GATEWAY_ACTIONS
    }
    assert set(targets) == ROUTES - GATEWAY_ACTIONS
    assert all(t["IntegrationType"] == "AWS_PROXY" for t in targets.values())
    assert all(f'"{function_id}"' in json.dumps(t["IntegrationUri"]) for t in targets.values())


@pytest.mark.parametrize("action", sorted(GATEWAY_ACTIONS))
def test_a_gateway_action_is_answered_by_api_gateway_with_the_protocols_template(
    synthesized: Synthesized, action: str
) -> None:
    """The heartbeat runs no function: a MOCK integration answers it with the protocol's response
    template, sent back to the caller through a $default route response (two-way)."""
    integration_id, integration = _integrations(synthesized)[action]
    assert integration["IntegrationType"] == "MOCK"
    assert "IntegrationUri" not in integration
    assert json.loads(integration["RequestTemplates"]["$default"]) == {"statusCode": 200}
    assert integration["TemplateSelectionExpression"] == "\\$default"
    answers = [
        props["Properties"]
        for props in synthesized.template.find_resources("AWS::ApiGatewayV2::IntegrationResponse").values()
        if props["Properties"]["IntegrationId"] == {"Ref": integration_id}
    ]
    assert answers == [
        {
            "ApiId": answers[0]["ApiId"],
            "IntegrationId": {"Ref": integration_id},
            "IntegrationResponseKey": "$default",
            "ResponseTemplates": {"$default": GATEWAY_RESPONSE_TEMPLATES[action]},
            "TemplateSelectionExpression": "\\$default",
        }
    ]
    route = _routes(synthesized)[action]
    assert route["RouteResponseSelectionExpression"] == "$default"
    responses = synthesized.template.find_resources("AWS::ApiGatewayV2::RouteResponse").values()
    route_ids = [
        logical
        for logical, resource in synthesized.template.find_resources("AWS::ApiGatewayV2::Route").items()
        if resource["Properties"]["RouteKey"] == action
    ]
    assert [
        r["Properties"]["RouteResponseKey"]
        for r in responses
        if r["Properties"]["RouteId"] == {"Ref": route_ids[0]}
    ] == ["$default"]


def test_only_gateway_actions_answer_without_the_function(synthesized: Synthesized) -> None:
    """No other route has a route response: the function's answers travel over @connections."""
    routes = _routes(synthesized)
    two_way = {key for key, route in routes.items() if "RouteResponseSelectionExpression" in route}
    assert two_way == GATEWAY_ACTIONS
    assert len(synthesized.template.find_resources("AWS::ApiGatewayV2::RouteResponse")) == len(
        GATEWAY_ACTIONS
    )


def test_stage_is_throttled_and_writes_json_access_logs(synthesized: Synthesized) -> None:
    stage = _only(synthesized, "AWS::ApiGatewayV2::Stage")
    assert stage["StageName"] == DEFAULT_STAGE
    assert stage["AutoDeploy"] is True
    throttling = stage["DefaultRouteSettings"]
    assert throttling["ThrottlingRateLimit"] > 0
    assert throttling["ThrottlingBurstLimit"] >= throttling["ThrottlingRateLimit"]
    access_logs = stage["AccessLogSettings"]
    log_group = synthesized.logical_id(synthesized.stack.websocket.node.find_child("AccessLogs"))
    assert access_logs["DestinationArn"] == {"Fn::GetAtt": [log_group, "Arn"]}
    fields = json.loads(access_logs["Format"])
    assert {"requestId", "routeKey", "connectionId", "status", "error"} <= set(fields)


def test_stage_waits_for_the_api_gateway_logging_role(synthesized: Synthesized) -> None:
    [stage] = synthesized.template.find_resources("AWS::ApiGatewayV2::Stage").values()
    [account_id] = synthesized.template.find_resources("AWS::ApiGateway::Account")
    assert account_id in stage.get("DependsOn", [])


def test_signing_key_is_a_generated_secret(synthesized: Synthesized) -> None:
    secret = _only(synthesized, "AWS::SecretsManager::Secret")
    assert secret["Name"] == NAMES.token_secret
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    assert "SecretString" not in secret


def test_only_the_authorizer_can_read_the_signing_key(synthesized: Synthesized) -> None:
    websocket = synthesized.stack.websocket
    secret_id = synthesized.logical_id(websocket.token_secret)
    authorizer_role = synthesized.logical_id(websocket.authorizer.role)
    assert roles_allowed(synthesized, "secretsmanager:GetSecretValue") == {authorizer_role}
    assert roles_allowed(synthesized, "secretsmanager:GetSecretValue", secret_id) == {authorizer_role}


def test_authorizer_may_do_nothing_else_but_log(synthesized: Synthesized) -> None:
    statements = allowed(role_statements(synthesized, synthesized.stack.websocket.authorizer.role))
    services = {action.split(":")[0] for action in all_actions(statements)}
    assert services == {"secretsmanager", "logs"}


def test_authorizer_gets_the_secret_arn(synthesized: Synthesized) -> None:
    function = synthesized.resource(synthesized.stack.websocket.authorizer.function)["Properties"]
    secret_id = synthesized.logical_id(synthesized.stack.websocket.token_secret)
    assert function["Environment"]["Variables"][ENV_TOKEN_SECRET_ARN] == {"Ref": secret_id}
