"""The event-time window: how far from its record's arrival an event's own time may lie.

A platform's clock can be wrong, and a payload can be forged or mistyped: one event dated year 1 or
9999 used to break dashboards and stores, and one dated tomorrow opened an alert that never cleared.
The normalizer therefore quarantines a record when any of its events lies outside

    [arrival - MAX_EVENT_AGE, arrival + MAX_EVENT_LEAD]

where *arrival* is the record's Kinesis ``ApproximateArrivalTimestamp``. Seven days back covers a
re-drive from the quarantine within a week and late analytics (Contact Lens post-call results, ticket
histories) while staying inside the metrics table's 8-day retention, so a late event still lands in
windows that exist; fifteen minutes ahead tolerates a drifting platform clock. Within the window the
evaluator still judges a batch at most ``engine.MAX_CLOCK_SKEW`` past its own clock, for every rule kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from floorwatch.events.model import CxEvent
from floorwatch.timefmt import iso_seconds

MAX_EVENT_AGE = timedelta(days=7)
MAX_EVENT_LEAD = timedelta(minutes=15)


@dataclass(frozen=True)
class EventTimeWindow:
    max_age: timedelta = MAX_EVENT_AGE
    max_lead: timedelta = MAX_EVENT_LEAD

    def problem(self, events: Iterable[CxEvent], reference: datetime) -> str | None:
        """Why these events cannot be accepted at ``reference`` (the arrival time), or None."""
        earliest, latest = reference - self.max_age, reference + self.max_lead
        for event in events:
            at = event.occurred_at
            if at < earliest or at > latest:
                side = "before" if at < earliest else "after"
                return (
                    f"event time {iso_seconds(at)} is outside the accepted window "
                    f"({_span(self.max_age)} before to {_span(self.max_lead)} after the record's arrival "
                    f"at {iso_seconds(reference)}): {_span(abs(at - reference))} {side} it"
                )
        return None


DEFAULT_WINDOW = EventTimeWindow()


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds >= 2 * 3600:
        return f"{seconds // 3600} hours"
    if seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"
