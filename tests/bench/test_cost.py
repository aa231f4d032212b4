"""The cost model's arithmetic (tests/bench/cost.py) and the bench's request-unit counting."""

from __future__ import annotations

from typing import Any

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


def test_the_bill_assumes_the_refresh_and_ping_periods_the_dashboard_uses() -> None:
    import re
    from pathlib import Path

    from tests.bench.bench_cost import PING_AFTER_SILENCE_SECONDS, REFRESH_SECONDS

    page = (Path(__file__).resolve().parents[2] / "dashboard" / "app.js").read_text()
    for name, seconds in (
        ("REFRESH_MS", REFRESH_SECONDS),
        ("PING_AFTER_SILENCE_MS", PING_AFTER_SILENCE_SECONDS),
    ):
        found = re.search(rf"const {name} = (\d+);", page)
        assert found is not None, name
        assert int(found.group(1)) == seconds * 1000, name


def _figures() -> Any:
    from tests.bench.bench_cost import EvaluateFigures

    return EvaluateFigures(
        window_seconds=1,
        invocations=1,
        ticks=0,
        read_units=0,
        write_units=0,
        calls=0,
        transitions=0,
        notified_emails=0,
        critical_opened=0,
        metrics_table_bytes=0,
        snapshot_read_units=3.0,
        snapshot_calls=4,
        snapshot_bytes=2_000,
        manager_snapshot_read_units=20.0,
        manager_snapshot_calls=10,
        manager_snapshot_bytes=9_000,
        directory_read_units=0.5,
        registry_write_units=0,
    )


def test_a_ping_runs_no_function_and_a_refresh_runs_one_each() -> None:
    from collections import defaultdict

    from tests.bench.bench_cost import DASHBOARDS, Dashboards

    hours = 10.0
    invocations: dict[str, float] = defaultdict(float)
    gb_seconds: dict[str, float] = defaultdict(float)
    supervisors, managers, pings = Dashboards(refresh_seconds=15, ping_after_silence=8).load(
        hours, _figures(), invocations, gb_seconds
    )
    assert supervisors + managers == pytest.approx(DASHBOARDS * hours * 3600 / 15)
    # One ping fills the silence between two snapshots 15 s apart (tests/unit/dashboard simulates it).
    assert pings == pytest.approx(DASHBOARDS * hours * 3600 / 15)
    assert invocations["websocket"] == pytest.approx(supervisors + managers)  # pings: none

    through_function: dict[str, float] = defaultdict(float)
    Dashboards(refresh_seconds=15, ping_after_silence=8, pings_by_function=True).load(
        hours, _figures(), through_function, defaultdict(float)
    )
    assert through_function["websocket"] == pytest.approx(supervisors + managers + pings)

    before: dict[str, float] = defaultdict(float)
    _, _, no_pings = Dashboards(refresh_seconds=5, ping_after_silence=None).load(
        hours, _figures(), before, defaultdict(float)
    )
    assert no_pings == 0
    assert before["websocket"] == pytest.approx(3 * invocations["websocket"])


@pytest.mark.parametrize(("refresh", "per_refresh"), [(5, 0), (15, 1), (30, 3), (60, 7)])
def test_pings_fill_the_silences_between_snapshots(refresh: int, per_refresh: int) -> None:
    from tests.bench.bench_cost import Dashboards

    dashboards = Dashboards(refresh_seconds=refresh, ping_after_silence=8)
    assert dashboards.pings_per_second() * refresh == pytest.approx(per_refresh)
