"""Identity rules shared by the Amazon Connect adapters, so one queue, agent or center has one id.

- ``center_id`` is the Connect instance id (the UUID after ``instance/`` in any Connect ARN, or the
  ``InstanceId`` field Contact Lens sends).
- ``agent_id`` is always the agent ARN's last segment (the user's UUID). Usernames are not used as ids:
  the CTR and the contact events do not always carry one, and an agent must have one id everywhere.
- ``queue_id`` is the queue ARN's id (a UUID; agent queues become ``agent-<uuid>``), whichever feed the
  event came from: the CTR, the agent event stream and the EventBridge contact events all carry the ARN,
  only the first two carry the name, and a name can be changed in the console while the ARN cannot. So one
  queue is one scope across the three feeds. The queue's name, when the payload has it, travels as the
  label ``queue_name`` (for display, and for rules that filter queues by name). Only a payload with a name
  and no ARN (hand-written or trimmed captures) falls back to the slugged name (``"Tech Support"`` ->
  ``"tech-support"``).
- ``team_id`` is the deepest agent-hierarchy level that has a name, slugged. Names are unique only within
  their parent level: two branches with a "Team A" share a team id (documented limitation).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from floorwatch.events.adapters.base import AdapterError, Payload, lookup, parse_instant

_HIERARCHY_LEVELS = ("Level5", "Level4", "Level3", "Level2", "Level1")
_NOT_SLUG = re.compile(r"[^\w]+")
# Connect writes 1970-01-01T00:00:00.001Z into timestamps that are not set yet (documented samples
# show it for connectedToAgentTimestamp); anything this early means "absent", never a real instant.
_UNSET_BEFORE = datetime(1971, 1, 1, tzinfo=UTC)


def slug(name: str) -> str:
    """A readable id from a name: lower-cased, other characters than letters and digits become dashes.

    "Tech Support" -> "tech-support", "billing" -> "billing".
    """
    return _NOT_SLUG.sub("-", name.strip().lower()).strip("-")


def _resource_path(arn: str, field: str) -> str:
    """The part after ``instance/`` of a Connect ARN: ``<instance-id>[/<kind>/<id>...]``."""
    marker = arn.find("instance/")
    if not arn.startswith("arn:") or ":connect:" not in arn or marker < 0:
        raise AdapterError(field, f"not an Amazon Connect ARN: {arn[:80]!r}")
    path = arn[marker + len("instance/") :].strip("/")
    if not path:
        raise AdapterError(field, f"ARN has no instance id: {arn[:80]!r}")
    return path


def instance_id(arn: str, field: str) -> str:
    return _resource_path(arn, field).split("/", 1)[0]


def resource_id(arn: str, kind: str, field: str) -> str:
    """The id after ``/<kind>/`` in a Connect ARN; nested ids are joined by dashes (``agent-<uuid>``)."""
    parts = _resource_path(arn, field).split("/")
    if len(parts) < 3 or parts[1] != kind:
        raise AdapterError(field, f"not an Amazon Connect {kind} ARN: {arn[:80]!r}")
    return "-".join(parts[2:])


def agent_id_from_arn(arn: str, field: str) -> str:
    return resource_id(arn, "agent", field)


def queue_id_of(name: Any, arn: Any, name_field: str, arn_field: str) -> str | None:
    """Queue identity: the ARN's queue id, else the slugged name (no ARN), else None."""
    if arn is not None:
        if not isinstance(arn, str):
            raise AdapterError(arn_field, f"expected a string, got {type(arn).__name__}")
        return resource_id(arn, "queue", arn_field)
    if name is None:
        return None
    if not isinstance(name, str):
        raise AdapterError(name_field, f"expected a string, got {type(name).__name__}")
    return slug(name) or None


def queue_name_of(name: Any) -> str | None:
    """The queue's display name as configured (label ``queue_name``), when the payload has one."""
    if isinstance(name, str):
        name = name.strip()
        return name[:200] or None
    return None


def team_id_of(groups: Any, name_key: str, field: str) -> str | None:
    """The deepest hierarchy level with a name (``name_key``: "Name" in agent events, "GroupName" in CTRs)."""
    if groups is None:
        return None
    if not isinstance(groups, dict):
        raise AdapterError(field, f"expected an object, got {type(groups).__name__}")
    for level in _HIERARCHY_LEVELS:
        group = groups.get(level)
        if isinstance(group, dict):
            name = group.get(name_key)
            if isinstance(name, str) and slug(name):
                return slug(name)
    return None


def optional_instant(payload: Payload, path: str) -> datetime | None:
    """A timestamp that may be absent, null, or Connect's 1970 placeholder (all mean "not set")."""
    value = lookup(payload, path, None)
    if value is None:
        return None
    instant = parse_instant(value, path)
    return None if instant < _UNSET_BEFORE else instant


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Elapsed seconds, or None when either end is unknown; clock skew never yields a negative wait."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def lower_label(value: Any) -> str | None:
    """An enum-like string as a label value ("CUSTOMER_DISCONNECT" -> "customer_disconnect")."""
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    return None


_NULL_TEXT = "null"


def without_null_strings(value: Any, unread: frozenset[str] = frozenset()) -> Any:
    """``value`` with every string ``"null"`` (a relay's spelling of a JSON null) turned into None.

    Returns the very same object when there is none, so a clean payload costs one walk and no copy.
    Objects under a key in ``unread`` (parts of the payload the caller never reads: an agent event's
    previous snapshot, the routing profile) are left as they are, which halves the walk on agent events.
    """
    if value.__class__ is dict:
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            if item.__class__ in (dict, list):
                cleaned = item if key in unread else without_null_strings(item, unread)
            else:
                cleaned = item
            if cleaned is not item or item == _NULL_TEXT:
                if changed is None:
                    changed = dict(value)
                changed[key] = None if item == _NULL_TEXT else cleaned
        return value if changed is None else changed
    if value.__class__ is list:
        items = [
            None
            if item == _NULL_TEXT
            else without_null_strings(item, unread)
            if item.__class__ in (dict, list)
            else item
            for item in value
        ]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    return value
