"""What every platform adapter is, and the typed field accessors they share.

An adapter recognises its platform's payload by shape (``matches``) and maps it to zero or more
CxEvents (``to_events``). It raises ``AdapterError`` naming the offending field when the payload is
not usable; the normalizer turns that into a quarantine reason. It raises ``Skip`` with a reason for a
payload it recognises and deliberately maps to nothing (lifecycle events, types floorwatch does not
monitor): the normalizer acknowledges those as skipped, never as failures. Adapters are pure functions of the
payload: the same payload always yields the same events with the same ids.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from floorwatch.events.model import Channel, CxEvent, Source

Payload = Mapping[str, Any]

_MISSING = object()


class AdapterError(ValueError):
    """A payload that cannot be mapped; ``field`` is the dotted path of the culprit."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field '{field}': {problem}" if field else problem)
        self.field = field
        self.problem = problem


class Skip(Exception):
    """A payload the adapter recognises and deliberately maps to no events (a lifecycle event, a type
    floorwatch does not monitor). The normalizer acknowledges it as *skipped* with ``reason``: it is
    neither published nor quarantined."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Adapter(Protocol):
    """Optional, read by the normalizer with getattr: ``arrival_field`` (a payload field to receive the
    record's Kinesis arrival time when the payload has no time of its own) and ``needs_arrival(payload)``
    (which of the adapter's payloads need it; all of them when absent)."""

    source: Source

    def matches(self, payload: Payload) -> bool:
        """True when the payload has this platform's shape (cheap key checks only)."""
        ...

    def to_events(self, payload: Payload) -> list[CxEvent]:
        """Map the payload to CxEvents; raise AdapterError on unusable input, Skip on a payload it knows
        and deliberately ignores."""
        ...


def stable_id(*parts: object) -> str:
    """A deterministic event id from identifying parts (source ids, timestamps, indexes)."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=16).hexdigest()


def payload_digest(payload: Any) -> str:
    """A stable hash of a whole payload, for platforms that send no event id."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).hexdigest()


_PATHS: dict[str, list[str]] = {}  # dotted path -> its keys (paths are a bounded set written in code)
_MAX_PATHS = 4096


def lookup(payload: Payload, path: str, default: Any = _MISSING) -> Any:
    """Follow a dotted path through nested mappings; AdapterError if absent and no default."""
    # Hot path (several calls per payload). dict.get returns None for an absent key and for a JSON null
    # alike, both "missing" here; a non-object on the way (a list, a string) has no .get.
    current: Any = payload
    try:
        if "." not in path:  # one key, most calls: no walk
            current = current.get(path)
        else:
            keys = _PATHS.get(path)
            if keys is None:
                if len(_PATHS) >= _MAX_PATHS:
                    _PATHS.clear()
                keys = _PATHS[path] = path.split(".")
            for key in keys:
                current = current.get(key)
                if current is None:
                    break
    except AttributeError:
        current = None
    if current is None:
        if default is not _MISSING:
            return default
        raise AdapterError(path, "missing")
    return current


def text_field(payload: Payload, path: str, default: Any = _MISSING) -> Any:
    """A non-empty string field (numbers are accepted and turned into strings, as ids often are)."""
    value = lookup(payload, path, default)
    if default is not _MISSING and value is default:
        return default
    if value.__class__ is str:
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise AdapterError(path, f"expected a string, got {type(value).__name__}")
    if not text:
        if default is not _MISSING:
            return default
        raise AdapterError(path, "empty string")
    return text


def number_field(payload: Payload, path: str, default: Any = _MISSING) -> Any:
    """A finite number field (numeric strings are accepted: several platforms send them)."""
    value = lookup(payload, path, default)
    if value is default and default is not _MISSING:
        return default
    if isinstance(value, bool):
        raise AdapterError(path, "expected a number, got a boolean")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise AdapterError(path, f"expected a number, got {value[:40]!r}") from None
    if not isinstance(value, (int, float)):
        raise AdapterError(path, f"expected a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise AdapterError(path, "expected a finite number")
    return number


def time_field(payload: Payload, path: str, default: Any = _MISSING) -> Any:
    """An instant: ISO 8601 (``Z`` or offset; naive is taken as UTC) or epoch seconds/milliseconds."""
    value = lookup(payload, path, default)
    if value is default and default is not _MISSING:
        return default
    return parse_instant(value, path)


def parse_instant(value: Any, path: str) -> datetime:
    if isinstance(value, bool):
        raise AdapterError(path, "expected a timestamp, got a boolean")
    if isinstance(value, (int, float)):
        seconds = float(value) / 1000.0 if abs(value) > 1e11 else float(value)
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise AdapterError(path, f"timestamp {value!r} is out of range") from None
    if not isinstance(value, str):
        raise AdapterError(path, f"expected a timestamp, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise AdapterError(path, f"not an ISO 8601 timestamp: {value[:40]!r}") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


_CHANNELS: dict[str, Channel] = {
    "voice": Channel.VOICE,
    "call": Channel.VOICE,
    "phone": Channel.VOICE,
    "chat": Channel.CHAT,
    "webchat": Channel.CHAT,
    "message": Channel.CHAT,
    "messaging": Channel.CHAT,
    "email": Channel.EMAIL,
    "sms": Channel.SMS,
    "social": Channel.SOCIAL,
    "facebook": Channel.SOCIAL,
    "twitter": Channel.SOCIAL,
    "whatsapp": Channel.SOCIAL,
    "task": Channel.TASK,
    "callback": Channel.VOICE,
}


def channel_of(value: Any) -> Channel | None:
    """Map a platform's channel / media type name to a Channel; unknown names give None."""
    if not isinstance(value, str):
        return None
    return _CHANNELS.get(value.strip().lower())
