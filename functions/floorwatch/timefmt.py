"""Writing instants as text: one fixed-width UTC format everywhere a time is stored or sent.

``strftime("%Y")`` writes the year unpadded on Linux (year 1 becomes ``"1-01-01..."``), which
``datetime.fromisoformat`` cannot read back and which sorts wrongly as a DynamoDB sort key. These
helpers always write four-digit years and fixed fields: ``YYYY-MM-DDTHH:MM:SSZ`` (seconds) or
``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (microseconds); ``iso_utc`` drops an all-zero fraction, as the
alert model and the snapshot always have.

Epoch seconds for DynamoDB TTL attributes come from ``ttl_epoch``, which never overflows: an instant
plus a retention past year 9999 is capped instead of raising ``OverflowError``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_MAX_EPOCH = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


def iso_seconds(at: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (fixed width)."""
    u = at.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def iso_micros(at: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (fixed width: sorts as text in time order)."""
    u = at.astimezone(UTC)
    return f"{iso_seconds(u)[:-1]}.{u.microsecond:06d}Z"


def iso_utc(at: datetime) -> str:
    """``iso_micros``, without the fraction when it is zero (the wire format of alerts and snapshots)."""
    u = at.astimezone(UTC)
    return iso_seconds(u) if u.microsecond == 0 else iso_micros(u)


def ttl_epoch(at: datetime, retention: timedelta = timedelta(0)) -> int:
    """Epoch seconds of ``at + retention`` for a TTL attribute, capped at the end of year 9999."""
    return min(_MAX_EPOCH, int(at.timestamp()) + int(retention.total_seconds()))
