"""PII redaction for free text (utterances, ticket subjects, notes, feedback, error messages) and ids.

Applied by the CxEvent model itself (text, label keys and values, ids), by the alert actions (notes,
feedback), by the audit log (every entry) and to every error message that is logged or answered, so
nothing downstream ever stores, pushes or logs raw PII. Patterns are deliberately conservative toward
masking: a false mask costs a few characters of context, a missed card number costs a compliance
incident.

What is masked (docs/security.md lists the same with its limits):

- e-mail addresses -> ``[EMAIL]``;
- SSNs, ``123-45-6789`` or ``123 45 6789`` -> ``[SSN]``;
- card numbers: 13-19 digits in groups joined by up to three separator characters - spaces, tabs,
  newlines, hyphens and dashes (``-``, en/em dash, minus) - are always masked; joined by commas, dots,
  slashes or underscores they are masked when they pass the Luhn check (every issued card does), so a
  list of small numbers stays readable. A longer run is masked when a run of its groups is a
  Luhn-valid card number -> ``[CARD]``;
- IBANs, spaced or not, upper or lower case: masked when the mod-97 checksum holds, when printed in the
  usual groups of four, or when partly masked already (``*``, ``#``, ``•``, ``XX``) -> ``[IBAN]``;
- phone numbers (7+ digits in common formats) -> ``[PHONE]``.

Identifiers (agent, contact, queue ids...) cannot be masked without merging different people into one
scope: ``redact_identifier`` replaces an id that holds PII by a stable pseudonym instead.
"""

from __future__ import annotations

import functools
import hashlib
import re

EMAIL_MASK = "[EMAIL]"
CARD_MASK = "[CARD]"
SSN_MASK = "[SSN]"
PHONE_MASK = "[PHONE]"
IBAN_MASK = "[IBAN]"
PSEUDONYM_PREFIX = "pii-"

# The lookbehind starts a match only where a run of address characters starts: without it every position
# inside a long run without '@' rescans the rest of the run (quadratic on a pasted blob).
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 123-45-6789, or with spaces (how it is read out); the separators must agree.
_SSN = re.compile(r"(?<!\d)\d{3}([- ])\d{2}\1\d{4}(?!\d)")
# Characters that may part the digit groups of a card number, and those of them that need the Luhn check.
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SEPARATOR = f"[\\s{_DASHES},./_\u00b7]"
_PLAIN_SEPARATORS = re.compile(f"[\\s{_DASHES}]+")
_SEPARATORS = re.compile(f"{_SEPARATOR}+")
_CARD_DIGITS = range(13, 20)
# A maximal run of 13+ digits in groups joined by at most three separator characters (disjoint classes:
# linear). Shorter runs (times, counts, years) cannot hold a card number, and the pattern does not stop
# at them, so no Python call is made for them; a longer run matches whole, from its first digit.
_CARD_CANDIDATE = re.compile(f"(?<!\\d)\\d(?:{_SEPARATOR}{{0,3}}\\d){{12,}}")
# An IBAN candidate: country code, check digits, then 11-30 more characters unspaced, or printed in
# groups of four (the last one shorter) parted by single spaces.
_IBAN_CHAR = "[A-Za-z0-9*#\u2022]"
_IBAN = re.compile(
    f"(?<!{_IBAN_CHAR})[A-Za-z]{{2}}\\d{{2}}"
    f"(?:{_IBAN_CHAR}{{11,30}}|(?: {_IBAN_CHAR}{{4}}){{2,7}}(?: {_IBAN_CHAR}{{1,4}})?)(?!{_IBAN_CHAR})"
)
_IBAN_MASKING = re.compile("[*#\u2022]|[xX]{2}")
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
# three separator characters part consecutive digits; a mask adds no digit and joins no runs. Text
# without such a run (times, UUIDs, queue numbers) passes them unchanged.
_DIGIT_RUN = re.compile(f"\\d(?:[\\s{_DASHES},./_\u00b7()]{{0,3}}\\d){{6}}")
# Ids that are UUIDs are platform-generated, never PII, though their digit groups can look like phones.
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# An id that is a phone number: formatted (a '+' first, or separators), nothing else in it.
_INTERNATIONAL_PHONE = re.compile(r"\+\d[\d ().-]*\d")  # "+" and digits, anywhere in an id
_PHONE_ID = re.compile(r"\+[\d ().-]+|\(?\d[\d()]*[ .-][\d ().-]+")


def redact(text: str) -> str:
    """Mask e-mail addresses, IBANs, card numbers, SSNs and phone numbers in ``text``.

    Idempotent: ``redact(redact(text)) == redact(text)``, so one pass, wherever it runs, masks all that
    any number of passes would. One round of the patterns is not: a mask can part what it masked from
    a neighbour that, glued to it, matched nothing (an IBAN glued to a phone number or a card number:
    the round masks the one and leaves the other, whose next round masks it). So rounds repeat until
    one changes nothing. That ends: every change replaces at least one digit or '@' by a mask that has
    neither, and every pattern needs one; text without PII takes one round, as before.
    """
    while True:
        redacted = _redact_round(text)
        if redacted == text:
            return text
        text = redacted


