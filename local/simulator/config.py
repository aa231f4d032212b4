"""The simulated center: queues, agents, channels, the hour-of-day curve and the volume knobs.

Everything here is plain data; ``engine.generate`` turns it into traffic. Defaults describe a mid-size
center: 8 queues, 120 agents, voice + chat on Amazon Connect, e-mail and tasks from a generic desk tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from local.simulator.weekly import WeeklyShape

# Share of the peak arrival rate per local hour (0..23); linearly interpolated inside the hour.
# Two humps (mid-morning, early afternoon) and a quiet night: the shape most inbound centers show.
HOUR_OF_DAY_CURVE: tuple[float, ...] = (
    0.05, 0.04, 0.04, 0.04, 0.05, 0.08, 0.18, 0.38,  # 00-07
    0.70, 0.95, 1.00, 0.95, 0.80, 0.85, 0.95, 0.90,  # 08-15
    0.80, 0.62, 0.42, 0.30, 0.20, 0.13, 0.09, 0.06,  # 16-23
)  # fmt: skip

CHANNELS = ("voice", "chat", "email", "task")


@dataclass(frozen=True)
class QueueConfig:
    """One queue: its name (the queue id is its slug), its share of agents and its channel mix."""

    name: str
    agent_share: float  # share of the center's agents who serve this queue
    channel_mix: tuple[tuple[str, float], ...] = (("voice", 0.7), ("chat", 0.2), ("email", 0.1))


DEFAULT_QUEUES: tuple[QueueConfig, ...] = (
    QueueConfig("billing", 0.18),
    QueueConfig("tech-support", 0.18, (("voice", 0.55), ("chat", 0.35), ("task", 0.1))),
    QueueConfig("sales", 0.14, (("voice", 0.6), ("chat", 0.4))),
    QueueConfig("retention", 0.10, (("voice", 0.9), ("chat", 0.1))),
    QueueConfig("claims", 0.12, (("voice", 0.6), ("email", 0.3), ("task", 0.1))),
    QueueConfig("payments", 0.10),
    QueueConfig("onboarding", 0.08, (("voice", 0.5), ("chat", 0.3), ("email", 0.2))),
    QueueConfig("general", 0.10, (("voice", 0.6), ("chat", 0.25), ("email", 0.15))),
)


@dataclass(frozen=True)
class HandlingProfile:
    """Log-normal durations per channel: (median seconds, sigma of the underlying normal)."""

    talk: tuple[float, float]
    after_contact_work: tuple[float, float]
    patience: float | None  # mean seconds a customer waits before abandoning (exponential); None: never
    ring: tuple[float, float]  # uniform seconds between routing and the agent connecting


HANDLING: dict[str, HandlingProfile] = {
    "voice": HandlingProfile(talk=(270.0, 0.5), after_contact_work=(40.0, 0.5), patience=150.0, ring=(2, 8)),
    "chat": HandlingProfile(talk=(420.0, 0.45), after_contact_work=(30.0, 0.5), patience=300.0, ring=(1, 3)),
    "email": HandlingProfile(talk=(360.0, 0.6), after_contact_work=(20.0, 0.5), patience=None, ring=(0, 2)),
    "task": HandlingProfile(talk=(300.0, 0.6), after_contact_work=(20.0, 0.5), patience=None, ring=(0, 2)),
}


@dataclass(frozen=True)
class CenterConfig:
    """The simulated center and how much traffic it produces.

    ``occupancy`` sets arrivals against staffed capacity (0.6 keeps service level mostly green with
    natural dips). ``utc_offset_hours`` is the center's local time zone: the hour-of-day curve and
    shifts follow local time; ``timezone`` (an IANA name, e.g. ``Europe/London``) replaces it with a
    zone that keeps daylight-saving time. ``weekly`` adds weekly seasonality (``local.simulator.weekly``:
    weekday and weekend volumes, a normal weekly peak); without it every day is the same.
    ``contact_lens_share`` is the share of voice/chat contacts with
    real-time Contact Lens analysis; ``contact_record_share`` the share of Connect contacts whose facts
    arrive only as a contact record (CTR) rather than as EventBridge contact events.
    """

    queues: tuple[QueueConfig, ...] = DEFAULT_QUEUES
    agents: int = 120
    occupancy: float = 0.6
    utc_offset_hours: float = 0.0
    snapshot_seconds: float = 30.0
    heartbeat_seconds: float = 120.0
    contact_lens_share: float = 0.4
    contact_record_share: float = 0.4
    hold_probability: float = 0.25
    unhappy_share: float = 0.05
    break_every_seconds: float = 7200.0
    min_agents_per_queue: int = 1
    instance_id: str = "5f0c6b8e-9a41-4c1e-8d2a-1b7e3c9a4f60"
    account_id: str = "123456789012"
    region: str = "eu-west-2"
    curve: tuple[float, ...] = field(default=HOUR_OF_DAY_CURVE)
    weekly: WeeklyShape | None = None
    timezone: str | None = None

    def __post_init__(self) -> None:
        if len(self.curve) != 24 or any(share < 0 for share in self.curve) or max(self.curve) <= 0:
            raise ValueError("curve must hold 24 non-negative shares with a positive peak")
        if self.agents < len(self.queues) * self.min_agents_per_queue:
            raise ValueError(f"{self.agents} agents cannot staff {len(self.queues)} queues")
        if not 0 < self.occupancy <= 1:
            raise ValueError("occupancy must be in (0, 1]")
        if self.timezone is not None:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {self.timezone!r} (an IANA name, e.g. Europe/London)"
                ) from None

    def local_time(self, at: datetime) -> datetime:
        """The center's local wall-clock time (naive) at a UTC instant."""
        if self.timezone is not None:
            return at.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)
        return (at.astimezone(UTC) + timedelta(hours=self.utc_offset_hours)).replace(tzinfo=None)

    def utc_of_local(self, local: datetime) -> datetime:
        """The UTC instant of a naive local wall-clock time (the first, when a clock change repeats it)."""
        if self.timezone is not None:
            return local.replace(tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)
        return (local - timedelta(hours=self.utc_offset_hours)).replace(tzinfo=UTC)

    def local_hour(self, at: datetime) -> float:
        """The center's local time of day in hours (0..24) at a UTC instant."""
        local = (
            self.local_time(at) if self.timezone is not None else at + timedelta(hours=self.utc_offset_hours)
        )
        return local.hour + local.minute / 60 + local.second / 3600

    def curve_at(self, hour: float) -> float:
        """The arrival share at a local time of day (hours), interpolated between whole hours."""
        low = int(hour) % 24
        fraction = hour - int(hour)
        return self.curve[low] * (1 - fraction) + self.curve[(low + 1) % 24] * fraction


def busy_offset_hours(at: datetime, busy_hour: float = 10.0) -> float:
    """A UTC offset that puts ``at`` at ``busy_hour`` local time (the demo starts mid-morning)."""
    hour = at.hour + at.minute / 60
    return round((busy_hour - hour) % 24, 4)


LIGHT_CENTER = CenterConfig(agents=40, snapshot_seconds=60.0)
"""A third of the default center with minute snapshots: about 45,000 records a day, for replay tests."""

SMALL_QUEUES: tuple[QueueConfig, ...] = (
    QueueConfig("vip", 0.02, (("voice", 0.8), ("chat", 0.2))),
    QueueConfig("fraud", 0.02, (("voice", 1.0),)),
)
"""Two tiny queues (one or two agents, a contact every several minutes) that ``--small-queues`` adds to
the default ones: where sparse data has to be judged (the quality benchmark's centers have them)."""
