"""A named daemon thread that loops until stopped: the base of every poller and the scheduler."""

from __future__ import annotations

import threading


class Worker:
    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end; it checks between steps and wakes from its waits."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.ident is not None:  # never started: nothing to wait for
            self._thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError
