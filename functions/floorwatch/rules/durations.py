"""Durations as rule files write them: "30s", "5m", "1h", "1h30m", "7d".

A bare number is refused (is `for: 60` seconds or minutes?) except 0, which means "none" in any unit.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
# Longer is a typo, and unbounded numbers overflow timedelta (an OverflowError, not a clear problem).
MAX_DAYS = 3660
MAX_DURATION_SECONDS = MAX_DAYS * 86400


def parse_duration(value: object) -> timedelta:
    """Read a duration; raises ValueError with a message fit for a rules-file author."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '30s', '5m' or '1h', got {value!r}")
    if isinstance(value, int | float):
        if value == 0:
            return timedelta(0)
        raise ValueError(
            f"give the duration a unit, e.g. '{value}s' or '{value}m' (plain numbers are ambiguous)"
        )
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as '30s', '5m' or '1h', got {value!r}")
    text = value.strip().lower()
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise ValueError(
            f"'{value}' is not a duration: use a number and a unit (s, m, h, d), e.g. '90s', '1h30m'"
        )
    seconds = sum(int(match.group(unit) or 0) * factor for unit, factor in _UNITS)
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"'{value}' is longer than the longest duration a rule may use ({MAX_DAYS}d)")
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """The shortest rule-file spelling: 90 s -> "1m30s", 0 -> "0s"."""
    remaining = int(duration.total_seconds())
    if remaining == 0:
        return "0s"
    sign = "-" if remaining < 0 else ""
    remaining = abs(remaining)
    parts: list[str] = []
    for unit, factor in _UNITS:
        amount, remaining = divmod(remaining, factor)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + "".join(parts)
