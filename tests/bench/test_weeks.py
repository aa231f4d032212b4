"""The weeks benchmark's harness on a tiny configuration: it learns, replays both rule sets and prints
both rows and the three goals. Nothing about time is asserted (the benchmark itself is not a test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.rules.config import load_rules

from tests.bench import bench_weeks
from tests.bench.bench_weeks import Setup


def test_a_ten_hour_run_learns_replays_both_rule_sets_and_prints_both_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Monday 00:00-06:00 learned, 06:00-10:00 replayed (the Monday peak begins), a small center
    setup = Setup(timedelta(hours=10), agents=12, per_day=6, replay=timedelta(hours=4), jobs=1)
    rows, stats, _ = bench_weeks.run(setup)

    assert [row.name for row in rows] == ["static", "baseline"]
    assert stats.events > 0 and stats.runs >= 6  # the hourly learner ran through the learned hours
    assert all(row.records > 0 and row.records == rows[0].records for row in rows)  # the same day
    assert rows[0].tally.labels == rows[1].tally.labels  # the same incidents, scored twice
    assert all(row.peaks == 1 for row in rows)  # the Monday peak starts in the replayed hours

    text = bench_weeks.report(rows, setup)
    lines = text.splitlines()
    assert any(line.startswith("static (default_rules.yaml)") for line in lines)
    assert any(line.startswith("baseline (baseline_rules.yaml)") for line in lines)
    assert sum(line.startswith(("  [PASS]", "  [FAIL]")) for line in lines) == 3
    # six learned hours cannot show a normal peak seen in three earlier weeks: said, not passed
    assert any("[FAIL] 0 pages on a normal peak" in line and "not measurable" in line for line in lines)
    capsys.readouterr()


def test_learning_starts_where_the_learner_still_keeps_samples() -> None:
    rules = load_rules(bench_weeks.default_rules("baseline_rules.yaml"))
    setup = Setup(timedelta(weeks=8))
    since = bench_weeks.learn_from(setup, rules)
    assert setup.start < since < setup.learn_end - timedelta(weeks=4)  # four weeks kept, a day to warm up
    assert bench_weeks.learn_from(Setup(timedelta(weeks=8), learn_all=True), rules) == setup.start
    assert setup.learn_end == datetime(2026, 10, 19, tzinfo=UTC)
