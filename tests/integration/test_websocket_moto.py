"""The authorizer and websocket Lambda entry points as deployed: settings from the environment, the
signing key from Secrets Manager, DynamoDB stores and the @connections API, all on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from floorwatch import names
from floorwatch.security.tokens import mint
from floorwatch.store.alerts_dynamodb import DynamoAlertStore
from floorwatch.store.audit_dynamodb import DynamoAuditLog
from handlers import authorizer, websocket
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core.models import DEFAULT_ACCOUNT_ID

from local.runtime.functions import LambdaContext
from tests.integration.ddb_tables import create_table, use_fake_credentials
from tests.unit.websocket.support import open_alert
from tests.unit.websocket.test_handlers import authorizer_event, connect_event, message_event

# The module-level handlers are decorated by Powertools, which reads Lambda's context object.
LAMBDA_CONTEXT = LambdaContext("floorwatch-test")

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
KEY = "m" * 48
STAGE = "test"
TABLES = {
    names.ENV_CONNECTIONS_TABLE: names.CONNECTIONS_TABLE,
    names.ENV_ALERTS_TABLE: names.ALERTS_TABLE,
    names.ENV_METRICS_TABLE: names.METRICS_TABLE,
    names.ENV_AUDIT_TABLE: names.AUDIT_TABLE,
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_credentials(monkeypatch, REGION)
    monkeypatch.delenv(names.ENV_WEBSOCKET_ENDPOINT, raising=False)
    monkeypatch.setenv(names.ENV_STAGE, STAGE)
    resources = names.ResourceNames(STAGE)
    authorizer._default_handler.cache_clear()
    websocket._default_handler.cache_clear()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for variable, spec in TABLES.items():
            create_table(dynamodb, spec, resources.table(spec))
            monkeypatch.setenv(variable, resources.table(spec))
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=resources.token_secret, SecretString=json.dumps({"key": KEY})
        )
        monkeypatch.setenv(names.ENV_TOKEN_SECRET_ARN, secret["ARN"])
        yield dynamodb
    authorizer._default_handler.cache_clear()
    websocket._default_handler.cache_clear()


def posted(connection_id: str) -> list[dict[str, Any]]:
    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION]
    data = backend.connections[connection_id].data.decode()
    # Posts are concatenated by moto: split the JSON objects apart again.
    decoder, messages, index = json.JSONDecoder(), [], 0
    while index < len(data):
        message, index = decoder.raw_decode(data, index)
        messages.append(message)
    return messages


def test_connect_subscribe_and_ack_end_to_end(aws: Any) -> None:
    resources = names.ResourceNames(STAGE)
    alerts = DynamoAlertStore(aws, resources.table(names.ALERTS_TABLE))
    alert = open_alert(alerts)
    now = datetime.now(UTC)
    stale = mint(KEY, user="ana", role="supervisor", teams=["billing"], now=now - timedelta(hours=9))
    denied = authorizer.handler(authorizer_event(stale, "conn1"), LAMBDA_CONTEXT)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"  # expired
    fresh = mint(KEY, user="ana", role="supervisor", teams=["billing"], queues=["billing"], now=now)
    allowed = authorizer.handler(authorizer_event(fresh, "conn1"), LAMBDA_CONTEXT)  # key from Secrets Manager
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"

    assert websocket.handler(connect_event("conn1", allowed["context"]), LAMBDA_CONTEXT) == {
        "statusCode": 200
    }
    websocket.handler(
        message_event("conn1", {"action": "subscribe", "scopes": ["*"], "request_id": "r1"}), LAMBDA_CONTEXT
    )
    websocket.handler(
        message_event("conn1", {"action": "ack", "alert_id": alert.alert_id, "request_id": "r2"}),
        LAMBDA_CONTEXT,
    )

    snapshot, ack = posted("conn1")
    assert (snapshot["type"], [a["alert_id"] for a in snapshot["alerts"]]) == ("snapshot", [alert.alert_id])
    assert (ack["type"], ack["action"], ack["changed"]) == ("ok", "ack", True)
    stored = alerts.find(str(alert.alert_id))
    assert stored is not None and stored.acknowledged_by == "ana"
    [entry] = DynamoAuditLog(aws, resources.table(names.AUDIT_TABLE)).for_alert(str(alert.alert_id))
    assert (entry.actor, entry.action, entry.connection_id) == ("ana", "ack", "conn1")


def test_missing_settings_name_the_variable(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(names.ENV_AUDIT_TABLE)
    with pytest.raises(ValueError, match=names.ENV_AUDIT_TABLE):
        websocket.handler(message_event("conn1", {"action": "refresh"}), LAMBDA_CONTEXT)
    monkeypatch.delenv(names.ENV_TOKEN_SECRET_ARN)
    with pytest.raises(RuntimeError, match=names.ENV_TOKEN_SECRET_FILE):
        authorizer.handler(authorizer_event("x"), LAMBDA_CONTEXT)
