"""The AlertStore contract, held by the in-memory store and the DynamoDB store (moto) alike, plus the
DynamoDB item layout the fan-out and the dashboard snapshot rely on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import AlertState, acknowledge, evaluate_threshold
from floorwatch.engine import Engine
from floorwatch.metrics.model import MetricValue
from floorwatch.names import ALERTS_TABLE
from floorwatch.rules.config import ThresholdRule
from floorwatch.store.alerts_dynamodb import DynamoAlertStore, transition_from_item
from floorwatch.store.alerts_memory import InMemoryAlertStore
from floorwatch.store.alerts_port import AlertConflict
from floorwatch.store.metrics_memory import InMemoryMetricStore
from moto import mock_aws

from tests.integration.ddb_tables import create_table
from tests.unit.engine.helpers import LONGEST_WAIT, SHARD, at, rules, snapshot

pytestmark = pytest.mark.integration

TABLE = "floorwatch-test-alerts"
REGION = "eu-west-1"
RULE = ThresholdRule.model_validate(
    {
        "id": "queue-longest-wait",
        "metric": "longest_wait_seconds",
        "scope": "queue",
        "direction": "above",
        "tiers": {"warning": 120, "critical": 300},
        "for": "30s",
    }
)
KEY = ("queue-longest-wait", "queue:billing")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_table(dynamodb, ALERTS_TABLE, TABLE)
        yield dynamodb


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest, client: Any) -> Any:
    if request.param == "memory":
        return InMemoryAlertStore()
    return DynamoAlertStore(client, TABLE, sleep=lambda _: None)


def evaluate(state: AlertState, seconds: float, value: float) -> tuple[AlertState, list[Transition]]:
    return evaluate_threshold(RULE, state, MetricValue(value, 1), at(seconds))


def opened(store: Any) -> AlertState:
    """A pending state saved (version 0), then the opening (version 1)."""
    pending, none = evaluate(AlertState.initial(*KEY), 0, 130)
    assert none == []
    store.save(0, pending, [])
    firing, transitions = evaluate(pending, 30, 130)
    store.save(0, firing, transitions)
    return firing


def test_saved_states_load_and_list(store: Any) -> None:
    assert store.load([KEY]) == {}
    pending, _ = evaluate(AlertState.initial(*KEY), 0, 130)
    store.save(0, pending, [])
    assert store.load([KEY, ("other", "queue:x")]) == {KEY: pending}
    assert store.active() == [pending]  # pending states need ticks
    assert store.find("nothing") is None


def test_an_opening_is_stored_with_its_transition_and_found_by_alert_id(store: Any) -> None:
    firing = opened(store)
    assert store.load([KEY])[KEY] == firing
    assert firing.alert_id is not None
    assert store.find(firing.alert_id) == firing
    [transition] = store.transitions(KEY)
    assert transition.transition.value == "opened" and transition.version == 1
    assert store.transitions(KEY, since_version=1) == []


def test_a_stale_writer_conflicts_and_writes_nothing(store: Any) -> None:
    firing = opened(store)
    first, first_transitions = acknowledge(firing, at(40), "sup-1")
    second, second_transitions = acknowledge(firing, at(41), "sup-2")
    store.save(firing.version, first, first_transitions)
    with pytest.raises(AlertConflict):
        store.save(firing.version, second, second_transitions)
    assert store.load([KEY])[KEY].acknowledged_by == "sup-1"
    assert [item.actor for item in store.transitions(KEY)] == [None, "sup-1"]
    with pytest.raises(AlertConflict):
        store.save(0, AlertState.initial(*KEY), [])  # "new" while one is stored at version 2


def test_a_resolved_state_leaves_the_active_set_and_a_new_alert_supersedes_the_old_id(store: Any) -> None:
    firing = opened(store)
    resolved, transitions = evaluate(firing, 60, 10)
    store.save(firing.version, resolved, transitions)
    assert store.active() == []
    assert store.find(firing.alert_id) == resolved  # still the most recent alert of the (rule, scope)
    pending, _ = evaluate(resolved, 100, 400)
    again, more = evaluate(pending, 130, 400)
    store.save(resolved.version, again, more)
    assert store.find(firing.alert_id) is None
    assert store.find(again.alert_id) == again
    assert [item.version for item in store.transitions(KEY, since_version=1)] == [2, 3]


def test_a_save_must_follow_the_state_machine(store: Any) -> None:
    firing = opened(store)
    with pytest.raises(ValueError, match="does not follow"):
        store.save(firing.version, firing, store.transitions(KEY))


# --- DynamoDB layout ---------------------------------------------------------------------------------


def items(client: Any) -> dict[str, dict[str, Any]]:
    found = client.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return {item["sk"]["S"]: item for item in found}


def test_item_layout_for_the_fan_out_and_the_indexes(client: Any) -> None:
    store = DynamoAlertStore(client, TABLE)
    firing = opened(store)
    stored = items(client)
    state, transition = stored["state"], stored["t#0000000001"]
    assert state["pk"] == {"S": "alert#queue-longest-wait#queue:billing"}
    assert state["item_type"] == {"S": "state"}
    assert state["active"] == {"S": "1"}
    assert state["current_alert_id"] == {"S": firing.alert_id}
    assert "expires_at" not in state  # active states never expire
    assert transition["item_type"] == {"S": "transition"}
    assert transition["value"] == {"N": "130.0"} or transition["value"] == {"N": "130"}
    assert "expires_at" in transition
    rebuilt = transition_from_item(transition)
    assert rebuilt == store.transitions(KEY)[0]
    assert set(rebuilt.to_dict()) <= set(transition)  # every field, None included (as NULL)
    assert transition_from_item(state) is None

    resolved, more = evaluate(firing, 60, 10)
    store.save(firing.version, resolved, more)
    state = items(client)["state"]
    assert "active" not in state and "expires_at" in state


def test_the_engine_gives_the_same_transitions_and_states_on_both_stores(client: Any) -> None:
    waits = [130, 130, 400, 280, 250, 100, 90, 150, 160, 310, 50]
    results = []
    for alerts in (InMemoryAlertStore(), DynamoAlertStore(client, TABLE)):
        engine = Engine(rules(LONGEST_WAIT), InMemoryMetricStore(), alerts)
        recorded = []
        for index, wait in enumerate(waits):
            recorded += engine.process(SHARD, [snapshot(index * 40, longest_wait_seconds=wait)])
            recorded += engine.tick(at(index * 40 + 20))
        results.append(([item.to_dict() for item in recorded], alerts.load([KEY]), alerts.active()))
    assert results[0][0], "the sequence should raise alerts"
    assert results[0] == results[1]


def test_loading_more_keys_than_one_batch_get_holds(store: Any) -> None:
    keys = [("queue-longest-wait", f"queue:q{index:03d}") for index in range(230)]
    for key in keys[::3]:
        pending, _ = evaluate_threshold(RULE, AlertState.initial(*key), MetricValue(130, 1), at(0))
        store.save(0, pending, [])
    loaded = store.load(keys)
    assert sorted(loaded) == sorted(keys[::3])


# --- the supervisor's screen: live values, history, the action clock, the response-times report ---------


def test_live_values_history_and_the_action_clock_survive_the_table(client: Any, capsys: Any) -> None:
    from floorwatch.alerts.state_machine import joined, note, snooze, value_update

    from local.cli import main

    store = DynamoAlertStore(client, TABLE)
    firing = opened(store)
    steps = [
        lambda state: value_update(state, 260.0, 260.0, 120.0, at(60)),
        lambda state: acknowledge(state, at(70), "ana"),
        lambda state: note(state, at(95), "ana", "two agents moved from tech"),
        lambda state: snooze(state, at(3700), at=at(100), user="ana"),
        lambda state: joined(state, at(110), "tom"),
    ]
    state = firing
    for step in steps:
        after, transitions = step(state)
        store.save(state.version, after, transitions)
        state = after
    loaded = store.load([KEY])[KEY]
    assert loaded == state  # every new field round-trips through DynamoDB
    assert (loaded.shown_value, loaded.worst_value, loaded.acted_how, loaded.acted_by) == (
        260.0,
        260.0,
        "note",
        "ana",
    )
    assert [entry.transition for entry in loaded.history] == ["acknowledged", "noted", "snoozed", "joined"]
    stream = [transition_from_item(item) for item in items(client).values()]
    kinds = {item.transition.value: item for item in stream if item is not None}
    assert kinds["updated"].worst_value == 260.0  # what the fan-out rebuilds from the stream image
    assert kinds["snoozed"].snoozed_until == at(3700)

    assert main(["response-times", "--table", TABLE, "--region", REGION, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [rule] = report["by_rule"]
    assert (rule["acknowledged"], rule["acted"], rule["ack_median"], rule["act_median"]) == (1, 1, 40.0, 65.0)
