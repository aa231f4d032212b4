"""The AWS cost model: monthly usage of a deployed stage -> dollars, line by line.

Pure arithmetic over two inputs: `Usage` (what a month of traffic consumes; bench_cost.py measures it
from the real handlers) and `PRICES` (AWS list prices, us-east-1, with the date they were taken).
docs/performance.md explains the model and its assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOURS_PER_MONTH = 730.0  # AWS's own convention for monthly prices


@dataclass(frozen=True)
class Prices:
    """US East (N. Virginia) list prices in USD. Recheck them before budgeting: see docs/performance.md."""

    as_of: str = "2025-06"
    lambda_request: float = 0.20 / 1e6
    lambda_gb_second_arm: float = 0.0000133334
    kinesis_shard_hour: float = 0.015  # provisioned mode
    kinesis_put_unit: float = 0.014 / 1e6  # 25 KB PUT payload unit
    kinesis_on_demand_stream_hour: float = 0.04  # on-demand mode (kinesis_shards=0)
    kinesis_on_demand_gb_in: float = 0.08
    kinesis_on_demand_gb_out: float = 0.04
    dynamodb_write_unit: float = 0.625 / 1e6  # on-demand WRU (after the 2024-11-01 price cut)
    dynamodb_read_unit: float = 0.125 / 1e6  # on-demand RRU
    dynamodb_gb_month: float = 0.25
    apigw_websocket_message: float = 1.00 / 1e6  # per 32 KB message unit (first billion)
    apigw_connection_minute: float = 0.25 / 1e6
    sns_publish: float = 0.50 / 1e6
    sns_email: float = 2.00 / 1e5
    sqs_request: float = 0.40 / 1e6
    cloudwatch_alarm: float = 0.10  # standard resolution, per alarm-month
    cloudwatch_dashboard: float = 3.00
    cloudwatch_custom_metric: float = 0.30  # per metric-month (first 10,000)
    cloudwatch_logs_gb: float = 0.50  # ingestion
    kms_key_month: float = 1.00
    secret_month: float = 0.40


PRICES = Prices()


@dataclass(frozen=True)
class Usage:
    """One month of a stage's consumption. Every count is per month."""

    events: float  # CxEvents evaluated (the "events" of "cost per million events")
    raw_records: float
    lambda_invocations: dict[str, float] = field(default_factory=dict)  # function -> invocations
    lambda_gb_seconds: dict[str, float] = field(default_factory=dict)  # function -> GB-seconds
    kinesis_streams: int = 2
    kinesis_shards_per_stream: int = 1  # 0: on-demand
    kinesis_put_units: float = 0.0  # both streams
    kinesis_gb: float = 0.0  # both streams, written once and read once (on-demand billing only)
    dynamodb_write_units: float = 0.0
    dynamodb_read_units: float = 0.0
    dynamodb_gb: float = 0.0  # stored (metrics, alerts, audit, baselines, connections)
    dynamodb_read_parts: dict[str, float] = field(default_factory=dict)  # who reads: for the print only
    dynamodb_write_parts: dict[str, float] = field(default_factory=dict)  # who writes: for the print only
    apigw_messages: float = 0.0  # 32 KB units, both directions
    apigw_connection_minutes: float = 0.0
    sns_publishes: float = 0.0
    sns_emails: float = 0.0
    sqs_requests: float = 0.0
    alarms: int = 0
    custom_metrics: int = 0
    log_gb: float = 0.0


@dataclass(frozen=True)
class Line:
    service: str
    what: str
    dollars: float
    fixed: bool = False  # paid whatever the traffic (shard-hours, alarms, keys, ...)


