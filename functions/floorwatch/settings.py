"""Each Lambda function's configuration, read from its environment at cold start.

One pydantic model per function, all deriving from ``FunctionSettings``; each field's alias is the
environment variable's name from floorwatch.names, so the CDK constructs (which set the variables)
and the handlers (which read them) share one spelling. Handlers call ``from_environ()`` on their
first invocation, never at import time, so importing a handler (tests, the local runtime, synth)
needs no environment, and a misconfigured function fails its first invocation with a message that
names the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from floorwatch.names import DEFAULT_ESCALATION_CHAIN as DEFAULT_CHAIN
from floorwatch.names import (
    DEFAULT_STAGE,
    ENV_ALERTS_TABLE,
    ENV_ALERTS_TOPIC_ARN,
    ENV_AUDIT_TABLE,
    ENV_CONNECT_CONSOLE_URL,
    ENV_CONNECTIONS_TABLE,
    ENV_CX_EVENTS_STREAM,
    ENV_DASHBOARD_URL,
    ENV_DELIVERIES_TABLE,
    ENV_ESCALATION_CHAIN,
    ENV_ESCALATION_QUEUE_URL,
    ENV_ESCALATION_REPEAT_SECONDS,
    ENV_ESCALATION_TOPIC_ARN,
    ENV_METRICS_TABLE,
    ENV_QUARANTINE_BUCKET,
    ENV_RULES_FILE,
    ENV_STAGE,
    ENV_TOKEN_SECRET_ARN,
    ENV_TOKEN_SECRET_FILE,
    ENV_WEBSOCKET_ENDPOINT,
    ESCALATION_REPEAT_SECONDS,
)
from floorwatch.names import ESCALATION_LEVEL_NAME_PATTERN as LEVEL_NAME_PATTERN

# Imported where used, not here: the rules and cards modules (with YAML, the metric catalog and the alert
# model) cost the normalizer's cold start over 100 ms, and the normalizer, which shares this module, needs
# neither (docs/performance.md).
if TYPE_CHECKING:
    from floorwatch.alerts.escalation import EscalationPolicy
    from floorwatch.cards import CardSettings
    from floorwatch.rules.config import RuleSet

STAGE_PATTERN = r"^[a-z][a-z0-9-]{0,19}$"
# Kinesis stream names: 1-128 of [a-zA-Z0-9_.-].
STREAM_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,128}$"
# S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending alphanumeric.
BUCKET_NAME_PATTERN = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"


class SettingsError(ValueError):
    """The function's environment is missing a variable or holds an unusable value."""


