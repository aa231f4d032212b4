"""Rules name queues by id or by name: a Connect queue's id is its ARN's UUID, people write "billing"."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.rules.config import MatchRule, ThresholdRule, parse_rules

BILLING_ID = "110bbe7f-cd5a-470e-a0ba-5600aad5b14e"


def rules(queues: str) -> tuple[ThresholdRule, MatchRule]:
    text = f"""
    - id: billing-waiting
      metric: contacts_in_queue
      scope: queue
      direction: above
      tiers: {{warning: 10}}
      queues: {queues}
    - id: billing-compliance
      scope: contact
      match: {{type: compliance}}
      severity: critical
      queues: {queues}
    """
    threshold, match = parse_rules(textwrap.dedent(text))
    assert isinstance(threshold, ThresholdRule) and isinstance(match, MatchRule)
    return threshold, match


def test_a_queue_filter_admits_the_queue_by_id_or_by_display_name() -> None:
    for entry in ("[billing]", "[Billing]", f"[{BILLING_ID}]"):
        threshold, _ = rules(entry)
        assert threshold.admits(f"queue:{BILLING_ID}", queue_name="billing"), entry
    threshold, _ = rules("[Tech Support]")
    assert threshold.admits(f"queue:{BILLING_ID}", queue_name="tech-support")
    assert not threshold.admits(f"queue:{BILLING_ID}", queue_name="billing")
    assert not threshold.admits(f"queue:{BILLING_ID}")  # the name unknown: only the id can match


def test_a_match_rule_reads_the_queue_name_from_the_event() -> None:
    _, match = rules("[billing]")
    event = CxEvent(
        event_id="e-1",
        source=Source.CONTACT_LENS,
        type=EventType.COMPLIANCE,
        occurred_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
        queue_id=BILLING_ID,
        contact_id="c-1",
        labels={"category": "pci", "queue_name": "billing"},
    )
    assert match.matches(event)
    assert not match.matches(event.model_copy(update={"labels": {"category": "pci"}}))
