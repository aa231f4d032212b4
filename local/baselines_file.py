"""The baselines file: learned baselines saved as JSON (``floorwatch baselines learn --out``), loaded back
with validation (``replay --baselines``, ``baselines show``, ``baselines seed``).

Format (version 1; documented in docs/rules.md, "Baselines file")::

    {
      "format": "floorwatch-baselines",
      "version": 1,
      "learned": {"rules": "rules.yaml", "events": 98459, "first_event": "...", "last_event": "..."},
      "pairs": [
        {
          "scope": "queue:billing", "metric": "longest_wait_seconds",
          "window_seconds": 300, "seasonality": "hour_of_week", "timezone": "Europe/Berlin",
          "since": "2026-11-02T00:00:00+00:00", "learned_until": "2026-12-14T00:00:00+00:00",
          "slots": [
            {"slot": 33, "label": "Tue 09:00", "center": 70.0, "sigma": 20.0, "samples": 48,
             "until": "2026-12-14T00:00:00+00:00",
             "hours": {"2026-12-08T08:00:00+00:00": [61.0, 64.5, ...], ...}}
          ]
        }
      ]
    }

``hours`` are the slot's raw samples per past hour (its start, UTC): what the learner keeps and continues
from. ``center``, ``sigma``, ``samples`` and ``label`` are written for people and other tools; loading
recomputes the summary from ``hours`` with the current model, so a file is always read consistently.
Times are ISO 8601 with an offset. Unknown keys, another ``format`` or a newer ``version`` are errors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from floorwatch.metrics.catalog import CATALOG
from floorwatch.rules.baselines import (
    EMPTY_HISTORY,
    Seasonality,
    SlotHistory,
    SlotKey,
    slot_label,
    summarize,
)
from floorwatch.rules.baselines_learner import SLOTS
from floorwatch.rules.config import TimeZoneName
from floorwatch.store.baselines_memory import InMemoryBaselineStore
from floorwatch.store.baselines_port import BaselineStore, PairState
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from local.errors import UsageError
from local.payload_files import read_source

FORMAT = "floorwatch-baselines"
VERSION = 1


class BaselinesFileError(UsageError):
    """A baselines file that cannot be used (the message names the file and the problem)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SlotRecord(_Strict):
    slot: int = Field(ge=0, le=167)
    label: str | None = None
    center: float | None = None
    sigma: float | None = None
    samples: int | None = Field(default=None, ge=0)
    until: datetime
    hours: dict[datetime, list[float]] = Field(min_length=1)

    @field_validator("until")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _aware(value)

    @field_validator("hours")
    @classmethod
    def _finite(cls, value: dict[datetime, list[float]]) -> dict[datetime, list[float]]:
        for hour, samples in value.items():
            _aware(hour)
            if not samples:
                raise ValueError(f"hour {hour.isoformat()} has no samples (leave the hour out)")
            if not all(math.isfinite(sample) for sample in samples):
                raise ValueError(f"hour {hour.isoformat()} has a sample that is not a finite number")
        return value


