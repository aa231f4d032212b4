"""The alert store port: where alert states and their transitions live.

Shared by the evaluator (engine), the WebSocket actions (acknowledge, snooze, ...), the escalation
checks and the dashboard snapshot. Two implementations: an in-memory one (replay, unit tests) and a
DynamoDB one (the alerts table of ``floorwatch.names.ALERTS_TABLE``, whose stream feeds the fan-out).

Concurrency: every writer reads a state, computes the next one with the pure state machine and saves
it with ``save(previous_version, ...)``; the save succeeds only if the stored version is still
``previous_version`` (0: nothing stored yet), else ``AlertConflict`` is raised and the writer reloads
and recomputes. The state and its new transitions are written atomically; a transition id
(``alert_id:version``) is therefore written exactly once, whoever retries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import AlertState

AlertKey = tuple[str, str]  # (rule_id, scope)


class AlertConflict(Exception):
    """The stored state moved on since it was read (another writer saved first)."""

    def __init__(self, key: AlertKey, expected_version: int) -> None:
        self.key = key
        self.expected_version = expected_version
        super().__init__(f"alert state {key[0]} / {key[1]} is no longer at version {expected_version}")


class AlertStore(Protocol):
    def load(self, keys: Iterable[AlertKey]) -> dict[AlertKey, AlertState]:
        """The stored states of ``keys``; keys never saved are absent from the result."""
        ...

    def save(self, previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
        """Store ``state`` and append ``transitions`` atomically, if the stored version is still
        ``previous_version``; raises AlertConflict otherwise. Saving an unchanged state with no
        transitions may be skipped by the caller (it writes nothing useful)."""
        ...

    def active(self) -> list[AlertState]:
        """States that need ticks or show on dashboards: pending, firing, flapping or snoozed."""
        ...

    def find(self, alert_id: str) -> AlertState | None:
        """The (rule, scope) state whose current alert is ``alert_id``; None if unknown or superseded."""
        ...

    def transitions(self, key: AlertKey, since_version: int = 0) -> list[Transition]:
        """Transitions of one (rule, scope) with a version above ``since_version``, oldest first."""
        ...
