from datetime import timedelta

import pytest
from floorwatch.metrics import catalog as c
from floorwatch.metrics.catalog import CATALOG
from floorwatch.metrics.model import MetricValue, Stamped
from floorwatch.metrics.window import evaluate_scope_metrics, window_value

from tests.unit.metrics.helpers import at, row

WINDOW = timedelta(minutes=15)


def value(name: str, rows, when, window=WINDOW) -> MetricValue:
    return window_value(CATALOG[name], rows, when, window)


# --- counters, ratios, averages ----------------------------------------------------------------------


def test_counter_sums_buckets_whose_start_is_inside_the_window() -> None:
    rows = [row(minute, {c.OFFERED: 1.0}) for minute in range(16, -1, -1)]  # 09:16 .. 09:00, newest first
    # at 09:15:30 the window (09:00:30, 09:15:30] holds the buckets starting 09:01 .. 09:15
    assert value(c.OFFERED, rows, at(15 * 60 + 30)) == MetricValue(15.0, 15)


def test_window_edges_exclude_the_bucket_one_window_back_and_include_the_one_starting_now() -> None:
    rows = [row(15, {c.OFFERED: 100.0}), row(5, {c.OFFERED: 10.0}), row(0, {c.OFFERED: 1.0})]
    assert value(c.OFFERED, rows, at(15 * 60)).value == 110.0  # 09:00 is out, 09:15 (starting at `at`) is in
    assert value(c.OFFERED, rows, at(15 * 60 - 0.001)).value == 11.0  # 09:15 not started yet


def test_counter_without_rows_in_the_window_is_zero_not_unknown() -> None:
    assert value(c.ABANDONED, [], at(0)) == MetricValue(0.0, 0)
    assert value(c.ABANDONED, [row(0, {c.ABANDONED: 3.0})], at(3600)) == MetricValue(0.0, 0)


def test_service_level_is_within_sl_over_answered_with_known_wait_plus_abandoned() -> None:
    rows = [
        row(2, {c.ANSWERED_WITHIN_SL: 6.0, c.WAIT_COUNT: 7.0, c.ANSWERED: 8.0, c.ABANDONED: 1.0}),
        row(1, {c.ANSWERED_WITHIN_SL: 2.0, c.WAIT_COUNT: 2.0, c.ABANDONED: 0.0}),
    ]
    assert value("service_level", rows, at(180)) == MetricValue(0.8, 10)


def test_ratio_without_denominator_has_no_value() -> None:
    assert value("service_level", [row(0, {c.OFFERED: 4.0})], at(30)) == MetricValue(None, 0)
    assert value("abandon_rate", [], at(30)) == MetricValue(None, 0)


def test_abandon_rate_and_averages() -> None:
    rows = [
        row(1, {c.OFFERED: 10.0, c.ABANDONED: 1.0, c.WAIT_SUM: 90.0, c.WAIT_COUNT: 6.0}),
        row(0, {c.OFFERED: 10.0, c.ABANDONED: 3.0, c.WAIT_SUM: 30.0, c.WAIT_COUNT: 4.0}),
    ]
    assert value("abandon_rate", rows, at(90)) == MetricValue(0.2, 20)
    assert value("average_speed_of_answer", rows, at(90)) == MetricValue(12.0, 10)
    assert value("average_speed_of_answer", rows, at(90), timedelta(minutes=1)) == MetricValue(15.0, 6)


# --- gauges --------------------------------------------------------------------------------------------


def test_gauge_is_the_latest_value_not_newer_than_at() -> None:
    rows = [
        row(3, latest={c.CONTACTS_IN_QUEUE: Stamped(9.0, at(190))}),
        row(2, latest={c.CONTACTS_IN_QUEUE: Stamped(4.0, at(150))}),
        row(1, latest={c.CONTACTS_IN_QUEUE: Stamped(7.0, at(70))}),
    ]
    assert value(c.CONTACTS_IN_QUEUE, rows, at(200)) == MetricValue(9.0, 1)
    assert value(c.CONTACTS_IN_QUEUE, rows, at(185)) == MetricValue(4.0, 1)  # the 09:03:10 snapshot is later


def test_gauge_older_than_the_window_is_stale_and_has_no_value() -> None:
    rows = [row(0, latest={c.LONGEST_WAIT: Stamped(300.0, at(10))})]
    assert value(c.LONGEST_WAIT, rows, at(10) + WINDOW - timedelta(seconds=1)).value == 300.0
    assert value(c.LONGEST_WAIT, rows, at(10) + WINDOW) == MetricValue(None, 0)
    assert value(c.LONGEST_WAIT, [], at(10)) == MetricValue(None, 0)


