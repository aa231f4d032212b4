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

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or dashes (how card numbers are spoken and typed).
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
# International or North-American style numbers with at least 7 digits.
_PHONE = re.compile(r"(?<![\w])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4}(?!\d)")
# Cheap pre-check: text without a digit or an '@' cannot contain any of the patterns.
_MAYBE_PII = re.compile(r"[\d@]")


def redact(text: str) -> str:
    """Mask e-mail addresses, card numbers, SSNs and phone numbers in ``text``."""
    if not _MAYBE_PII.search(text):
        return text
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _SSN.sub(SSN_MASK, text)
    text = _CARD.sub(CARD_MASK, text)
    return _PHONE.sub(PHONE_MASK, text)