def monthly_cost(usage: Usage, prices: Prices = PRICES) -> list[Line]:
    """Every line of the monthly bill, SMS excluded (priced per country and carrier)."""
    p = prices
    lines = [
        Line(
            "Lambda",
            f"{sum(usage.lambda_invocations.values()):,.0f} invocations",
            sum(usage.lambda_invocations.values()) * p.lambda_request,
        ),
        Line(
            "Lambda",
            f"{sum(usage.lambda_gb_seconds.values()):,.0f} GB-seconds (arm64)",
            sum(usage.lambda_gb_seconds.values()) * p.lambda_gb_second_arm,
        ),
    ]
    if usage.kinesis_shards_per_stream > 0:
        shard_hours = usage.kinesis_streams * usage.kinesis_shards_per_stream * HOURS_PER_MONTH
        lines += [
            Line(
                "Kinesis", f"{shard_hours:,.0f} shard-hours", shard_hours * p.kinesis_shard_hour, fixed=True
            ),
            Line(
                "Kinesis",
                f"{usage.kinesis_put_units:,.0f} PUT payload units",
                usage.kinesis_put_units * p.kinesis_put_unit,
            ),
        ]
    else:
        stream_hours = usage.kinesis_streams * HOURS_PER_MONTH
        lines += [
            Line(
                "Kinesis",
                f"{stream_hours:,.0f} on-demand stream-hours",
                stream_hours * p.kinesis_on_demand_stream_hour,
                fixed=True,
            ),
            Line(
                "Kinesis",
                f"{usage.kinesis_gb:,.2f} GB in and out (on-demand)",
                usage.kinesis_gb * (p.kinesis_on_demand_gb_in + p.kinesis_on_demand_gb_out),
            ),
        ]
    lines += [
        Line(
            "DynamoDB",
            f"{usage.dynamodb_write_units:,.0f} write request units",
            usage.dynamodb_write_units * p.dynamodb_write_unit,
        ),
        Line(
            "DynamoDB",
            f"{usage.dynamodb_read_units:,.0f} read request units",
            usage.dynamodb_read_units * p.dynamodb_read_unit,
        ),
        Line("DynamoDB", f"{usage.dynamodb_gb:,.2f} GB stored", usage.dynamodb_gb * p.dynamodb_gb_month),
        Line(
            "API Gateway",
            f"{usage.apigw_messages:,.0f} WebSocket messages",
            usage.apigw_messages * p.apigw_websocket_message,
        ),
        Line(
            "API Gateway",
            f"{usage.apigw_connection_minutes:,.0f} connection-minutes",
            usage.apigw_connection_minutes * p.apigw_connection_minute,
        ),
        Line("SNS", f"{usage.sns_publishes:,.0f} publishes", usage.sns_publishes * p.sns_publish),
        Line("SNS", f"{usage.sns_emails:,.0f} e-mails", usage.sns_emails * p.sns_email),
        Line("SQS", f"{usage.sqs_requests:,.0f} requests", usage.sqs_requests * p.sqs_request),
        Line("CloudWatch", f"{usage.alarms} alarms", usage.alarms * p.cloudwatch_alarm, fixed=True),
        Line("CloudWatch", "1 dashboard", p.cloudwatch_dashboard, fixed=True),
        Line(
            "CloudWatch",
            f"{usage.custom_metrics} custom metrics",
            usage.custom_metrics * p.cloudwatch_custom_metric,
            fixed=True,
        ),
        Line("CloudWatch", f"{usage.log_gb:,.2f} GB of logs", usage.log_gb * p.cloudwatch_logs_gb),
        Line(
            "KMS, Secrets Manager",
            "operations topic key, token secret",
            p.kms_key_month + p.secret_month,
            True,
        ),
    ]
    return lines


def total(lines: list[Line]) -> float:
    return sum(line.dollars for line in lines)


def per_million_events(lines: list[Line], usage: Usage, *, fixed: bool = True) -> float:
    """Dollars per million events; `fixed=False` leaves out what is paid whatever the traffic."""
    dollars = sum(line.dollars for line in lines if fixed or not line.fixed)
    return dollars / usage.events * 1e6
