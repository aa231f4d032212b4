"""The fan-out carries incidents: members go to dashboards only, the incident pages on the channels the
paging policy chose (``channels``), and escalation runs on the incident with its trigger rule's
``ack_within``."""

from __future__ import annotations

from floorwatch.alerts.model import TransitionKind
from floorwatch.delivery.sns import ATTRIBUTE_CHANNEL, ATTRIBUTE_RULE

from tests.unit.delivery.transitions import critical_opening
from tests.unit.delivery.world import ALERTS_TOPIC, World

MEMBERS = ("queue-contacts-waiting|critical|queue:billing", "queue-longest-wait|critical|queue:billing")


def incident(kind: TransitionKind, channels: tuple[str, ...], version: int = 1):  # type: ignore[no-untyped-def]
    return critical_opening(
        "inc-1",
        transition_id=f"inc-1:{version}",
        version=version,
        transition=kind,
        rule="incident",
        incident_id="inc-1",
        members=MEMBERS,
        trigger_rule="queue-longest-wait",
        channels=channels,
    )


def test_a_member_alert_reaches_dashboards_but_pages_and_escalates_nobody() -> None:
    world = World(auto_stream=False)
    member = critical_opening("a1", incident_id="inc-1", channels=())
    report = world.delivery.deliver(member)
    assert report.push is not None and report.push.delivered == ["c-ana"]  # the dashboard got it
    assert world.publisher.published == []
    assert report.scheduled is None


def test_the_incident_page_goes_out_once_on_the_chosen_channels_with_the_trigger_rule() -> None:
    world = World(auto_stream=False)
    opened = world.delivery.deliver(incident(TransitionKind.OPENED, ()))
    assert world.publisher.published == []  # the opening waits for group_wait
    assert opened.scheduled is not None and opened.scheduled.alert_id == "inc-1"  # ack_within 30s applies
    world.delivery.deliver(incident(TransitionKind.PAGED, ("sms",), version=2))
    [message] = world.publisher.to(ALERTS_TOPIC)
    assert message.attributes[ATTRIBUTE_CHANNEL] == ("sms",)
    assert message.attributes[ATTRIBUTE_RULE] == "queue-longest-wait"  # subscriptions filter by rule
    assert message.sms is not None and "(+1 alert)" in message.sms and "queue:billing" in message.sms


def test_a_resolved_incident_without_channels_sends_no_sms() -> None:
    world = World(auto_stream=False)
    world.delivery.deliver(incident(TransitionKind.RESOLVED, (), version=3))
    assert world.publisher.published == []


def test_a_muted_transition_reaches_dashboards_without_paging() -> None:
    # A snoozed alert that turns critical: the card must follow (and the snapshot agrees), no SMS goes out.
    world = World(auto_stream=False)
    muted = critical_opening("a2", transition=TransitionKind.UPGRADED, notify=False)
    report = world.delivery.deliver(muted)
    assert report.push is not None and report.push.delivered == ["c-ana"]
    assert world.publisher.published == []