class PairRecord(_Strict):
    scope: str = Field(pattern=r"^(center|queue|team|agent|feed):.+$", max_length=300)
    metric: str
    window_seconds: float = Field(gt=0)
    seasonality: Literal["hour_of_week", "hour_of_day"]
    timezone: TimeZoneName = "UTC"
    since: datetime | None
    learned_until: datetime
    slots: list[SlotRecord]

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in CATALOG:
            raise ValueError(f"unknown metric '{value}'")
        return value

    @field_validator("since", "learned_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)

    @model_validator(mode="after")
    def _consistent(self) -> PairRecord:
        limit = SLOTS[self.seasonality]
        for record in self.slots:
            if record.slot >= limit:
                raise ValueError(f"slot {record.slot} does not exist for {self.seasonality} (0..{limit - 1})")
        if len({record.slot for record in self.slots}) != len(self.slots):
            raise ValueError("a slot is listed twice")
        if self.slots and self.since is None:
            raise ValueError("'since' is null but the pair has slots")
        return self


class BaselinesDocument(_Strict):
    format: Literal["floorwatch-baselines"]
    version: int
    learned: dict[str, Any] = Field(default_factory=dict)
    pairs: list[PairRecord]

    @field_validator("version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value != VERSION:
            raise ValueError(f"version {value} is not supported (this floorwatch reads version {VERSION})")
        return value

    @model_validator(mode="after")
    def _unique(self) -> BaselinesDocument:
        seen: set[tuple[str, str]] = set()
        for pair in self.pairs:
            if (pair.scope, pair.metric) in seen:
                raise ValueError(f"{pair.scope} {pair.metric} is listed twice")
            seen.add((pair.scope, pair.metric))
        return self


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{value.isoformat()} has no UTC offset (write e.g. 2026-11-23T09:00:00+00:00)")
    return value


# --- writing ---------------------------------------------------------------------------------------
def document(store: InMemoryBaselineStore, learned: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The store as a version-1 document (pairs and slots in a stable order: same store, same bytes)."""
    pairs: list[dict[str, Any]] = []
    for scope, metric in store.pairs():
        state = store.pair(scope, metric)
        if state is None:
            continue
        slots = [
            {
                "slot": key.slot,
                "label": slot_label(key.slot, key.seasonality),
                "center": baseline.center,
                "sigma": baseline.sigma,
                "samples": baseline.samples,
                "until": baseline.until.isoformat(),
                "hours": {hour.isoformat(): list(values) for hour, values in sorted(history.hours.items())},
            }
            for key, history, baseline, _zone in store.slots(scope, metric)
            if key.seasonality == state.seasonality and history.hours
        ]
        pairs.append(
            {
                "scope": scope,
                "metric": metric,
                "window_seconds": state.window.total_seconds(),
                "seasonality": state.seasonality,
                "timezone": state.timezone,
                "since": state.since.isoformat() if state.since else None,
                "learned_until": state.learned_until.isoformat(),
                "slots": slots,
            }
        )
    return {"format": FORMAT, "version": VERSION, "learned": dict(learned or {}), "pairs": pairs}


def save(store: InMemoryBaselineStore, path: str | Path, learned: Mapping[str, Any] | None = None) -> int:
    """Write the store to ``path`` (via a temporary file, so a failed write leaves no half file);
    returns the number of pairs written."""
    content = document(store, learned)
    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    try:
        temporary.write_text(json.dumps(content, separators=(",", ":")) + "\n", encoding="utf-8")
        temporary.replace(target)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    return len(content["pairs"])


# --- reading ---------------------------------------------------------------------------------------
def load(path: str | Path) -> InMemoryBaselineStore:
    """The baselines of a file written by ``save``; BaselinesFileError says what is wrong and where."""
    return to_store(read(path))


def read(path: str | Path) -> BaselinesDocument:
    name = str(path)
    data = read_source(name)  # UsageError naming a missing or unreadable file
    try:
        return parse(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        raise BaselinesFileError(f"{name} is not a baselines file: not UTF-8 text") from None


def parse(text: str, name: str = "baselines.json") -> BaselinesDocument:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselinesFileError(
            f"{name} is not a baselines file: invalid JSON at line {error.lineno} column {error.colno}: "
            f"{error.msg}"
        ) from None
    except RecursionError:
        raise BaselinesFileError(f"{name} is not a baselines file: JSON nested too deeply") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BaselinesFileError(
            f'{name} is not a baselines file: expected a JSON object with "format": "{FORMAT}" '
            "(written by `floorwatch baselines learn --out`)"
        )
    try:
        return BaselinesDocument.model_validate(raw)
    except ValidationError as error:
        problems = [_problem(detail, raw) for detail in error.errors()[:5]]
        more = len(error.errors()) - len(problems)
        suffix = f" (and {more} more)" if more > 0 else ""
        raise BaselinesFileError(
            f"{name} is not a usable baselines file: {'; '.join(problems)}{suffix}"
        ) from None


def _problem(detail: Any, raw: Any) -> str:
    location = list(detail["loc"])
    where = ".".join(str(part) for part in location) or "(top level)"
    if len(location) >= 2 and location[0] == "pairs" and isinstance(location[1], int):
        pair = raw["pairs"][location[1]] if isinstance(raw.get("pairs"), list) else None
        if isinstance(pair, dict) and isinstance(pair.get("scope"), str):
            where += f" ({pair['scope']} {pair.get('metric')})"
    message = str(detail["msg"]).removeprefix("Value error, ")
    if detail["type"] == "extra_forbidden":
        message = "unknown key"
    elif detail["type"] == "missing":
        message = "required, but missing"
    return f"{where}: {message}"


def to_store(parsed: BaselinesDocument) -> InMemoryBaselineStore:
    store = InMemoryBaselineStore()
    for pair in parsed.pairs:
        for key, history, record in _slots(pair):
            baseline = _summary(pair, key, history, record)
            store.save_slot(key, history if baseline else EMPTY_HISTORY, baseline, pair.timezone)
        store.save_pair(pair.scope, pair.metric, _state(pair))
    return store


def _state(pair: PairRecord) -> PairState:
    return PairState(
        since=pair.since,
        learned_until=pair.learned_until,
        window=timedelta(seconds=pair.window_seconds),
        seasonality=pair.seasonality,
        timezone=pair.timezone,
    )


def _slots(pair: PairRecord) -> Iterable[tuple[SlotKey, SlotHistory, SlotRecord]]:
    seasonality: Seasonality = pair.seasonality
    for record in pair.slots:
        history = SlotHistory({hour: tuple(values) for hour, values in record.hours.items()})
        yield SlotKey(pair.scope, pair.metric, seasonality, record.slot), history, record


def _summary(pair: PairRecord, key: SlotKey, history: SlotHistory, record: SlotRecord) -> Any:
    assert pair.since is not None  # validated: a pair with slots has a start
    window = timedelta(seconds=pair.window_seconds)
    return summarize(key, history, window=window, since=pair.since, until=record.until)


# --- seeding a deployed store ----------------------------------------------------------------------
@dataclass
class SeedReport:
    pairs_written: int = 0
    slots_written: int = 0
    slots_cleared: int = 0  # slots of a pair the table had, deleted because the file lacks them
    skipped: list[str] = field(default_factory=list)


def seed(source: InMemoryBaselineStore, target: BaselineStore, *, replace: bool = False) -> SeedReport:
    """Write the file's pairs into ``target`` (the deployed DynamoDB store) as the learner writes them:
    the slots first, the pair's watermark last (a seed interrupted half-way is redone by running it
    again). A pair the target has learned further than the file is skipped unless ``replace``; slots of
    a replaced pair that the file does not have are removed (no stale hours mixed in)."""
    report = SeedReport()
    for scope, metric in source.pairs():
        state = source.pair(scope, metric)
        if state is None:
            continue
        existing = target.pair(scope, metric)
        if existing is not None and existing.learned_until > state.learned_until and not replace:
            report.skipped.append(
                f"{scope} {metric}: the table has learned up to {existing.learned_until.isoformat()}, "
                f"the file only to {state.learned_until.isoformat()} (--replace overwrites it)"
            )
            continue
        slots = source.slots(scope, metric)
        written = {key for key, *_ in slots}
        if existing is not None:
            for slot in range(SLOTS[existing.seasonality]):
                key = SlotKey(scope, metric, existing.seasonality, slot)
                if key not in written:
                    target.save_slot(key, EMPTY_HISTORY, None)
                    report.slots_cleared += 1
        for key, history, baseline, zone in slots:
            target.save_slot(key, history, baseline, zone)
            report.slots_written += 1
        target.save_pair(scope, metric, state)
        report.pairs_written += 1
    return report
