"""Fold a batch of CxEvents into per-(scope, bucket) deltas: the only thing the evaluator writes.

Pure and hot: the evaluator's budget is tens of thousands of events per second per core, so the loop
works on epoch seconds and tuples, caches bucket datetimes, and builds ``BucketKey`` objects once per
touched item at the end (never per event).

An event feeds only the scopes for which the catalog defines a metric it contributes to, because every
touched (scope, bucket) is one DynamoDB write:

==================  ===========================================================================
event               scopes fed (when the event carries the id)
==================  ===========================================================================
contact_queued      center, queue: contacts_offered
contact_answered    center, queue: contacts_answered, wait sum/count, answered_within_sl
contact_abandoned   center, queue: contacts_abandoned
contact_ended       center, queue, team, agent: contacts_handled, handle/acw/hold sums and counts;
                    ended in the IVR (labels.ended_in = ivr): center, queue: contacts_ended_in_ivr only
queue_snapshot      queue (or center when the snapshot has no queue): the snapshot gauges
agent_state         agent: agent_state (label, since)
sentiment           queue, agent, contact: sentiment sum/count (customer utterances only)
compliance          center, queue, team, agent: compliance_flags
every event         feed:<source>: last_seen, whole seconds (staleness), and events (silence)
event with a queue  queue:<id>: last_seen and events (silence)
event with a center center:<id>: last_seen and events (silence: the whole pipeline)
==================  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from floorwatch.events.model import CxEvent, EventType
from floorwatch.metrics import catalog as c
from floorwatch.metrics.model import DEFAULT_BUCKET, BucketDelta, BucketKey, Stamped

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Values read from events (names set by the adapters; see the catalog's module docstring).
_WAIT = "wait_seconds"
_DURATIONS = (
    (c.HANDLE_SUM, c.HANDLE_COUNT, "handle_seconds"),
    (c.ACW_SUM, c.ACW_COUNT, "acw_seconds"),
    (c.HOLD_SUM, c.HOLD_COUNT, "hold_seconds"),
)
_SCORE, _SENTIMENT = "score", "sentiment"  # the first one present
_ROLE_LABEL = "participant_role"
_CUSTOMER = "customer"
_STATE_LABEL = "state"
_STATE_SECONDS = "state_seconds"
_ENDED_IN, _IVR = "ended_in", "ivr"


@dataclass(frozen=True)
class FoldConfig:
    """How events become deltas: the bucket width and the service-level threshold per queue.

    ``sl_threshold_seconds`` maps a queue id to its threshold; queues not listed use
    ``default_sl_threshold_seconds`` (20 s unless configured). A contact counts as answered within the
    service level when its wait is <= the threshold (inclusive: "answered within 20 s" includes 20.0).
    """

    bucket: timedelta = DEFAULT_BUCKET
    sl_threshold_seconds: Mapping[str, float] = field(default_factory=dict)
    default_sl_threshold_seconds: float = c.DEFAULT_SL_THRESHOLD_SECONDS

    def __post_init__(self) -> None:
        seconds = self.bucket.total_seconds()
        if seconds < 1 or not seconds.is_integer():
            raise ValueError(f"bucket must be a whole number of seconds >= 1, got {self.bucket}")

    def sl_threshold(self, queue_id: str | None) -> float:
        if queue_id is None:
            return self.default_sl_threshold_seconds
        return self.sl_threshold_seconds.get(queue_id, self.default_sl_threshold_seconds)


DEFAULT_FOLD_CONFIG = FoldConfig()


def bucket_start(at: datetime, bucket: timedelta = DEFAULT_BUCKET) -> datetime:
    """The start of the bucket ``at`` falls in (buckets are aligned on the Unix epoch, UTC)."""
    width = int(bucket.total_seconds())
    epoch = int(at.timestamp() // width) * width
    return _EPOCH + timedelta(seconds=epoch)


def fold(events: Iterable[CxEvent], config: FoldConfig = DEFAULT_FOLD_CONFIG) -> dict[BucketKey, BucketDelta]:
    """What a batch adds to each (scope, bucket) item it touches. Pure: same events, same deltas."""
    folder = _Folder(config)
    for event in events:
        folder.add(event)
    return folder.result()


def fold_each(
    events: Iterable[CxEvent], config: FoldConfig = DEFAULT_FOLD_CONFIG
) -> list[dict[BucketKey, BucketDelta]]:
    """One fold per event (stores use it to split a batch into transactions that fit)."""
    return [fold((event,), config) for event in events]


_Key = tuple[str, int]  # (scope, bucket start in epoch seconds)


class _Folder:
    def __init__(self, config: FoldConfig) -> None:
        self._config = config
        self._width = int(config.bucket.total_seconds())
        self._deltas: dict[_Key, BucketDelta] = {}
        self._last_seen: dict[_Key, float] = {}
        self._events: dict[_Key, int] = {}
        self._feeds: dict[str, str] = {}
        self._queues: dict[str, str] = {}  # id -> scope, built once per batch and id
        self._centers: dict[str, str] = {}
        # The center each queue, team and agent was last seen in (stamped on its items at the end): the
        # baselines learn in the center's time zone, and the learner reads only the metrics table.
        self._center_of: dict[str, str] = {}
        # What each event type feeds besides its source's staleness (a type not listed: nothing else).
        self._handlers: dict[EventType, Callable[[CxEvent, int], None]] = {
            EventType.CONTACT_QUEUED: self._queued,
            EventType.CONTACT_ANSWERED: self._answered,
            EventType.CONTACT_ABANDONED: self._abandoned,
            EventType.CONTACT_ENDED: self._ended,
            EventType.SENTIMENT: self._sentiment,
            EventType.COMPLIANCE: self._compliance,
            EventType.QUEUE_SNAPSHOT: self._snapshot,
            EventType.AGENT_STATE: self._agent_state,
        }

    def add(self, event: CxEvent) -> None:
        timestamp = event.occurred_at.timestamp()
        width = self._width
        bucket = int(timestamp // width) * width
        handler = self._handlers.get(event.type)
        if handler is not None:
            handler(event, bucket)
        # Staleness and silence need the newest event time and the event count per feed, queue and
        # center and bucket: kept as plain numbers here, turned into one Stamped per item at the end.
        source = event.source
        feed = self._feeds.get(source)
        if feed is None:
            feed = self._feeds[source] = f"feed:{source.value}"
        keys = [(feed, bucket)]
        queue_id = event.queue_id
        if queue_id is not None:
            scope = self._queues.get(queue_id)
            if scope is None:
                scope = self._queues[queue_id] = "queue:" + queue_id
            keys.append((scope, bucket))
        center_id = event.center_id
        if center_id is not None:
            center_of = self._center_of
            if queue_id is not None:
                center_of["queue:" + queue_id] = center_id
            if event.team_id is not None:
                center_of["team:" + event.team_id] = center_id
            if event.agent_id is not None:
                center_of["agent:" + event.agent_id] = center_id
            scope = self._centers.get(center_id)
            if scope is None:
                scope = self._centers[center_id] = "center:" + center_id
            keys.append((scope, bucket))
        last_seen, seen = self._last_seen, self._events
        for key in keys:
            if timestamp > last_seen.get(key, -1e18):
                last_seen[key] = timestamp
            seen[key] = seen.get(key, 0) + 1

    def result(self) -> dict[BucketKey, BucketDelta]:
        for key, timestamp in self._last_seen.items():
            second = int(timestamp // 1)  # whole seconds: see catalog.MAX_FIELDS
            delta = self._delta(key)
            delta.latest[c.LAST_SEEN] = Stamped(float(second), _EPOCH + timedelta(seconds=second))
            delta.adds[c.EVENTS] = delta.adds.get(c.EVENTS, 0.0) + self._events[key]
        starts: dict[int, datetime] = {}
        result: dict[BucketKey, BucketDelta] = {}
        center_of = self._center_of
        for (scope, bucket), delta in self._deltas.items():
            delta.center = center_of.get(scope)
            start = starts.get(bucket)
            if start is None:
                start = starts[bucket] = _EPOCH + timedelta(seconds=bucket)
            result[BucketKey(scope, start)] = delta
        return result

    def _delta(self, key: _Key) -> BucketDelta:
        delta = self._deltas.get(key)
        if delta is None:
            delta = self._deltas[key] = BucketDelta()
        return delta

    def _count(self, scopes: list[str], bucket: int, contribution: _Contribution) -> None:
        deltas = self._deltas
        for scope in scopes:
            key = (scope, bucket)
            delta = deltas.get(key)
            if delta is None:
                delta = deltas[key] = BucketDelta()
            adds = delta.adds
            for name, amount in contribution:
                adds[name] = adds.get(name, 0.0) + amount

    # Counting events: which scopes they feed and what they add to each.
    def _queued(self, event: CxEvent, bucket: int) -> None:
        self._count(_queue_scopes(event), bucket, _OFFERED)

    def _answered(self, event: CxEvent, bucket: int) -> None:
        wait = event.values.get(_WAIT)
        if wait is None:
            self._count(_queue_scopes(event), bucket, _ANSWERED_UNTIMED)
            return
        within = 1.0 if wait <= self._config.sl_threshold(event.queue_id) else 0.0
        contribution = (
            (c.ANSWERED, 1.0),
            (c.WAIT_SUM, wait),
            (c.WAIT_COUNT, 1.0),
            (c.ANSWERED_WITHIN_SL, within),
        )
        self._count(_queue_scopes(event), bucket, contribution)

    def _abandoned(self, event: CxEvent, bucket: int) -> None:
        self._count(_queue_scopes(event), bucket, _ABANDONED)

    def _ended(self, event: CxEvent, bucket: int) -> None:
        if event.labels.get(_ENDED_IN) == _IVR:
            # Self-service or hung up in the IVR: nobody handled it, so it must not inflate handled counts.
            self._count(_queue_scopes(event), bucket, _ENDED_IN_IVR)
            return
        values = event.values
        contribution: list[tuple[str, float]] = [(c.HANDLED, 1.0)]
        for total, count, name in _DURATIONS:
            seconds = values.get(name)
            if seconds is not None:
                contribution += [(total, seconds), (count, 1.0)]
        self._count(_handling_scopes(event), bucket, contribution)

    def _sentiment(self, event: CxEvent, bucket: int) -> None:
        values = event.values
        score = values.get(_SCORE)
        if score is None:
            score = values.get(_SENTIMENT)  # values are numbers, never None: the first key present
        role = event.labels.get(_ROLE_LABEL)
        if score is None or (role is not None and role != _CUSTOMER):
            return  # the agent's own tone is not the customer's mood supervisors watch
        scopes: list[str] = []
        if event.queue_id is not None:
            scopes.append("queue:" + event.queue_id)
        if event.agent_id is not None:
            scopes.append("agent:" + event.agent_id)
        if event.contact_id is not None:
            scopes.append("contact:" + event.contact_id)
        self._count(scopes, bucket, ((c.SENTIMENT_SUM, score), (c.SENTIMENT_COUNT, 1.0)))

    def _compliance(self, event: CxEvent, bucket: int) -> None:
        self._count(_handling_scopes(event), bucket, _FLAGGED)

    # Latest values.
    def _snapshot(self, event: CxEvent, bucket: int) -> None:
        values = event.values
        gauges = [(name, values[name]) for name in c.SNAPSHOT_GAUGES if name in values]
        if not gauges:
            return
        scope = f"queue:{event.queue_id}" if event.queue_id is not None else f"center:{event.center_id}"
        delta = self._delta((scope, bucket))
        for name, value in gauges:
            delta.observe(name, value, event.occurred_at)

    def _agent_state(self, event: CxEvent, bucket: int) -> None:
        state = event.labels.get(_STATE_LABEL)
        if event.agent_id is None or not state:
            return
        # Reports are ordered by their own time; when the agent entered the state is kept beside it,
        # so a heartbeat that repeats the state (with state_seconds) keeps the original start.
        at = event.occurred_at
        in_state = max(0.0, event.values.get(_STATE_SECONDS, 0.0))
        since = at - timedelta(seconds=in_state) if in_state else at
        delta = self._delta(("agent:" + event.agent_id, bucket))
        delta.observe(c.AGENT_STATE, state, at)
        delta.observe(c.AGENT_STATE_SINCE, (since - _EPOCH).total_seconds(), at)


_Contribution = Sequence[tuple[str, float]]

_OFFERED: _Contribution = ((c.OFFERED, 1.0),)
_ANSWERED_UNTIMED: _Contribution = ((c.ANSWERED, 1.0),)
_ABANDONED: _Contribution = ((c.ABANDONED, 1.0),)
_FLAGGED: _Contribution = ((c.COMPLIANCE_FLAGS, 1.0),)
_ENDED_IN_IVR: _Contribution = ((c.ENDED_IN_IVR, 1.0),)


def _queue_scopes(event: CxEvent) -> list[str]:
    if event.queue_id is None:
        return ["center:" + event.center_id]
    return ["center:" + event.center_id, "queue:" + event.queue_id]


def _handling_scopes(event: CxEvent) -> list[str]:
    scopes = _queue_scopes(event)
    if event.team_id is not None:
        scopes.append("team:" + event.team_id)
    if event.agent_id is not None:
        scopes.append("agent:" + event.agent_id)
    return scopes
