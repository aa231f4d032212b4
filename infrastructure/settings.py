"""Deployment settings read from CDK context (cdk.json, or `cdk ... -c key=value`).

Everything that differs between deployments lives here, validated once, so the constructs take
plain typed values and never read context themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_logs as logs
from constructs import Node
from floorwatch.names import DEFAULT_STAGE

# Context keys (the same spelling as in cdk.json).
CONTEXT_STAGE = "stage"
CONTEXT_POWERTOOLS_LAYER_VERSION = "powertools_layer_version"
CONTEXT_LOG_RETENTION_DAYS = "log_retention_days"
CONTEXT_LOG_LEVEL = "log_level"
CONTEXT_QUARANTINE_EXPIRY_DAYS = "quarantine_expiry_days"

# Used when neither cdk.json nor the command line says otherwise. The layer version is the
# public Powertools for AWS Lambda (Python) v3 layer; check the newest with
# `aws lambda list-layer-versions --layer-name AWSLambdaPowertoolsPythonV3-python314-arm64`
# (account 017000801446) before deploying, and keep it in step with the aws-lambda-powertools pin.
DEFAULT_POWERTOOLS_LAYER_VERSION = 38
DEFAULT_LOG_RETENTION_DAYS = 30
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_QUARANTINE_EXPIRY_DAYS = 90

# Stage names end up in stream, queue, table and function names: keep them short and DNS-like.
_STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# CloudWatch Logs accepts only specific retention periods (jsii enum values are names, not days).
_RETENTION_BY_DAYS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}


class SettingsError(ValueError):
    """A context value that cannot be deployed; the message names the key."""


@dataclass(frozen=True)
class Settings:
    stage: str = DEFAULT_STAGE
    powertools_layer_version: int = DEFAULT_POWERTOOLS_LAYER_VERSION
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS
    log_level: str = DEFAULT_LOG_LEVEL
    quarantine_expiry_days: int = DEFAULT_QUARANTINE_EXPIRY_DAYS

    @classmethod
    def from_node(cls, node: Node) -> Settings:
        def context(key: str, default: Any) -> Any:
            value = node.try_get_context(key)
            return default if value is None else value

        return cls(
            stage=_stage(context(CONTEXT_STAGE, DEFAULT_STAGE)),
            powertools_layer_version=_positive_int(
                CONTEXT_POWERTOOLS_LAYER_VERSION,
                context(CONTEXT_POWERTOOLS_LAYER_VERSION, DEFAULT_POWERTOOLS_LAYER_VERSION),
            ),
            log_retention_days=_retention_days(
                context(CONTEXT_LOG_RETENTION_DAYS, DEFAULT_LOG_RETENTION_DAYS)
            ),
            log_level=_log_level(context(CONTEXT_LOG_LEVEL, DEFAULT_LOG_LEVEL)),
            quarantine_expiry_days=_positive_int(
                CONTEXT_QUARANTINE_EXPIRY_DAYS,
                context(CONTEXT_QUARANTINE_EXPIRY_DAYS, DEFAULT_QUARANTINE_EXPIRY_DAYS),
            ),
        )

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION_BY_DAYS[self.log_retention_days]


def _stage(value: Any) -> str:
    if not isinstance(value, str) or not _STAGE_PATTERN.match(value):
        raise SettingsError(
            f"{CONTEXT_STAGE}={value!r}: use 1-16 lowercase letters, digits or hyphens, letter first"
        )
    return value


def _positive_int(key: str, value: Any) -> int:
    # `-c key=7` arrives as the string "7"; cdk.json gives a number.
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key}={value!r} is not a whole number") from None
    if number <= 0:
        raise SettingsError(f"{key}={value!r} must be positive")
    return number


def _retention_days(value: Any) -> int:
    # Refuse an unsupported period at synth time rather than at deploy time.
    days = _positive_int(CONTEXT_LOG_RETENTION_DAYS, value)
    if days not in _RETENTION_BY_DAYS:
        supported = ", ".join(str(d) for d in _RETENTION_BY_DAYS)
        raise SettingsError(f"{CONTEXT_LOG_RETENTION_DAYS}={value!r}: use one of {supported}")
    return days


def _log_level(value: Any) -> str:
    level = str(value).upper()
    if level not in _LOG_LEVELS:
        raise SettingsError(f"{CONTEXT_LOG_LEVEL}={value!r}: use one of {', '.join(_LOG_LEVELS)}")
    return level
