"""The unified contact-center event (CxEvent) every adapter produces."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from floorwatch.security.redact import redact, redact_identifier, redact_values


class EventType(StrEnum):
    QUEUE_SNAPSHOT = "queue_snapshot"
    CONTACT_QUEUED = "contact_queued"
    CONTACT_ANSWERED = "contact_answered"
    CONTACT_ABANDONED = "contact_abandoned"
    CONTACT_ENDED = "contact_ended"
    AGENT_STATE = "agent_state"
    SENTIMENT = "sentiment"
    COMPLIANCE = "compliance"
    TICKET = "ticket"


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    SOCIAL = "social"
    TASK = "task"


class Source(StrEnum):
    AMAZON_CONNECT_AGENT = "amazon_connect.agent"
    AMAZON_CONNECT_CONTACT_RECORD = "amazon_connect.contact_record"
    AMAZON_CONNECT_CONTACT_EVENT = "amazon_connect.contact_event"
    CONTACT_LENS = "contact_lens"
    GENESYS = "genesys"
    TWILIO = "twilio"
    ZENDESK = "zendesk"
    GENERIC = "generic"


DEFAULT_CENTER = "default"

# An id that holds PII (an e-mail address, a card number) becomes a stable pseudonym: the same scope,
# never the raw value, in every table, message and log line downstream. ``redact_identifier`` is an
# lru_cache, which pydantic-core calls without a Python frame for an id seen before (the normalizer's
# hot path: several ids per event); a None id skips it.
Identifier = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(redact_identifier)]
OptionalIdentifier = Identifier | None
# Free text and labels (keys and values) are redacted by the model itself, and only there: adapters hand
# over raw text (``fit_text`` when it may be long). Validators given as Annotated functions rather than
# field_validator methods: one Python call fewer per field and event.
MAX_TEXT_LENGTH = 4000
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH), AfterValidator(redact)]
Labels = Annotated[dict[str, str], AfterValidator(redact_values)]
FiniteNumber = Annotated[float, Field(allow_inf_nan=False)]  # checked in pydantic-core, not in Python
# Absolute event-time bounds, whatever the path (stream, replay, CLI): instants outside them are typos or
# forgeries (year 1, year 9999), and keeping every event inside means no window, retention or TTL
# arithmetic on an event time can overflow. The normalizer adds a tighter window around arrival time
# (``floorwatch.events.time_window``).
EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_EVENT_TIME = datetime(2100, 1, 1, tzinfo=UTC)


class CxEvent(BaseModel):
    """One fact about the contact center, in event time.

    Strict and frozen: adapters build it from typed values, the generic adapter validates JSON.
    Free text (``text``, label keys and values) is PII-redacted by the model itself and ids holding PII
    are replaced by stable pseudonyms, so no path can produce an event that carries a card number,
    IBAN, phone number, e-mail address or SSN.
    """

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    event_id: Identifier
    source: Source
    type: EventType
    occurred_at: datetime
    center_id: Identifier = DEFAULT_CENTER
    queue_id: OptionalIdentifier = None
    team_id: OptionalIdentifier = None
    agent_id: OptionalIdentifier = None
    contact_id: OptionalIdentifier = None
    channel: Channel | None = None
    values: dict[str, FiniteNumber] = Field(default_factory=dict)
    labels: Labels = Field(default_factory=dict)
    text: Text | None = None
    # The raw record it came from, "<shard id>:<sequence number>" of the raw-events stream (Lambda's
    # eventID of that record): set by the normalizer, carried to the transitions the event causes and
    # their notifications. None outside the stream (replays, unit tests).
    correlation_id: str | None = Field(default=None, max_length=300)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("occurred_at must carry a time zone (use UTC, e.g. 2026-11-23T09:00:00Z)")
        if not EARLIEST_EVENT_TIME <= value < LATEST_EVENT_TIME:
            first, last = EARLIEST_EVENT_TIME.year, LATEST_EVENT_TIME.year - 1
            raise ValueError(f"occurred_at must lie in the years {first} to {last}")
        # Adapters hand over UTC already; datetimes are immutable, so the same object is as good as a copy.
        return value if value.tzinfo is UTC else value.astimezone(UTC)

    def partition_key(self) -> str:
        """The cx-events partition key: the narrowest aggregate scope (queue, else agent, else contact).

        Keeping one queue's events on one shard keeps them in order for the evaluator.
        """
        if self.queue_id:
            return f"queue:{self.queue_id}"
        if self.agent_id:
            return f"agent:{self.agent_id}"
        if self.contact_id:
            return f"contact:{self.contact_id}"
        return f"center:{self.center_id}"

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)


def fit_text(text: str) -> str:
    """Free text for ``CxEvent.text``: as it is when within the limit (the model redacts it: one pass),
    else redacted, then cut to the limit.

    Redacting before the cut keeps the cut from splitting a card number into a shape redaction misses;
    the model then redacts the cut text once more, which is needed: a cut can leave a prefix that is a
    match of its own (16 digits of a 20-digit run). ``redact`` is idempotent, so the second pass masks
    only what the cut made.
    """
    if len(text) <= MAX_TEXT_LENGTH:
        return text
    return redact(text)[:MAX_TEXT_LENGTH]
