"""Settings of the fan-out and escalate functions (read from the environment at cold start).

Same conventions as floorwatch.settings: each field's alias is its environment variable from
floorwatch.names; ``environment_variables()`` lists what the CDK constructs must set.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator

from floorwatch.alerts.escalation import DEFAULT_CHAIN, LEVEL_NAME_PATTERN, EscalationPolicy
from floorwatch.names import (
    ENV_ALERTS_TABLE,
    ENV_ALERTS_TOPIC_ARN,
    ENV_AUDIT_TABLE,
    ENV_CONNECTIONS_TABLE,
    ENV_DASHBOARD_URL,
    ENV_ESCALATION_CHAIN,
    ENV_ESCALATION_QUEUE_URL,
    ENV_ESCALATION_REPEAT_SECONDS,
    ENV_ESCALATION_TOPIC_ARN,
    ENV_RULES_FILE,
    ENV_WEBSOCKET_ENDPOINT,
    ESCALATION_REPEAT_SECONDS,
)
from floorwatch.rules.config import RuleSet, load_default_rules, load_rules
from floorwatch.settings import FunctionSettings

TABLE_NAME_PATTERN = r"^[A-Za-z0-9_.-]{3,255}$"
TOPIC_ARN_PATTERN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"
HTTP_URL_PATTERN = r"^https?://[^\s]+$"


def _split_chain(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


Chain = Annotated[
    tuple[Annotated[str, Field(pattern=LEVEL_NAME_PATTERN)], ...],
    BeforeValidator(_split_chain),
    Field(min_length=1),
]


class EscalationSettings(FunctionSettings):
    """What both functions need to agree on: the chain and its pace, the alerts table, the queue."""

    alerts_table: str = Field(
        validation_alias=ENV_ALERTS_TABLE,
        pattern=TABLE_NAME_PATTERN,
        description="name of the DynamoDB alerts table",
    )
    escalation_queue_url: str = Field(
        validation_alias=ENV_ESCALATION_QUEUE_URL,
        pattern=HTTP_URL_PATTERN,
        description="URL of the SQS queue escalation checks are scheduled on",
    )
    escalation_chain: Chain = Field(
        default=DEFAULT_CHAIN,
        validation_alias=ENV_ESCALATION_CHAIN,
        description="comma-separated escalation level names, level 1 first (lower-case, digits, hyphens)",
    )
    escalation_repeat_seconds: int = Field(
        default=ESCALATION_REPEAT_SECONDS,
        validation_alias=ENV_ESCALATION_REPEAT_SECONDS,
        ge=1,
        le=86_400,
        description="seconds between two escalation levels",
    )

    @field_validator("escalation_chain")
    @classmethod
    def _distinct(cls, chain: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(chain)) != len(chain):
            raise ValueError("a level is named twice")
        return chain

    def escalation_policy(self) -> EscalationPolicy:
        return EscalationPolicy(self.escalation_chain, timedelta(seconds=self.escalation_repeat_seconds))


class EscalateSettings(EscalationSettings):
    """The escalate function: SQS escalation checks -> escalated transitions in the alerts table."""


class FanoutSettings(EscalationSettings):
    """The fan-out function: alerts table stream -> dashboards, SNS, escalation checks, audit."""

    connections_table: str = Field(
        validation_alias=ENV_CONNECTIONS_TABLE,
        pattern=TABLE_NAME_PATTERN,
        description="name of the DynamoDB WebSocket connections table",
    )
    audit_table: str = Field(
        validation_alias=ENV_AUDIT_TABLE,
        pattern=TABLE_NAME_PATTERN,
        description="name of the DynamoDB audit table",
    )
    websocket_endpoint: str = Field(
        validation_alias=ENV_WEBSOCKET_ENDPOINT,
        pattern=HTTP_URL_PATTERN,
        description="@connections endpoint URL, https://{api-id}.execute-api.{region}.amazonaws.com/{stage}",
    )
    alerts_topic_arn: str = Field(
        validation_alias=ENV_ALERTS_TOPIC_ARN,
        pattern=TOPIC_ARN_PATTERN,
        description="ARN of the SNS topic alert notifications are published to",
    )
    escalation_topic_arn: str = Field(
        validation_alias=ENV_ESCALATION_TOPIC_ARN,
        pattern=TOPIC_ARN_PATTERN,
        description="ARN of the SNS topic escalation SMS are published to",
    )
    dashboard_url: str | None = Field(
        default=None,
        validation_alias=ENV_DASHBOARD_URL,
        pattern=HTTP_URL_PATTERN,
        description="dashboard base URL for the links in SMS and e-mail (optional)",
    )
    rules_file: Path | None = Field(
        default=None,
        validation_alias=ENV_RULES_FILE,
        description="path of the rules YAML file (optional: the default rules)",
    )

    @field_validator("dashboard_url", "rules_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def rules(self) -> RuleSet:
        return load_default_rules() if self.rules_file is None else load_rules(self.rules_file)
