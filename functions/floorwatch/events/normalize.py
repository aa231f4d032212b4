"""Raw platform record -> CxEvents, a reason to skip it, or a reason to quarantine it. Never raises.

Three verdicts, exactly one per record:

- **events**: one or more CxEvents;
- **skipped** (``skipped`` holds the reason): a payload an adapter recognises and deliberately maps to
  nothing - a lifecycle event (Contact Lens STARTED), a type floorwatch does not monitor (Twilio
  ``task.created``, a Genesys topic it does not map). Acknowledged and counted, not quarantined: it is
  not a failure, and re-driving it could never produce events;
- **rejected** (``reason``): unusable, to quarantine, the reason naming the field and the problem.

The source is detected from the payload's shape; an envelope ``{"source": ..., "payload": ...}``
overrides detection. A JSON array is a batch of payloads inside one record: the record is accepted
only if every element is (all-or-nothing keeps quarantine and re-drive simple: the ids are stable,
so re-driving a record whose siblings already passed cannot double-count downstream); skipped elements
contribute no events, and a record whose elements are all skipped is skipped.

Arrival time: a payload that has no time of its own (Contact Lens voice segments carry only offsets from
the start of the contact) takes the record's Kinesis ``ApproximateArrivalTimestamp`` when the caller gives
``arrival_time`` (the handler does). It is injected only into payloads of adapters that declare an
``arrival_field`` and lack it (and, for an adapter that also has ``needs_arrival(payload)``, only where
that says so: Genesys speech analytics notifications), so a payload's own field always wins and ids
never depend on it.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from floorwatch.events.adapters.base import Adapter, AdapterError, Skip
from floorwatch.events.adapters.registry import ADAPTERS, ADAPTERS_BY_SOURCE
from floorwatch.events.model import CxEvent

MAX_ARRAY_ELEMENTS = 1000
_JSON = json.JSONDecoder()  # json.loads without its per-call argument checks (the fallback parser)


@dataclass(slots=True)  # not frozen, like RawRecord (events.pipeline): one is made per record
class Normalized:
    """The outcome for one raw record: events, a skip reason, or a rejection reason (exactly one).
    Read-only by convention."""

    events: list[CxEvent] = field(default_factory=list)
    reason: str | None = None  # rejected: quarantine with this reason
    source: str | None = None
    skipped: str | None = None  # recognised and deliberately ignored, with this reason

    @property
    def rejected(self) -> bool:
        return self.reason is not None


def normalize_bytes(data: bytes, arrival_time: datetime | None = None) -> Normalized:
    """Decode one raw record (UTF-8 JSON) and normalize it; ``arrival_time``: the record's Kinesis
    arrival, for payloads without a time of their own."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return Normalized(reason=f"not UTF-8 text (invalid byte at offset {error.start})")
    try:
        # Hot path (every record): pydantic-core's JSON parser reads these payloads in half the time of
        # the json module and gives the same values. Whatever it refuses (invalid JSON, a BOM, lone
        # surrogate escapes, deep nesting, a form body) goes to the json module, so every verdict and
        # reason on such a record stays the json module's.
        document = from_json(text)
    except ValueError:
        return _normalize_text(text, arrival_time)
    return normalize_document(document, arrival_time)


