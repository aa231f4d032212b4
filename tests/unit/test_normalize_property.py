"""normalize_bytes never raises, and every input is accounted for: events, or a reason to quarantine.

Inputs: arbitrary bytes, arbitrary JSON values, and mutations of valid payloads (the example files
under events/, whatever platforms exist at test time, plus inline generic payloads so the test
never runs on an empty set): keys deleted, types changed, values nulled, strings truncated, values
nested deeply.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from floorwatch.events.adapters.registry import ADAPTERS
from floorwatch.events.model import CxEvent
from floorwatch.events.normalize import Normalized, normalize_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "events"

INLINE_PAYLOADS: list[Any] = [
    {
        "source": "generic",
        "type": "contact_queued",
        "occurred_at": "2026-11-23T09:00:00Z",
        "queue_id": "billing",
        "contact_id": "c-1",
        "channel": "voice",
        "values": {"wait_seconds": 12.5},
        "labels": {"priority": "high"},
    },
    {
        "source": "generic",
        "type": "sentiment",
        "occurred_at": "2026-11-23T09:00:00+01:00",
        "agent_id": "agent-7",
        "values": {"sentiment": -0.4},
        "text": "call me on +1 415 555 0100",
    },
    {
        "source": "generic",
        "payload": {
            "source": "generic",
            "type": "agent_state",
            "occurred_at": "2026-11-23T09:00:00Z",
            "agent_id": "a",
        },
    },
    [
        {"source": "generic", "type": "contact_answered", "occurred_at": "2026-11-23T09:01:00Z"},
        {"source": "generic", "type": "contact_ended", "occurred_at": "2026-11-23T09:05:00Z"},
    ],
]


def example_payloads() -> list[Any]:
    """Every payload in events/**/*.json (a top-level array counts as one payload per element)."""
    payloads: list[Any] = []
    for path in sorted(EXAMPLES_DIR.glob("**/*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue  # a file being written right now, or a deliberately broken example
        payloads.extend(document if isinstance(document, list) else [document])
    return payloads


VALID_PAYLOADS = INLINE_PAYLOADS + example_payloads()

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
replacement_values = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", " ", "2026-13-45T99:99:99Z", "NaN", "-1e999", "voice", "\x00", "é" * 300])
    | st.just([])
    | st.just({})
)


def assert_accounted_for(outcome: Normalized) -> None:
    """Exactly one verdict: events, a skip reason, or a quarantine reason."""
    if outcome.events:
        assert outcome.reason is None and outcome.skipped is None
        assert all(isinstance(event, CxEvent) for event in outcome.events)
    elif outcome.skipped is not None:
        assert outcome.reason is None and outcome.skipped.strip()
    else:
        assert isinstance(outcome.reason, str) and outcome.reason.strip()
        # Every adapter names the field it cannot use; an exception escaping one (a KeyError, a
        # TypeError) is a bug the normalizer only contains, so it must never be the verdict.
        assert "internal error" not in outcome.reason, outcome.reason


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location inside a JSON value (the root is the empty path)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(paths(child, (*prefix, index)))
    return found


def parent_and_slot(document: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    return parent, path[-1]


def mutate(document: Any, path: tuple[Any, ...], operation: str, replacement: Any, depth: int) -> Any:
    """Apply one mutation at ``path``; the root itself can only be replaced or nested."""
    if not path:
        if operation == "nest":
            return nest(document, depth)
        return replacement if operation == "replace" else document
    parent, slot = parent_and_slot(document, path)
    current = parent[slot]
    if operation == "delete":
        del parent[slot]
    elif operation == "null":
        parent[slot] = None
    elif operation == "replace":
        parent[slot] = replacement
    elif operation == "truncate":
        parent[slot] = current[: len(current) // 2] if isinstance(current, str | list) else replacement
    elif operation == "retype":
        parent[slot] = retyped(current)
    elif operation == "nest":
        parent[slot] = nest(current, depth)
    return document


def retyped(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return 0


def nest(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = [value] if level % 2 else {"nested": value}
    return value


@st.composite
def mutated_payloads(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(VALID_PAYLOADS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        location = draw(st.sampled_from(paths(document)))
        operation = draw(st.sampled_from(["delete", "null", "replace", "truncate", "retype", "nest"]))
        depth = draw(st.integers(min_value=1, max_value=60))
        document = mutate(document, location, operation, draw(replacement_values), depth)
    return document


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_events_or_a_reason(data: bytes) -> None:
    assert_accounted_for(normalize_bytes(data))


@FAST
@given(json_values)
def test_arbitrary_json_values_are_events_or_a_reason(value: Any) -> None:
    assert_accounted_for(normalize_bytes(json.dumps(value).encode()))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_payloads())
def test_mutated_valid_payloads_are_events_or_a_reason(document: Any) -> None:
    assert_accounted_for(normalize_bytes(json.dumps(document).encode()))


@FAST
@given(st.sampled_from(VALID_PAYLOADS), st.integers(min_value=0, max_value=400))
def test_truncated_payload_bytes_are_events_or_a_reason(document: Any, cut: int) -> None:
    data = json.dumps(document).encode()
    assert_accounted_for(normalize_bytes(data[: len(data) * cut // 400]))


def test_every_unmutated_payload_is_events_or_a_reason() -> None:
    assert len(VALID_PAYLOADS) >= len(INLINE_PAYLOADS)
    for document in VALID_PAYLOADS:
        assert_accounted_for(normalize_bytes(json.dumps(document).encode()))


def test_the_mutated_examples_cover_every_adapter() -> None:
    """The properties above hold for every adapter only if each has an example to mutate."""
    sources = {normalize_bytes(json.dumps(document).encode()).source for document in VALID_PAYLOADS}
    assert {adapter.source.value for adapter in ADAPTERS} <= sources


def test_inline_payloads_are_valid_so_mutations_start_from_something_accepted() -> None:
    for document in INLINE_PAYLOADS:
        outcome = normalize_bytes(json.dumps(document).encode())
        assert outcome.events, outcome.reason


def test_json_nested_beyond_the_parser_limit_is_a_reason_not_a_crash() -> None:
    for opener in (b"[", b'{"a":'):
        outcome = normalize_bytes(opener * 200_000)
        assert outcome.reason and not outcome.events
