"""The metric catalog: every metric a rule can name, its kind, the scopes it exists for, and how the
read side derives it from the fields the evaluator stores per (scope, bucket) item.

Stored fields (what ``fold`` writes into a ``BucketDelta``):

- counters (ADDed per bucket, DynamoDB attribute ``c_<field>``): see ``COUNTER_FIELDS``;
- latest values (SET only when newer in event time, ``l_<field>`` + ``lt_<field>``): the queue snapshot
  gauges, ``agent_state`` (value = the state label, time = when the agent entered that state) and
  ``last_seen`` (a feed's last event time, in whole seconds: see ``MAX_FIELDS``).

Derived metrics are computed over a window by ``floorwatch.metrics.window`` from those fields only, so a
new derived metric needs no new stored field and no migration.

Event conventions the fold relies on (set by the adapters):
- ``values.wait_seconds`` on contact_answered / contact_abandoned;
- ``values.handle_seconds``, ``acw_seconds``, ``hold_seconds`` on contact_ended;
- ``labels.ended_in`` = ``ivr`` on a contact_ended that never reached a queue or an agent (self-service,
  or the caller hung up in the IVR): counted as ``contacts_ended_in_ivr``, never as handled;
- ``values.score`` (or ``values.sentiment``), -1..1, on sentiment; only customer utterances count
  (``labels.participant_role`` absent or ``customer``);
- ``labels.state`` (+ optional ``values.state_seconds``: time already spent in that state at event time)
  on agent_state;
- the snapshot gauges under their own names in ``values`` on queue_snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from floorwatch.metrics.model import ScopeKind

DEFAULT_SL_THRESHOLD_SECONDS = 20.0
"""Service-level threshold ("80/20": answered within 20 s) when no per-queue threshold is configured."""


class MetricKind(StrEnum):
    GAUGE = "gauge"  # latest value in event time (queue snapshot figures)
    # One latest figure over another of the same snapshots (numerator / the denominator's one field).
    GAUGE_SHARE = "gauge_share"
    COUNTER = "counter"  # sum over the window
    RATIO = "ratio"  # sum(numerator) / sum(denominator) over the window
    AVERAGE = "average"  # sum(total) / sum(count) over the window
    DURATION_IN_STATE = "duration_in_state"  # at - since, while the latest state matches
    STALENESS = "staleness"  # at - the feed's last event time
    # How surprising a scope's current silence is for its own cadence (see window.silence_value).
    SILENCE = "silence"


# --- stored field names (one place: fold writes them, window reads them, stores persist them) -------
OFFERED = "contacts_offered"
ANSWERED = "contacts_answered"
ABANDONED = "contacts_abandoned"
ANSWERED_WITHIN_SL = "answered_within_sl"
HANDLED = "contacts_handled"
ENDED_IN_IVR = "contacts_ended_in_ivr"
WAIT_SUM = "wait_seconds_sum"
WAIT_COUNT = "wait_seconds_count"  # answered contacts whose wait is known (ASA and SL denominators)
HANDLE_SUM = "handle_seconds_sum"
HANDLE_COUNT = "handle_seconds_count"
ACW_SUM = "acw_seconds_sum"
ACW_COUNT = "acw_seconds_count"
HOLD_SUM = "hold_seconds_sum"
HOLD_COUNT = "hold_seconds_count"
SENTIMENT_SUM = "sentiment_sum"
SENTIMENT_COUNT = "sentiment_count"
COMPLIANCE_FLAGS = "compliance_flags"
EVENTS = "events"  # every event a feed or a queue delivered (its cadence: see MetricKind.SILENCE)

COUNTER_FIELDS: tuple[str, ...] = (
    OFFERED,
    ANSWERED,
    ABANDONED,
    ANSWERED_WITHIN_SL,
    HANDLED,
    ENDED_IN_IVR,
    WAIT_SUM,
    WAIT_COUNT,
    HANDLE_SUM,
    HANDLE_COUNT,
    ACW_SUM,
    ACW_COUNT,
    HOLD_SUM,
    HOLD_COUNT,
    SENTIMENT_SUM,
    SENTIMENT_COUNT,
    COMPLIANCE_FLAGS,
    EVENTS,
)

CONTACTS_IN_QUEUE = "contacts_in_queue"
LONGEST_WAIT = "longest_wait_seconds"
AGENTS_AVAILABLE = "agents_available"
AGENTS_ONLINE = "agents_online"
# Agents by state, as a queue snapshot reports them (the dashboard's tiles; not every platform does).
AGENTS_ON_CONTACT = "agents_on_contact"
AGENTS_AFTER_CONTACT_WORK = "agents_after_contact_work"
AGENTS_NOT_READY = "agents_not_ready"
SNAPSHOT_GAUGES: tuple[str, ...] = (
    CONTACTS_IN_QUEUE,
    LONGEST_WAIT,
    AGENTS_AVAILABLE,
    AGENTS_ONLINE,
    AGENTS_ON_CONTACT,
    AGENTS_AFTER_CONTACT_WORK,
    AGENTS_NOT_READY,
)
AGENT_STATE = "agent_state"
# When the agent entered the state of the same report (epoch seconds). Kept apart from AGENT_STATE,
# which is stamped with the report's own time: platforms report a state with the time it began, and a
# state begun long ago (Connect's "Available" keeps the StartTimestamp of the status, often the login)
# must still replace a newer-begun one that it follows (after-contact work), or the agent looks stuck.
AGENT_STATE_SINCE = "agent_state_since"
LAST_SEEN = "last_seen"
LATEST_FIELDS: tuple[str, ...] = (*SNAPSHOT_GAUGES, AGENT_STATE, AGENT_STATE_SINCE, LAST_SEEN)
MAX_FIELDS: frozenset[str] = frozenset({LAST_SEEN})
"""Latest values whose value is their own time (whole epoch seconds), so "latest" is simply the maximum.

