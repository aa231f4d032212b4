"""WebSocket fan-out: who receives a transition, 410 Gone, bounded retries without re-sending."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.delivery.memory import RecordingPoster
from floorwatch.delivery.websocket import (
    ApiGatewayPoster,
    ConnectionGone,
    PostRejected,
    RetryPolicy,
    WebSocketFanout,
    audience_scopes,
)
from floorwatch.security.roles import may_see
from floorwatch.store.connections_memory import InMemoryConnectionStore
from floorwatch.store.connections_port import Principal

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ANA = Principal(user="ana", role="supervisor", teams=("tier1",), queues=("billing",))
BEA = Principal(user="bea", role="supervisor", teams=("tier2",), queues=("tech",))
MAX = Principal(user="max", role="manager")
AGENT = Principal(user="carl", role="agent", teams=("tier1",))


def transition(**changes: object) -> Transition:
    base = Transition(
        transition_id="a1:1",
        alert_id="a1",
        transition=TransitionKind.OPENED,
        rule="queue-longest-wait",
        scope="queue:billing",
        severity=Severity.CRITICAL,
        value=340.0,
        threshold=300.0,
        at=NOW,
        version=1,
        queue_id="billing",
        team_id="tier1",
        metric="longest_wait_seconds",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        yield pool


@pytest.fixture
def connections() -> InMemoryConnectionStore:
    store = InMemoryConnectionStore(clock=lambda: NOW)
    for connection_id, principal, scopes in (
        ("c-ana", ANA, ["*"]),
        ("c-ana-queue", ANA, ["queue:billing"]),
        ("c-bea", BEA, ["*"]),
        ("c-max", MAX, ["queue:billing"]),
        ("c-max-other", MAX, ["queue:tech"]),
        ("c-agent", AGENT, ["*"]),
    ):
        store.add(connection_id, principal, NOW)
        store.subscribe(connection_id, scopes)
    return store


def fanout(
    connections: InMemoryConnectionStore,
    poster: Any,
    executor: ThreadPoolExecutor,
    sleeps: list[float] | None = None,
    attempts: int = 3,
) -> WebSocketFanout:
    recorded = [] if sleeps is None else sleeps
    return WebSocketFanout(
        connections,
        poster,
        may_see,
        executor=executor,
        retry=RetryPolicy(attempts=attempts, base_delay=0.1, max_delay=1.0),
        sleep=recorded.append,
        jitter=lambda: 0.5,
    )


def test_each_subscriber_that_may_see_it_receives_the_protocol_message_once(
    connections: InMemoryConnectionStore, executor: ThreadPoolExecutor
) -> None:
    poster = RecordingPoster()
    report = fanout(connections, poster, executor).push(transition())

    assert sorted(poster.received) == ["c-ana", "c-ana-queue", "c-max"]
    message = poster.messages("c-ana")[0]
    assert message["type"] == "transition"
    assert message["transition_id"] == "a1:1"
    assert message["scope"] == "queue:billing"
    assert sorted(report.delivered) == ["c-ana", "c-ana-queue", "c-max"]
    assert report.complete


def test_agent_scope_transitions_reach_the_team_supervisor_through_context(
    connections: InMemoryConnectionStore, executor: ThreadPoolExecutor
) -> None:
    connections.add("c-team", ANA, NOW)
    connections.subscribe("c-team", ["team:tier1"])
    poster = RecordingPoster()
    agent_alert = transition(
        scope="agent:carl", queue_id=None, team_id="tier1", metric="agent_not_ready_seconds"
    )

    fanout(connections, poster, executor).push(agent_alert)

    # ana via "*" and via team:tier1, carl (an agent) sees his own scope; bea and max's queue subs do not.
    assert sorted(poster.received) == ["c-agent", "c-ana", "c-team"]
    assert audience_scopes(agent_alert) == ["agent:carl", "team:tier1"]


def test_a_gone_connection_is_deleted_and_the_others_still_receive(
    connections: InMemoryConnectionStore, executor: ThreadPoolExecutor
) -> None:
    poster = RecordingPoster(gone={"c-ana-queue"})
    sleeps: list[float] = []

    report = fanout(connections, poster, executor, sleeps).push(transition())

    assert report.gone == ["c-ana-queue"]
    assert connections.get("c-ana-queue") is None
    assert sorted(poster.received) == ["c-ana", "c-max"]
    assert poster.attempts["c-ana-queue"] == 1  # never retried
    assert sleeps == []  # nobody waited for it
    assert report.complete


def test_retry_reaches_the_flaky_connection_without_resending_to_the_others(
    connections: InMemoryConnectionStore, executor: ThreadPoolExecutor
) -> None:
    poster = RecordingPoster(flaky={"c-max": 2})
    sleeps: list[float] = []

    report = fanout(connections, poster, executor, sleeps).push(transition())

    assert {cid: len(messages) for cid, messages in poster.received.items()} == {
        "c-ana": 1,
        "c-ana-queue": 1,
        "c-max": 1,
    }
    assert poster.attempts == {"c-ana": 1, "c-ana-queue": 1, "c-max": 3}
    assert sleeps == [0.05, 0.1]  # jitter 0.5 x backoff 0.1, 0.2
    assert report.complete
    assert report.posts == 5


def test_retries_are_bounded_and_what_is_left_is_reported(
    connections: InMemoryConnectionStore, executor: ThreadPoolExecutor
) -> None:
    poster = RecordingPoster(flaky={"c-max": 10})

    report = fanout(connections, poster, executor, attempts=3).push(transition())

    assert poster.attempts["c-max"] == 3
    assert list(report.undelivered) == ["c-max"]
    assert "throttled" in report.undelivered["c-max"]
    assert sorted(report.delivered) == ["c-ana", "c-ana-queue"]
    assert connections.get("c-max") is not None  # a failure is not a 410: the connection stays


def test_a_rejected_post_is_reported_and_not_retried(
    connections: InMemoryConnectionStore, executor: ThreadPoolExecutor
) -> None:
    class TooLarge(RecordingPoster):
        def post(self, connection_id: str, data: bytes) -> None:
            if connection_id == "c-max":
                self.attempts[connection_id] += 1
                raise PostRejected("c-max: PayloadTooLargeException")
            super().post(connection_id, data)

    poster = TooLarge()
    report = fanout(connections, poster, executor).push(transition())
    assert poster.attempts["c-max"] == 1
    assert list(report.undelivered) == ["c-max"]


def test_posts_run_concurrently(connections: InMemoryConnectionStore, executor: ThreadPoolExecutor) -> None:
    """Every post waits until all three are in flight: a sequential fan-out would break the barrier."""
    barrier = threading.Barrier(3, timeout=10)

    class Rendezvous(RecordingPoster):
        def post(self, connection_id: str, data: bytes) -> None:
            barrier.wait()
            super().post(connection_id, data)

    poster = Rendezvous()
    report = fanout(connections, poster, executor).push(transition())
    assert sorted(report.delivered) == ["c-ana", "c-ana-queue", "c-max"]
    assert not barrier.broken


# --- the boto3 adapter ------------------------------------------------------------------------------


def management_client() -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_adapter_turns_a_410_into_connection_gone() -> None:
    client = management_client()
    with Stubber(client) as stubber:
        stubber.add_response("post_to_connection", {}, {"ConnectionId": "c-1", "Data": b"{}"})
        stubber.add_client_error(
            "post_to_connection", service_error_code="GoneException", http_status_code=410
        )
        stubber.add_client_error(
            "post_to_connection", service_error_code="PayloadTooLargeException", http_status_code=413
        )
        stubber.add_client_error(
            "post_to_connection", service_error_code="LimitExceededException", http_status_code=429
        )
        poster = ApiGatewayPoster(client)
        poster.post("c-1", b"{}")
        with pytest.raises(ConnectionGone):
            poster.post("c-2", b"{}")
        with pytest.raises(PostRejected):
            poster.post("c-3", b"{}")
        with pytest.raises(ClientError):
            poster.post("c-4", b"{}")
        stubber.assert_no_pending_responses()


class FakeManagementClient:
    """What boto3's client raises, per connection (Stubber answers in call order, which concurrent posts
    do not have): c-gone answers 410, c-slow is throttled once."""

    def __init__(self) -> None:
        self.posted: dict[str, list[bytes]] = {}
        self._throttled: set[str] = set()
        self._lock = threading.Lock()

    def post_to_connection(self, *, ConnectionId: str, Data: bytes) -> dict[str, Any]:
        with self._lock:
            if ConnectionId == "c-gone":
                raise _client_error("GoneException", 410)
            if ConnectionId == "c-slow" and ConnectionId not in self._throttled:
                self._throttled.add(ConnectionId)
                raise _client_error("LimitExceededException", 429)
            self.posted.setdefault(ConnectionId, []).append(Data)
        return {}


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PostToConnection",
    )


def test_fanout_through_the_boto3_adapter(executor: ThreadPoolExecutor) -> None:
    store = InMemoryConnectionStore(clock=lambda: NOW)
    for connection_id in ("c-ok", "c-gone", "c-slow"):
        store.add(connection_id, MAX, NOW)
        store.subscribe(connection_id, ["*"])
    client = FakeManagementClient()

    report = fanout(store, ApiGatewayPoster(client), executor).push(transition())

    assert report.gone == ["c-gone"]
    assert store.get("c-gone") is None
    assert {cid: len(data) for cid, data in client.posted.items()} == {"c-ok": 1, "c-slow": 1}
    assert json.loads(client.posted["c-ok"][0])["transition_id"] == "a1:1"
    assert report.complete
