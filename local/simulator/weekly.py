"""Weekly seasonality: weekday and weekend volumes and a weekly peak that is normal, and moves a little.

Without a ``WeeklyShape`` (``CenterConfig.weekly`` None) every day follows the hour-of-day curve alone,
as it always has. With one:

- each local day of the week has its own volume (``day_volume``, Monday first) and Saturday and Sunday
  follow ``weekend_curve`` (a late start, a flat midday, an early evening) instead of the weekday curve;
- a weekly peak (``WeeklyPeak``, by default Monday around 09:30 local) raises arrivals by a smooth bump
  (a raised cosine ``hours`` long) that the roster covers only in part (``staffed``): every Monday the
  queues run hot — service level down, callers waiting — and that is normal for that hour. Its time and
  size drift a little each week (``drift_hours``, ``drift_size``), drawn from the simulation's seed and
  the week, so the same seed gives the same peaks and a longer run repeats the earlier weeks' peaks.

``Season`` answers the simulator's two questions — how busy (arrivals) and how staffed, as a share of
the weekday peak — and lists the peaks (``peaks``) for labels and the weeks benchmark.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local.simulator.config import CenterConfig

# Share of the weekday peak per local hour on Saturday and Sunday (before ``day_volume``): people call
# later, the midday is flat and the evening empties early.
WEEKEND_CURVE: tuple[float, ...] = (
    0.05, 0.04, 0.03, 0.03, 0.03, 0.04, 0.07, 0.15,  # 00-07
    0.35, 0.60, 0.80, 0.90, 0.90, 0.85, 0.80, 0.75,  # 08-15
    0.65, 0.50, 0.35, 0.25, 0.18, 0.12, 0.08, 0.06,  # 16-23
)  # fmt: skip

DAY_VOLUME: tuple[float, ...] = (1.0, 0.96, 0.94, 0.93, 0.88, 0.42, 0.28)
"""Volume per local day of the week, Monday first: a busy Monday, a lighter Friday, a quiet weekend."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class WeeklyPeak:
    """A normal weekly rush: arrivals x(1 + ``extra``) at its top, the roster adding ``staffed`` of that."""

    weekday: int = 0  # 0 = Monday
    hour: float = 9.5  # local time of its top, before the weekly drift
    hours: float = 3.0  # how long the bump lasts, start to end
    extra: float = 0.9  # arrivals at the top: x(1 + extra)
    staffed: float = 0.2  # share of the extra volume the roster covers
    drift_hours: float = 0.5  # the top moves by up to this much from week to week
    drift_size: float = 0.15  # the extra changes by up to this share of itself from week to week

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("peak weekday must be 0 (Monday) .. 6 (Sunday)")
        if not 0 < self.hours <= 12 or not 0 <= self.hour < 24:
            raise ValueError("peak hour must be in [0, 24) and its length in (0, 12] hours")
        if self.extra < 0 or not 0 <= self.staffed <= 1:
            raise ValueError("peak extra must be >= 0 and staffed in [0, 1]")
        if self.drift_hours < 0 or not 0 <= self.drift_size < 1:
            raise ValueError("peak drift_hours must be >= 0 and drift_size in [0, 1)")


@dataclass(frozen=True)
class WeeklyShape:
    day_volume: tuple[float, ...] = DAY_VOLUME
    weekend_curve: tuple[float, ...] = WEEKEND_CURVE
    peak: WeeklyPeak | None = field(default_factory=WeeklyPeak)

    def __post_init__(self) -> None:
        if len(self.day_volume) != 7 or any(share < 0 for share in self.day_volume):
            raise ValueError("day_volume must hold 7 non-negative shares (Monday first)")
        if len(self.weekend_curve) != 24 or any(share < 0 for share in self.weekend_curve):
            raise ValueError("weekend_curve must hold 24 non-negative shares")


@dataclass(frozen=True)
class PeakDraw:
    """One week's peak: where its bump starts, tops and ends (UTC) and its size at the top."""

    start: datetime
    top: datetime
    end: datetime
    extra: float


