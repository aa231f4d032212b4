"""Issue 14, item 9: the deliberate bugs the suite once let through, one test each.

Each test was run with its bug planted (the change named in its docstring) and failed, then the plant
was removed (docs/security.md, "Tests that would have caught it"). They assert what a person notices:
a dashboard showing a muted change, the wrong manager paged, a dead dashboard retried, a card number
or SSN in the clear, two contacts' events merged into one.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from floorwatch.alerts.model import TransitionKind
from floorwatch.delivery.websocket import ApiGatewayPoster, ConnectionGone
from floorwatch.events.normalize import normalize_bytes
from floorwatch.security.redact import CARD_MASK, PSEUDONYM_PREFIX, SSN_MASK, redact, redact_identifier

from tests.unit.delivery.world import World
from tests.unit.events.test_genesys import load


def test_a_muted_transition_reaches_dashboards_silently_and_pages_nobody() -> None:
    """Plant: ``deliver`` treats a muted transition like any other (its ``notify`` ignored).

    Muted transitions (snoozed, flapping) are pushed so a card agrees with the next snapshot
    (docs/protocol.md), marked ``notify: false`` so the page shows them without a sound or a countdown;
    they never reach SNS and never start an escalation."""
    world = World()
    world.observe(200)  # opens warning
    world.snooze(30)
    sent_before = len(world.publisher.published)
    world.observe(340)  # upgrades to critical while snoozed: stored with notify false

    (upgraded,) = [t for t in world.alerts.all_transitions() if t.transition is TransitionKind.UPGRADED]
    assert upgraded.notify is False
    pushed = {message["transition"]: message for message in world.poster.messages("c-ana")}
    assert list(pushed) == ["opened", "snoozed", "upgraded"]
    assert pushed["upgraded"]["notify"] is False
    assert len(world.publisher.published) == sent_before  # no SMS, no e-mail
    world.advance(120)
    assert world.escalation_pages() == []  # muted: nobody is paged past ack_within


def test_a_re_escalation_after_a_downgrade_continues_from_the_alerts_level() -> None:
    """Plant: an upgrade's first check starts at level 0 (``current_level`` always 0)."""
    world = World()
    world.observe(340)  # critical, ack_within 30 s
    world.advance(30)  # level 1 paged
    world.observe(200)  # downgraded: the chain stops
    world.observe(340)  # critical again, still unacknowledged

    world.advance(200)

    assert world.escalation_pages() == [
        (30, "team-supervisor"),
        (60, "floor-manager"),  # the next level, not the team supervisor a second time
        (150, "ops-on-call"),
    ]


def _management_client() -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.parametrize("code", ["Gone", "410", "UnknownError"])
def test_a_410_is_gone_whatever_its_error_code(code: str) -> None:
    """Plant: only ``GoneException`` counts (``or status == 410`` dropped). Proxies and the local
    gateway answer 410 with other codes; a gone dashboard must be dropped, not retried for 3 rounds."""
    client = _management_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("post_to_connection", service_error_code=code, http_status_code=410)
        with pytest.raises(ConnectionGone):
            ApiGatewayPoster(client).post("c-1", b"{}")


@pytest.mark.parametrize("card", ["4222222222222", "4222 2222 22222", "4222-2222-2222-2"])
def test_a_13_digit_card_number_is_masked_in_text_and_ids(card: str) -> None:
    """Plant: card numbers of 14-19 digits only."""
    assert redact(f"old visa {card} ok") == f"old visa {CARD_MASK} ok"
    assert redact_identifier(card.replace(" ", "").replace("-", "")).startswith(PSEUDONYM_PREFIX)


@pytest.mark.parametrize(
    ("text", "is_ssn"), [("123-45-6789", True), ("123 45 6789", True), ("123-45 6789", False)]
)
def test_an_ssn_is_masked_only_when_its_separators_agree(text: str, is_ssn: bool) -> None:
    """Plants: separators that need not agree (``[- ]`` for the back-reference), or only hyphens."""
    masked = redact(f"my number is {text}.")
    assert (masked == f"my number is {SSN_MASK}.") is is_ssn
    assert text not in masked or not is_ssn


def test_two_sessions_of_one_conversation_at_one_instant_are_two_events() -> None:
    """Plant: the Genesys adapter leaves the session id out of the event id. A transfer ends two
    participants' sessions in the same millisecond; merged, one of them is dropped as a duplicate."""
    first = load("acd_end_answered.json")
    second = json.loads(json.dumps(first))
    second["eventBody"]["sessionId"] = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    second["eventBody"]["participantId"] = "1e2f3a4b-5c6d-4e7f-8a90-a1b2c3d4e5f6"

    ids = set()
    for document in (first, second):
        outcome = normalize_bytes(json.dumps(document).encode())
        assert outcome.reason is None
        ids |= {event.event_id for event in outcome.events}
    assert len(ids) == 2
