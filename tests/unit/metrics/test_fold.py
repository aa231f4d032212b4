import random
from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics import catalog as c
from floorwatch.metrics.fold import FoldConfig, bucket_start
from floorwatch.metrics.fold import fold as fold_with_cadence
from floorwatch.metrics.model import BucketDelta, BucketKey, BucketRow, Stamped
from floorwatch.metrics.window import window_value

from tests.unit.metrics.helpers import T0, at, event


def fold(events: list[CxEvent], config: FoldConfig | None = None) -> dict[BucketKey, BucketDelta]:
    """The fold without the cadence bookkeeping every event adds (events per feed and queue, a queue's
    last-seen), which ``test_every_event_counts_toward_its_feed_and_queue_cadence`` checks on its own."""
    deltas = fold_with_cadence(events) if config is None else fold_with_cadence(events, config)
    kept: dict[BucketKey, BucketDelta] = {}
    for key, delta in deltas.items():
        adds = {name: amount for name, amount in delta.adds.items() if name != c.EVENTS}
        latest = dict(delta.latest)
        if key.scope.startswith(("queue:", "center:")):
            latest.pop(c.LAST_SEEN, None)
        if adds or latest or key.scope.startswith("feed:"):
            kept[key] = BucketDelta(adds=adds, latest=latest)
    return kept


def test_every_event_counts_toward_its_feed_and_queue_cadence() -> None:
    deltas = fold_with_cadence(
        [
            event(EventType.CONTACT_QUEUED, 3, queue_id="q"),
            event(EventType.QUEUE_SNAPSHOT, 9, queue_id="q", values={"contacts_in_queue": 1.0}),
            event(EventType.TICKET, 5, source=Source.ZENDESK),
        ]
    )
    queue = deltas[BucketKey("queue:q", MINUTE)]
    assert queue.adds[c.EVENTS] == 2.0 and queue.latest[c.LAST_SEEN].at == at(9)
    assert deltas[BucketKey("feed:zendesk", MINUTE)].adds == {c.EVENTS: 1.0}


MINUTE = T0  # the bucket of events in the first minute
FEED = "feed:generic"


def scopes(deltas: dict[BucketKey, BucketDelta]) -> set[str]:
    return {key.scope for key in deltas}


def adds(deltas: dict[BucketKey, BucketDelta], scope: str, bucket=MINUTE) -> dict[str, float]:
    return deltas[BucketKey(scope, bucket)].adds


def test_contact_queued_counts_an_offer_for_center_and_queue() -> None:
    deltas = fold([event(EventType.CONTACT_QUEUED, queue_id="billing", contact_id="k1", agent_id="a1")])
    assert scopes(deltas) == {"center:default", "queue:billing", FEED}
    assert adds(deltas, "queue:billing") == {c.OFFERED: 1.0}
    assert adds(deltas, "center:default") == {c.OFFERED: 1.0}


def test_answered_feeds_wait_and_service_level_but_not_agent_team_or_contact_scopes() -> None:
    deltas = fold(
        [
            event(
                EventType.CONTACT_ANSWERED,
                1,
                queue_id="billing",
                agent_id="a1",
                team_id="t1",
                contact_id="k1",
                values={"wait_seconds": 12.0},
            ),
            event(EventType.CONTACT_ANSWERED, 2, queue_id="billing", values={"wait_seconds": 45.0}),
        ]
    )
    assert scopes(deltas) == {"center:default", "queue:billing", FEED}
    assert adds(deltas, "queue:billing") == {
        c.ANSWERED: 2.0,
        c.WAIT_SUM: 57.0,
        c.WAIT_COUNT: 2.0,
        c.ANSWERED_WITHIN_SL: 1.0,
    }


def test_answered_without_a_known_wait_counts_as_answered_only() -> None:
    deltas = fold([event(EventType.CONTACT_ANSWERED, queue_id="billing")])
    assert adds(deltas, "queue:billing") == {c.ANSWERED: 1.0}


@pytest.mark.parametrize(
    ("queue", "wait", "within"),
    [
        ("sales", 20.0, 1.0),  # the default 20 s threshold is inclusive
        ("sales", 20.5, 0.0),
        ("billing", 29.0, 1.0),  # billing's own threshold: 30 s
        ("billing", 31.0, 0.0),
    ],
)
def test_service_level_threshold_is_per_queue(queue: str, wait: float, within: float) -> None:
    config = FoldConfig(sl_threshold_seconds={"billing": 30})
    deltas = fold([event(EventType.CONTACT_ANSWERED, queue_id=queue, values={"wait_seconds": wait})], config)
    assert adds(deltas, f"queue:{queue}")[c.ANSWERED_WITHIN_SL] == within
    assert adds(deltas, "center:default")[c.ANSWERED_WITHIN_SL] == within


