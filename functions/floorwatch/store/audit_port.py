"""The audit log port: an append-only record of every person's action and every escalation.

Who did what, when, on which alert, from which WebSocket connection, with free-form details. There
is deliberately no update or delete: the DynamoDB adapter writes with ``PutItem`` under
``attribute_not_exists`` and the functions' IAM policies grant nothing else on the table
(``floorwatch.names.AUDIT_TABLE``).

Appending the same entry (same ``entry_id`` and time) twice stores it once: writers that may run
twice for one fact (an escalation check delivered twice) pass a deterministic ``entry_id``, e.g. the
transition id, and ``append`` answers False the second time.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from floorwatch.security.redact import redact, redact_identifier
from floorwatch.timefmt import iso_micros

DetailValue = str | int | float | bool | None


def new_entry_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class AuditEntry:
    actor: str  # the user, or "system" / the escalation policy for automatic entries
    action: str  # ack, snooze, note, feedback, escalate, resolve, subscribe, refused:<action>, ...
    at: datetime
    alert_id: str | None = None
    role: str | None = None
    connection_id: str | None = None
    details: Mapping[str, DetailValue] = field(default_factory=dict)
    entry_id: str = field(default_factory=new_entry_id)

    def __post_init__(self) -> None:
        # The audit boundary redacts, whoever writes: an alert id typed by a client can be a card number,
        # and notes, reasons and refusal messages are free text. The actor stays: it is the token's user,
        # which the operator chose, and the point of an audit log.
        if self.alert_id is not None:
            object.__setattr__(self, "alert_id", redact_identifier(self.alert_id))
        details = {
            name: redact(value) if isinstance(value, str) else value for name, value in self.details.items()
        }
        object.__setattr__(self, "details", details)

    @property
    def partition(self) -> str:
        """Entries about an alert live together; actions on no alert under their author."""
        return f"alert#{self.alert_id}" if self.alert_id else f"user#{self.actor}"

    @property
    def sort_key(self) -> str:
        """Time first, so an alert's entries read back in order."""
        return f"{iso_micros(self.at)}#{self.entry_id}"


class AuditLog(Protocol):
    def append(self, entry: AuditEntry) -> bool:
        """Store ``entry``; False (and nothing written) when that exact entry is already stored."""
        ...

    def for_alert(self, alert_id: str) -> list[AuditEntry]:
        """Every entry about ``alert_id``, oldest first."""
        ...

    def for_user(self, user: str) -> list[AuditEntry]:
        """Entries by ``user`` on no alert (subscriptions, refusals of unknown alerts), oldest first."""
        ...
