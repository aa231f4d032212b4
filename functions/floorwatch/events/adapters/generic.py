"""The generic format: the CxEvent JSON itself, with ``"source": "generic"``.

For integrators whose platform has no adapter: they send floorwatch's own schema. ``event_id`` may be
omitted, in which case it is a stable hash of the payload (a re-sent payload keeps its id). Inside an
envelope ``{"source": "generic", "payload": {...}}`` the payload may leave out ``source``.
"""

from __future__ import annotations

import json

from floorwatch.events.adapters.base import Payload, payload_digest
from floorwatch.events.model import CxEvent, Source

# The enum's value once: its property is Python code, and matches() runs for every record.
_GENERIC = Source.GENERIC.value


class GenericAdapter:
    source = Source.GENERIC

    def matches(self, payload: Payload) -> bool:
        return payload.get("source") == _GENERIC and "type" in payload

    def to_events(self, payload: Payload) -> list[CxEvent]:
        document = dict(payload)
        # Inside an envelope {"source": "generic", "payload": {...}} the payload need not repeat its
        # source; the id digest is taken after filling it in, so both spellings get the same id.
        document.setdefault("source", _GENERIC)
        document.setdefault("event_id", f"gen-{payload_digest(document)}")
        # JSON-mode validation keeps the model strict (no "5" -> 5 coercion) while accepting
        # ISO 8601 strings for occurred_at and enum names for type / channel.
        return [CxEvent.model_validate_json(json.dumps(document))]