def test_default_threshold_is_configurable() -> None:
    config = FoldConfig(default_sl_threshold_seconds=10)
    deltas = fold([event(EventType.CONTACT_ANSWERED, queue_id="q", values={"wait_seconds": 15.0})], config)
    assert adds(deltas, "queue:q")[c.ANSWERED_WITHIN_SL] == 0.0


def test_abandoned_counts_for_center_and_queue() -> None:
    deltas = fold([event(EventType.CONTACT_ABANDONED, queue_id="q", center_id="paris", contact_id="k")])
    assert scopes(deltas) == {"center:paris", "queue:q", FEED}
    assert adds(deltas, "center:paris") == {c.ABANDONED: 1.0}


def test_contact_ended_feeds_handling_sums_for_center_queue_team_and_agent() -> None:
    ended = event(
        EventType.CONTACT_ENDED,
        queue_id="q",
        team_id="t",
        agent_id="a",
        contact_id="k",
        values={"handle_seconds": 300.0, "acw_seconds": 60.0, "hold_seconds": 30.0, "talk_seconds": 210.0},
    )
    deltas = fold([ended, event(EventType.CONTACT_ENDED, queue_id="q", values={"handle_seconds": 100.0})])
    assert scopes(deltas) == {"center:default", "queue:q", "team:t", "agent:a", FEED}
    assert adds(deltas, "queue:q") == {
        c.HANDLED: 2.0,
        c.HANDLE_SUM: 400.0,
        c.HANDLE_COUNT: 2.0,
        c.ACW_SUM: 60.0,
        c.ACW_COUNT: 1.0,
        c.HOLD_SUM: 30.0,
        c.HOLD_COUNT: 1.0,
    }
    assert adds(deltas, "agent:a")[c.HANDLE_SUM] == 300.0


def test_queue_snapshot_sets_gauges_latest_by_event_time_whatever_the_arrival_order() -> None:
    newer = event(
        EventType.QUEUE_SNAPSHOT, 40, queue_id="q", values={"contacts_in_queue": 3.0, "agents_online": 9.0}
    )
    older = event(
        EventType.QUEUE_SNAPSHOT,
        10,
        queue_id="q",
        values={"contacts_in_queue": 8.0, "longest_wait_seconds": 95.0},
    )
    deltas = fold([newer, older])
    assert scopes(deltas) == {"queue:q", FEED}
    latest = deltas[BucketKey("queue:q", MINUTE)].latest
    assert latest[c.CONTACTS_IN_QUEUE] == Stamped(3.0, at(40))
    assert latest[c.AGENTS_ONLINE] == Stamped(9.0, at(40))
    assert latest[c.LONGEST_WAIT] == Stamped(95.0, at(10))  # only the older snapshot carried it
    assert deltas[BucketKey("queue:q", MINUTE)].adds == {}


def test_a_snapshot_without_a_queue_describes_the_center() -> None:
    deltas = fold([event(EventType.QUEUE_SNAPSHOT, values={"agents_available": 4.0})])
    assert deltas[BucketKey("center:default", MINUTE)].latest[c.AGENTS_AVAILABLE].value == 4.0


def test_agent_state_is_ordered_by_the_report_and_keeps_when_the_agent_entered_it() -> None:
    deltas = fold(
        [
            event(
                EventType.AGENT_STATE,
                50,
                agent_id="a",
                team_id="t",
                queue_id="q",
                labels={"state": "on_hold"},
                values={"state_seconds": 45.0},
            ),
        ]
    )
    assert scopes(deltas) == {"agent:a", FEED}
    latest = deltas[BucketKey("agent:a", MINUTE)].latest
    assert latest[c.AGENT_STATE] == Stamped("on_hold", at(50))
    since = latest[c.AGENT_STATE_SINCE]
    assert since.at == at(50)
    assert datetime.fromtimestamp(float(since.value), UTC) == at(5)


def test_a_state_begun_long_ago_still_replaces_a_newer_begun_one_it_follows() -> None:
    """Connect reports "Available" after after-contact work with the status' old StartTimestamp."""
    acw = event(
        EventType.AGENT_STATE,
        40,
        agent_id="a",
        labels={"state": "after_contact_work"},
        values={"state_seconds": 10.0},
    )
    available = event(
        EventType.AGENT_STATE,
        55,
        agent_id="a",
        labels={"state": "available"},
        values={"state_seconds": 3600.0},
    )
    after_contact_work = c.CATALOG["agent_after_contact_work_seconds"]

    def seconds_in_acw(events: list[CxEvent], when: float) -> float | None:
        deltas = fold(events)
        rows = [BucketRow(key.scope, key.bucket, delta.adds, delta.latest) for key, delta in deltas.items()]
        return window_value(after_contact_work, rows, at(when), timedelta(minutes=15)).value

    assert seconds_in_acw([acw], 45) == 15.0  # entered at 30 s
    assert seconds_in_acw([acw, available], 59) == 0.0  # available since long ago, reported after ACW