def _redact_round(text: str) -> str:
    """One round of the patterns over ``text`` (see ``redact``)."""
    if not _MAYBE_PII.search(text):
        return text
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    text = _IBAN.sub(_mask_iban, text)
    if not _DIGIT_RUN.search(text):
        return text
    text = _SSN.sub(SSN_MASK, text)
    text = _CARD_CANDIDATE.sub(_mask_card, text)
    return _PHONE.sub(_mask_phone, text)


def redact_values(values: dict[str, str]) -> dict[str, str]:
    """``values`` with every key and value redacted; the same dict when none can hold PII.

    Hot path (every event's labels): one pre-check over all keys and values instead of a call per item.
    The separator holds neither a digit nor an '@', so it cannot make the joined text look like PII.
    """
    if not values or not _MAYBE_PII.search("\n".join([*values, *values.values()])):
        return values
    return {_redact_label(key): _redact_label(value) for key, value in values.items()}


# Hot path: label values with digits (queue and topic ids, ARN parts, status codes) repeat across events,
# and each costs the whole pattern suite (several microseconds for a UUID). Bounded, like the id cache.
@functools.lru_cache(maxsize=16384)
def _redact_label(text: str) -> str:
    return redact(text)


@functools.lru_cache(maxsize=8192)  # hot path: queue, team, center and agent ids repeat in every batch
def redact_identifier(value: str) -> str:
    """``value``, or a stable pseudonym (``pii-`` and 20 hex digits) when it holds PII.

    Ids are judged more strictly than text, as platforms use long numbers as ids (Zendesk's 13-digit
    user ids): an id holds PII when it contains an e-mail address, an SSN, an IBAN, a card number (13-19
    digits passing the Luhn check with an issuer's first digit, 2-6), or when it is a phone number
    written as one (``+14155550136``, ``415-555-0136``; a bare run of digits is an id).

    The same id always gives the same pseudonym, so an agent whose id is an e-mail address keeps one
    scope, one history and one set of alerts; the pseudonym is an unkeyed hash, a way to keep the id out
    of tables, messages and logs, not a protection against someone who can guess and hash candidates.
    """
    if not _MAYBE_PII.search(value) or _UUID.fullmatch(value) or not _id_holds_pii(value):
        return value
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=10, person=b"floorwatch-id").hexdigest()
    return PSEUDONYM_PREFIX + digest


def _id_holds_pii(value: str) -> bool:
    if "@" in value and _EMAIL.search(value):
        return True
    if not _DIGIT_RUN.search(value):  # every pattern below needs 7+ digits close together
        return False
    if _SSN.search(value) or any(_mask_iban(match) == IBAN_MASK for match in _IBAN.finditer(value)):
        return True
    for match in _CARD_CANDIDATE.finditer(value):
        digits = "".join(_SEPARATORS.split(match.group(0)))
        if len(digits) in _CARD_DIGITS and digits[0] in "23456" and luhn_valid(digits):
            return True
    phone = _PHONE_ID.fullmatch(value) or _INTERNATIONAL_PHONE.search(value)
    return phone is not None and sum(character.isdigit() for character in phone.group(0)) >= _PHONE_MIN_DIGITS


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        digit = int(character)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """The ISO 13616 mod-97 check: move the first four characters to the end, letters to 10..35."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(character, 36)) for character in rearranged)) % 97 == 1


def _mask_iban(match: re.Match[str]) -> str:
    found = match.group(0)
    compact = found.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return found
    if iban_valid(compact):
        return IBAN_MASK
    digits = sum(character.isdigit() for character in compact)
    if _IBAN_MASKING.search(compact[4:]) and digits >= 4:
        return IBAN_MASK  # partly masked already: what is left still identifies the account
    printed = " " in found  # the pattern admits spaces only between groups of four
    return IBAN_MASK if printed and digits >= 8 else found


def _mask_card(match: re.Match[str]) -> str:
    found = match.group(0)
    groups = _SEPARATORS.split(found)
    digits = "".join(groups)
    if len(digits) < _CARD_DIGITS.start:
        return found
    if len(digits) in _CARD_DIGITS:
        plain = all(_PLAIN_SEPARATORS.fullmatch(part) for part in _SEPARATORS.findall(found))
        return CARD_MASK if plain or luhn_valid(digits) else found
    return CARD_MASK if _holds_card(groups) else found


def _holds_card(groups: list[str]) -> bool:
    """Whether consecutive whole groups of a long run form a Luhn-valid card number."""
    for start in range(len(groups)):
        run = ""
        for group in groups[start:]:
            run += group
            if len(run) > _CARD_DIGITS.stop - 1:
                break
            if len(run) in _CARD_DIGITS and luhn_valid(run):
                return True
    return False


def _mask_phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(character.isdigit() for character in found)
    return PHONE_MASK if digits >= _PHONE_MIN_DIGITS else found
