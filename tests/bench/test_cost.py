"""The cost model's arithmetic (tests/bench/cost.py) and the bench's request-unit counting."""

from __future__ import annotations

import pytest

from tests.bench.bench_cost import _stream_invocations_per_hour, item_size
from tests.bench.cost import PRICES, Usage, monthly_cost, per_million_events, total


def test_a_month_of_usage_is_priced_line_by_line_with_fixed_costs_apart() -> None:
    usage = Usage(
        events=10e6,
        raw_records=5e6,
        lambda_invocations={"evaluate": 1e6},
        lambda_gb_seconds={"evaluate": 1e5},
        kinesis_shards_per_stream=1,
        kinesis_put_units=15e6,
        dynamodb_write_units=2e6,
        dynamodb_read_units=8e6,
        apigw_messages=1e6,
        alarms=10,
    )
    lines = {(line.service, line.what.split(" ", 1)[1]): line for line in monthly_cost(usage)}
    assert lines[("Kinesis", "shard-hours")].dollars == pytest.approx(2 * 730 * 0.015)
    assert lines[("Kinesis", "shard-hours")].fixed
    assert lines[("DynamoDB", "write request units")].dollars == pytest.approx(2 * 0.625)
    assert lines[("DynamoDB", "read request units")].dollars == pytest.approx(8 * 0.125)
    assert lines[("Lambda", "GB-seconds (arm64)")].dollars == pytest.approx(1e5 * PRICES.lambda_gb_second_arm)
    assert lines[("CloudWatch", "alarms")].dollars == pytest.approx(1.0)
    bill = monthly_cost(usage)
    fixed = sum(line.dollars for line in bill if line.fixed)
    assert per_million_events(bill, usage) == pytest.approx(total(bill) / 10)
    assert per_million_events(bill, usage, fixed=False) == pytest.approx((total(bill) - fixed) / 10)


def test_on_demand_streams_are_priced_per_stream_hour_and_gigabyte() -> None:
    usage = Usage(events=1e6, raw_records=1e6, kinesis_shards_per_stream=0, kinesis_gb=10)
    kinesis = [line for line in monthly_cost(usage) if line.service == "Kinesis"]
    assert [line.fixed for line in kinesis] == [True, False]
    assert kinesis[0].dollars == pytest.approx(2 * 730 * 0.04)
    assert kinesis[1].dollars == pytest.approx(10 * (0.08 + 0.04))


def test_item_sizes_follow_dynamodb_rules() -> None:
    # Names count, strings by UTF-8 bytes, numbers about a byte per two digits plus one.
    assert item_size({"pk": {"S": "queue:billing"}}) == 2 + 13
    assert item_size({"n": {"N": "12345"}}) == 1 + 3
    assert item_size({"d": {"BS": [b"abcd", b"ef"]}}) == 1 + 6


def test_a_busy_shard_is_invoked_every_second_and_a_quiet_one_rarely() -> None:
    assert _stream_invocations_per_hour(3600 * 50) == pytest.approx(3600, rel=1e-6)
    assert _stream_invocations_per_hour(36) == pytest.approx(36, rel=0.01)
    # A 10 s window: at most 360 invocations an hour.
    assert _stream_invocations_per_hour(3600 * 50, window_seconds=10) == pytest.approx(360, rel=1e-6)


def test_the_bill_assumes_the_refresh_period_the_dashboard_uses() -> None:
    import re
    from pathlib import Path

    from tests.bench.bench_cost import REFRESH_SECONDS

    page = (Path(__file__).resolve().parents[2] / "dashboard" / "app.js").read_text()
    found = re.search(r"const REFRESH_MS = (\d+);", page)
    assert found is not None
    assert int(found.group(1)) == REFRESH_SECONDS * 1000
