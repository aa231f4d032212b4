"""The feedback report over a recorded week (``recorded/``, see ``record.py``): what a supervisor reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from floorwatch.alerts.feedback_report import Report, Row, Window, build_report
from floorwatch.alerts.model import Severity
from floorwatch.rules.config import load_rules

from local.report_sources import History, read_files
from tests.unit.rules_report.record import ALERTS, AUDIT, RULES

WEEK = Window(datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))


@pytest.fixture(scope="module")
def history() -> History:
    return read_files(str(AUDIT), str(ALERTS))


@pytest.fixture(scope="module")
def report(history: History) -> Report:
    return build_report(history.transitions, history.audit, WEEK, load_rules(RULES))


def _row(report: Report, rule: str, scope: str) -> Row:
    return next(row for row in (*report.rows, *report.rules) if row.key == (rule, scope))


def test_every_morning_peak_and_the_real_incident_are_counted_with_their_acknowledgements(
    report: Report,
) -> None:
    billing = _row(report, "queue-longest-wait", "queue:billing")
    assert (billing.alerts, billing.incidents, billing.acknowledged) == (6, 6, 6)
    # Acknowledged on the incident card: the members' acknowledged transitions carry the time.
    assert billing.median_ack is not None
    assert timedelta(minutes=1) < billing.median_ack < timedelta(minutes=4)
    assert billing.pages >= billing.alerts  # the real incident paged twice (warning, then critical)


def test_feedback_on_an_incident_counts_for_its_member_alerts_with_reasons_merged(report: Report) -> None:
    billing = _row(report, "queue-longest-wait", "queue:billing")
    assert (billing.rated, billing.not_useful) == (6, 5)
    reasons = {item.reason: item.count for item in billing.reasons}
    # "usual morning peak", "Usual  morning peak " are one reason; a blank one is said to be blank.
    assert reasons == {"usual morning peak": 3, "normal Monday peak": 1, "(no reason given)": 1}
    contacts = _row(report, "queue-contacts-waiting", "queue:billing")
    assert contacts.not_useful == 1  # the Monday incident also held the contacts-waiting alert


def test_a_rule_marked_not_useful_on_most_alerts_is_flagged_and_one_without_feedback_is_not(
    report: Report,
) -> None:
    assert _row(report, "queue-longest-wait", "queue:billing").flagged
    assert _row(report, "queue-longest-wait", "*").flagged
    tech = _row(report, "queue-longest-wait", "queue:tech-support")
    assert not tech.flagged and tech.not_useful == 0
    assert {row.key for row in report.flagged} == {
        ("queue-longest-wait", "queue:billing"),
        ("queue-longest-wait", "*"),
    }


def test_the_refused_acknowledgement_of_an_agent_does_not_count(report: Report) -> None:
    tech = _row(report, "queue-longest-wait", "queue:tech-support")
    # bob (agent) was refused at +20 s; raj acknowledged at +95 s.
    assert tech.acknowledged == 1
    assert tech.median_ack is not None and tech.median_ack > timedelta(seconds=60)


def test_the_data_supports_raising_the_billing_warning_above_the_normal_peaks(report: Report) -> None:
    verdict = _row(report, "queue-longest-wait", "queue:billing").verdict
    assert verdict is not None and verdict.suggestion is not None
    suggestion = verdict.suggestion
    assert (suggestion.severity, suggestion.current) == (Severity.WARNING, 120.0)
    # The normal peaks reached 150-172 s, the real incident 420 s; the critical tier (300) bounds it.
    assert 172 <= suggestion.suggested < 300
    assert suggestion.suggested == 200
    assert (len(suggestion.silenced), suggestion.not_useful, suggestion.kept) == (5, 5, 1)


def test_one_not_useful_alert_is_too_little_to_suggest_anything(report: Report) -> None:
    verdict = _row(report, "queue-contacts-waiting", "queue:billing").verdict
    assert verdict is not None and verdict.suggestion is None
    assert "too few" in verdict.reason


def test_the_window_bounds_what_is_reported(history: History) -> None:
    friday = Window(datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))
    report = build_report(history.transitions, history.audit, friday, load_rules(RULES))
    assert [(row.key, row.alerts, row.not_useful) for row in report.rows] == [
        (("queue-longest-wait", "queue:billing"), 1, 1)
    ]
    # One morning's complaint is not enough to move a threshold.
    assert report.rows[0].verdict is not None and report.rows[0].verdict.suggestion is None


def test_feedback_given_after_the_window_on_an_alert_opened_in_it_counts(history: History) -> None:
    # Thursday's morning alert opened at 09:19; ana marked it not useful at 09:23.
    thursday = Window(datetime(2026, 11, 26, 9, tzinfo=UTC), datetime(2026, 11, 26, 9, 21, tzinfo=UTC))
    report = build_report(history.transitions, history.audit, thursday, load_rules(RULES))
    (row,) = report.rows
    assert (row.key, row.alerts, row.not_useful) == (("queue-longest-wait", "queue:billing"), 1, 1)