class Season:
    """Arrival and staffing shares (1.0 = the weekday curve's peak) at an instant, for one simulation."""

    def __init__(self, center: CenterConfig, seed: int) -> None:
        self._center = center
        self._seed = seed
        self._peak_of_curve = max(center.curve)
        self._draws: dict[date, PeakDraw | None] = {}

    def arrivals(self, at: datetime) -> float:
        shape = self._center.weekly
        if shape is None:  # the original formula, so runs without a weekly shape stay byte-identical
            return self._center.curve_at(self._center.local_hour(at)) / self._peak_of_curve
        return self._level(at, shape) * (1 + self._bump(at, shape))

    def staffing(self, at: datetime) -> float:
        """Staff for the busier of now and an hour from now (agents log in for the hour ahead)."""
        shape = self._center.weekly
        if shape is None:
            hour = self._center.local_hour(at)
            center = self._center
            return max(center.curve_at(hour), center.curve_at(hour + 1)) / self._peak_of_curve
        staffed = shape.peak.staffed if shape.peak else 0.0
        later = at + timedelta(hours=1)
        return max(
            self._level(at, shape) * (1 + staffed * self._bump(at, shape)),
            self._level(later, shape) * (1 + staffed * self._bump(later, shape)),
        )

    def peaks(self, start: datetime, end: datetime) -> list[PeakDraw]:
        """The weekly peaks whose bump overlaps [start, end), in time order."""
        shape = self._center.weekly
        if shape is None or shape.peak is None:
            return []
        first = self._center.local_time(start).date() - timedelta(days=8)
        found: list[PeakDraw] = []
        monday = first - timedelta(days=first.weekday())
        while True:
            draw = self._draw(monday, shape.peak)
            monday += timedelta(days=7)
            if draw is None:
                continue
            if draw.start >= end:
                return found
            if draw.end > start:
                found.append(draw)

    # --- the level: a day's curve times its volume, interpolated across midnight -------------------
    def _level(self, at: datetime, shape: WeeklyShape) -> float:
        local = self._center.local_time(at)
        hour = local.hour
        fraction = (local.minute * 60 + local.second + local.microsecond / 1e6) / 3600
        day = local.weekday()
        here = self._point(day, hour, shape)
        there = self._point((day + 1) % 7 if hour == 23 else day, (hour + 1) % 24, shape)
        return (here * (1 - fraction) + there * fraction) / self._peak_of_curve

    def _point(self, day: int, hour: int, shape: WeeklyShape) -> float:
        curve = shape.weekend_curve if day >= 5 else self._center.curve
        return curve[hour] * shape.day_volume[day]

    # --- the peak ------------------------------------------------------------------------------------
    def _bump(self, at: datetime, shape: WeeklyShape) -> float:
        if shape.peak is None:
            return 0.0
        local_day = self._center.local_time(at).date()
        monday = local_day - timedelta(days=local_day.weekday())
        total = 0.0
        for week in (monday - timedelta(days=7), monday, monday + timedelta(days=7)):
            draw = self._draw(week, shape.peak)
            if draw is not None and draw.start <= at < draw.end:
                half = (draw.end - draw.start).total_seconds() / 2
                distance = (at - draw.top).total_seconds() / half
                total += draw.extra * 0.5 * (1 + math.cos(math.pi * distance))
        return total

    def _draw(self, monday: date, peak: WeeklyPeak) -> PeakDraw | None:
        if monday not in self._draws:
            rng = random.Random(f"floorwatch-weekly-peak-{self._seed}-{monday.isoformat()}")
            shift = round(rng.uniform(-peak.drift_hours, peak.drift_hours) * 60) / 60  # whole minutes
            size = peak.extra * (1 + rng.uniform(-peak.drift_size, peak.drift_size))
            local_top = datetime(monday.year, monday.month, monday.day) + timedelta(
                days=peak.weekday, hours=peak.hour + shift
            )
            top = self._center.utc_of_local(local_top)
            half = timedelta(minutes=round(peak.hours * 30))
            self._draws[monday] = PeakDraw(top - half, top, top + half, size) if size > 0 else None
        return self._draws[monday]


def is_quiet(center: CenterConfig, at: datetime) -> bool:
    """Quiet hours: the center's local night (22:00-06:00) or a weekend day."""
    local = center.local_time(at)
    return local.weekday() >= 5 or local.hour >= 22 or local.hour < 6