def test_agent_state_without_duration_starts_at_the_event_and_without_label_is_ignored() -> None:
    deltas = fold(
        [
            event(EventType.AGENT_STATE, 20, agent_id="a", labels={"state": "not_ready"}),
            event(EventType.AGENT_STATE, 30, agent_id="b"),
        ]
    )
    assert scopes(deltas) == {"agent:a", FEED}
    assert deltas[BucketKey("agent:a", MINUTE)].latest[c.AGENT_STATE] == Stamped("not_ready", at(20))


def test_customer_sentiment_feeds_queue_agent_and_contact() -> None:
    deltas = fold(
        [
            event(
                EventType.SENTIMENT,
                queue_id="q",
                agent_id="a",
                contact_id="k",
                team_id="t",
                values={"score": -0.5},
            ),
            event(EventType.SENTIMENT, contact_id="k", values={"sentiment": 0.25}),
            event(EventType.SENTIMENT, contact_id="k"),  # no score: nothing to average
            event(
                EventType.SENTIMENT,
                contact_id="k",
                values={"sentiment": -1.0},
                labels={"participant_role": "agent"},
            ),
            event(
                EventType.SENTIMENT,
                contact_id="k",
                values={"sentiment": 1.0},
                labels={"participant_role": "customer"},
            ),
        ]
    )
    assert scopes(deltas) == {"queue:q", "agent:a", "contact:k", FEED}
    assert adds(deltas, "contact:k") == {c.SENTIMENT_SUM: 0.75, c.SENTIMENT_COUNT: 3.0}
    assert adds(deltas, "queue:q") == {c.SENTIMENT_SUM: -0.5, c.SENTIMENT_COUNT: 1.0}


def test_compliance_counts_flags_up_the_hierarchy_not_per_contact() -> None:
    deltas = fold(
        [
            event(
                EventType.COMPLIANCE,
                queue_id="q",
                team_id="t",
                agent_id="a",
                contact_id="k",
                labels={"category": "card_data"},
            )
        ]
    )
    assert scopes(deltas) == {"center:default", "queue:q", "team:t", "agent:a", FEED}
    assert adds(deltas, "team:t") == {c.COMPLIANCE_FLAGS: 1.0}


def test_every_event_marks_its_feed_as_seen_and_tickets_feed_nothing_else() -> None:
    deltas = fold(
        [
            event(EventType.TICKET, 5, source=Source.ZENDESK, queue_id="q", agent_id="a"),
            event(EventType.TICKET, 42.5, source=Source.ZENDESK),
            event(EventType.TICKET, 7, source=Source.ZENDESK),
            event(EventType.CONTACT_QUEUED, 3, queue_id="q"),
        ]
    )
    assert scopes(deltas) == {"feed:zendesk", FEED, "center:default", "queue:q"}
    last_seen = deltas[BucketKey("feed:zendesk", MINUTE)].latest[c.LAST_SEEN]
    assert last_seen.at == at(42)  # whole seconds (merged by maximum in the stores)
    assert last_seen.value == at(42).timestamp()
    assert deltas[BucketKey("feed:zendesk", MINUTE)].adds == {}


def test_events_land_in_the_bucket_of_their_event_time() -> None:
    deltas = fold(
        [
            event(EventType.CONTACT_QUEUED, 59.999, queue_id="q"),
            event(EventType.CONTACT_QUEUED, 60, queue_id="q"),
            event(EventType.CONTACT_QUEUED, 61, queue_id="q"),
        ]
    )
    assert adds(deltas, "queue:q", at(0)) == {c.OFFERED: 1.0}
    assert adds(deltas, "queue:q", at(60)) == {c.OFFERED: 2.0}
    assert {key.bucket for key in deltas} == {at(0), at(60)}


def test_bucket_width_is_configurable_and_must_be_whole_seconds() -> None:
    config = FoldConfig(bucket=timedelta(minutes=5))
    deltas = fold(
        [
            event(EventType.CONTACT_QUEUED, 299, queue_id="q"),
            event(EventType.CONTACT_QUEUED, 300, queue_id="q"),
        ],
        config,
    )
    assert {key.bucket for key in deltas} == {at(0), at(300)}
    assert bucket_start(at(299.5), timedelta(minutes=5)) == at(0)
    with pytest.raises(ValueError, match="whole number of seconds"):
        FoldConfig(bucket=timedelta(milliseconds=1500))


def test_fold_does_not_depend_on_event_order() -> None:
    events = [
        event(
            kind,
            seconds,
            queue_id=f"q{seconds % 3}",
            agent_id="a",
            team_id="t",
            contact_id="k",
            labels={"state": "on_hold"},
            values={
                "wait_seconds": float(seconds),
                "contacts_in_queue": float(seconds),
                "handle_seconds": 10.0,
                "score": 0.5,
            },
        )
        for seconds, kind in enumerate(list(EventType) * 5)
    ]
    expected = fold(events)
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    assert fold(shuffled) == expected
    assert fold([]) == {}
