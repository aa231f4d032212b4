"""Deployment settings read from CDK context (cdk.json, or `cdk ... -c key=value`).

Everything that differs between deployments lives here, validated once, so the constructs take
plain typed values and never read context themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
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
CONTEXT_RULES_FILE = "rules_file"
CONTEXT_ALERT_CONTACTS = "alert_contacts"
CONTEXT_OPERATIONS_CONTACTS = "operations_contacts"
CONTEXT_ESCALATION_CHAIN = "escalation_chain"
CONTEXT_DASHBOARD_URL = "dashboard_url"
CONTEXT_CONNECT_CONSOLE_URL = "connect_console_url"
CONTEXT_APIGATEWAY_LOGGING_ROLE = "apigateway_logging_role"
CONTEXT_SMS_DELIVERY_LOGGING = "sms_delivery_logging"
CONTEXT_SMS_ORIGINATION_IDENTITIES = "sms_origination_identities"
CONTEXT_DASHBOARD_SITE = "dashboard_site"
CONTEXT_KINESIS_SHARDS = "kinesis_shards"
CONTEXT_CUSTOMER_MANAGED_KEY = "customer_managed_key"

# Relative rules_file paths are read from the project directory (where cdk.json lives).
PROJECT_DIR = Path(__file__).resolve().parent.parent

# Used when neither cdk.json nor the command line says otherwise. The layer version is the
# public Powertools for AWS Lambda (Python) v3 layer; check the newest with
# `aws lambda list-layer-versions --layer-name AWSLambdaPowertoolsPythonV3-python314-arm64`
# (account 017000801446) before deploying, and keep it in step with the aws-lambda-powertools pin.
DEFAULT_POWERTOOLS_LAYER_VERSION = 38
DEFAULT_LOG_RETENTION_DAYS = 30
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_QUARANTINE_EXPIRY_DAYS = 90
# Shards per stream; 0 = on-demand. One shard carries 1,000 records/s: several reference centers.
DEFAULT_KINESIS_SHARDS = 1
MAX_KINESIS_SHARDS = 100

# Stage names end up in stream, queue, table and function names: keep them short and DNS-like.
_STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
# SNS SMS subscriptions take E.164 numbers.
_PHONE_PATTERN = re.compile(r"^\+[1-9][0-9]{6,14}$")
# AWS End User Messaging SMS origination identities: a phone number, a pool or a sender ID.
_ORIGINATION_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:sms-voice:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:(phone-number|pool|sender-id)/[A-Za-z0-9_/-]+$"
)
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Level names travel as an SNS message attribute and in a comma-separated environment variable.
_LEVEL_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
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
class AlertContacts:
    """Who hears about alerts outside the dashboard: SMS for critical, e-mail for warning."""

    sms: tuple[str, ...] = ()
    email: tuple[str, ...] = ()


@dataclass(frozen=True)
class EscalationLevel:
    """One step of the escalation chain (level 1 first) and the numbers it texts."""

    name: str
    sms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    stage: str = DEFAULT_STAGE
    powertools_layer_version: int = DEFAULT_POWERTOOLS_LAYER_VERSION
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS
    log_level: str = DEFAULT_LOG_LEVEL
    quarantine_expiry_days: int = DEFAULT_QUARANTINE_EXPIRY_DAYS
    rules_file: Path | None = None  # None: the default rules shipped in floorwatch.rules
    alert_contacts: AlertContacts = field(default_factory=AlertContacts)
    # Who hears the stack's own alarms (docs/operating.md): every alarm and its recovery.
    operations_contacts: AlertContacts = field(default_factory=AlertContacts)
    escalation_chain: tuple[EscalationLevel, ...] = ()
    dashboard_url: str = ""  # base of the short links in SMS / e-mail; empty: no link
    connect_console_url: str = ""  # Amazon Connect admin website (cards' monitor links); empty: none
    apigateway_logging_role: bool = True
    sms_delivery_logging: bool = (
        True  # the account's SMS delivery-status logging (infrastructure/sms_delivery.py)
    )
    # Origination identities SNS may text through (infrastructure/sms_delivery.py): their ARNs.
    sms_origination_identities: tuple[str, ...] = ()
    dashboard_site: bool = True  # S3 + CloudFront hosting of dashboard/
    kinesis_shards: int = DEFAULT_KINESIS_SHARDS  # per stream; 0: on-demand
    customer_managed_key: bool = False  # one stack KMS key instead of AWS-managed ones (encryption.py)

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
            rules_file=_rules_file(context(CONTEXT_RULES_FILE, "")),
            alert_contacts=_alert_contacts(context(CONTEXT_ALERT_CONTACTS, {})),
            operations_contacts=_alert_contacts(
                context(CONTEXT_OPERATIONS_CONTACTS, {}), key=CONTEXT_OPERATIONS_CONTACTS
            ),
            escalation_chain=_escalation_chain(context(CONTEXT_ESCALATION_CHAIN, [])),
            dashboard_url=_dashboard_url(context(CONTEXT_DASHBOARD_URL, "")),
            connect_console_url=_https_url(
                CONTEXT_CONNECT_CONSOLE_URL, context(CONTEXT_CONNECT_CONSOLE_URL, "")
            ),
            apigateway_logging_role=_flag(
                CONTEXT_APIGATEWAY_LOGGING_ROLE, context(CONTEXT_APIGATEWAY_LOGGING_ROLE, True)
            ),
            dashboard_site=_flag(CONTEXT_DASHBOARD_SITE, context(CONTEXT_DASHBOARD_SITE, True)),
            sms_delivery_logging=_flag(
                CONTEXT_SMS_DELIVERY_LOGGING, context(CONTEXT_SMS_DELIVERY_LOGGING, True)
            ),
            sms_origination_identities=_strings(
                CONTEXT_SMS_ORIGINATION_IDENTITIES,
                _structured(
                    CONTEXT_SMS_ORIGINATION_IDENTITIES, context(CONTEXT_SMS_ORIGINATION_IDENTITIES, [])
                ),
                _ORIGINATION_PATTERN,
                "the ARN of a phone number, pool or sender ID of AWS End User Messaging SMS",
            ),
            kinesis_shards=_shards(context(CONTEXT_KINESIS_SHARDS, DEFAULT_KINESIS_SHARDS)),
            customer_managed_key=_flag(
                CONTEXT_CUSTOMER_MANAGED_KEY, context(CONTEXT_CUSTOMER_MANAGED_KEY, False)
            ),
        )

    @property
    def escalation_level_names(self) -> str:
        """The chain as the functions read it (names.ENV_ESCALATION_CHAIN): names, level 1 first."""
        return ",".join(level.name for level in self.escalation_chain)

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


def _shards(value: Any) -> int:
    try:
        shards = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{CONTEXT_KINESIS_SHARDS}={value!r} is not a whole number") from None
    if not 0 <= shards <= MAX_KINESIS_SHARDS:
        raise SettingsError(
            f"{CONTEXT_KINESIS_SHARDS}={value!r}: use 1-{MAX_KINESIS_SHARDS} shards per stream, "
            "or 0 for on-demand"
        )
    return shards


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


def _rules_file(value: Any) -> Path | None:
    if value in ("", None):
        return None
    if not isinstance(value, str):
        raise SettingsError(f"{CONTEXT_RULES_FILE}={value!r}: give a path to a YAML rules file")
    path = Path(value)
    path = path if path.is_absolute() else PROJECT_DIR / path
    if not path.is_file():
        raise SettingsError(f"{CONTEXT_RULES_FILE}={value!r}: no such file ({path})")
    return path


def _strings(key: str, value: Any, pattern: re.Pattern[str], meaning: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SettingsError(f"{key}={value!r}: expected a list of {meaning}")
    bad = [item for item in value if not pattern.match(item)]
    if bad:
        raise SettingsError(f"{key}: {bad[0]!r} is not {meaning}")
    repeated = [item for position, item in enumerate(value) if item in value[:position]]
    if repeated:  # SNS holds one subscription per endpoint: a repeat would fail synthesis obscurely
        raise SettingsError(f"{key}: {repeated[0]!r} is listed twice; list it once")
    return tuple(value)


def _structured(key: str, value: Any) -> Any:
    """`cdk synth -c key='{"sms": [...]}'` passes JSON text; cdk.json gives the structure itself."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise SettingsError(f"{key}={value!r} is not valid JSON") from None


