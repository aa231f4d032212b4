"""stamp_arrival: the arrival time written into payloads that need one (re-driving quarantined records)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floorwatch.events.normalize import normalize_bytes, stamp_arrival

EXAMPLES = Path(__file__).resolve().parents[3] / "events"
ARRIVED = datetime(2026, 11, 23, 9, 15, 55, 500000, tzinfo=UTC)


def example(relative: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / relative).read_text())
    return document


def test_a_voice_record_gets_the_time_and_then_normalizes_without_one() -> None:
    raw = json.dumps(example("contact_lens/voice_segments.json")).encode()
    assert normalize_bytes(raw).rejected  # no time of its own
    stamped = stamp_arrival(raw, ARRIVED)
    assert json.loads(stamped)["ApproximateArrivalTimestamp"] == "2026-11-23T09:15:55.500000+00:00"
    outcome = normalize_bytes(stamped)
    assert not outcome.rejected and max(event.occurred_at for event in outcome.events) == ARRIVED


def test_envelopes_and_arrays_get_it_inside_each_payload() -> None:
    voice = example("contact_lens/voice_segments.json")
    enveloped = json.loads(
        stamp_arrival(json.dumps({"source": "contact_lens", "payload": voice}).encode(), ARRIVED)
    )
    assert enveloped["source"] == "contact_lens" and "ApproximateArrivalTimestamp" in enveloped["payload"]
    batch = json.loads(
        stamp_arrival(json.dumps([voice, example("generic/agent_state.json")]).encode(), ARRIVED)
    )
    assert "ApproximateArrivalTimestamp" in batch[0] and "ApproximateArrivalTimestamp" not in batch[1]


def test_records_that_need_no_time_or_already_have_one_are_left_byte_for_byte() -> None:
    own = json.dumps(
        {**example("contact_lens/voice_segments.json"), "ApproximateArrivalTimestamp": "2026-01-01T00:00:00Z"}
    )
    for raw in (
        own.encode(),
        json.dumps(example("genesys/acd_start_eventbridge.json")).encode(),
        b"not json",
        b'{"unknown": "shape"}',
    ):
        assert stamp_arrival(raw, ARRIVED) == raw
