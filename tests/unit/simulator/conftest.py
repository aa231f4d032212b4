"""Shared simulated traffic: 40 busy minutes (10:00 local) with every incident, normalized once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.events.model import CxEvent
from floorwatch.events.normalize import normalize_document

from local.simulator import SimRecord, generate

BUSY_START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=40)


@dataclass(frozen=True)
class Normalized:
    record: SimRecord
    events: list[CxEvent]


def normalize_all(records: list[SimRecord]) -> list[Normalized]:
    results = []
    for record in records:
        outcome = normalize_document(record.payload)
        assert not outcome.rejected, f"{record.source} payload quarantined: {outcome.reason}"
        results.append(Normalized(record, outcome.events))
    return results


@pytest.fixture(scope="session")
def busy_records() -> list[SimRecord]:
    return list(generate(BUSY_START, WINDOW, seed=7))


@pytest.fixture(scope="session")
def busy_events(busy_records: list[SimRecord]) -> list[Normalized]:
    return normalize_all(busy_records)
