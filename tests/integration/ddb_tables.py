"""Moto test helpers: tables shaped by a names.TableSpec, and credentials that cannot reach AWS."""

from __future__ import annotations

from typing import Any

import pytest
from floorwatch.names import TableSpec

from local.runtime.aws import create_table_request

# Variables that could point boto3 elsewhere than moto (a real profile, the local runtime's endpoint).
_ELSEWHERE = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")


def create_table(client: Any, spec: TableSpec, name: str) -> None:
    """A pay-per-request table shaped exactly like ``spec`` (as the local runtime and the stack make it)."""
    client.create_table(**create_table_request(spec, name))


def use_fake_credentials(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    for name in _ELSEWHERE:
        monkeypatch.delenv(name, raising=False)
