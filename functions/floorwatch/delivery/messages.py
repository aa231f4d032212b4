"""What people read: SMS texts, e-mail subjects and bodies for alert transitions and escalations. Pure.

SMS: one segment is 140 bytes, i.e. 160 GSM-7 characters (the extension characters ``^{}\\[~]|€`` take
two) or 70 UCS-2 code units as soon as one character is outside GSM-7. A single accented queue name
would cut the budget to 70, so text that is not GSM-7 is first folded to its closest GSM-7 spelling
("facturación" -> "facturacion"); only what cannot be folded (CJK, emoji) falls back to UCS-2.

Every SMS carries the scope, the value against the threshold and a short link to the alert on the
dashboard (``alert_link``); when it does not fit, the metric name goes first, then the scope is cut
with "..." - the link is never cut (a truncated URL is worse than none). Only when even the
essentials cannot fit (an absurdly long dashboard URL) is the text sent as it is, in several parts.

E-mail: a subject of at most 99 ASCII characters (SNS refuses 100 or more, and non-ASCII) and a
plain-text body with everything the alert knows.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, replace
from typing import Literal

from floorwatch.alerts.model import Transition, TransitionKind
from floorwatch.metrics.catalog import format_metric_value

SMS_SEGMENT_BYTES = 140
GSM7_SEGMENT_CHARS = 160  # septets
UCS2_SEGMENT_UNITS = 70  # UTF-16 code units
EMAIL_SUBJECT_MAX = 99
ELLIPSIS = "..."  # "…" is not GSM-7
MIN_SCOPE_CHARS = 12  # below this a cut scope no longer identifies anything

# GSM 03.38 default alphabet (without the escape character) and its extension table.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# Typography that NFKD does not fold but has an obvious GSM-7 / ASCII spelling.
_FOLDS = str.maketrans(
    {
        "…": "...",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "«": '"',
        "»": '"',
        "≥": ">=",
        "≤": "<=",
        "\u00a0": " ",
    }
)

Encoding = Literal["GSM-7", "UCS-2"]

_HEADLINES = {
    TransitionKind.UPGRADED: "UP",
    TransitionKind.DOWNGRADED: "DOWN",
    TransitionKind.RESOLVED: "RESOLVED",
    TransitionKind.ACKNOWLEDGED: "ACK",
    TransitionKind.SNOOZED: "SNOOZED",
    TransitionKind.ESCALATED: "ESCALATED",
    TransitionKind.FLAPPING_STARTED: "FLAPPING, muted",
    TransitionKind.FLAPPING_STOPPED: "STABLE again",
}


# --- SMS encoding arithmetic --------------------------------------------------------------------


def is_gsm7(text: str) -> bool:
    return all(char in _GSM7_BASIC or char in _GSM7_EXTENSION for char in text)


def sms_encoding(text: str) -> Encoding:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def sms_units(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes."""
    if is_gsm7(text):
        return sum(2 if char in _GSM7_EXTENSION else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def sms_bytes(text: str) -> int:
    """Bytes of payload the text takes on the air (one segment holds 140)."""
    if is_gsm7(text):
        return math.ceil(sms_units(text) * 7 / 8)
    return sms_units(text) * 2


def fits_one_segment(text: str) -> bool:
    return sms_bytes(text) <= SMS_SEGMENT_BYTES


def fold_to_gsm7(text: str) -> str:
    """The closest GSM-7 spelling where one exists: accents dropped unless GSM-7 has the letter."""
    folded = []
    for char in text.translate(_FOLDS):
        if char in _GSM7_BASIC or char in _GSM7_EXTENSION:
            folded.append(char)
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        stripped = "".join(part for part in decomposed if not unicodedata.combining(part))
        folded.append(stripped if stripped and is_gsm7(stripped) else char)
    return "".join(folded)


def _budget(text: str) -> int:
    return GSM7_SEGMENT_CHARS if is_gsm7(text) else UCS2_SEGMENT_UNITS


# --- pieces ------------------------------------------------------------------------------------------


def alert_link(dashboard_url: str | None, alert_id: str) -> str | None:
    """The dashboard's deep link to one alert (the page opens it from the fragment)."""
    if not dashboard_url:
        return None
    return f"{dashboard_url.rstrip('/')}/#a={alert_id}"


def format_value(value: float | None, metric: str | None) -> str:
    """A number as people read it: ratios in percent, seconds with an "s", others to 4 digits."""
    return format_metric_value(value, metric)


def measurement(transition: Transition, threshold: float | None = None) -> str:
    """ "340s > 300s": the value against the threshold (the sign read from the numbers themselves)."""
    limit = transition.threshold if threshold is None else threshold
    shown = format_value(transition.value, transition.metric)
    if transition.value is None or limit is None:
        return shown
    sign = ">" if transition.value > limit else "<" if transition.value < limit else "="
    return f"{shown} {sign} {format_value(limit, transition.metric)}"


def headline(transition: Transition) -> str:
    """ "CRITICAL", "UP CRITICAL", "RESOLVED", "ACK ana"..."""
    severity = transition.severity.value.upper()
    kind = transition.transition
    if kind in (TransitionKind.OPENED, TransitionKind.PAGED):
        return severity
    word = _HEADLINES.get(kind, kind.value.upper())
    if kind in (TransitionKind.UPGRADED, TransitionKind.DOWNGRADED):
        return f"{word} {severity}"
    if transition.actor and kind in (TransitionKind.ACKNOWLEDGED, TransitionKind.SNOOZED):
        return f"{word} {transition.actor}"
    return word


# --- SMS ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SmsParts:
    head: str  # "CRITICAL" / "ESCALATION 2/3 floor-manager: CRITICAL"
    scope: str
    metric: str | None
    measure: str
    link: str | None

    why: str | None = None  # a baseline rule's "(usual Mon 09:00 70s+-20s)", dropped first when too long

    def render(self, *, with_metric: bool, scope: str | None = None, with_why: bool = True) -> str:
        words = [self.head, scope if scope is not None else self.scope]
        if with_metric and self.metric:
            words.append(self.metric)
        words.append(self.measure)
        if with_why and self.why:
            words.append(self.why)
        if self.link:
            words.append(self.link)
        return " ".join(word for word in words if word)


def sms_text(transition: Transition, dashboard_url: str | None = None) -> str:
    """The SMS for a transition: "CRITICAL queue:billing longest_wait_seconds 340s > 300s <link>"."""
    return _fit_sms(
        _SmsParts(
            head=headline(transition),
            scope=transition.scope,
            metric=transition.metric,
            measure=measurement(transition) + _more_members(transition),
            link=alert_link(dashboard_url, transition.alert_id),
            why=sms_basis(transition.basis),
        )
    )


def sms_basis(basis: str | None) -> str | None:
    """ "(usual Mon 09:00 70s+-20s)": what is normal for the hour, when an adaptive threshold applied (the
    measurement already shows the threshold; a static fallback's reason is for the dashboard)."""
    if not basis or not basis.startswith("usual for "):
        return None
    usual = basis.split(";", 1)[0].removeprefix("usual for ").replace(" is ", " ", 1).replace(" ± ", "+-")
    return f"(usual {usual})"


def _more_members(transition: Transition) -> str:
    """ " (+2 alerts)": an incident's other members, so the page says it is bigger than one figure."""
    others = len(transition.members) - 1
    if others <= 0:
        return ""
    return f" (+{others} alert{'s' if others > 1 else ''})"


def escalation_sms_text(
    transition: Transition,
    level: int,
    level_name: str,
    levels: int,
    *,
    threshold: float | None = None,
    dashboard_url: str | None = None,
) -> str:
    """ "ESC 2/3 floor-manager: CRITICAL queue:billing 340s > 300s not acked <link>"."""
    return _fit_sms(
        _SmsParts(
            head=f"ESC {level}/{levels} {level_name}: {transition.severity.value.upper()}",
            scope=transition.scope,
            metric=transition.metric,
            measure=f"{measurement(transition, threshold)} not acked",
            link=alert_link(dashboard_url, transition.alert_id),
        )
    )


def _fit_sms(parts: _SmsParts) -> str:
    """The richest rendering that fits one segment: with the metric and the usual value, without the
    usual value, without the metric, then a cut scope."""
    full = _gsm7_if_possible(parts.render(with_metric=True))
    if fits_one_segment(full):
        return full
    if parts.why:
        plain = _gsm7_if_possible(parts.render(with_metric=True, with_why=False))
        if fits_one_segment(plain):
            return plain
        parts = replace(parts, why=None)
    lean = _gsm7_if_possible(parts.render(with_metric=False))
    if fits_one_segment(lean):
        return lean
    scope = fold_to_gsm7(parts.scope)
    overflow = sms_units(lean) - _budget(lean)
    keep = max(MIN_SCOPE_CHARS, len(scope) - overflow - len(ELLIPSIS))
    if keep >= len(scope):
        return lean  # the essentials alone exceed a segment: send them in several parts
    cut = _gsm7_if_possible(parts.render(with_metric=False, scope=scope[:keep] + ELLIPSIS))
    while not fits_one_segment(cut) and keep > MIN_SCOPE_CHARS:
        # Extension characters (two septets) or UCS-2 text can still overflow: shave one at a time.
        keep -= 1
        cut = _gsm7_if_possible(parts.render(with_metric=False, scope=scope[:keep] + ELLIPSIS))
    return cut


def _gsm7_if_possible(text: str) -> str:
    if is_gsm7(text):
        return text
    folded = fold_to_gsm7(text)
    return folded if is_gsm7(folded) else text


# --- e-mail ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def email_for(
    transition: Transition,
    *,
    dashboard_url: str | None = None,
    description: str | None = None,
    runbook: str | None = None,
    action: str | None = None,
) -> Email:
    subject = email_subject(
        f"[floorwatch] {headline(transition)} {transition.scope} "
        f"{transition.metric or transition.rule} {measurement(transition)}"
    )
    lines = [
        f"{headline(transition)}: {transition.scope}",
        "",
        f"Rule:        {transition.trigger_rule or transition.rule}"
        + (f" - {description}" if description else ""),
        f"To do:       {action}" if action else None,
        f"Severity:    {transition.severity.value}",
        f"Transition:  {transition.transition.value}"
        + (f" by {transition.actor}" if transition.actor else ""),
        f"Metric:      {transition.metric}" if transition.metric else None,
        f"Value:       {measurement(transition)}",
        f"Threshold:   {transition.basis}" if transition.basis else None,
        f"Queue:       {transition.queue_id}" if transition.queue_id else None,
        f"Team:        {transition.team_id}" if transition.team_id else None,
        f"At:          {transition.to_dict()['at']}",
        f"Alert:       {transition.alert_id} (transition {transition.transition_id})",
        f"Note:        {transition.note}" if transition.note else None,
        *(f"Member:      {member.replace('|', ' ')}" for member in transition.members),
        "",
        f"Dashboard:   {alert_link(dashboard_url, transition.alert_id)}" if dashboard_url else None,
        f"Join:        {transition.link}" if transition.link else None,
        f"Runbook:     {runbook}" if runbook else None,
    ]
    body = "\n".join(line for line in lines if line is not None).rstrip() + "\n"
    return Email(subject=subject, body=body)


def email_subject(text: str) -> str:
    """ASCII, one line, under 100 characters (SNS refuses anything else)."""
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).translate(_FOLDS))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    ascii_text = stripped.encode("ascii", "replace").decode("ascii")
    if len(ascii_text) <= EMAIL_SUBJECT_MAX:
        return ascii_text
    return ascii_text[: EMAIL_SUBJECT_MAX - len(ELLIPSIS)] + ELLIPSIS