def _alert_contacts(value: Any, key: str = CONTEXT_ALERT_CONTACTS) -> AlertContacts:
    value = _structured(key, value)
    if not isinstance(value, dict) or set(value) - {"sms", "email"}:
        raise SettingsError(f'{key}={value!r}: expected {{"sms": [...], "email": [...]}}')
    return AlertContacts(
        sms=_strings(f"{key}.sms", value.get("sms"), _PHONE_PATTERN, "an E.164 number"),
        email=_strings(f"{key}.email", value.get("email"), _EMAIL_PATTERN, "an e-mail address"),
    )


def _escalation_chain(value: Any) -> tuple[EscalationLevel, ...]:
    value = _structured(CONTEXT_ESCALATION_CHAIN, value)
    if not isinstance(value, list):
        raise SettingsError(
            f'{CONTEXT_ESCALATION_CHAIN}={value!r}: expected [{{"name": ..., "sms": [...]}}, ...]'
        )
    levels: list[EscalationLevel] = []
    for position, level in enumerate(value, start=1):
        key = f"{CONTEXT_ESCALATION_CHAIN}[{position}]"
        if not isinstance(level, dict) or set(level) - {"name", "sms"} or "name" not in level:
            raise SettingsError(f'{key}={level!r}: expected {{"name": ..., "sms": [...]}}')
        name = level["name"]
        if not isinstance(name, str) or not _LEVEL_PATTERN.match(name):
            raise SettingsError(
                f"{key}.name={name!r}: use lowercase letters, digits or hyphens, letter first"
            )
        if name in {existing.name for existing in levels}:
            raise SettingsError(f"{key}.name={name!r} appears twice in the chain")
        levels.append(
            EscalationLevel(name, _strings(f"{key}.sms", level.get("sms"), _PHONE_PATTERN, "an E.164 number"))
        )
    return tuple(levels)


def _dashboard_url(value: Any) -> str:
    return _https_url(CONTEXT_DASHBOARD_URL, value)


def _https_url(key: str, value: Any) -> str:
    if value in ("", None):
        return ""
    if not isinstance(value, str) or not value.startswith("https://"):
        raise SettingsError(f"{key}={value!r}: expected an https:// URL")
    return value


def _flag(key: str, value: Any) -> bool:
    # `-c key=false` arrives as a string.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise SettingsError(f"{key}={value!r}: expected true or false")
