"""`floorwatch subscriptions`: a deployed stage's SNS subscriptions, failing while one is unconfirmed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.commands.subscriptions import Subscription, report, subscriptions, topic_arns
from local.errors import UsageError

ALERTS = "arn:aws:sns:eu-west-1:123456789012:floorwatch-dev-alerts"
OPERATIONS = "arn:aws:sns:eu-west-1:123456789012:floorwatch-dev-operations"
PENDING = "PendingConfirmation"


class FakeSns:
    """list_subscriptions_by_topic over a fixed table, two subscriptions per page."""

    def __init__(self, table: dict[str, list[dict[str, str]]]) -> None:
        self._table = table

    def list_subscriptions_by_topic(self, TopicArn: str, NextToken: str = "0") -> dict[str, Any]:
        start = int(NextToken)
        items = self._table.get(TopicArn, [])
        page: dict[str, Any] = {"Subscriptions": items[start : start + 2]}
        if start + 2 < len(items):
            page["NextToken"] = str(start + 2)
        return page


def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "outputs-dev.json"
    path.write_text(
        json.dumps({"Floorwatch-dev": {"AlertsTopicArn": ALERTS, "OperationsTopicArn": OPERATIONS, "X": 1}}),
        encoding="utf-8",
    )
    return path


def test_pending_e_mail_subscriptions_are_named_and_fail_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sns = FakeSns(
        {
            ALERTS: [
                {"Protocol": "sms", "Endpoint": "+15550100001", "SubscriptionArn": ALERTS + ":a1"},
                {
                    "Protocol": "email",
                    "Endpoint": "floor@example.com",
                    "SubscriptionArn": "PendingConfirmation",
                },
                {"Protocol": "email", "Endpoint": "lead@example.com", "SubscriptionArn": ALERTS + ":a3"},
            ],
            OPERATIONS: [
                {
                    "Protocol": "email",
                    "Endpoint": "oncall@example.com",
                    "SubscriptionArn": "PendingConfirmation",
                }
            ],
        }
    )

    found = list(subscriptions(sns, topic_arns(outputs_file(tmp_path))))

    assert [(item.endpoint, item.pending) for item in found] == [
        ("+15550100001", False),
        ("floor@example.com", True),
        ("lead@example.com", False),
        ("oncall@example.com", True),
    ]
    assert report(found) == 1
    out = capsys.readouterr().out
    assert "floorwatch-dev-alerts  email  floor@example.com  PENDING" in out
    assert "2 subscription(s) pending" in out


def test_all_confirmed_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert report([Subscription("floorwatch-dev-alerts", "sms", "+15550100001", pending=False)]) == 0
    assert "all confirmed" in capsys.readouterr().out


def test_without_a_deployed_stage_it_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="make deploy"):
        topic_arns(tmp_path / "outputs-prod.json")
