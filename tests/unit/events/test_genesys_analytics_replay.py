"""Genesys speech and text analytics reach the shipped contact rules, replayed through `floorwatch replay`:
a detected topic named like a compliance category opens contact-compliance-breach, and a run of low
overall-sentiment scores opens contact-sentiment-collapse for the conversation.

Delivered over EventBridge, as a replay needs: over a WebSocket these notifications carry no time and
take the record's Kinesis arrival time, which a file of payloads does not have.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from local.cli import main

EVENTS = Path(__file__).resolve().parents[3] / "events"
CALL = "f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0"


def load(relative: str) -> Any:
    return json.loads((EVENTS / relative).read_text(encoding="utf-8"))


def over_eventbridge(notification: dict[str, Any], at: str) -> dict[str, Any]:
    """A WebSocket notification as the EventBridge integration delivers it, at ``at``."""
    envelope: dict[str, Any] = copy.deepcopy(load("genesys/sta_sentiment_eventbridge.json"))
    topic = notification["topicName"]
    envelope["detail-type"] = topic.replace(CALL, "{id}")
    envelope["time"] = at
    envelope["detail"] = {**notification, "timestamp": at}
    return envelope


def sentiment_at(second: int, score: float) -> dict[str, Any]:
    document: dict[str, Any] = load("genesys/sta_sentiment_eventbridge.json")
    at = f"2026-11-23T09:{16 + second // 60:02d}:{second % 60:02d}Z"
    document["time"] = document["detail"]["timestamp"] = at
    document["detail"]["eventBody"]["sentimentOverallScore"] = score
    return document


def replay(records: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    recorded = tmp_path / "floor.jsonl"
    recorded.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    rules = str(resources.files("floorwatch.rules").joinpath("default_rules.yaml"))
    assert main(["replay", "--rules", rules, str(recorded)]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def opened(transitions: list[Any], rule: str) -> set[tuple[str, str]]:
    return {
        (item["scope"], item["severity"])
        for item in transitions
        if item["rule"] == rule and item["transition"] in ("opened", "upgraded")
    }


def test_a_detected_card_number_topic_opens_the_compliance_breach_for_the_conversation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topics = over_eventbridge(load("genesys/sta_topics.json"), "2026-11-23T09:17:02Z")
    transitions = replay([topics], tmp_path, capsys)
    assert opened(transitions, "contact-compliance-breach") == {(f"contact:{CALL}", "critical")}
    assert opened(transitions, "contact-supervisor-requested") == {(f"contact:{CALL}", "warning")}


def test_a_topic_no_rule_names_opens_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notification = load("genesys/sta_topics.json")
    for topic in notification["eventBody"]["topics"]:
        topic["topicName"] = "Greeting"
    transitions = replay([over_eventbridge(notification, "2026-11-23T09:17:02Z")], tmp_path, capsys)
    assert not opened(transitions, "contact-compliance-breach")
    assert not opened(transitions, "contact-supervisor-requested")


def test_low_overall_sentiment_scores_open_the_sentiment_collapse_for_the_conversation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Six scores within five minutes (the rule wants at least five), averaging -0.8 on floorwatch's
    # scale (-80 on Genesys's).
    scores = ((0, -75), (40, -80), (80, -85), (120, -80), (160, -80), (200, -80))
    records = [sentiment_at(second, score) for second, score in scores]
    transitions = replay(records, tmp_path, capsys)
    assert opened(transitions, "contact-sentiment-collapse") >= {(f"contact:{CALL}", "critical")}


def test_mildly_negative_scores_do_not_open_a_collapse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [sentiment_at(second, -30) for second in (0, 40, 80, 120, 160, 200)]
    transitions = replay(records, tmp_path, capsys)
    assert not opened(transitions, "contact-sentiment-collapse")
