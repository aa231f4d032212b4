"""In-memory alert store (replay, unit tests, benchmarks): the AlertStore port on plain dicts.

Same contract as the DynamoDB store: a save succeeds only when the stored version is still
``previous_version`` (a state stored without any transition yet has version 0, like no state at all),
the state and its transitions are stored together, and ``find`` only knows each state's current alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from floorwatch.alerts.model import Transition
from floorwatch.alerts.state_machine import AlertState
from floorwatch.store.alerts_common import check_save, is_active
from floorwatch.store.alerts_port import AlertConflict, AlertKey


class InMemoryAlertStore:
    def __init__(self) -> None:
        self._states: dict[AlertKey, AlertState] = {}
        self._transitions: dict[AlertKey, list[Transition]] = {}
        self._active: dict[AlertKey, AlertState] = {}
        self._by_alert_id: dict[str, AlertKey] = {}
        self.saves = 0  # observability for tests and benchmarks

    def load(self, keys: Iterable[AlertKey]) -> dict[AlertKey, AlertState]:
        states = self._states
        return {key: states[key] for key in keys if key in states}

    def save(self, previous_version: int, state: AlertState, transitions: Sequence[Transition]) -> None:
        check_save(previous_version, state, transitions)
        key = state.key
        stored = self._states.get(key)
        if (0 if stored is None else stored.version) != previous_version:
            raise AlertConflict(key, previous_version)
        if stored is not None and stored.alert_id is not None and stored.alert_id != state.alert_id:
            self._by_alert_id.pop(stored.alert_id, None)
        self._states[key] = state
        if state.alert_id is not None:
            self._by_alert_id[state.alert_id] = key
        if is_active(state):
            self._active[key] = state
        else:
            self._active.pop(key, None)
        if transitions:
            self._transitions.setdefault(key, []).extend(transitions)
        self.saves += 1

    def active(self) -> list[AlertState]:
        return [self._active[key] for key in sorted(self._active)]

    def find(self, alert_id: str) -> AlertState | None:
        key = self._by_alert_id.get(alert_id)
        return None if key is None else self._states[key]

    def transitions(self, key: AlertKey, since_version: int = 0) -> list[Transition]:
        return [item for item in self._transitions.get(key, ()) if item.version > since_version]

    def all_transitions(self) -> list[Transition]:
        """Every transition stored, per (rule, scope) in key order (for tests and inspection)."""
        return [item for key in sorted(self._transitions) for item in self._transitions[key]]
