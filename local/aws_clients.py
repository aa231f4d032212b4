"""boto3 clients for the CLI commands that talk to AWS (or the local runtime), and the AWS errors that
mean "wrong arguments or environment", turned into ``UsageError`` (exit status 2)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from local.errors import UsageError

DEFAULT_REGION = "us-east-1"
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnrecognizedClientException"})


def check_endpoint_url(endpoint_url: str | None) -> None:
    if endpoint_url is None:
        return
    parsed = urlparse(endpoint_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(
            f"--endpoint-url must be an http(s) URL such as http://127.0.0.1:4566, got {endpoint_url!r}"
        )


def aws_client(service: str, endpoint_url: str | None, region: str | None, *, max_attempts: int = 3) -> Any:
    """A client with bounded retries and timeouts; ``region`` None: $AWS_DEFAULT_REGION, else us-east-1."""
    check_endpoint_url(endpoint_url)
    region = region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    config = Config(
        retries={"mode": "standard", "max_attempts": max_attempts}, connect_timeout=10, read_timeout=60
    )
    try:
        return boto3.client(service, region_name=region, endpoint_url=endpoint_url, config=config)
    except (ValueError, NoRegionError) as error:
        raise UsageError(f"cannot build a {service} client: {error}") from None


@contextmanager
def aws_usage_errors(where: str, not_found: Callable[[str], str | None]) -> Iterator[None]:
    """``not_found(code)``: what is missing when AWS answers ``code`` (None: not a not-found code)."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        missing = not_found(code)
        if missing is not None:
            raise UsageError(f"{missing} in {where}") from None
        if code in _DENIED:
            raise UsageError(f"access denied by {where}: {error}") from None
        raise
    except BotocoreConnectionError as error:
        raise UsageError(f"cannot reach {where}: {error}") from None
    except NoCredentialsError:
        raise UsageError(
            "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; "
            "any non-empty values work against the local runtime)"
        ) from None