def test_gauge_ignores_rows_without_its_field() -> None:
    rows = [row(2, {c.OFFERED: 1.0}), row(1, latest={c.AGENTS_AVAILABLE: Stamped(2.0, at(61))})]
    assert value(c.AGENTS_AVAILABLE, rows, at(150)) == MetricValue(2.0, 1)
    assert value(c.AGENTS_ONLINE, rows, at(150)) == MetricValue(None, 0)


def test_not_ready_share_is_the_latest_snapshots_not_ready_over_online_agents() -> None:
    share = "agents_not_ready_share"
    rows = [
        row(2, latest={c.AGENTS_NOT_READY: Stamped(6.0, at(150)), c.AGENTS_ONLINE: Stamped(8.0, at(150))}),
        row(1, latest={c.AGENTS_NOT_READY: Stamped(1.0, at(70)), c.AGENTS_ONLINE: Stamped(8.0, at(70))}),
    ]
    # six of eight agents in a meeting; the samples are the agents online (a staffing floor for rules)
    assert value(share, rows, at(200)) == MetricValue(0.75, 8)
    assert value(share, rows, at(100)) == MetricValue(0.125, 8)


def test_not_ready_share_has_no_value_without_agents_or_with_stale_figures() -> None:
    share = "agents_not_ready_share"
    nobody = [
        row(1, latest={c.AGENTS_NOT_READY: Stamped(0.0, at(70)), c.AGENTS_ONLINE: Stamped(0.0, at(70))})
    ]
    assert value(share, nobody, at(100)) == MetricValue(None, 0)  # a closed queue is not 0 % or 100 %
    only_online = [row(1, latest={c.AGENTS_ONLINE: Stamped(5.0, at(70))})]
    assert value(share, only_online, at(100)) == MetricValue(None, 0)  # the platform reports no states
    fresh = [row(1, latest={c.AGENTS_NOT_READY: Stamped(3.0, at(70)), c.AGENTS_ONLINE: Stamped(4.0, at(70))})]
    assert value(share, fresh, at(70) + WINDOW - timedelta(seconds=1)).value == 0.75
    assert value(share, fresh, at(70) + WINDOW) == MetricValue(None, 0)  # snapshots stopped: no figure


# --- duration in state ----------------------------------------------------------------------------------


def test_duration_in_state_counts_from_when_the_state_began_even_before_the_window() -> None:
    rows = [row(0, latest={c.AGENT_STATE: Stamped("on_hold", at(-30))}, scope="agent:a")]
    when = at(3600)  # an hour later: the row is far outside any window, the agent is still on hold
    assert value("agent_on_hold_seconds", rows, when) == MetricValue(3630.0, 1)
    assert value("agent_not_ready_seconds", rows, when) == MetricValue(0.0, 1)


def test_duration_in_state_follows_the_latest_state() -> None:
    rows = [
        row(5, latest={c.AGENT_STATE: Stamped("after_contact_work", at(300))}, scope="agent:a"),
        row(1, latest={c.AGENT_STATE: Stamped("on_hold", at(60))}, scope="agent:a"),
    ]
    assert value("agent_after_contact_work_seconds", rows, at(330)) == MetricValue(30.0, 1)
    assert value("agent_on_hold_seconds", rows, at(330)) == MetricValue(0.0, 1)
    assert value("agent_on_hold_seconds", rows, at(299)) == MetricValue(239.0, 1)  # before ACW began
    assert value("agent_on_hold_seconds", [], at(299)) == MetricValue(None, 0)


# --- staleness -----------------------------------------------------------------------------------------


def test_staleness_is_the_time_since_the_feed_last_spoke() -> None:
    rows = [
        row(1, latest={c.LAST_SEEN: Stamped(at(75).timestamp(), at(75))}, scope="feed:genesys"),
        row(0, latest={c.LAST_SEEN: Stamped(at(30).timestamp(), at(30))}, scope="feed:genesys"),
    ]
    assert value("feed_staleness_seconds", rows, at(600)) == MetricValue(525.0, 1)
    assert value("feed_staleness_seconds", rows, at(60)) == MetricValue(
        0.0, 1
    )  # newer data than `at`: not stale
    assert value("feed_staleness_seconds", [], at(60)) == MetricValue(None, 0)


# --- several metrics of one scope ------------------------------------------------------------------------


def test_evaluate_scope_metrics_reads_each_metric_over_its_own_window() -> None:
    rows = [row(10, {c.OFFERED: 2.0}), row(1, {c.OFFERED: 5.0})]
    values = evaluate_scope_metrics(
        "queue:q", rows, at(630), {c.OFFERED: timedelta(minutes=5), "abandon_rate": WINDOW}
    )
    assert values == {c.OFFERED: MetricValue(2.0, 2), "abandon_rate": MetricValue(0.0, 7)}
    with pytest.raises(KeyError, match="no_such_metric"):
        evaluate_scope_metrics("queue:q", rows, at(630), {"no_such_metric": WINDOW})