class FunctionSettings(BaseModel):
    """What every function reads; subclasses add their own variables as aliased fields."""

    # Each field's validation_alias is its environment variable; validate_by_name also lets tests and the
    # local runtime build settings from field names directly.
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True, validate_by_name=True)

    stage: str = Field(
        default=DEFAULT_STAGE,
        validation_alias=ENV_STAGE,
        pattern=STAGE_PATTERN,
        description="deployment stage (dev, prod, local...)",
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Validate the environment (``os.environ`` by default); SettingsError names each bad variable."""
        source: Mapping[str, str] = os.environ if environ is None else environ
        # Only this model's variables: an unrelated variable that happens to be spelled like a field
        # name ("stage") must not configure the function.
        values = {name: source[name] for name in cls.environment_variables() if name in source}
        try:
            return cls.model_validate(values, by_alias=True, by_name=False)
        except ValidationError as error:
            raise SettingsError(cls._describe(error, values)) from None

    @classmethod
    def environment_variables(cls) -> list[str]:
        """The variables this function reads (the CDK constructs set exactly these)."""
        return [
            field.validation_alias
            for field in cls.model_fields.values()
            if isinstance(field.validation_alias, str)
        ]

    @classmethod
    def _describe(cls, error: ValidationError, values: Mapping[str, Any]) -> str:
        problems = []
        for item in error.errors():
            variable = str(item["loc"][0]) if item["loc"] else "?"
            meaning = cls._meaning_of(variable)
            if item["type"] == "missing":
                problems.append(f"environment variable {variable} is not set ({meaning})")
            else:
                shown = str(values.get(variable, ""))[:80]
                problems.append(
                    f"environment variable {variable}={shown!r} is invalid ({meaning}): {item['msg']}"
                )
        return f"{cls.__name__}: " + "; ".join(problems)

    @classmethod
    def _meaning_of(cls, variable: str) -> str:
        for field in cls.model_fields.values():
            if field.validation_alias == variable:
                return field.description or "required"
        return "required"


class CardSettingsMixin(BaseModel):
    """What the dashboard's cards need from the deployment (floorwatch.cards)."""

    connect_console_url: str | None = Field(
        default=None,
        validation_alias=ENV_CONNECT_CONSOLE_URL,
        pattern=r"^https?://[^\s]+$",
        description="Amazon Connect admin website, e.g. https://acme.my.connect.aws (cards link contacts)",
    )

    @field_validator("connect_console_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def card_settings(self) -> CardSettings:
        from floorwatch.cards import CardSettings  # noqa: PLC0415 - see the imports at the top

        return CardSettings(self.connect_console_url)


class RulesFileSettings(FunctionSettings):
    """Settings of a function that reads the alert rules (evaluate, baselines, websocket, fan-out)."""

    rules_file: str | None = Field(
        default=None,
        validation_alias=ENV_RULES_FILE,
        description="rules file, YAML or JSON (unset or empty: the rules shipped with floorwatch)",
    )

    @field_validator("rules_file", mode="before")
    @classmethod
    def _empty_rules_file_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def rules(self) -> RuleSet:
        """Loads and validates the rules (an invalid file raises RulesError naming rule and field)."""
        from floorwatch.rules.config import load_default_rules, load_rules  # noqa: PLC0415 - see the top

        return load_default_rules() if self.rules_file is None else load_rules(self.rules_file)


class NormalizeSettings(FunctionSettings):
    """The normalize function: raw-events -> cx-events, rejects to the quarantine bucket."""

    cx_events_stream: str = Field(
        validation_alias=ENV_CX_EVENTS_STREAM,
        pattern=STREAM_NAME_PATTERN,
        description="name of the Kinesis stream normalized events are written to",
    )
    quarantine_bucket: str = Field(
        validation_alias=ENV_QUARANTINE_BUCKET,
        pattern=BUCKET_NAME_PATTERN,
        description="name of the S3 bucket rejected raw records are written to",
    )


# --- delivery: the WebSocket API's functions (appended by the delivery work) ---------------------------
# DynamoDB table names: 3-255 of [a-zA-Z0-9_.-].
TABLE_NAME_PATTERN = r"^[A-Za-z0-9_.-]{3,255}$"


class AuthorizerSettings(FunctionSettings):
    """The $connect REQUEST authorizer: verifies tokens with the signing key (Secrets Manager or file)."""

    token_secret_arn: str | None = Field(
        default=None,
        validation_alias=ENV_TOKEN_SECRET_ARN,
        pattern=r"^arn:aws[a-z-]*:secretsmanager:",
        description="ARN of the Secrets Manager secret holding the token signing key",
    )
    token_secret_file: str | None = Field(
        default=None,
        validation_alias=ENV_TOKEN_SECRET_FILE,
        min_length=1,
        description="file holding the token signing key (local runtime)",
    )

    def key_source(self) -> dict[str, str]:
        """The variables ``security.tokens.load_signing_key`` reads (it says which one is missing)."""
        named = {ENV_TOKEN_SECRET_ARN: self.token_secret_arn, ENV_TOKEN_SECRET_FILE: self.token_secret_file}
        return {name: value for name, value in named.items() if value}


class WebsocketSettings(RulesFileSettings, CardSettingsMixin):
    """The WebSocket routes: connections, snapshots (alerts + metrics + rules), actions, audit."""

    connections_table: str = Field(
        validation_alias=ENV_CONNECTIONS_TABLE,
        pattern=TABLE_NAME_PATTERN,
        description="DynamoDB table of WebSocket connections",
    )
    alerts_table: str = Field(
        validation_alias=ENV_ALERTS_TABLE, pattern=TABLE_NAME_PATTERN, description="DynamoDB alerts table"
    )
    metrics_table: str = Field(
        validation_alias=ENV_METRICS_TABLE, pattern=TABLE_NAME_PATTERN, description="DynamoDB metrics table"
    )
    audit_table: str = Field(
        validation_alias=ENV_AUDIT_TABLE, pattern=TABLE_NAME_PATTERN, description="DynamoDB audit table"
    )
    websocket_endpoint: str | None = Field(
        default=None,
        validation_alias=ENV_WEBSOCKET_ENDPOINT,
        pattern=r"^https?://",
        description="@connections endpoint URL (default: built from the request's domain and stage)",
    )
    escalation_chain: str = Field(
        default=",".join(DEFAULT_CHAIN),
        validation_alias=ENV_ESCALATION_CHAIN,
        pattern=r"^[a-z0-9, -]*[a-z0-9][a-z0-9, -]*$",
        description="comma-separated escalation level names, level 1 first (the fan-out's chain)",
    )

    def escalation_levels(self) -> tuple[str, ...]:
        """The chain a person's "escalate" climbs: the same variable and default as the fan-out's."""
        return tuple(part.strip() for part in self.escalation_chain.split(",") if part.strip())


# --- delivery: the fan-out and escalate functions (appended by delivery, part 2) -------------------------
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
        from floorwatch.alerts.escalation import EscalationPolicy  # noqa: PLC0415 - see the top

        return EscalationPolicy(self.escalation_chain, timedelta(seconds=self.escalation_repeat_seconds))


class EscalateSettings(EscalationSettings):
    """The escalate function: SQS escalation checks -> escalated transitions in the alerts table."""


class FanoutSettings(EscalationSettings, RulesFileSettings, CardSettingsMixin):
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
    deliveries_table: str = Field(
        validation_alias=ENV_DELIVERIES_TABLE,
        pattern=TABLE_NAME_PATTERN,
        description="name of the DynamoDB table of publish markers (each SNS message sent once)",
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

    @field_validator("dashboard_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value
