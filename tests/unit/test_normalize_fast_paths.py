"""The normalizer's fast paths read every record exactly as the standard library would.

For speed the normalizer parses JSON with pydantic-core and decodes Kinesis base64 with pydantic-core
where it can (docs/performance.md). What a user sees must not depend on that: the same events, the same
skip and quarantine reasons, the same records refused. These properties compare each fast path with the
standard library's reading of the same input.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from floorwatch.events.normalize import normalize_bytes, normalize_document
from handlers.normalize import raw_records
from hypothesis import given, settings
from hypothesis import strategies as st

_KEYS = st.sampled_from(
    ["source", "type", "occurred_at", "agent_id", "queue_id", "values", "labels", "text", "x", "é"]
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["generic", "agent_state", "2026-11-23T09:00:00Z", "a", "+1 415 555 0100"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=6),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(document=_JSON, ascii_only=st.booleans(), indent=st.sampled_from([None, 1]))
def test_a_record_reads_as_the_json_module_reads_it(
    document: Any, ascii_only: bool, indent: int | None
) -> None:
    text = json.dumps(document, ensure_ascii=ascii_only, indent=indent)
    assert normalize_bytes(text.encode()) == normalize_document(json.loads(text))


@settings(max_examples=200, deadline=None)
@given(generic=st.fixed_dictionaries({"agent_id": st.text(min_size=1, max_size=8), "x": _SCALARS}))
def test_a_generic_event_reads_as_the_json_module_reads_it(generic: dict[str, Any]) -> None:
    payload = {"source": "generic", "type": "agent_state", "occurred_at": "2026-11-23T09:00:00Z", **generic}
    text = json.dumps(payload)
    assert normalize_bytes(text.encode()) == normalize_document(json.loads(text))


def test_text_the_fast_parser_refuses_gets_the_json_modules_reading() -> None:
    # A lone surrogate escape is valid JSON for the json module; a BOM and trailing data are refused
    # in the json module's own words.
    lone = b'{"source": "generic", "type": "agent_state", "x": "\\ud800"}'
    assert normalize_bytes(lone) == normalize_document(json.loads(lone))
    assert normalize_bytes(b"\xef\xbb\xbf{}").reason == (
        "not valid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig) at line 1 column 1"
    )
    assert normalize_bytes(b'{"a": 1} x').reason == "not valid JSON: Extra data at line 1 column 10"


_BASE64_TEXT = st.text(alphabet='ABCDQRabqz0189+/=-_\\" \n\u00e9', max_size=16)


def _decoded(text: str) -> tuple[str, bytes | str]:
    """What binascii's strict mode makes of the text: the bytes, or the error it raises."""
    try:
        return "data", binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as error:
        return "error", f"{type(error).__name__}: {error}"


def _kinesis_event(data: Any) -> dict[str, Any]:
    return {
        "Records": [
            {
                "kinesis": {
                    "partitionKey": "pk",
                    "sequenceNumber": "1",
                    "data": data,
                    "approximateArrivalTimestamp": 1795424405.123,
                },
                "eventID": "shardId-000000000000:1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/raw",
            }
        ]
    }


@settings(max_examples=500, deadline=None)
@given(
    text=_BASE64_TEXT
    | st.binary(max_size=12).map(lambda raw: base64.b64encode(raw).decode("ascii"))
    | st.binary(max_size=12).map(lambda raw: base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="))
)
def test_record_data_decodes_exactly_as_binascii_strict_mode(text: str) -> None:
    (record,) = raw_records(_kinesis_event(text))
    kind, expected = _decoded(text)
    if kind == "data":
        assert record.decode_error is None
        assert record.data == expected
    else:
        assert record.decode_error == expected


def test_record_data_that_is_not_text_is_refused_as_before() -> None:
    (record,) = raw_records(_kinesis_event(12))
    assert record.decode_error is not None and record.decode_error.startswith("TypeError: ")
