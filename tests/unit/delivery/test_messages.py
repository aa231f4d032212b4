"""SMS and e-mail texts: one 140-byte segment, GSM-7 vs UCS-2, truncation that keeps the link."""

from __future__ import annotations

import pytest
from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.delivery.messages import (
    EMAIL_SUBJECT_MAX,
    alert_link,
    email_for,
    escalation_sms_text,
    fits_one_segment,
    fold_to_gsm7,
    format_value,
    sms_bytes,
    sms_encoding,
    sms_text,
    sms_units,
)
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.delivery.transitions import critical_opening

DASHBOARD = "https://d1a2b3c4d5e6f7.cloudfront.net"
ALERT_ID = "0123456789abcdef0123"
LINK = f"{DASHBOARD}/#a={ALERT_ID}"


def transition(**changes: object) -> Transition:
    return critical_opening(ALERT_ID, **changes)


# --- encoding arithmetic --------------------------------------------------------------------------


def test_gsm7_text_costs_seven_bits_per_character() -> None:
    assert sms_encoding("a" * 160) == "GSM-7"
    assert sms_bytes("a" * 160) == 140
    assert fits_one_segment("a" * 160)
    assert not fits_one_segment("a" * 161)


def test_extension_characters_take_two_septets() -> None:
    assert sms_units("{}") == 4
    assert sms_units("€") == 2
    assert not fits_one_segment("a" * 159 + "€")


def test_one_character_outside_gsm7_switches_the_whole_text_to_ucs2() -> None:
    text = "a" * 69 + "请"
    assert sms_encoding(text) == "UCS-2"
    assert sms_bytes(text) == 140
    assert not fits_one_segment(text + "a")


def test_characters_beyond_the_bmp_take_two_ucs2_units() -> None:
    assert sms_units("🚨") == 2


def test_folding_keeps_gsm7_letters_and_strips_other_accents() -> None:
    assert fold_to_gsm7("facturación") == "facturacion"
    assert fold_to_gsm7("Ñandú é") == "Ñandu é"  # Ñ and é exist in GSM-7
    assert fold_to_gsm7("wait\u2026 \u2013 ok") == "wait... - ok"
    assert fold_to_gsm7("请") == "请"  # nothing to fold it to


# --- SMS for a transition -----------------------------------------------------------------------


def test_sms_carries_scope_value_against_threshold_and_link() -> None:
    text = sms_text(transition(), DASHBOARD)
    assert text == f"CRITICAL queue:billing longest_wait_seconds 340s > 300s {LINK}"
    assert fits_one_segment(text)


def test_an_adaptive_threshold_sms_says_what_is_usual_for_the_hour() -> None:
    adaptive = transition(
        value=240.0, threshold=130.0, basis="usual for Mon 09:00 is 70s ± 20s; warning at 130s"
    )
    text = sms_text(adaptive, DASHBOARD)
    assert (
        text == f"CRITICAL queue:billing longest_wait_seconds 240s > 130s (usual Mon 09:00 70s+-20s) {LINK}"
    )
    assert fits_one_segment(text)
    # A static fallback's reason is for the dashboard and the e-mail, not the page.
    fallback = transition(basis="static critical 300s: 2 of 3 weeks seen")
    assert "static" not in sms_text(fallback, DASHBOARD)
    assert "Threshold:   static critical 300s: 2 of 3 weeks seen" in email_for(fallback).body
    # Too long for one segment: the usual value goes first, the link and the measurement stay.
    long_scope = transition(scope="queue:" + "q" * 60, basis=adaptive.basis)
    squeezed = sms_text(long_scope, DASHBOARD)
    assert fits_one_segment(squeezed) and "usual" not in squeezed and LINK in squeezed


def test_ratios_read_as_percentages_and_the_sign_follows_the_numbers() -> None:
    opened = transition(metric="service_level", value=0.65, threshold=0.7, rule="queue-service-level")
    assert "65% < 70%" in sms_text(opened, DASHBOARD)


def test_resolution_and_upgrade_say_so() -> None:
    resolved = transition(transition=TransitionKind.RESOLVED, value=250.0)
    upgraded = transition(transition=TransitionKind.UPGRADED)
    assert sms_text(resolved, DASHBOARD).startswith("RESOLVED queue:billing")
    assert "250s < 300s" in sms_text(resolved, DASHBOARD)
    assert sms_text(upgraded, DASHBOARD).startswith("UP CRITICAL")


