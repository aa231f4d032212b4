"""PII redaction: what a supervisor may see of an utterance or a ticket subject."""

from __future__ import annotations

import pytest
from floorwatch.security.redact import CARD_MASK, EMAIL_MASK, PHONE_MASK, SSN_MASK, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card is 4111 1111 1111 1111 thanks", f"my card is {CARD_MASK} thanks"),
        ("card 4111-1111-1111-1111", f"card {CARD_MASK}"),
        ("card 4111111111111111", f"card {CARD_MASK}"),
        ("amex 3782 822463 10005 ok", f"amex {CARD_MASK} ok"),
        ("19 digits 6011 0009 9013 9424 123", f"19 digits {CARD_MASK}"),
    ],
)
def test_card_numbers_are_masked_with_spaces_dashes_or_none(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "phone",
    [
        "+1 (415) 555-0136",
        "(415) 555-0136",
        "415-555-0136",
        "415.555.0136",
        "415 555 0136",
        "4155550136",
        "+14155550136",
        "+44 20 7946 0958",
        "020 7946 0958",
        "+33 1 23 45 67 89",
        "+49 30 901820",
        "555-0136",
    ],
)
def test_phone_numbers_are_masked_in_common_formats(phone: str) -> None:
    assert redact(f"call me on {phone} after lunch") == f"call me on {PHONE_MASK} after lunch"


def test_two_phone_numbers_in_one_sentence_are_both_masked() -> None:
    assert redact("415-555-0136 or 415-555-0199") == f"{PHONE_MASK} or {PHONE_MASK}"


@pytest.mark.parametrize(
    "address",
    ["jane.doe@example.com", "J.Doe+billing@mail.example.co.uk", "agent_7@contact-center.io"],
)
def test_email_addresses_are_masked(address: str) -> None:
    assert redact(f"write to {address}, please") == f"write to {EMAIL_MASK}, please"


@pytest.mark.parametrize("ssn", ["123-45-6789", "123 45 6789"])
def test_social_security_numbers_are_masked(ssn: str) -> None:
    assert redact(f"my SSN is {ssn}.") == f"my SSN is {SSN_MASK}."


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to speak to a supervisor",
        "you are number 3 in queue 3",
        "we open at 10:30 and close at 18:00",
        "since 2026-11-23 09:30 the router drops",
        "invoice from 23.11.2026 is wrong",
        "ticket #48213 about order 12345",
        "it costs 49.99 per month, 2 lines",
        "room 101, floor 4",
        "the 2026 plan",
    ],
)
def test_ordinary_text_short_numbers_times_and_dates_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_text_without_digits_or_at_sign_is_returned_unchanged() -> None:
    text = "Hello, thank you for calling. How can I help?"
    assert redact(text) is text


def test_everything_in_one_utterance_is_masked_at_once() -> None:
    text = "Jane, jane@example.com, 4111 1111 1111 1111, SSN 123-45-6789, phone +1 415 555 0136"
    assert redact(text) == f"Jane, {EMAIL_MASK}, {CARD_MASK}, SSN {SSN_MASK}, phone {PHONE_MASK}"


def test_redaction_is_idempotent() -> None:
    once = redact("call +1 (415) 555-0136 or mail a@b.co")
    assert redact(once) == once
