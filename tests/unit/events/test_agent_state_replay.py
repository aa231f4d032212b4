"""An agent-state rule fires for a Genesys agent and a Zendesk agent, replayed through `floorwatch replay`
with the shipped rules (agent-not-ready-too-long: a warning after 45 minutes).

The agents go on break (Genesys activity: OFF_QUEUE + Break; Zendesk unified status: away) and stay
there while other agents' status changes keep each feed's clock moving, as a live floor does.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from local.cli import main

EVENTS = Path(__file__).resolve().parents[3] / "events"
GENESYS_AGENT = "9a8b7c6d-5e4f-4321-9abc-def012345678"
ZENDESK_AGENT = "10011"


def load(relative: str) -> Any:
    return json.loads((EVENTS / relative).read_text(encoding="utf-8"))


def other_agents_at(minute: int) -> list[dict[str, Any]]:
    """Another Genesys and Zendesk agent coming back on queue / online at 10:<minute>."""
    return [
        {
            "topicName": "v2.users.11111111-2222-4333-8444-555555555555.routingStatus",
            "version": "2",
            "eventBody": {
                "routingStatus": {"status": "IDLE", "startTime": f"2026-11-23T10:{minute:02d}:00.000Z"}
            },
        },
        {
            "account_id": 9242270,
            "detail": {"account_id": "9242270", "agent_id": "20022", "version": str(minute)},
            "event": {"new_unified_state": {"id": "3", "name": "online", "reason": "AGENT_SET"}},
            "id": f"01JDQ9REPLAY{minute:02d}",
            "subject": "zen:agent:20022",
            "time": f"2026-11-23T10:{minute:02d}:30Z",
            "type": "zen:event-type:agent.unified_state_changed",
        },
    ]


def test_not_ready_too_long_fires_for_a_genesys_and_a_zendesk_agent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [load("zendesk/agent_unified_state_changed.json"), load("genesys/user_activity_break.json")]
    for minute in range(6, 56, 4):
        records += other_agents_at(minute)
    recorded = tmp_path / "floor.jsonl"
    recorded.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    rules = str(resources.files("floorwatch.rules").joinpath("default_rules.yaml"))

    assert main(["replay", "--rules", rules, str(recorded)]) == 0
    transitions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    opened = {
        (item["scope"], item["severity"], item["at"])
        for item in transitions
        if item["rule"] == "agent-not-ready-too-long" and item["transition"] in ("opened", "upgraded")
    }
    # On break at 10:02:10-11: 45 minutes later the warning tier (the first 10 s tick past it).
    assert opened == {
        (f"agent:{ZENDESK_AGENT}", "warning", "2026-11-23T10:47:20Z"),
        (f"agent:{GENESYS_AGENT}", "warning", "2026-11-23T10:47:20Z"),
    }
    # The agents who came back online never alert.
    assert not any(
        item["scope"] in ("agent:20022", "agent:11111111-2222-4333-8444-555555555555") for item in transitions
    )
