"""Redaction gaps (issue item 2): card numbers with any separator, IBANs (checksum), ids and label keys,
and every boundary that stores, pushes or logs text. Property tests generate what must never survive."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime

import pytest
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.events.normalize import normalize_bytes
from floorwatch.security.redact import (
    CARD_MASK,
    IBAN_MASK,
    PSEUDONYM_PREFIX,
    _redact_round,
    iban_valid,
    luhn_valid,
    redact,
    redact_identifier,
)
from floorwatch.store.audit_port import AuditEntry
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.hostile.test_websocket_and_tokens import CONNECTION, world  # noqa: F401 - fixture
from tests.unit.websocket.support import T0, open_alert
from tests.unit.websocket.test_handlers import World

CARD = "4111111111111111"
IBAN = "DE89370400440532013000"
SEPARATORS = ["\t", "\n", " - ", "\u2013", "\u2014", "  ", ",", ", ", ".", "/", "_", " ", "-"]


def with_luhn(body: str) -> str:
    """``body`` and the check digit that makes it pass the Luhn check."""
    return next(body + digit for digit in string.digits if luhn_valid(body + digit))


def with_iban_check(country: str, bban: str) -> str:
    """A valid IBAN for ``country`` and ``bban``: check digits from ISO 13616 mod 97."""
    numeric = int("".join(str(int(character, 36)) for character in bban + country + "00"))
    return f"{country}{98 - numeric % 97:02d}{bban}"


def grouped(digits: str, separator: str, size: int = 4) -> str:
    return separator.join(digits[index : index + size] for index in range(0, len(digits), size))


def raw_digit_runs(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


@pytest.mark.parametrize("separator", SEPARATORS)
def test_a_card_number_with_any_separator_is_masked(separator: str) -> None:
    assert redact(f"card {grouped(CARD, separator)} thanks") == f"card {CARD_MASK} thanks"


def test_a_13_digit_card_number_is_masked() -> None:
    assert redact("old visa 4222222222222 ok") == f"old visa {CARD_MASK} ok"


@pytest.mark.parametrize(
    "text",
    [IBAN, IBAN.lower(), grouped(IBAN, " "), "DE89 3704 0044 **** **** 00", "DE89 XXXX XXXX XXXX 0130 00"],
)
def test_ibans_spaced_unspaced_and_partly_masked_are_masked(text: str) -> None:
    assert redact(f"pay to {text} today") == f"pay to {IBAN_MASK} today"


def test_the_iban_checksum_is_iso_13616() -> None:
    assert iban_valid(IBAN) and iban_valid("GB29 NWBK 6016 1331 9268 19")
    assert not iban_valid("DE88370400440532013000")  # one check digit off
    assert with_iban_check("DE", "370400440532013000") == IBAN


@given(
    body=st.text(string.digits, min_size=12, max_size=18),
    separators=st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=1),
    size=st.integers(min_value=2, max_value=6),
    before=st.sampled_from(["", "my card ", "number: ", "(", "x "]),
    after=st.sampled_from(["", " thanks", ".", ")", " exp soon"]),
)
def test_generated_card_numbers_never_survive(
    body: str, separators: list[str], size: int, before: str, after: str
) -> None:
    card = with_luhn(body)
    redacted = redact(f"{before}{grouped(card, separators[0], size)}{after}")
    assert card not in raw_digit_runs(redacted)


@given(
    country=st.sampled_from(["DE", "FR", "GB", "NL", "ES", "IT"]),
    bban=st.text(string.digits + string.ascii_uppercase, min_size=12, max_size=26),
    spaced=st.booleans(),
)
def test_generated_ibans_never_survive(country: str, bban: str, spaced: bool) -> None:
    iban = with_iban_check(country, bban)
    text = grouped(iban, " ") if spaced else iban
    assert iban not in redact(f"IBAN {text} please").replace(" ", "")


@given(
    user=st.text(string.ascii_letters + string.digits + "._+-", min_size=1, max_size=20),
    domain=st.text(string.ascii_lowercase, min_size=1, max_size=12),
)
def test_generated_email_addresses_never_survive(user: str, domain: str) -> None:
    address = f"{user}@{domain}.com"
    assert address not in redact(f"write to {address} now")


@given(
    area=st.integers(min_value=200, max_value=999),
    exchange=st.integers(min_value=200, max_value=999),
    line=st.integers(min_value=0, max_value=9999),
    style=st.sampled_from(["+1 {a} {e} {l}", "({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "+1{a}{e}{l}"]),
)
def test_generated_phone_numbers_never_survive(area: int, exchange: int, line: int, style: str) -> None:
    phone = style.format(a=area, e=exchange, l=f"{line:04d}")
    assert raw_digit_runs(phone)[-10:] not in raw_digit_runs(redact(f"call {phone} later"))


# Pieces glued without spaces: where one mask ends, the next match may start (an IBAN glued to a phone
# number, a card run into an IBAN), which is where one round of the patterns leaves PII behind.
GLUED_PIECES = [
    IBAN,
    "GB29NWBK60161331926819",
    CARD,
    grouped(CARD, " "),
    "+1 415 555 0136",
    "4155550136",
    "123-45-6789",
    "a@b.co",
    "XX",
    "*",
]


@given(
    st.lists(
        st.sampled_from(GLUED_PIECES) | st.text(" -./()+@x0123456789", max_size=4), min_size=1, max_size=8
    ).map("".join)
)
def test_redaction_is_idempotent_on_glued_pii(text: str) -> None:
    # One pass, wherever it runs, masks all that a second would: the model's pass is the only one.
    once = redact(text)
    assert redact(once) == once


def test_an_iban_glued_to_a_phone_number_is_masked_in_one_call() -> None:
    assert redact(f"+1 415 555 0136{IBAN}") == "[PHONE][IBAN]"
    assert redact(f"GB29NWBK60161331926819{IBAN}") == f"GB29NWBK{CARD_MASK}{IBAN_MASK}"


@given(
    st.lists(st.sampled_from(GLUED_PIECES) | st.sampled_from([" thanks ", "call ", "\n"]), max_size=8).map(
        "".join
    )
)
def test_utterances_are_redacted_once_as_well_as_twice(content: str) -> None:
    # The adapter no longer redacts before the model does (unless it must cut): the model's one pass
    # masks at least what two rounds of the patterns did (adapter, then model, before), never less.
    document = {
        "Version": "1.0.0",
        "Channel": "VOICE",
        "AccountId": "123456789012",
        "InstanceId": "e0e3c6f0-1c2a-4f6a-9c1b-6a0b6f7e2d10",
        "ContactId": "c1b2a3d4-0000-4000-8000-000000000001",
        "LanguageCode": "en-US",
        "EventType": "SEGMENTS",
        "Segments": [
            {
                "Transcript": {
                    "Id": "t-1",
                    "ParticipantId": "CUSTOMER",
                    "ParticipantRole": "CUSTOMER",
                    "Content": f"x {content}",
                    "BeginOffsetMillis": 1000,
                    "EndOffsetMillis": 2000,
                    "Sentiment": "NEUTRAL",
                }
            }
        ],
    }
    outcome = normalize_bytes(json.dumps(document).encode(), datetime(2026, 11, 23, 9, tzinfo=UTC))
    assert outcome.reason is None, outcome.reason
    text = outcome.events[0].text
    assert text == redact(f"x {content}")
    two_rounds = _redact_round(_redact_round(f"x {content}"))
    assert text == redact(two_rounds)  # two rounds, then whatever more rounds mask
    assert len(raw_digit_runs(text)) <= len(raw_digit_runs(two_rounds))


@pytest.mark.parametrize("value", ["jane.doe@example.com", CARD, grouped(CARD, "-"), "+14155550136", IBAN])
def test_ids_holding_pii_become_stable_pseudonyms(value: str) -> None:
    event = CxEvent(
        event_id=f"ev-{value}",
        source=Source.GENERIC,
        type=EventType.CONTACT_ANSWERED,
        occurred_at=datetime(2026, 11, 23, tzinfo=UTC),
        agent_id=value,
        contact_id=value,
        labels={value: "x", "note": f"from {value}"},
    )
    dumped = event.to_json()
    assert value not in dumped
    if raw_digit_runs(value):
        assert raw_digit_runs(value)[-10:] not in raw_digit_runs(dumped)
    assert event.agent_id == event.contact_id == redact_identifier(value)
    assert str(event.agent_id).startswith(PSEUDONYM_PREFIX)


@pytest.mark.parametrize(
    "value",
    ["8447320466430", "8c7f0e6a-1234-5678-9abc-def012345678", "88839333f6c75cb7ee29992fef50f7be", "c-9"],
)
def test_platform_ids_are_kept(value: str) -> None:
    assert redact_identifier(value) == value


def test_a_rejected_payload_s_reason_does_not_list_its_keys() -> None:
    outcome = normalize_bytes(json.dumps({CARD: 1, "jane@example.com": 2}).encode())
    assert outcome.reason is not None and "2 top-level keys" in outcome.reason
    assert CARD not in outcome.reason and "jane" not in outcome.reason


def test_an_alert_id_carrying_a_card_number_never_reaches_the_audit_log(world: World) -> None:  # noqa: F811
    reply = world.send(CONNECTION, {"action": "ack", "alert_id": grouped(CARD, "\t")})
    assert reply["code"] == "not_found"
    entries = [entry for user in ("ana",) for entry in world.audit.for_user(user)]
    entries += world.audit.for_alert(redact_identifier(grouped(CARD, "\t")))
    assert entries and CARD not in raw_digit_runs(repr(entries))


@pytest.mark.parametrize("separator", ["\t", "\n", " - ", "\u2013", "  ", ","])
def test_notes_and_feedback_are_stored_pushed_and_audited_redacted(world: World, separator: str) -> None:  # noqa: F811
    alert = open_alert(world.alerts)
    card, iban = grouped(CARD, separator), "DE89370400440532013000"
    note = world.send(
        CONNECTION, {"action": "note", "alert_id": alert.alert_id, "text": f"cc {card} / {iban}"}
    )
    feedback = world.send(
        CONNECTION,
        {"action": "feedback", "alert_id": alert.alert_id, "useful": False, "reason": f"{card} {iban}"},
    )
    assert note["type"] == feedback["type"] == "ok"
    stored = repr(world.alerts.all_transitions()) + repr(world.alerts.find(str(alert.alert_id)))
    audited = repr(world.audit.for_alert(str(alert.alert_id)))
    pushed = json.dumps(world.poster.messages(CONNECTION))
    for text in (stored, audited, pushed):
        assert CARD not in raw_digit_runs(text) and iban not in text


def test_an_audit_entry_redacts_whatever_writes_it() -> None:
    entry = AuditEntry("system", "note", T0, alert_id=CARD, details={"text": f"call {grouped(CARD, ' - ')}"})
    assert CARD not in raw_digit_runs(repr(entry))
    assert entry.details["text"] == f"call {CARD_MASK}"