Every shard writes every feed's item, so a conditional "only if newer" write would fail whenever another
shard got there first; a store may merge these by maximum instead (DynamoDB: ADD to a number set) with no
condition at all. Whole seconds keep that set small (at most 60 values per one-minute item).
"""

# Agent state labels the duration-in-state metrics match (labels.state, see the Connect agent adapter).
STATE_ON_HOLD = "on_hold"
STATE_AFTER_CONTACT_WORK = "after_contact_work"
STATE_NOT_READY = "not_ready"


@dataclass(frozen=True)
class MetricDef:
    """One metric rules can name.

    ``numerator`` / ``denominator``: counter fields summed over the window (counter: numerator only;
    ratio and average: numerator ÷ the sum of the denominator fields); for a gauge share, two latest-value
    fields (numerator ÷ the one denominator). ``latest``: the latest-value field a gauge,
    duration-in-state or staleness metric reads. ``state``: the state label a duration-in-state
    metric matches.
    """

    name: str
    kind: MetricKind
    scopes: frozenset[ScopeKind]
    unit: str
    description: str
    numerator: str | None = None
    denominator: tuple[str, ...] = ()
    latest: str | None = None
    state: str | None = None

    @property
    def derived_from(self) -> tuple[str, ...]:
        """The stored fields this metric is computed from."""
        fields = (self.numerator, *self.denominator, self.latest)
        return tuple(field for field in fields if field is not None)


_C, _Q, _T, _A, _CT, _F = (
    ScopeKind.CENTER,
    ScopeKind.QUEUE,
    ScopeKind.TEAM,
    ScopeKind.AGENT,
    ScopeKind.CONTACT,
    ScopeKind.FEED,
)
_QUEUE_LEVEL = frozenset({_C, _Q})
_HANDLING_LEVEL = frozenset({_C, _Q, _T, _A})


def _counter(name: str, scopes: frozenset[ScopeKind], unit: str, description: str) -> MetricDef:
    return MetricDef(name, MetricKind.COUNTER, scopes, unit, description, numerator=name)


def _gauge(name: str, unit: str, description: str) -> MetricDef:
    return MetricDef(name, MetricKind.GAUGE, _QUEUE_LEVEL, unit, description, latest=name)


def _in_state(name: str, state: str, description: str) -> MetricDef:
    return MetricDef(
        name,
        MetricKind.DURATION_IN_STATE,
        frozenset({_A}),
        "seconds",
        description,
        latest=AGENT_STATE,
        state=state,
    )


_DEFINITIONS: tuple[MetricDef, ...] = (
    # counters
    _counter(OFFERED, _QUEUE_LEVEL, "contacts", "Contacts that entered a queue (contact_queued)."),
    _counter(ANSWERED, _QUEUE_LEVEL, "contacts", "Queued contacts answered by an agent."),
    _counter(ABANDONED, _QUEUE_LEVEL, "contacts", "Queued contacts the customer left before an answer."),
    _counter(
        ANSWERED_WITHIN_SL,
        _QUEUE_LEVEL,
        "contacts",
        "Contacts answered within their queue's service-level threshold (default 20 s).",
    ),
    _counter(
        HANDLED,
        _HANDLING_LEVEL,
        "contacts",
        "Contacts that ended after reaching a queue or an agent (contact_ended, except IVR-only contacts).",
    ),
    _counter(
        ENDED_IN_IVR,
        _QUEUE_LEVEL,
        "contacts",
        "Contacts that ended in the IVR / self-service without reaching a queue or an agent.",
    ),
    _counter(
        COMPLIANCE_FLAGS,
        _HANDLING_LEVEL,
        "flags",
        "Compliance events (a disclosure missed, card data spoken, ...).",
    ),
    # ratios
    MetricDef(
        "service_level",
        MetricKind.RATIO,
        _QUEUE_LEVEL,
        "ratio",
        "Share (0..1) of contacts answered within the threshold: answered within SL ÷ (answered with a known "
        "wait + abandoned). Abandoned contacts count against it (conservative). Samples: the denominator.",
        numerator=ANSWERED_WITHIN_SL,
        denominator=(WAIT_COUNT, ABANDONED),
    ),
    MetricDef(
        "abandon_rate",
        MetricKind.RATIO,
        _QUEUE_LEVEL,
        "ratio",
        "Abandoned ÷ offered (0..1; can briefly exceed 1 when contacts offered before the window "
        "abandon in it).",
        numerator=ABANDONED,
        denominator=(OFFERED,),
    ),
    # averages
    MetricDef(
        "average_speed_of_answer",
        MetricKind.AVERAGE,
        _QUEUE_LEVEL,
        "seconds",
        "Mean wait of answered contacts (ASA).",
        numerator=WAIT_SUM,
        denominator=(WAIT_COUNT,),
    ),
    MetricDef(
        "average_handle_time",
        MetricKind.AVERAGE,
        _HANDLING_LEVEL,
        "seconds",
        "Mean handle time (talk + hold + after-contact work) of ended contacts (AHT).",
        numerator=HANDLE_SUM,
        denominator=(HANDLE_COUNT,),
    ),
    MetricDef(
        "average_after_contact_work",
        MetricKind.AVERAGE,
        _HANDLING_LEVEL,
        "seconds",
        "Mean after-contact work of ended contacts.",
        numerator=ACW_SUM,
        denominator=(ACW_COUNT,),
    ),
    MetricDef(
        "average_hold_time",
        MetricKind.AVERAGE,
        _HANDLING_LEVEL,
        "seconds",
        "Mean customer hold time of ended contacts.",
        numerator=HOLD_SUM,
        denominator=(HOLD_COUNT,),
    ),
    MetricDef(
        "sentiment",
        MetricKind.AVERAGE,
        frozenset({_Q, _A, _CT}),
        "score",
        "Mean sentiment score (-1..1) of the customer's analysed utterances.",
        numerator=SENTIMENT_SUM,
        denominator=(SENTIMENT_COUNT,),
    ),
    # gauges (queue snapshots; a snapshot without a queue describes the whole center)
    _gauge(CONTACTS_IN_QUEUE, "contacts", "Contacts waiting now (latest snapshot)."),
    _gauge(LONGEST_WAIT, "seconds", "Wait of the oldest contact in queue (latest snapshot)."),
    _gauge(AGENTS_AVAILABLE, "agents", "Agents available to take a contact (latest snapshot)."),
    _gauge(AGENTS_ONLINE, "agents", "Agents logged in (latest snapshot)."),
    _gauge(AGENTS_ON_CONTACT, "agents", "Agents handling a contact (latest snapshot)."),
    _gauge(AGENTS_AFTER_CONTACT_WORK, "agents", "Agents in after-contact work (latest snapshot)."),
    _gauge(
        AGENTS_NOT_READY,
        "agents",
        "Agents logged in but not ready: break, lunch, training (latest snapshot).",
    ),
    # Real-time adherence: most of a queue's logged-in agents off the phones at once (a meeting, a training,
    # breaks that overlap) is the cause customers feel minutes later, when waits and service level move.
    MetricDef(
        "agents_not_ready_share",
        MetricKind.GAUGE_SHARE,
        _QUEUE_LEVEL,
        "ratio",
        "Share (0..1) of the logged-in agents who are not ready (latest snapshot): agents not ready ÷ "
        "agents online. Samples: agents online (so `min_samples` is a staffing floor).",
        numerator=AGENTS_NOT_READY,
        denominator=(AGENTS_ONLINE,),
    ),
    # duration in state (agent scope)
    _in_state(
        "agent_on_hold_seconds", STATE_ON_HOLD, "How long the agent has had a customer on hold (0 if not)."
    ),
    _in_state(
        "agent_after_contact_work_seconds",
        STATE_AFTER_CONTACT_WORK,
        "How long the agent has been in after-contact work (0 if not).",
    ),
    _in_state(
        "agent_not_ready_seconds", STATE_NOT_READY, "How long the agent has been not ready (0 if not)."
    ),
    # silence (queues and feeds): judged against the scope's own cadence
    MetricDef(
        "silence_surprise",
        MetricKind.SILENCE,
        frozenset({_C, _Q, _F}),
        "surprise",
        "How unlikely the scope's current silence is for its own cadence over the window: -ln P, where P "
        "= (1 - share of minutes with an event) ** silent minutes. 9.2 is a chance of 1 in 10,000: a busy "
        "feed quiet for 3 minutes, never a night queue with a contact every 10 minutes. Samples: active "
        "minutes in the window.",
        numerator=EVENTS,
        latest=LAST_SEEN,
    ),
    # staleness (feed scope: one feed per event source)
    MetricDef(
        "feed_staleness_seconds",
        MetricKind.STALENESS,
        frozenset({_F}),
        "seconds",
        "Seconds since the feed (event source) last delivered an event, in event time.",
        latest=LAST_SEEN,
    ),
)

CATALOG: dict[str, MetricDef] = {metric.name: metric for metric in _DEFINITIONS}


def known_metrics() -> dict[str, set[ScopeKind]]:
    """Metric name -> the scopes it exists for (what rule validation checks names and scopes against)."""
    return {name: set(metric.scopes) for name, metric in CATALOG.items()}


def metric(name: str) -> MetricDef:
    """The definition of a metric; KeyError names the unknown metric."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}") from None


def format_metric_value(value: float | None, metric: str | None) -> str:
    """A number as people read it: ratios in percent, seconds with an "s", others to 4 digits."""
    if value is None:
        return "n/a"
    unit = CATALOG[metric].unit if metric in CATALOG else ""
    if unit == "ratio":
        return f"{value * 100:.3g}%"
    if unit == "seconds":
        return f"{value:.0f}s"
    return f"{value:.4g}"
