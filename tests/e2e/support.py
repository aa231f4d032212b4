"""What end-to-end tests drive: the running local system, payload builders and a WebSocket client."""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from floorwatch import names
from floorwatch.store.metrics_dynamodb import DynamoMetricStore
from websockets.sync.client import ClientConnection, connect

from local.runtime import LocalRuntime

E2E_QUEUE = "billing"
E2E_TEAM = "billing-1"
DEFAULT_TIMEOUT = 20.0  # seconds an expected message may take (generous: 2 cores shared by many jobs)
# Set to 1 to skip, rather than fail, the tests whose handlers cannot be imported (a partial checkout).
ALLOW_MISSING_HANDLERS = "FLOORWATCH_E2E_ALLOW_MISSING_HANDLERS"


def import_problem(module: str) -> str:
    """Why ``handlers.<module>`` cannot be imported (the error itself, so the failure names the cause)."""
    try:
        importlib.import_module(f"handlers.{module}").handler  # noqa: B018 - the attribute is the test
    except Exception as error:  # noqa: BLE001 - any import-time error is the answer
        return f"handlers.{module}: {type(error).__name__}: {error}"
    return f"handlers.{module}: not available to the runtime"


def require(system: RunningSystem, *handlers: str) -> None:
    """Fail when a handler the test needs cannot be imported: a broken handler must not leave the
    suite green. ``FLOORWATCH_E2E_ALLOW_MISSING_HANDLERS=1`` turns the failure into a skip."""
    missing = [name for name in handlers if name in system.missing_handlers()]
    if not missing:
        return
    problems = "; ".join(import_problem(name) for name in missing)
    if os.environ.get(ALLOW_MISSING_HANDLERS) == "1":
        pytest.skip(f"handlers missing ({ALLOW_MISSING_HANDLERS}=1): {problems}")
    pytest.fail(f"handlers cannot be imported: {problems} (set {ALLOW_MISSING_HANDLERS}=1 to skip instead)")


@dataclass
class RunningSystem:
    runtime: LocalRuntime

    @property
    def http_url(self) -> str:
        """The dashboard's base URL (``http://127.0.0.1:PORT/``)."""
        assert self.runtime.gateway is not None
        return self.runtime.gateway.http_url

    @property
    def outbox_url(self) -> str:
        return self.http_url + "outbox"

    def token(
        self,
        role: str = "supervisor",
        user: str = "e2e-supervisor",
        queues: Iterable[str] = (E2E_QUEUE,),
        teams: Iterable[str] = (),
    ) -> str:
        return self.runtime.mint_token(role=role, user=user, teams=teams, queues=queues)

    def ws_url(self, token: str) -> str:
        return self.runtime.ws_url(token)

    def dashboard_url(self, token: str) -> str:
        return self.runtime.dashboard_url(token)

    def push(self, payloads: Iterable[Mapping[str, Any]]) -> int:
        """PutRecords raw platform payloads to the raw-events stream."""
        return self.runtime.put_raw(payloads)

    def outbox(self) -> list[dict[str, Any]]:
        """Messages SNS would have sent so far: ``{channel, topic, subject, message, attributes, at}``."""
        return self.runtime.outbox_messages()

    def missing_handlers(self) -> list[str]:
        return self.runtime.unavailable_functions()

    def diagnosis(self, queue_id: str, center_id: str | None = None) -> str:
        """What the pipeline holds for ``queue_id`` (a failing test names it: where the data stopped)."""
        runtime = self.runtime
        resources = runtime.resources
        assert resources is not None
        functions = ", ".join(
            f"{name} {function.invocations} calls / {function.errors} errors"
            for name, function in sorted(runtime.functions.items())
        )
        sqs = runtime.aws.client("sqs")
        failed = {
            queue: sqs.get_queue_attributes(
                QueueUrl=resources.queue_url(queue), AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            for queue in (runtime.names.normalize_failures_queue, runtime.names.evaluate_failures_queue)
        }
        store = DynamoMetricStore(runtime.aws.client("dynamodb"), runtime.names.table(names.METRICS_TABLE))
        now = datetime.now(UTC)
        rows = store.recent_rows(f"queue:{queue_id}", now + timedelta(minutes=20), 5)
        centers = {row.center for row in rows} - {None}
        presence = [
            (entry.agent_id, entry.category, entry.queues, entry.at.isoformat())
            for center in {center_id, *centers} - {None}
            for entry in store.presence(str(center), now)
        ]
        queue_rows = [(row.bucket.isoformat(), row.center, sorted(row.latest)) for row in rows]
        return (
            f"functions: {functions}; failure queues: {failed}; queue rows: {queue_rows}; "
            f"presence read afresh: {presence}"
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def compliance_breach(contact_id: str, queue_id: str = E2E_QUEUE, team_id: str = E2E_TEAM) -> dict[str, Any]:
    """A generic-schema compliance event (card number spoken): opens a critical alert at once."""
    return {
        "source": "generic",
        "event_id": f"e2e-{contact_id}-compliance",
        "type": "compliance",
        "occurred_at": now_iso(),
        "center_id": "e2e",
        "queue_id": queue_id,
        "team_id": team_id,
        "agent_id": "agent-e2e",
        "contact_id": contact_id,
        "channel": "voice",
        "labels": {"category": "card-number-spoken"},
    }


def queue_snapshot(queue_id: str, contacts_in_queue: int) -> dict[str, Any]:
    """A generic queue snapshot; above 20 / 40 contacts opens a warning / critical alert (e2e rules)."""
    return {
        "source": "generic",
        "type": "queue_snapshot",
        "occurred_at": now_iso(),
        "center_id": "e2e",
        "queue_id": queue_id,
        "channel": "voice",
        "values": {"contacts_in_queue": contacts_in_queue, "longest_wait_seconds": 30, "agents_available": 3},
    }


class Dashboard:
    """A WebSocket client speaking the dashboard protocol (docs/protocol.md)."""

    def __init__(self, url: str) -> None:
        # Entered at once: websockets 17 wants connections used as context managers (closed on exit).
        self.connection: ClientConnection = connect(url, open_timeout=DEFAULT_TIMEOUT).__enter__()
        self.seen: list[dict[str, Any]] = []

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Dashboard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, message: Mapping[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def subscribe(self, scopes: Iterable[str] = ("*",)) -> dict[str, Any]:
        self.send({"action": "subscribe", "scopes": list(scopes), "request_id": "subscribe-1"})
        return self.wait_for(lambda m: m.get("type") == "snapshot" and m.get("request_id") == "subscribe-1")

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """The first message (already received or arriving within ``timeout``) matching ``predicate``."""
        for message in self.seen:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching message within {timeout} s; received: {self.seen[-10:]}")
            try:
                raw = self.connection.recv(timeout=remaining)
            except TimeoutError:
                continue
            message = json.loads(raw)
            self.seen.append(message)
            if predicate(message):
                return message


def transition_for(contact_id: str, kind: str) -> Callable[[dict[str, Any]], bool]:
    def matches(message: dict[str, Any]) -> bool:
        return (
            message.get("type") == "transition"
            and message.get("transition") == kind
            and contact_id in str(message.get("scope", ""))
        )

    return matches


def wait_until(predicate: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT, interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns something truthy; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
