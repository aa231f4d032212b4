"""What a dashboard card says about an alert beyond its state (docs/protocol.md, "The supervisor's
screen"): what happened (the rule's description), how bad against which thresholds, what to do (the
rule's ``action`` text and ``runbook``), where (ids and the platform's names), the links that open
something (Join, the Amazon Connect contact page, the runbook), and the floor's clocks.

Shared by the snapshot (``floorwatch.snapshot``) and the fan-out's pushes (``delivery.websocket``) so a
card built from either says the same.

Amazon Connect: a supervisor monitors a live contact from the Connect admin website; the contact's
page there is ``<instance URL>/contact-trace-records/details/<contact id>`` (the instance URL being
``https://<alias>.my.connect.aws``, or ``https://<alias>.awsapps.com/connect`` for older instances). With
``CardSettings.connect_console_url`` set, every alert that knows its contact links there ("monitor").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from floorwatch.alerts.model import Severity, Transition, TransitionKind
from floorwatch.metrics.catalog import CATALOG
from floorwatch.rules.config import INCIDENT_RULE_ID, MatchRule, Rule, RuleSet, ThresholdRule, render_link
from floorwatch.timefmt import iso_utc

# The floor's working targets: acknowledge within 30 s, act within 90 s of the alert opening.
ACK_TARGET = timedelta(seconds=30)
ACT_TARGET = timedelta(seconds=90)
WHERE_KEYS = ("queue_id", "queue_name", "team_id", "agent_id", "agent_name", "contact_id", "center_id")
CONNECT_CONTACT_PATH = "/contact-trace-records/details/"


@dataclass(frozen=True)
class CardSettings:
    """Deployment facts the cards need: the Amazon Connect instance's admin website (None: no link)."""

    connect_console_url: str | None = None

    def __post_init__(self) -> None:
        url = self.connect_console_url
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError(f"the Amazon Connect console URL must be an http(s) URL, not '{url}'")


NO_CARD_SETTINGS = CardSettings()


def card_rule(rules: RuleSet, rule_id: str, trigger_rule: str | None = None) -> Rule | None:
    """The rule that describes the card: an incident's is the member rule that triggered it."""
    if rule_id == INCIDENT_RULE_ID:
        return rules.get(trigger_rule) if trigger_rule else None
    return rules.get(rule_id)


def rule_fields(rule: Rule | None, rule_id: str) -> dict[str, Any]:
    """Title, what to do, the comparison and the clocks' targets, from the rule (None: removed)."""
    threshold_rule = rule if isinstance(rule, ThresholdRule) else None
    ack_within = rule.ack_within if isinstance(rule, ThresholdRule | MatchRule) else None
    title = rule.description.strip() if rule is not None and rule.description.strip() else _humanized(rule_id)
    if rule_id == INCIDENT_RULE_ID:
        title = f"Incident: {title}" if rule is not None else "Incident"
    return {
        "title": title,
        "action": rule.action if rule is not None else None,
        "direction": threshold_rule.direction.value if threshold_rule else None,
        "unit": CATALOG[threshold_rule.metric].unit
        if threshold_rule and threshold_rule.metric in CATALOG
        else None,
        "thresholds": {severity.value: value for severity, value in threshold_rule.tiers.levels()}
        if threshold_rule
        else None,
        "ack_target_seconds": (ack_within or ACK_TARGET).total_seconds(),
        "act_target_seconds": ACT_TARGET.total_seconds(),
    }


def where_view(
    scope: str, queue_id: str | None, team_id: str | None, where: Iterable[tuple[str, str]]
) -> dict[str, str | None]:
    """Every WHERE_KEYS entry (None when unknown): the scope's own id, the routing context, the names."""
    known: dict[str, str | None] = dict.fromkeys(WHERE_KEYS)
    known.update({name: value for name, value in where if name in known})
    kind, _, ident = scope.partition(":")
    if f"{kind}_id" in known:
        known[f"{kind}_id"] = ident
    known["queue_id"] = known["queue_id"] or queue_id
    known["team_id"] = known["team_id"] or team_id
    return known


def links(
    rule: Rule | None,
    scope: str,
    where: Mapping[str, str | None],
    join_url: str | None,
    settings: CardSettings,
) -> tuple[list[dict[str, str]], str | None]:
    """The card's links (join, monitor, runbook; http(s) only) and the rendered runbook URL."""
    found: list[dict[str, str]] = []
    if _is_http(join_url):
        label = "Listen in" if scope.startswith(("contact:", "agent:")) else "Join"
        found.append({"kind": "join", "label": label, "url": str(join_url)})
    contact_id = where.get("contact_id")
    if settings.connect_console_url and contact_id:
        base = settings.connect_console_url.rstrip("/")
        url = f"{base}{CONNECT_CONTACT_PATH}{contact_id}"
        found.append({"kind": "monitor", "label": "Monitor in Amazon Connect", "url": url})
    runbook = None
    if rule is not None and rule.runbook:
        facts = {
            name: where.get(name) for name in ("center_id", "queue_id", "team_id", "agent_id", "contact_id")
        }
        runbook = render_link(rule.runbook, scope, rule.id, **facts)
        if _is_http(runbook):
            found.append({"kind": "runbook", "label": "Runbook", "url": str(runbook)})
    return found, runbook


def clocks(opened_at: datetime | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """When the acknowledgement and the action are due (from the alert's own opening)."""
    if opened_at is None:
        return {"ack_due_at": None, "act_due_at": None}
    return {
        "ack_due_at": iso_utc(opened_at + timedelta(seconds=float(fields["ack_target_seconds"]))),
        "act_due_at": iso_utc(opened_at + timedelta(seconds=float(fields["act_target_seconds"]))),
    }


def transition_card(rules: RuleSet, settings: CardSettings) -> Callable[[Transition], dict[str, Any]]:
    """The card's fields for a pushed transition (the fan-out's ``describe``): what the snapshot says
    about the alert beyond its state, so a card that opened by a push shows them at once."""

    def describe(transition: Transition) -> dict[str, Any]:
        rule = card_rule(rules, transition.rule, transition.trigger_rule)
        fields = rule_fields(rule, transition.rule)
        where = where_view(transition.scope, transition.queue_id, transition.team_id, transition.where)
        found, runbook = links(rule, transition.scope, where, transition.link, settings)
        card = {**fields, "runbook": runbook, "where": where, "links": found}
        if transition.transition is TransitionKind.OPENED:
            card.update(clocks(transition.at, fields))
        return card

    return describe


def severity_threshold(rule: Rule | None, severity: Severity | None) -> float | None:
    if isinstance(rule, ThresholdRule) and severity is not None:
        return rule.threshold(severity)
    return None


def _is_http(url: str | None) -> bool:
    return url is not None and url.startswith(("https://", "http://"))


def _humanized(rule_id: str) -> str:
    return rule_id.replace("-", " ").capitalize()
