"""The evaluate Lambda handler on real trigger shapes (Kinesis batch, EventBridge schedule), memory ports."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import AlertState
from floorwatch.events.model import CxEvent
from floorwatch.names import ENV_ALERTS_TABLE, ENV_METRICS_TABLE, ENV_RULES_FILE
from floorwatch.settings import SettingsError
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.metrics_memory import InMemoryMetricStore
from handlers import evaluate

from tests.unit.engine.helpers import LONGEST_WAIT, at, rules, snapshot

SHARD = "shardId-000000000003"
ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/floorwatch-dev-cx-events"
SETTINGS = evaluate.EvaluateSettings(metrics_table="metrics-t", alerts_table="alerts-t")


def record(data: bytes, sequence: int) -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "queue:billing",
            "sequenceNumber": str(sequence),
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": 1795424405.1,
        },
        "eventSource": "aws:kinesis",
        "eventID": f"{SHARD}:{sequence}",
        "eventSourceARN": ARN,
    }


def batch(events: Sequence[CxEvent | bytes]) -> dict[str, Any]:
    return {
        "Records": [
            record(item if isinstance(item, bytes) else item.to_json().encode(), 1000 + index)
            for index, item in enumerate(events)
        ]
    }


SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-23T09:02:00Z",
    "region": "eu-west-1",
    "resources": ["arn:aws:events:eu-west-1:123456789012:rule/floorwatch-dev-tick"],
    "detail": {},
}


def build(alerts: Any = None, now: datetime | None = None) -> tuple[Any, Any]:
    alert_store = alerts or InMemoryAlertStore()
    handle = evaluate.build_handler(
        SETTINGS, InMemoryMetricStore(), alert_store, rules(LONGEST_WAIT), lambda: now or at(120)
    )
    return handle, alert_store


def test_a_kinesis_batch_is_evaluated_and_undecodable_records_are_skipped_not_retried() -> None:
    handle, alerts = build()
    response = handle(
        batch(
            [
                snapshot(0, longest_wait_seconds=130),
                b"{not json",
                b'{"type": "nope"}',
                snapshot(70, longest_wait_seconds=130),
            ]
        ),
        None,
    )
    assert response == {"batchItemFailures": []}
    assert [state.scope for state in alerts.active()] == ["queue:billing"]


def test_the_schedule_ticks_at_the_clock_time() -> None:
    handle, alerts = build(now=at(60))
    handle(batch([snapshot(0, longest_wait_seconds=130)]), None)
    assert alerts.all_transitions() == []
    # The alert and its incident open at the tick.
    assert handle(SCHEDULED, None) == {"ticked_at": at(60).isoformat(), "transitions": 2}
    assert sorted((item.rule, item.at) for item in alerts.all_transitions()) == [
        ("incident", at(60)),
        ("queue-longest-wait", at(60)),
    ]


class BrokenAlerts(InMemoryAlertStore):
    def save(self, previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
        raise ConnectionError("alerts table unreachable")


def test_records_whose_processing_raised_are_reported_for_retry() -> None:
    handle, _ = build(alerts=BrokenAlerts())
    response = handle(
        batch([b"garbage", snapshot(0, longest_wait_seconds=400), snapshot(1, longest_wait_seconds=400)]),
        None,
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "1001"}, {"itemIdentifier": "1002"}]}


def test_settings_are_read_from_the_environment(tmp_path: Any) -> None:
    with pytest.raises(SettingsError, match=ENV_METRICS_TABLE):
        evaluate.EvaluateSettings.from_environ({ENV_ALERTS_TABLE: "alerts-t"})
    rules_file = tmp_path / "rules.json"
    rule = {
        "id": "x",
        "metric": "contacts_in_queue",
        "scope": "queue",
        "direction": "above",
        "tiers": {"info": 1},
    }
    rules_file.write_text(json.dumps([rule]))
    settings = evaluate.EvaluateSettings.from_environ(
        {ENV_ALERTS_TABLE: "alerts-t", ENV_METRICS_TABLE: "metrics-t", ENV_RULES_FILE: str(rules_file)}
    )
    assert [rule.id for rule in settings.rules()] == ["x"]
    defaults = evaluate.EvaluateSettings.from_environ(
        {ENV_ALERTS_TABLE: "alerts-t", ENV_METRICS_TABLE: "metrics-t"}
    )
    assert len(defaults.rules()) > 5


def test_an_event_from_a_wrong_clock_does_not_move_alerts_into_the_future() -> None:
    handle, alerts = build(now=at(0))
    handle(batch([snapshot(0, longest_wait_seconds=130)]), None)
    handle(batch([snapshot(3600, longest_wait_seconds=130)]), None)  # an hour ahead of the clock
    # Judged at most 5 minutes past the clock: the breach seen since 0 opens at 300, not at 3600.
    assert [(item.transition.value, item.at) for item in alerts.all_transitions()] == [
        ("opened", at(300)),  # the alert
        ("opened", at(300)),  # its incident
    ]
    assert alerts.active()[0].last_evaluated_at == at(300)
