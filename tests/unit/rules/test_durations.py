from __future__ import annotations

from datetime import timedelta

import pytest
from floorwatch.rules.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("1h30m", 5400),
        ("7d", 604800),
        (" 90S ", 90),
        (0, 0),
        ("0s", 0),
    ],
)
def test_durations_read_as_written(text: object, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "60", "5 minutes", "-1m", "1.5h", "m", "30s1m", True, None, [1]])
def test_unusable_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_a_bare_number_asks_for_a_unit() -> None:
    with pytest.raises(ValueError, match=r"give the duration a unit, e\.g\. '60s'"):
        parse_duration(60)


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (90, "1m30s"), (3600, "1h"), (90061, "1d1h1m1s")])
def test_format_round_trips(seconds: int, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert parse_duration(text) == timedelta(seconds=seconds)
