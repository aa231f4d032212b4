"""Golden replay: a day of simulated traffic through `floorwatch replay` with the shipped rules must give
exactly the committed transitions (tests/golden/replay_day.jsonl), and every scripted incident must show.

The input is generated at test time by the deterministic simulator (seed, center and incidents fixed
below), written as raw platform payloads (JSON Lines) and replayed through the CLI. When the simulator,
the rules or the engine change on purpose, regenerate the golden file and review its diff:

    FLOORWATCH_UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from local.cli import main
from local.simulator import CenterConfig, generate
from local.simulator.config import DEFAULT_QUEUES

GOLDEN = Path(__file__).with_name("replay_day.jsonl")
DAY = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday; the incidents hit 10:00 UTC
INCIDENT_QUEUES = ("billing", "tech-support", "retention", "claims", "payments")
CENTER = CenterConfig(
    queues=tuple(queue for queue in DEFAULT_QUEUES if queue.name in INCIDENT_QUEUES), agents=25
)


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    events = tmp_path_factory.mktemp("golden") / "day.jsonl"
    with events.open("w", encoding="utf-8") as out:
        for record in generate(
            DAY, timedelta(days=1), seed=3, center=CENTER, incidents_at=timedelta(hours=10)
        ):
            out.write(json.dumps(record.payload, separators=(",", ":")) + "\n")
    return str(events)


def default_rules() -> str:
    return str(resources.files("floorwatch.rules").joinpath("default_rules.yaml"))


def test_a_simulated_day_replays_to_the_golden_transitions(
    events_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["replay", "--rules", default_rules(), events_file])
    out, err = capsys.readouterr()
    assert status == 0
    assert err.splitlines()[-1].endswith(f"{len(out.splitlines())} transitions")
    if os.environ.get("FLOORWATCH_UPDATE_GOLDEN"):
        GOLDEN.write_text(out, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")
    assert out == expected, "replay output differs from tests/golden/replay_day.jsonl (see module docstring)"


def golden() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]


def first(
    rule: str, *, queue: str | None = None, scope: str | None = None, between: tuple[str, str]
) -> dict[str, Any]:
    found = [
        item
        for item in golden()
        if item["rule"] == rule
        and item["transition"] == "opened"
        and (queue is None or item["queue_id"] == queue)
        and (scope is None or item["scope"] == scope)
        and between[0] <= item["at"] < between[1]
    ]
    assert found, f"no {rule} alert for {queue or scope} between {between}"
    return found[0]


WINDOW = ("2026-11-23T10:00:00Z", "2026-11-23T10:25:00Z")


def test_every_scripted_incident_raises_its_alert() -> None:
    assert first("contact-sentiment-collapse", queue="retention", between=WINDOW)["severity"] == "critical"
    assert first("contact-compliance-breach", queue="payments", between=WINDOW)["severity"] == "critical"
    assert first("agent-on-hold-too-long", queue="tech-support", between=WINDOW)
    assert first("queue-service-level", scope="queue:billing", between=WINDOW)
    assert first("queue-longest-wait", scope="queue:claims", between=WINDOW)
    assert first(
        "feed-stale", scope="feed:contact_lens", between=("2026-11-23T10:10:00Z", "2026-11-23T10:20:00Z")
    )


def test_every_alert_of_the_day_is_closed_or_still_open_consistently() -> None:
    """Per (rule, scope): opened and resolved alternate, versions count up from 1 without gaps."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in golden():
        by_key.setdefault((item["rule"], item["scope"]), []).append(item)
    for key, items in by_key.items():
        items.sort(key=lambda item: item["version"])
        assert [item["version"] for item in items] == list(range(1, len(items) + 1)), key
        opens = [item["transition"] for item in items if item["transition"] in ("opened", "resolved")]
        assert opens == ["opened", "resolved"] * (len(opens) // 2) + ["opened"] * (len(opens) % 2), key
