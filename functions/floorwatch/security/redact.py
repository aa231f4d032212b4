"""PII redaction for free text (utterances, ticket subjects, notes).

Applied by the CxEvent model itself, so nothing downstream ever stores or displays raw PII.
Patterns are deliberately conservative toward masking: a false mask costs a few characters of
context, a missed card number costs a compliance incident.
"""

from __future__ import annotations

import re

EMAIL_MASK = "[EMAIL]"
CARD_MASK = "[CARD]"
SSN_MASK = "[SSN]"
PHONE_MASK = "[PHONE]"

# The lookbehind starts a match only where a run of address characters starts: without it every position
# inside a long run without '@' rescans the rest of the run (quadratic on a pasted blob).
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 123-45-6789, or with spaces (how it is read out); the separators must agree.
_SSN = re.compile(r"(?<!\d)\d{3}([- ])\d{2}\1\d{4}(?!\d)")
# 13-19 digits, optionally grouped by spaces or dashes (how card numbers are spoken and typed). The run
# must be whole: two phone numbers side by side are not one card number.
_CARD = re.compile(r"(?<!\d)(?<!\d[ -])(?:\d[ -]?){12,18}\d(?![ -]?\d)")
# A phone number: optional +country code, optional (area code), then digit groups joined by one space,
# dot or dash (+1 (415) 555-0136, 020 7946 0958, +33 1 23 45 67 89, 555-0136). Dates are not numbers
# anyone dials, so a match may not start with one; what is left must hold at least 7 digits.
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?!\d{4}-\d{2}-\d{2}(?!\d))(?!\d{1,2}[./-]\d{1,2}[./-]\d{4}(?!\d))"
    r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?!\d)"
)
_PHONE_MIN_DIGITS = 7
# Cheap pre-check: text without a digit or an '@' cannot contain any of the patterns.
_MAYBE_PII = re.compile(r"[\d@]")
# The number patterns mask only matches holding 7+ digits (phone 7+, SSN 9, card 13+) in which at most
# two of ' .-()' part consecutive digits; a mask adds no digit and joins no runs. Text without such a run
# (times, UUIDs, queue numbers) passes them unchanged.
_DIGIT_RUN = re.compile(r"\d(?:[ .()-]{0,2}\d){6}")


def redact(text: str) -> str:
    """Mask e-mail addresses, card numbers, SSNs and phone numbers in ``text``."""
    if not _MAYBE_PII.search(text):
        return text
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if not _DIGIT_RUN.search(text):
        return text
    text = _SSN.sub(SSN_MASK, text)
    text = _CARD.sub(CARD_MASK, text)
    return _PHONE.sub(_mask_phone, text)


def redact_values(values: dict[str, str]) -> dict[str, str]:
    """``values`` with every value redacted; the same dict when no value can hold PII.

    Hot path (every event's labels): one pre-check over all values instead of a call per value. The
    separator holds neither a digit nor an '@', so it cannot make the joined text look like PII.
    """
    if not values or not _MAYBE_PII.search("\n".join(values.values())):
        return values
    return {key: redact(value) for key, value in values.items()}


def _mask_phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(character.isdigit() for character in found)
    return PHONE_MASK if digits >= _PHONE_MIN_DIGITS else found