def test_without_a_dashboard_url_there_is_no_link() -> None:
    assert "http" not in sms_text(transition(), None)
    assert alert_link(None, ALERT_ID) is None
    assert alert_link(DASHBOARD + "/", ALERT_ID) == LINK


def test_accented_scope_is_folded_to_stay_in_gsm7() -> None:
    text = sms_text(transition(scope="queue:facturación", queue_id="facturación"), DASHBOARD)
    assert sms_encoding(text) == "GSM-7"
    assert "queue:facturacion" in text
    assert fits_one_segment(text)


def test_long_scope_drops_the_metric_then_cuts_the_scope_but_never_the_link() -> None:
    long_scope = "contact:" + "7f3e2a9c-4b1d-4e8f-9a6b-" * 4
    text = sms_text(transition(scope=long_scope), DASHBOARD)
    assert fits_one_segment(text)
    assert text.endswith(LINK)
    assert "longest_wait_seconds" not in text
    assert "340s > 300s" in text
    assert "contact:7f3e2a9c" in text
    assert "..." in text


def test_metric_is_dropped_only_when_needed() -> None:
    scope = "agent:" + "x" * 55
    text = sms_text(transition(scope=scope), DASHBOARD)
    assert fits_one_segment(text)
    assert scope in text  # dropping the metric was enough: the scope stays whole
    assert "longest_wait_seconds" not in text


def test_scope_that_cannot_be_folded_falls_back_to_ucs2_and_still_keeps_the_link() -> None:
    text = sms_text(transition(scope="queue:请求支持请求支持请求支持"), DASHBOARD)
    assert sms_encoding(text) == "UCS-2"
    assert text.endswith(LINK)
    assert "340s > 300s" in text


@given(
    scope_id=st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=120,
    ),
    value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)
def test_any_gsm7_foldable_sms_fits_one_segment_with_its_link(scope_id: str, value: float) -> None:
    text = sms_text(transition(scope=f"queue:{scope_id}", value=value), DASHBOARD)
    assert text.endswith(LINK)
    if sms_encoding(text) == "GSM-7":
        assert fits_one_segment(text)


def test_escalation_sms_names_the_level_and_fits() -> None:
    escalated = transition(transition=TransitionKind.ESCALATED, threshold=None, note="floor-manager")
    text = escalation_sms_text(escalated, 2, "floor-manager", 3, threshold=300.0, dashboard_url=DASHBOARD)
    assert text.startswith("ESC 2/3 floor-manager: CRITICAL queue:billing")
    assert "340s > 300s not acked" in text
    assert text.endswith(LINK)
    assert fits_one_segment(text)


@pytest.mark.parametrize(
    ("value", "metric", "shown"),
    [
        (None, "service_level", "n/a"),
        (0.052, "abandon_rate", "5.2%"),
        (125.4, "longest_wait_seconds", "125s"),
        (42.0, "contacts_in_queue", "42"),
        (-0.5333, None, "-0.5333"),
    ],
)
def test_values_are_formatted_by_unit(value: float | None, metric: str | None, shown: str) -> None:
    assert format_value(value, metric) == shown


# --- e-mail -------------------------------------------------------------------------------------------


def test_email_subject_is_ascii_one_line_and_under_100() -> None:
    scope = "queue:facturación-" + "ü" * 120
    email = email_for(transition(scope=scope), dashboard_url=DASHBOARD)
    assert email.subject.isascii()
    assert "\n" not in email.subject
    assert len(email.subject) <= EMAIL_SUBJECT_MAX
    assert email.subject.startswith("[floorwatch] CRITICAL queue:facturacion-uuu")


def test_email_body_has_everything_the_alert_knows() -> None:
    email = email_for(
        transition(link="https://connect.example/live/c-1", team_id="tier1"),
        dashboard_url=DASHBOARD,
        description="Oldest contact in queue has waited too long",
        runbook="https://wiki.example/runbooks/longest-wait",
        action="Take the oldest contact now.",
    )
    for expected in (
        "queue-longest-wait - Oldest contact in queue has waited too long",
        "To do:       Take the oldest contact now.",
        "Value:       340s > 300s",
        "Queue:       billing",
        "Team:        tier1",
        "At:          2026-11-30T09:00:00Z",
        f"Dashboard:   {LINK}",
        "Join:        https://connect.example/live/c-1",
        "Runbook:     https://wiki.example/runbooks/longest-wait",
    ):
        assert expected in email.body