def _normalize_text(text: str, arrival_time: datetime | None) -> Normalized:
    """The record's text through the json module (or as a form body): the reasons quote its errors."""
    try:
        if text.startswith("\ufeff"):  # what json.loads says of a BOM, which the decoder itself would not
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        document = _JSON.decode(text)
    except json.JSONDecodeError as error:
        form = _form_body(text)
        if form is not None:
            return normalize_document(form, arrival_time)
        return Normalized(reason=f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")
    except RecursionError:
        return Normalized(reason="not valid JSON: nested too deeply")
    return normalize_document(document, arrival_time)


def _form_body(text: str) -> dict[str, str] | None:
    """A form-encoded callback body (``EventType=...&Sid=...``, as Twilio TaskRouter POSTs it) as an
    object of strings; None when the text is not one. Tried only on text that is not JSON."""
    if "EventType=" not in text or "{" in text[:1]:
        return None
    try:
        pairs = urllib.parse.parse_qsl(text.strip(), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    return fields if "EventType" in fields else None


def normalize_document(document: Any, arrival_time: datetime | None = None) -> Normalized:
    """Normalize an already-parsed JSON document (an object, or an array of objects)."""
    try:
        if isinstance(document, list):
            return _normalize_array(document, arrival_time)
        return _normalize_one(document, arrival_time)
    except Exception as error:  # noqa: BLE001 - a bug in one adapter must never block a shard
        return Normalized(reason=f"internal error while normalizing: {type(error).__name__}: {error}"[:500])


def _normalize_array(documents: list[Any], arrival_time: datetime | None) -> Normalized:
    if not documents:
        return Normalized(reason="empty JSON array: no payload to normalize")
    if len(documents) > MAX_ARRAY_ELEMENTS:
        return Normalized(reason=f"JSON array of {len(documents)} payloads exceeds {MAX_ARRAY_ELEMENTS}")
    events: list[CxEvent] = []
    skips: list[str] = []
    sources: set[str] = set()
    for index, document in enumerate(documents):
        outcome = _normalize_one(document, arrival_time)
        if outcome.rejected:
            return Normalized(reason=f"[{index}]: {outcome.reason}", source=outcome.source)
        if outcome.skipped is not None:
            skips.append(f"[{index}]: {outcome.skipped}")
        if outcome.source is not None:
            sources.add(outcome.source)
        events.extend(outcome.events)
    source = next(iter(sources)) if len(sources) == 1 else None
    if not events:
        more = f"; and {len(skips) - 3} more" if len(skips) > 3 else ""
        return Normalized(skipped="; ".join(skips[:3]) + more, source=source)
    return Normalized(events=events, source=source)


def _normalize_one(document: Any, arrival_time: datetime | None) -> Normalized:
    if not isinstance(document, dict):
        return Normalized(reason=f"expected a JSON object, got {_json_type(document)}")
    adapter, payload, problem = _select_adapter(document)
    if adapter is None:
        return Normalized(reason=problem)
    # _value_, not .value: the enum's value property is Python code, run for every record.
    source: str = adapter.source._value_
    if arrival_time is not None:
        payload = _with_arrival(adapter, payload, arrival_time)
    try:
        events = adapter.to_events(payload)
    except Skip as skip:
        return Normalized(skipped=f"{source}: {skip.reason}", source=source)
    except AdapterError as error:
        return Normalized(reason=f"{source}: {error}", source=source)
    except ValidationError as error:
        return Normalized(reason=f"{source}: {describe_validation_error(error)}", source=source)
    if not events:
        return Normalized(skipped=f"{source}: payload carries nothing floorwatch monitors", source=source)
    return Normalized(events=events, source=source)


def stamp_arrival(data: bytes, arrival_time: datetime) -> bytes:
    """``data`` with ``arrival_time`` written into each payload that needs one and lacks it (see the module
    docstring); unchanged bytes when none does or the record is not usable JSON.

    For re-driving a quarantined record: the stream gives it a new arrival time, and a Contact Lens voice
    record must keep the time it first arrived at, or its events would move to the re-drive's time.
    """
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return data
    stamped, changed = _stamp_document(document, arrival_time)
    return json.dumps(stamped, separators=(",", ":")).encode() if changed else data


def _stamp_document(document: Any, arrival_time: datetime) -> tuple[Any, bool]:
    if isinstance(document, list):
        stamped = [_stamp_document(item, arrival_time) for item in document]
        return [item for item, _ in stamped], any(changed for _, changed in stamped)
    if not isinstance(document, dict):
        return document, False
    adapter, payload, _ = _select_adapter(document)
    if adapter is None:
        return document, False
    with_time = _with_arrival(adapter, payload, arrival_time)
    if with_time is payload:
        return document, False
    if payload is document:
        return with_time, True
    return {**document, "payload": with_time}, True  # an envelope: the time goes into its payload


def _with_arrival(adapter: Adapter, payload: Mapping[str, Any], arrival_time: datetime) -> Mapping[str, Any]:
    """The payload with the record's arrival time in the adapter's ``arrival_field``, if it has none."""
    name: str | None = getattr(adapter, "arrival_field", None)
    if name is None or payload.get(name) is not None:
        return payload
    needs = getattr(adapter, "needs_arrival", None)  # optional: only some of the adapter's payloads
    if needs is not None and not needs(payload):
        return payload
    return {**payload, name: arrival_time.isoformat()}


def _select_adapter(document: Mapping[str, Any]) -> tuple[Adapter | None, Mapping[str, Any], str]:
    if _is_envelope(document):
        name = document["source"]
        adapter = ADAPTERS_BY_SOURCE.get(name) if isinstance(name, str) else None
        if adapter is None:
            known = ", ".join(sorted(ADAPTERS_BY_SOURCE))
            return (
                None,
                document,
                f"envelope field 'source': not a known source (known: {known})",
            )
        payload = document["payload"]
        if not isinstance(payload, dict):
            return (
                None,
                document,
                f"envelope field 'payload': expected a JSON object, got {_json_type(payload)}",
            )
        return adapter, payload, ""
    for adapter in ADAPTERS:
        if adapter.matches(document):
            return adapter, document, ""
    # The keys themselves are payload content (a key can be a card number or an address): count them only.
    return (
        None,
        document,
        f"unrecognized payload shape ({len(document)} top-level key{'' if len(document) == 1 else 's'}, "
        "none an adapter recognises); "
        'wrap it as {"source": ..., "payload": ...} to name its platform',
    )


def _is_envelope(document: Mapping[str, Any]) -> bool:
    return "payload" in document and "source" in document and set(document) <= {"source", "payload"}


def describe_validation_error(error: ValidationError) -> str:
    """Pydantic's errors as 'field: message' pairs, short enough for a quarantine reason."""
    parts = []
    for item in error.errors()[:5]:
        location = ".".join(str(part) for part in item["loc"]) or "payload"
        parts.append(f"field '{location}': {item['msg']}")
    return "; ".join(parts)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__
