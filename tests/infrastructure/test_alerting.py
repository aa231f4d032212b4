"""Schedules: a one-minute tick into evaluate, baselines on their own period."""

from __future__ import annotations

from typing import Any

import pytest
from floorwatch import names
from floorwatch.store import metrics_log

from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra


def _rules_targeting(synthesized: Synthesized, function: Any) -> list[dict[str, Any]]:
    arn = {"Fn::GetAtt": [synthesized.logical_id(function), "Arn"]}
    rules = synthesized.template.find_resources("AWS::Events::Rule").values()
    return [
        rule["Properties"] for rule in rules if any(t["Arn"] == arn for t in rule["Properties"]["Targets"])
    ]


def _minutes(expression: str) -> int:
    """Minutes between runs of a `rate(N unit)` expression (CDK writes 60 minutes as `rate(1 hour)`)."""
    count, unit = expression.removeprefix("rate(").removesuffix(")").split()
    return int(count) * {"minute": 1, "hour": 60, "day": 1440}[unit.removesuffix("s")]


def test_evaluate_is_ticked_every_minute(synthesized: Synthesized) -> None:
    [tick] = _rules_targeting(synthesized, synthesized.stack.alerting.evaluate.function)
    assert tick["ScheduleExpression"] == "rate(1 minute)"
    assert _minutes(tick["ScheduleExpression"]) == names.EVALUATE_TICK_MINUTES
    assert tick["State"] == "ENABLED"
    # The scheduled-event payload itself (no Input override): the handler tells ticks from Kinesis.
    [target] = tick["Targets"]
    assert "Input" not in target
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0


def test_baselines_run_on_their_schedule(synthesized: Synthesized) -> None:
    [schedule] = _rules_targeting(synthesized, synthesized.stack.alerting.baselines.function)
    assert _minutes(schedule["ScheduleExpression"]) == names.BASELINES_SCHEDULE_MINUTES


def test_eventbridge_may_invoke_the_scheduled_functions(synthesized: Synthesized) -> None:
    permissions = synthesized.template.find_resources("AWS::Lambda::Permission").values()
    invoked_by_events = {
        p["Properties"]["FunctionName"]["Fn::GetAtt"][0]
        for p in permissions
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    }
    alerting = synthesized.stack.alerting
    assert invoked_by_events == {
        synthesized.logical_id(alerting.evaluate.function),
        synthesized.logical_id(alerting.baselines.function),
    }


def test_the_evaluator_cannot_commit_a_delta_log_item_later_than_its_readers_sweep_back(
    synthesized: Synthesized,
) -> None:
    """The evaluator stamps a log item before its transaction, which the SDK may retry while the function
    runs: its timeout bounds how late the item commits, and readers sweep back ``LATE_COMMIT`` for it."""
    function = synthesized.template.to_json()["Resources"][
        synthesized.logical_id(synthesized.stack.alerting.evaluate.function)
    ]
    assert function["Properties"]["Timeout"] < metrics_log.LATE_COMMIT.total_seconds()
