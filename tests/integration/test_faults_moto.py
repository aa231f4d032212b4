"""Issue 14, item 7, on moto: Secrets Manager unavailable when the authorizer starts cold.

The dashboard's connection is refused with a clear error in the log (API Gateway answers 500, the
dashboard retries with backoff), the failure is not cached, and the next connection once Secrets
Manager answers is admitted by the same container.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from floorwatch import names
from floorwatch.security.tokens import mint
from handlers import authorizer
from moto import mock_aws

from local.runtime.functions import LambdaContext
from tests.integration.ddb_tables import use_fake_credentials

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
KEY = "k" * 48
SECRET_NAME = names.ResourceNames("test").token_secret
CONTEXT = LambdaContext("floorwatch-test-authorizer")
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/test/$connect"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_credentials(monkeypatch, REGION)
    monkeypatch.setenv(names.ENV_STAGE, "test")
    monkeypatch.delenv(names.ENV_TOKEN_SECRET_FILE, raising=False)
    authorizer._default_handler.cache_clear()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)
    authorizer._default_handler.cache_clear()


def connect(token: str) -> dict[str, Any]:
    event = {"type": "REQUEST", "methodArn": METHOD_ARN, "queryStringParameters": {"token": token}}
    return authorizer.handler(event, CONTEXT)


def test_secrets_manager_unavailable_at_a_cold_start_refuses_clearly_then_recovers(
    secrets: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:{SECRET_NAME}-AbCdEf"
    monkeypatch.setenv(names.ENV_TOKEN_SECRET_ARN, arn)  # not readable yet: the service cannot serve it
    token = mint(KEY, user="ana", role="supervisor", teams=["billing"], now=datetime.now(UTC))

    with pytest.raises(authorizer.SigningKeyUnavailable, match="signing key could not be read"):
        connect(token)

    created = secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps({"key": KEY}))
    monkeypatch.setenv(names.ENV_TOKEN_SECRET_ARN, created["ARN"])
    answer = connect(token)  # the same container: the failure was not cached
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert answer["context"]["user"] == "ana"
