"""In-process "Lambda functions": each handler module called the way Lambda calls it.

A ``LocalFunction`` imports ``handlers.<module>`` lazily (other helpers' handlers may not exist yet:
a missing module is logged once and the caller waits, as records wait in a stream with no mapping)
and serializes invocations: Lambda runs concurrent invocations in separate containers, but here they
share module state (Powertools Metrics buffers, cached clients), so one at a time per function.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from floorwatch.names import ResourceNames

from local.runtime.aws import ACCOUNT_ID, REGION

log = logging.getLogger("floorwatch.local")

Handler = Callable[[Mapping[str, Any], Any], Any]
# Told of every invocation: (event, monotonic start, monotonic end) - benchmarks time the hops with it.
InvocationObserver = Callable[[Mapping[str, Any], float, float], None]
TIMEOUT_MILLIS = 60_000


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default_factory=lambda: time.monotonic() + TIMEOUT_MILLIS / 1000)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    """``handlers.<module>.handler`` behind a lock, imported on first use."""

    def __init__(self, module: str, names: ResourceNames, handler: Handler | None = None) -> None:
        """``handler`` replaces ``handlers.<module>.handler`` (tests)."""
        self.module = module
        self.function_name = names.function(module)
        self._handler: Handler | None = handler
        self._module: Any = None  # the imported handlers.<module>, once resolved
        self._lock = threading.Lock()
        self._missing_logged = False
        self._closed = False
        self.invocations = 0
        self.errors = 0
        self.busy_seconds = 0.0  # time spent inside the handler (moto is slow: batching shows here)
        self.observers: list[InvocationObserver] = []

    def available(self) -> bool:
        return self._resolve() is not None

    def _resolve(self) -> Handler | None:
        if self._handler is not None:
            return self._handler
        try:
            module = importlib.import_module(f"handlers.{self.module}")
            handler: Handler = module.handler
        except (ImportError, AttributeError) as error:
            if not self._missing_logged:
                log.warning("handlers.%s not available yet (%s): its trigger waits", self.module, error)
                self._missing_logged = True
            return None
        _forget_cold_start(module)
        self._module = module
        self._handler = handler
        if self._missing_logged:
            log.warning("handlers.%s is available now", self.module)
        return handler

    def forget_cold_start(self) -> None:
        """Drop the handler's cached clients (pointing at this runtime's moto) when the runtime stops."""
        if self._module is not None:
            _forget_cold_start(self._module)

    def close(self) -> None:
        """Refuse invocations from now on (the runtime is stopping). Pollers and the scheduler queue up
        on the lock behind a running invocation; each evaluator batch takes seconds on moto, and Ctrl-C
        used to wait for every queued one in turn."""
        self._closed = True

    def invoke(self, event: Mapping[str, Any]) -> Any:
        """Call the handler; its exceptions propagate (a function error). FunctionUnavailable once closed."""
        handler = self._resolve()
        if handler is None:
            raise FunctionUnavailable(self.module)
        with self._lock:
            if self._closed:
                raise FunctionUnavailable(self.module)
            self.invocations += 1
            started = time.monotonic()
            try:
                return handler(event, LambdaContext(self.function_name))
            except Exception:
                self.errors += 1
                raise
            finally:
                ended = time.monotonic()
                self.busy_seconds += ended - started
                for observer in self.observers:
                    observer(event, started, ended)


class FunctionUnavailable(RuntimeError):
    pass


def _forget_cold_start(module: Any) -> None:
    """Handlers cache their clients (``functools.cache`` on ``_default_handler``) at cold start; a
    second local runtime in the same process (tests) points at another moto port, so start cold."""
    cached = getattr(module, "_default_handler", None)
    clear = getattr(cached, "cache_clear", None)
    if callable(clear):
        clear()


FUNCTION_MODULES = ("normalize", "evaluate", "fanout", "escalate", "baselines", "authorizer", "websocket")


def local_functions(names: ResourceNames) -> dict[str, LocalFunction]:
    return {module: LocalFunction(module, names) for module in FUNCTION_MODULES}
