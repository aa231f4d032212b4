"""In-memory audit log (tests, local runtime): append-only, same keys as the DynamoDB one."""

from __future__ import annotations

from threading import Lock

from floorwatch.store.audit_port import AuditEntry


class InMemoryAuditLog:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], AuditEntry] = {}
        self._lock = Lock()

    def append(self, entry: AuditEntry) -> bool:
        key = (entry.partition, entry.sort_key)
        with self._lock:
            if key in self._entries:
                return False
            self._entries[key] = entry
            return True

    def for_alert(self, alert_id: str) -> list[AuditEntry]:
        return self._partition(f"alert#{alert_id}")

    def for_user(self, user: str) -> list[AuditEntry]:
        return self._partition(f"user#{user}")

    def entries(self) -> list[AuditEntry]:
        """Everything, oldest first (tests, the local runtime's inspection)."""
        with self._lock:
            items = list(self._entries.values())
        return sorted(items, key=lambda entry: entry.sort_key)

    def _partition(self, partition: str) -> list[AuditEntry]:
        with self._lock:
            items = [entry for (pk, _), entry in self._entries.items() if pk == partition]
        return sorted(items, key=lambda entry: entry.sort_key)
