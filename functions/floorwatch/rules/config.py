"""Rule configuration: the YAML rules file, validated by pydantic, with errors that name rule, field and line.

Two kinds of rule:

- **threshold** (the default kind): a metric of the catalog, watched per scope against tiers
  (info / warning / critical), with `for`, hysteresis (`clear`), a window and a minimum of samples.
- **match** (``kind: match``, implied by a ``match:`` key): fires on single events (a compliance category,
  a customer asking for a supervisor, a sentiment score below a bound) and resolves after a quiet period.

Keys (durations are written "30s", "5m", "1h", "7d"):

- both kinds: ``id`` (lower-case slug, unique), ``description`` (what happened, the card's title),
  ``action`` (what to do, one or two sentences on the card; up to 1,000 characters), ``scope``
  (center | queue | team | agent | contact | feed), optional filters ``centers`` / ``queues`` /
  ``teams`` / ``agents`` (lists of ids; only those that make sense for the scope), ``notify``
  ({severity: [dashboard | sms | email]}; a severity not listed goes to the dashboard), ``ack_within``,
  ``join_url`` / ``runbook`` (http(s) templates with {contact_id}, {agent_id}, {queue_id}, {team_id},
  {center_id}, {scope_id}, {scope}, {rule_id}), ``team`` (owning team), ``flapping`` ({opens: 4,
  within: 30m, stable_for: 30m}).
- threshold: ``metric`` (from the catalog, for that scope), ``direction`` (above | below), ``tiers``
  ({info, warning, critical}: at least one, rising with severity for above, falling for below), ``for``
  (0s), ``clear`` (hysteresis factor in (0, 1], 0.9), ``window`` (15m; whole minutes, 1m..24h),
  ``min_samples`` (0), ``baseline`` ({info_sigma, warning_sigma: 3, critical_sigma: 5, min_history: 7d,
  seasonality: hour_of_week | hour_of_day}).
- match: ``match`` ({type: <event type>, labels: {name: value or [values]}, values: {name: "<= -0.8"}}),
  ``severity``, ``resolve_after`` (10m without a matching event).

Incidents (``floorwatch.alerts.incidents``): a mapping file may also hold ``incidents:`` ({group_by:
queue | center | scope, group_wait: 30s, close_after: 5m, corroborate_after: 15m, repeat_interval: 4h});
a rule may ask for SMS on its resolved notices with ``page_resolved: true`` (by default they go to the
dashboard and e-mail only).

A file is a YAML list of rules, or a mapping ``{rules: [...], incidents: {...}}``. `parse_rules`
validates every rule and reports every problem it finds at once (a `RulesError` listing them), each
naming the file, the line, the rule (its id, or its position when the id itself is unusable) and the field.

Cross-field checks raise `FieldProblem` (a ValueError naming the field) from model validators, so a rule
built in Python gets the same messages as one read from YAML.
"""

from __future__ import annotations

import difflib
import itertools
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from floorwatch.alerts.model import Severity
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.model import DEFAULT_BUCKET, DEFAULT_WINDOW, ScopeKind, scope_key, scope_kind
from floorwatch.rules.durations import format_duration, parse_duration
from floorwatch.rules.yaml_limits import MAX_RULES_TEXT, expansion_problem

Catalog = Mapping[str, AbstractSet[ScopeKind]]
"""Metric name -> the scopes it exists for (floorwatch.metrics.catalog.known_metrics())."""

DEFAULT_RULES_RESOURCE = "default_rules.yaml"
MAX_WINDOW = timedelta(hours=24)
DEFAULT_CLEAR = 0.9
DEFAULT_RESOLVE_AFTER = timedelta(minutes=10)

_RULE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
INCIDENT_RULE_ID = "incident"
"""Reserved: the alert store keeps incidents as states of this pseudo-rule (floorwatch.alerts.incidents)."""
_RULE_ID_MAX = 64
# Placeholders a join_url / runbook template may use; the engine fills them from the alert's scope.
LINK_PLACEHOLDERS = frozenset(
    {"rule_id", "scope", "scope_id", "center_id", "queue_id", "team_id", "agent_id", "contact_id"}
)


class Direction(StrEnum):
    ABOVE = "above"  # breached when value > threshold (longest wait, abandon rate)
    BELOW = "below"  # breached when value < threshold (service level, agents available)


class NotifyChannel(StrEnum):
    DASHBOARD = "dashboard"
    SMS = "sms"
    EMAIL = "email"


class FieldProblem(ValueError):
    """A cross-field problem that belongs to one field; the loader reports it under that field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Count = Annotated[int, Field(strict=True, ge=0, le=1_000_000_000)]  # bounded: a huge int is a typo


class _Strict(BaseModel):
    """Unknown keys are errors (a typo must not silently disable a rule); models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------------------------------------------
# Parts shared by both rule kinds


# Which identity filters make sense for which scope (a feed has no queue; a queue has no agent).
_FILTERS_BY_SCOPE: dict[ScopeKind, frozenset[str]] = {
    ScopeKind.CENTER: frozenset({"centers"}),
    ScopeKind.QUEUE: frozenset({"centers", "queues"}),
    ScopeKind.TEAM: frozenset({"centers", "teams"}),
    ScopeKind.AGENT: frozenset({"centers", "teams", "agents"}),
    ScopeKind.CONTACT: frozenset({"centers", "queues", "teams", "agents"}),
    ScopeKind.FEED: frozenset(),
}
_FILTER_OWN_KIND = {
    "centers": ScopeKind.CENTER,
    "queues": ScopeKind.QUEUE,
    "teams": ScopeKind.TEAM,
    "agents": ScopeKind.AGENT,
}

IdList = tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] | None


class FlappingPolicy(_Strict):
    """An alert that opens `opens` times within `within` is flapping: recorded, not notified, until
    it has neither opened nor resolved for `stable_for` (defaults: 4 in 30 min; docs/rules.md)."""

    opens: int = Field(default=4, strict=True, ge=2)
    within: Duration = timedelta(minutes=30)
    stable_for: Duration = timedelta(minutes=30)

    @field_validator("within", "stable_for")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value


class IncidentPolicy(_Strict):
    """How alerts are grouped into incidents and when an incident pages (after Alertmanager's grouping).

    - ``group_by``: ``queue`` (default: a queue's alerts form one incident; an agent's or a contact's alert
      joins its queue's incident while one is open, else it is an incident of its own), ``center`` (one
      incident per center, by the queue's center when known) or ``scope`` (no grouping: one incident per
      alerting scope).
    - ``group_wait``: how long an incident waits before its first page, so siblings that arrive together
      go out as one page and an alert that resolves within it pages nobody.
    - ``close_after``: how long an incident whose members all resolved stays open; a member that opens
      again within it rejoins without a page (a queue going in and out of trouble is one incident).
    - ``corroborate_after``: a queue incident resting on a single threshold alert pages only once it
      has been open this long; a second member alert pages it at once (one noisy ratio is not a
      problem, two KPIs breaching together are).
    - ``repeat_interval``: an incident pages again for the same severity only after this long (a tier
      bouncing between warning and critical pages once); an unacknowledged incident still firing after
      it is paged again.
    """

    group_by: Literal["queue", "center", "scope"] = "queue"
    group_wait: Duration = timedelta(seconds=30)
    # A queue's KPIs are noisy one at a time (a 15-minute ratio of a few contacts): a queue incident
    # whose only member is a threshold alert pages once it held this long; a second member corroborates
    # it at once. Match rules and other scopes (a compliance breach, a silent center) page at once.
    corroborate_after: Duration = timedelta(minutes=15)
    close_after: Duration = timedelta(minutes=5)
    repeat_interval: Duration = timedelta(hours=4)

    @field_validator("group_wait", "close_after", "corroborate_after")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value

    @field_validator("repeat_interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value


DEFAULT_INCIDENT_POLICY = IncidentPolicy()


class _RuleCommon(_Strict):
    id: str
    description: str = ""
    # What the person who sees the alert should do, in a sentence or two (shown on the dashboard card and
    # on the page an SMS links to); ``runbook`` is the link to the longer procedure.
    action: str | None = Field(default=None, min_length=1, max_length=1000)
    scope: ScopeKind
    centers: IdList = None
    queues: IdList = None
    teams: IdList = None
    agents: IdList = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _RULE_ID.fullmatch(value) or len(value) > _RULE_ID_MAX:
            raise ValueError(
                f"'{value}' is not a rule id: use lower-case letters, digits and single hyphens "
                f"(e.g. 'queue-longest-wait'), at most {_RULE_ID_MAX} characters"
            )
        if value == INCIDENT_RULE_ID:
            raise ValueError(f"'{INCIDENT_RULE_ID}' is reserved for incidents: choose another id")
        return value

    @field_validator("centers", "queues", "teams", "agents")
    @classmethod
    def _filter_fits_scope(
        cls, value: tuple[str, ...] | None, info: ValidationInfo
    ) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("list at least one id, or leave the key out to watch every scope")
        kind = info.data.get("scope")
        if isinstance(kind, ScopeKind) and info.field_name not in _FILTERS_BY_SCOPE[kind]:
            usable = ", ".join(sorted(_FILTERS_BY_SCOPE[kind])) or "none"
            raise ValueError(
                f"cannot filter a {kind.value}-scope rule by {info.field_name} (usable: {usable})"
            )
        return value

    def filters(self) -> dict[str, tuple[str, ...]]:
        present = {"centers": self.centers, "queues": self.queues, "teams": self.teams, "agents": self.agents}
        return {name: ids for name, ids in present.items() if ids is not None}

    def admits(
        self,
        scope: str,
        *,
        center_id: str | None = None,
        queue_id: str | None = None,
        team_id: str | None = None,
        agent_id: str | None = None,
        queue_name: str | None = None,
    ) -> bool:
        """Whether the rule watches this scope ("queue:billing").

        A filter on the scope's own kind reads the id from the scope itself; other filters need the fact
        (e.g. the team of an agent) from the caller — an unknown fact does not pass a filter. ``queues``
        lists queue ids or names: an entry also matches the queue's display name (``queue_name``, the
        events' ``labels.queue_name``), compared without case, spaces or punctuation ("Tech Support" =
        "tech-support"), since a platform's stable queue id (a Connect ARN's UUID) is not what people write.
        """
        kind = scope_kind(scope)
        if kind is not self.scope:
            return False
        facts = {"centers": center_id, "queues": queue_id, "teams": team_id, "agents": agent_id}
        for name, ids in self.filters().items():
            ident = scope.split(":", 1)[1] if _FILTER_OWN_KIND[name] is kind else facts[name]
            if ident not in ids and not (name == "queues" and _names_queue(ids, queue_name)):
                return False
        return True


def _names_queue(entries: Sequence[str], queue_name: str | None) -> bool:
    """Whether a ``queues`` filter names the queue by its display name (see ``admits``)."""
    if not queue_name:
        return False
    wanted = _name_key(queue_name)
    return any(_name_key(entry) == wanted for entry in entries)


def _name_key(name: str) -> str:
    return "".join(character for character in name.casefold() if character.isalnum())


def _check_notify(notify: Mapping[Severity, Sequence[NotifyChannel]], possible: Sequence[Severity]) -> None:
    for severity in notify:
        if severity not in possible:
            allowed = ", ".join(level.value for level in possible)
            raise FieldProblem(
                "notify",
                f"names '{severity.value}' but this rule can only raise {allowed} (check for a typo)",
            )


def _check_link(field: str, template: str | None) -> None:
    if template is None:
        return
    if not template.startswith(("https://", "http://")):
        raise FieldProblem(field, f"'{template}' must be an http(s) URL")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise FieldProblem(field, f"'{template}' is not a valid template: {error}") from None
    unknown = sorted(name for name in names if name not in LINK_PLACEHOLDERS)
    if unknown:
        known = ", ".join("{" + name + "}" for name in sorted(LINK_PLACEHOLDERS))
        raise FieldProblem(field, f"unknown placeholder {{{unknown[0]}}} in '{template}' (known: {known})")


def render_link(template: str | None, scope: str, rule_id: str, **facts: str | None) -> str | None:
    """Fill a join_url / runbook template; None when the template needs a fact nobody knows.

    The scope's own id fills its placeholder ({contact_id} for "contact:c-1"); other facts come from
    the caller (the event that raised the alert).
    """
    if template is None:
        return None
    kind, ident = scope.split(":", 1)
    values: dict[str, str | None] = {**facts, "rule_id": rule_id, "scope": scope, "scope_id": ident}
    values[f"{kind}_id"] = ident
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if any(values.get(name) is None for name in names):
        return None
    return template.format(**{name: values[name] for name in names})


_COMPARISON = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
ComparisonOp = Literal["<", "<=", ">", ">=", "==", "!="]


@dataclass(frozen=True)
class Comparison:
    """A condition on one event value, written "<= -0.8" in YAML (a plain number means "==")."""

    op: ComparisonOp
    number: float

    def holds(self, value: float) -> bool:
        match self.op:
            case "<":
                return value < self.number
            case "<=":
                return value <= self.number
            case ">":
                return value > self.number
            case ">=":
                return value >= self.number
            case "==":
                return value == self.number
            case _:
                return value != self.number

    def __str__(self) -> str:
        return f"{self.op} {self.number:g}"


def _parse_comparison(value: object) -> Comparison:
    if isinstance(value, Comparison):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Comparison("==", float(value))
    if isinstance(value, str) and (found := _COMPARISON.fullmatch(value)):
        op: ComparisonOp = found.group(1)  # type: ignore[assignment]  # the regex admits only these
        return Comparison(op, float(found.group(2)))
    raise ValueError(f"{value!r} is not a condition: write e.g. '<= -0.8', '> 3' or a number")


ComparisonField = Annotated[Comparison, BeforeValidator(_parse_comparison)]


# ---------------------------------------------------------------------------------------------------
# Threshold rules


class Tiers(_Strict):
    """Thresholds per severity; at least one. Monotonicity depends on the rule's direction."""

    info: Number | None = None
    warning: Number | None = None
    critical: Number | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Tiers:
        if not self.levels():
            raise ValueError("give at least one of info, warning, critical")
        return self

    def levels(self) -> tuple[tuple[Severity, float], ...]:
        """(severity, threshold) from the least to the most severe."""
        candidates = (
            (Severity.INFO, self.info),
            (Severity.WARNING, self.warning),
            (Severity.CRITICAL, self.critical),
        )
        return tuple((severity, threshold) for severity, threshold in candidates if threshold is not None)

    def threshold(self, severity: Severity) -> float | None:
        return dict(self.levels()).get(severity)


class BaselineConfig(_Strict):
    """Adaptive thresholds: each tier moves to what is unusual for the scope at that hour of the week,
    inside guard rails (``floorwatch.rules.baselines`` documents the model).

    ``<severity>_sigma``: how many (robust) standard deviations from the slot's usual value a tier sits;
    ``loosest``: the loosest each tier may become ({warning: 240, critical: 600}: never warn later than
    240, page past 600 whatever the baseline says; by default a warning may loosen up to the static
    critical tier and the critical tier never loosens); ``tightest``: the tightest each tier may become
    (by default a warning or info tier tightens at most half its magnitude and the critical tier, the
    one that pages, never tightens: a quiet slot's few contacts must not page on a hair trigger);
    ``min_spread``: the smallest deviation a
    sigma stands for, in the metric's unit (default a tenth of the static warning tier: a slot that
    never varies must not give hair-trigger tiers); ``min_periods``: how many past hours of a slot (3:
    three earlier weeks of "Monday 09:00") it needs before it is used; ``min_history``: how long the
    scope must have been learned.
    """

    info_sigma: Number | None = Field(default=None, gt=0)
    warning_sigma: Number = Field(default=3.0, gt=0)
    critical_sigma: Number = Field(default=5.0, gt=0)
    min_history: Duration = timedelta(days=7)
    seasonality: Literal["hour_of_week", "hour_of_day"] = "hour_of_week"
    loosest: Tiers | None = None
    tightest: Tiers | None = None
    min_spread: Number | None = Field(default=None, gt=0)
    min_periods: Count = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _sigmas_rise(self) -> BaselineConfig:
        if self.info_sigma is not None and self.info_sigma >= self.warning_sigma:
            raise FieldProblem(
                "info_sigma", f"{self.info_sigma:g} must be below warning_sigma ({self.warning_sigma:g})"
            )
        if self.critical_sigma <= self.warning_sigma:
            raise FieldProblem(
                "critical_sigma",
                f"{self.critical_sigma:g} must be above warning_sigma ({self.warning_sigma:g})",
            )
        if self.min_history < timedelta(hours=1):
            raise FieldProblem("min_history", "must be at least 1h")
        return self


class ThresholdRule(_RuleCommon):
    kind: Literal["threshold"] = "threshold"
    metric: str
    direction: Direction
    tiers: Tiers
    for_: Duration = Field(default=timedelta(0), alias="for")
    clear: Number = Field(default=DEFAULT_CLEAR, gt=0, le=1)
    window: Duration = DEFAULT_WINDOW
    min_samples: Count = 0
    baseline: BaselineConfig | None = None
    notify: dict[Severity, tuple[NotifyChannel, ...]] = Field(default_factory=dict)
    ack_within: Duration | None = None
    join_url: str | None = None
    runbook: str | None = None
    team: str | None = Field(default=None, min_length=1, max_length=200)
    flapping: FlappingPolicy = FlappingPolicy()
    page_resolved: bool = Field(default=False, strict=True)
    # Sparse data: a ratio judged by its Wilson bound at this confidence; a longer window when the
    # rule's own holds fewer than min_samples; a condition on another metric of the scope that must hold
    # for the rule to breach at all (e.g. {contacts_in_queue: ">= 2"}: one caller waiting does not page).
    confidence: float | None = Field(default=None, gt=0, lt=1)
    sparse_window: Duration | None = None
    only_if: dict[str, Annotated[Comparison, BeforeValidator(_parse_comparison)]] | None = None

    @field_validator("metric")
    @classmethod
    def _metric_exists_for_scope(cls, metric: str, info: ValidationInfo) -> str:
        catalog = _catalog_from(info)
        if metric not in catalog:
            close = difflib.get_close_matches(metric, list(catalog), n=1)
            hint = f" — did you mean '{close[0]}'?" if close else f" (known: {', '.join(sorted(catalog))})"
            raise ValueError(f"unknown metric '{metric}'{hint}")
        kind = info.data.get("scope")
        if isinstance(kind, ScopeKind) and kind not in catalog[metric]:
            exists = ", ".join(sorted(scope.value for scope in catalog[metric]))
            raise ValueError(
                f"metric '{metric}' does not exist for scope '{kind.value}' (it exists for: {exists})"
            )
        return metric

    @field_validator("tiers")
    @classmethod
    def _tiers_monotonic(cls, tiers: Tiers, info: ValidationInfo) -> Tiers:
        direction = info.data.get("direction")
        if not isinstance(direction, Direction):
            return tiers
        levels = tiers.levels()
        for (lower, lower_value), (higher, higher_value) in itertools.pairwise(levels):
            rises = higher_value > lower_value
            if direction is Direction.ABOVE and not rises:
                raise ValueError(
                    f"{higher.value} ({higher_value:g}) must be above {lower.value} ({lower_value:g}) "
                    f"for direction 'above'"
                )
            if direction is Direction.BELOW and (rises or higher_value == lower_value):
                raise ValueError(
                    f"{higher.value} ({higher_value:g}) must be below {lower.value} ({lower_value:g}) "
                    f"for direction 'below'"
                )
        return tiers

    @field_validator("window")
    @classmethod
    def _possible_window(cls, window: timedelta) -> timedelta:
        bucket = format_duration(DEFAULT_BUCKET)
        if window < DEFAULT_BUCKET:
            raise ValueError(f"{format_duration(window)} is shorter than one bucket ({bucket})")
        if window % DEFAULT_BUCKET:
            raise ValueError(f"{format_duration(window)} is not a whole number of buckets ({bucket})")
        if window > MAX_WINDOW:
            raise ValueError(f"{format_duration(window)} is longer than {format_duration(MAX_WINDOW)}")
        return window

    @field_validator("ack_within")
    @classmethod
    def _positive_ack(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> ThresholdRule:
        _check_notify(self.notify, self.severities())
        _check_link("join_url", self.join_url)
        _check_link("runbook", self.runbook)
        self._check_reachable_clear()
        self._check_sparse_options()
        self._check_baseline_limits()
        return self

    def _check_baseline_limits(self) -> None:
        """A ``loosest`` / ``tightest`` limit must be a tier of the rule, on the right side of its static
        value (at least as loose / at least as tight)."""
        if self.baseline is None:
            return
        if self.scope in UNLEARNED_SCOPES:
            # The learner skips them: a baseline here would silently stay static.
            raise FieldProblem(
                "baseline",
                f"is learned for queue, team and center rules only ({self.scope.value} rules stay static: "
                "a contact has no weekly pattern; agents' and feeds' rows are kept hours, not weeks)",
            )
        looser_side = "above" if self.direction is Direction.ABOVE else "below"
        tighter_side = "below" if self.direction is Direction.ABOVE else "above"
        for name, limits, side in (
            ("loosest", self.baseline.loosest, looser_side),
            ("tightest", self.baseline.tightest, tighter_side),
        ):
            for severity, limit in limits.levels() if limits is not None else ():
                static = self.tiers.threshold(severity)
                if static is None:
                    raise FieldProblem(
                        f"baseline.{name}", f"{severity.value}: the rule has no {severity.value} tier"
                    )
                looser = self.breaches(limit, static)
                if limit == static or looser == (name == "loosest"):
                    continue
                verb = "loosen" if name == "loosest" else "tighten"
                raise FieldProblem(
                    f"baseline.{name}",
                    f"{severity.value} {limit:g} must be at or {side} the static tier ({static:g}): "
                    f"it is how far the tier may {verb}",
                )

    def _check_sparse_options(self) -> None:
        if self.confidence is not None and not _is_ratio(self.metric):
            raise FieldProblem("confidence", f"applies to ratio metrics only ('{self.metric}' is not one)")
        if self.sparse_window is not None:
            if self.sparse_window <= self.window or self.sparse_window % DEFAULT_BUCKET:
                raise FieldProblem(
                    "sparse_window", "must be a whole number of minutes longer than the rule's window"
                )
            if self.sparse_window > MAX_WINDOW:
                raise FieldProblem("sparse_window", f"is longer than {format_duration(MAX_WINDOW)}")
        for name in self.only_if or {}:
            if name not in default_catalog() or self.scope not in default_catalog()[name]:
                raise FieldProblem("only_if", f"'{name}' is not a metric of {self.scope.value} scopes")

    def _check_reachable_clear(self) -> None:
        """A ratio never exceeds 1: a "below" tier whose clear level is 1 or more could never resolve
        (a 90% service-level target with clear 0.9 would need more than 100% to clear)."""
        if self.direction is not Direction.BELOW or not _is_ratio(self.metric):
            return
        for severity, threshold in self.tiers.levels():
            level = self.clear_level(threshold)
            if level >= 1:
                raise FieldProblem(
                    "clear",
                    f"the {severity.value} tier ({threshold:g}) could only clear above {level:.3g}, which a "
                    f"ratio (0..1) never reaches: use a clear factor above {threshold:g}",
                )

    # --- what the state machine and the engine read ---------------------------------------------
    def severities(self) -> tuple[Severity, ...]:
        return tuple(severity for severity, _ in self.tiers.levels())

    def threshold(self, severity: Severity) -> float | None:
        return self.tiers.threshold(severity)

    def channels(self, severity: Severity) -> tuple[NotifyChannel, ...]:
        return self.notify.get(severity, (NotifyChannel.DASHBOARD,))

    def breaches(self, value: float, threshold: float) -> bool:
        """Strictly past the threshold: a service level of exactly 80% meets an 80% target."""
        return value > threshold if self.direction is Direction.ABOVE else value < threshold

    def clear_level(self, threshold: float) -> float:
        """Where the hysteresis band of a tier ends: threshold*clear (above), threshold/clear (below).

        Written on the threshold's magnitude so the band stays on the safe side of negative thresholds
        (sentiment -0.3 "below" clears above -0.267, not below -0.333).
        """
        if self.direction is Direction.ABOVE:
            return threshold - abs(threshold) * (1 - self.clear)
        return threshold + abs(threshold) * (1 / self.clear - 1)

    def holds(self, value: float, threshold: float) -> bool:
        """Whether a tier already entered is kept: the value has not gone back past its clear level."""
        level = self.clear_level(threshold)
        return value >= level if self.direction is Direction.ABOVE else value <= level


# ---------------------------------------------------------------------------------------------------
# Match rules


def _label_choices(value: object) -> tuple[str, ...]:
    choices = (value,) if isinstance(value, str) else value
    if not isinstance(choices, list | tuple) or not choices:
        raise ValueError("give a label value or a non-empty list of values")
    if not all(isinstance(choice, str) and choice for choice in choices):
        raise ValueError("label values must be non-empty strings")
    return tuple(choices)


LabelChoices = Annotated[tuple[str, ...], BeforeValidator(_label_choices)]


class MatchCondition(_Strict):
    """Which events a match rule fires on: an event type, label values (any of a list, compared without
    case: analytics platforms spell category names inconsistently) and conditions on numeric values."""

    type: EventType | tuple[EventType, ...]
    labels: dict[str, LabelChoices] = Field(default_factory=dict)
    values: dict[str, ComparisonField] = Field(default_factory=dict)
    # Late data: the event arrived at least this long after it happened (the evaluator's clock minus
    # its event time); such a rule opens at the arrival, not at the event's own time.
    late_by: Duration | None = None
    # Only events of these sources (e.g. the real-time feeds, for a late-data rule: contact records are
    # sent when a contact ends, so they are always "late").
    sources: tuple[Source, ...] | None = None

    @field_validator("late_by")
    @classmethod
    def _positive_lateness(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value

    @property
    def types(self) -> tuple[EventType, ...]:
        return self.type if isinstance(self.type, tuple) else (self.type,)

    def matches(self, event: CxEvent, arrived_at: datetime | None = None) -> bool:
        if event.type not in self.types or (self.sources is not None and event.source not in self.sources):
            return False
        if self.late_by is not None and (arrived_at is None or arrived_at - event.occurred_at < self.late_by):
            return False
        for name, choices in self.labels.items():
            label = event.labels.get(name)
            if label is None or label.casefold() not in {choice.casefold() for choice in choices}:
                return False
        for name, condition in self.values.items():
            number = event.values.get(name)
            if number is None or not condition.holds(number):
                return False
        return True

    def observed(self, event: CxEvent) -> tuple[float | None, float | None]:
        """(value, threshold) to report: the first value condition's event value and bound."""
        for name, condition in self.values.items():
            return event.values.get(name), condition.number
        return None, None

    def observed_threshold(self) -> float | None:
        return next((condition.number for condition in self.values.values()), None)


class MatchRule(_RuleCommon):
    kind: Literal["match"] = "match"
    match: MatchCondition
    severity: Severity
    notify: dict[Severity, tuple[NotifyChannel, ...]] = Field(default_factory=dict)
    ack_within: Duration | None = None
    resolve_after: Duration = DEFAULT_RESOLVE_AFTER
    join_url: str | None = None
    runbook: str | None = None
    team: str | None = Field(default=None, min_length=1, max_length=200)
    flapping: FlappingPolicy = FlappingPolicy()
    page_resolved: bool = Field(default=False, strict=True)

    @field_validator("scope")
    @classmethod
    def _event_scope(cls, kind: ScopeKind) -> ScopeKind:
        if kind is ScopeKind.FEED:
            raise ValueError(
                "a match rule raises its alert on the event's contact, agent, queue, team or center"
            )
        return kind

    @field_validator("ack_within", "resolve_after")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> MatchRule:
        _check_notify(self.notify, self.severities())
        _check_link("join_url", self.join_url)
        _check_link("runbook", self.runbook)
        return self

    def severities(self) -> tuple[Severity, ...]:
        return (self.severity,)

    def channels(self, severity: Severity) -> tuple[NotifyChannel, ...]:
        return self.notify.get(severity, (NotifyChannel.DASHBOARD,))

    def scope_of(self, event: CxEvent) -> str | None:
        """The scope the alert is raised on ("contact:c-1"), None when the event does not carry it."""
        ident = {
            ScopeKind.CENTER: event.center_id,
            ScopeKind.QUEUE: event.queue_id,
            ScopeKind.TEAM: event.team_id,
            ScopeKind.AGENT: event.agent_id,
            ScopeKind.CONTACT: event.contact_id,
        }.get(self.scope)
        return None if ident is None else scope_key(self.scope, ident)

    def matches(self, event: CxEvent, arrived_at: datetime | None = None) -> bool:
        """The event fires this rule: it matches the condition, carries the scope and passes the filters.

        ``arrived_at``: the evaluator's clock when the event arrived (``late_by`` conditions need it)."""
        scope = self.scope_of(event)
        return (
            scope is not None
            and self.match.matches(event, arrived_at)
            and self.admits(
                scope,
                center_id=event.center_id,
                queue_id=event.queue_id,
                team_id=event.team_id,
                agent_id=event.agent_id,
                queue_name=event.labels.get("queue_name"),
            )
        )


Rule = ThresholdRule | MatchRule


def _catalog_from(info: ValidationInfo) -> Catalog:
    context = info.context if isinstance(info.context, Mapping) else {}
    catalog = context.get("catalog")
    if catalog is not None:
        return catalog  # type: ignore[no-any-return]
    return default_catalog()


UNLEARNED_SCOPES = frozenset({ScopeKind.CONTACT, ScopeKind.AGENT, ScopeKind.FEED})
"""Rules on these cannot have a baseline (the learner skips them). A contact lasts minutes and never comes
back: it has no weekly pattern. Agents' and feeds' rows live in the DynamoDB store's delta log, which keeps
hours, not the week a baseline needs (``floorwatch.store.metrics_log``)."""


def _is_ratio(metric_name: str) -> bool:
    from floorwatch.metrics.catalog import CATALOG  # noqa: PLC0415

    definition = CATALOG.get(metric_name)
    return definition is not None and definition.unit == "ratio"


def default_catalog() -> Catalog:
    """The metric catalog's names and scopes (imported late: rules must not drag the catalog in at import)."""
    from floorwatch.metrics.catalog import known_metrics  # noqa: PLC0415

    return known_metrics()


# ---------------------------------------------------------------------------------------------------
# Centers: their time zones (baselines learn hours of the center's local clock)

DEFAULT_TIMEZONE = "UTC"
_CENTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def zone_named(name: str) -> tzinfo:
    """The IANA time zone ``name`` ("Europe/Berlin"; "UTC"); ValueError naming it when it is not one."""
    if name == DEFAULT_TIMEZONE:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"'{name}' is not an IANA time zone name (for example Europe/Berlin, America/New_York, UTC)"
        ) from None


def _check_zone(name: str) -> str:
    zone_named(name)
    return name


TimeZoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_check_zone)]
"""An IANA time zone name, validated against the zone database."""


class CenterConfig(_Strict):
    """One center's settings in the rules file (``centers: {acme: {timezone: Europe/Berlin}}``)."""

    timezone: TimeZoneName


class Centers(_Strict):
    """The file-level ``timezone:`` (every center not listed; UTC by default) and ``centers:``."""

    timezone: TimeZoneName = DEFAULT_TIMEZONE
    centers: dict[str, CenterConfig] = Field(default_factory=dict)

    @field_validator("centers")
    @classmethod
    def _center_ids(cls, value: dict[str, CenterConfig]) -> dict[str, CenterConfig]:
        for center_id in value:
            if not _CENTER_ID.fullmatch(str(center_id)):
                raise ValueError(f"'{center_id}' is not a center id (letters, digits, '.', '_', ':', '-')")
        return value


DEFAULT_CENTERS = Centers()


# ---------------------------------------------------------------------------------------------------
# Rule sets and loading


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str = "<rules>"
    incidents: IncidentPolicy = DEFAULT_INCIDENT_POLICY
    centers: Centers = DEFAULT_CENTERS
    _zones: dict[str, tzinfo] = field(default_factory=dict, init=False, compare=False, repr=False)

    def timezone_of(self, center_id: str | None) -> str:
        """The IANA name of ``center_id``'s time zone: its ``centers:`` entry, else the file's ``timezone:``
        (UTC unless set). An unknown center (None) gets the file's zone."""
        listed = self.centers.centers.get(center_id) if center_id is not None else None
        return listed.timezone if listed is not None else self.centers.timezone

    def zone_of(self, center_id: str | None) -> tzinfo:
        """``timezone_of`` as a tzinfo (validated when the file was read)."""
        name = self.timezone_of(center_id)
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = zone_named(name)
        return zone

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def threshold_rules(self, kind: ScopeKind | None = None) -> tuple[ThresholdRule, ...]:
        return tuple(
            rule
            for rule in self.rules
            if isinstance(rule, ThresholdRule) and (kind is None or rule.scope is kind)
        )

    def match_rules(self) -> tuple[MatchRule, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule, MatchRule))

    def metrics(self) -> frozenset[str]:
        return frozenset(rule.metric for rule in self.threshold_rules())

    def learned_kinds(self) -> frozenset[str]:
        """The scope kinds (``"queue"``, ``"center"``, ...) some rule learns a baseline on: the DynamoDB
        metric store keeps their rows a week (``floorwatch.store.metrics_log.logged_kinds``)."""
        return frozenset(rule.scope.value for rule in self.threshold_rules() if rule.baseline is not None)


@dataclass(frozen=True)
class RuleProblem:
    source: str
    line: int | None
    rule: str | None  # "'queue-longest-wait'" or "#3" (position, 1-based) when the id is unusable
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.source if self.line is None else f"{self.source} line {self.line}"]
        if self.rule is not None:
            where.append(f"rule {self.rule}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"


class RulesError(Exception):
    """A rules file that cannot be used; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def load_rules(path: str | Path, catalog: Catalog | None = None) -> RuleSet:
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulesError(
            [RuleProblem(str(source), None, None, None, f"cannot read the file: {error}")]
        ) from None
    return parse_rules(text, source.name, catalog)


def load_default_rules(catalog: Catalog | None = None) -> RuleSet:
    """The rule set shipped with the package (rules/default_rules.yaml)."""
    text = resources.files("floorwatch.rules").joinpath(DEFAULT_RULES_RESOURCE).read_text(encoding="utf-8")
    return parse_rules(text, DEFAULT_RULES_RESOURCE, catalog)


def parse_rules(text: str, source_name: str = "rules.yaml", catalog: Catalog | None = None) -> RuleSet:
    """Validate a rules document; raises RulesError naming every problem (file, line, rule, field)."""
    document, root = _read_yaml(text, source_name)
    incidents = _incident_policy(document, root, source_name)
    centers = _centers(document, root, source_name)
    items, item_nodes = _rule_items(document, root, source_name)
    context = {"catalog": catalog if catalog is not None else default_catalog()}
    problems: list[RuleProblem] = []
    rules: list[Rule] = []
    first_line_of_id: dict[str, int | None] = {}
    for index, (raw, node) in enumerate(zip(items, item_nodes, strict=True)):
        located = _Locator(source_name, node, _rule_label(raw, index))
        duplicates = located.duplicate_keys()
        if duplicates:
            problems.extend(duplicates)
            continue
        rule = _validate_rule(raw, context, located, problems)
        if rule is None:
            continue
        if rule.id in first_line_of_id:
            seen = first_line_of_id[rule.id]
            where = f" at line {seen}" if seen is not None else ""
            problems.append(
                located.problem(("id",), f"duplicate id: another rule{where} already uses '{rule.id}'")
            )
            continue
        first_line_of_id[rule.id] = located.line_of(())
        rules.append(rule)
    if problems:
        raise RulesError(sorted(problems, key=lambda problem: problem.line or 0))  # stable: file order
    return RuleSet(tuple(rules), source_name, incidents, centers)


def _centers(document: Any, root: yaml.Node | None, source_name: str) -> Centers:
    """The file's ``timezone:`` and ``centers:`` (UTC everywhere when neither is there)."""
    if not isinstance(document, dict) or not ({"timezone", "centers"} & document.keys()):
        return DEFAULT_CENTERS
    raw = {key: document[key] for key in ("timezone", "centers") if key in document}
    try:
        return Centers.model_validate(raw)
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            path = tuple(str(part) for part in detail["loc"] if part != "[key]")
            message = str(detail["msg"]).removeprefix("Value error, ")
            if detail["type"] == "extra_forbidden":
                message = "unknown key (expected: timezone)"
            elif detail["type"] == "missing":
                message = "required, but missing"
            problems.append(RuleProblem(source_name, _line_at(root, path), None, ".".join(path), message))
        raise RulesError(problems) from None


def _line_at(root: yaml.Node | None, path: Sequence[str]) -> int | None:
    """The line of the value at ``path`` under the document's root mapping (its nearest known parent)."""
    node, line = root, None
    for part in path:
        if not isinstance(node, yaml.MappingNode):
            break
        entry = next(
            (
                (key, value)
                for key, value in node.value
                if isinstance(key, yaml.ScalarNode) and key.value == part
            ),
            None,
        )
        if entry is None:
            break
        node, line = entry[1], entry[1].start_mark.line + 1
    return line


def _incident_policy(document: Any, root: yaml.Node | None, source_name: str) -> IncidentPolicy:
    """The file's ``incidents:`` block (the defaults when there is none)."""
    if not isinstance(document, dict) or "incidents" not in document:
        return DEFAULT_INCIDENT_POLICY
    node = None
    if isinstance(root, yaml.MappingNode):
        node = next((value for key, value in root.value if key.value == "incidents"), None)
    line = None if node is None else node.start_mark.line + 1
    try:
        return IncidentPolicy.model_validate(document["incidents"])
    except ValidationError as error:
        raise RulesError(
            [
                RuleProblem(
                    source_name, line, None, ".".join(("incidents", *map(str, detail["loc"]))), detail["msg"]
                )
                for detail in error.errors()
            ]
        ) from None


def _read_yaml(text: str, source_name: str) -> tuple[Any, yaml.Node | None]:
    if len(text) > MAX_RULES_TEXT:
        raise RulesError(
            [RuleProblem(source_name, None, None, None, f"larger than {MAX_RULES_TEXT} characters")]
        )
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        too_large = expansion_problem(root)  # before constructing: aliases can expand exponentially
        if too_large is not None:
            raise RulesError([RuleProblem(source_name, None, None, None, too_large)])
        document = loader.construct_document(root) if root is not None else None
    except RecursionError:
        raise RulesError(
            [RuleProblem(source_name, None, None, None, "invalid YAML: nested too deeply")]
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = None if mark is None else mark.line + 1
        problem = error.problem or error.context or "invalid YAML"
        raise RulesError([RuleProblem(source_name, line, None, None, f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as error:
        raise RulesError([RuleProblem(source_name, None, None, None, f"invalid YAML: {error}")]) from None
    except (ValueError, OverflowError) as error:  # an integer of 4,300+ digits, an impossible date
        problem = (
            "a number too large to read" if "digits" in str(error) else f"a value cannot be read: {error}"
        )
        raise RulesError([RuleProblem(source_name, None, None, None, f"invalid YAML: {problem}")]) from None
    finally:
        loader.dispose()
    return document, root


_TOP_LEVEL_KEYS = ("rules", "incidents", "timezone", "centers")


def _rule_items(document: Any, root: yaml.Node | None, source_name: str) -> tuple[list[Any], list[yaml.Node]]:
    """The list of rules and their YAML nodes, from a bare list or from {rules: [...]}."""
    expected = (
        "expected a list of rules, or a mapping with a key 'rules' holding that list "
        "(and optionally 'incidents', 'timezone', 'centers')"
    )
    if isinstance(document, dict) and isinstance(root, yaml.MappingNode):
        extra = sorted(str(key) for key in document if key not in _TOP_LEVEL_KEYS)
        if extra or "rules" not in document:
            line = root.start_mark.line + 1
            problem = f"unknown top-level key '{extra[0]}': {expected}" if extra else expected
            raise RulesError([RuleProblem(source_name, line, None, None, problem)])
        root = next(value for key, value in root.value if key.value == "rules")
        document = document["rules"]
    if isinstance(document, list) and isinstance(root, yaml.SequenceNode):
        return document, list(root.value)
    line = None if root is None else root.start_mark.line + 1
    found = "an empty file" if document is None else f"a {type(document).__name__}"
    raise RulesError([RuleProblem(source_name, line, None, None, f"{expected}; found {found}")])


def _rule_label(raw: Any, index: int) -> str:
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(rule_id, str) and _RULE_ID.fullmatch(rule_id) and len(rule_id) <= _RULE_ID_MAX:
        return f"'{rule_id}'"
    return f"#{index + 1}"


def _validate_rule(
    raw: Any, context: dict[str, Catalog], located: _Locator, problems: list[RuleProblem]
) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(
            located.problem((), f"a rule must be a mapping of keys to values, not {type(raw).__name__}")
        )
        return None
    model: type[ThresholdRule] | type[MatchRule]
    kind = raw.get("kind", "match" if "match" in raw else "threshold")
    if kind == "threshold":
        model = ThresholdRule
    elif kind == "match":
        model = MatchRule
    else:
        problems.append(
            located.problem(("kind",), f"'{kind}' is not a rule kind (use 'threshold' or 'match')")
        )
        return None
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as error:
        problems.extend(located.problem(*_explain(error_detail, model)) for error_detail in error.errors())
        return None


def _explain(error: Any, model: type[BaseModel]) -> tuple[tuple[str | int, ...], str]:
    """A pydantic error as (path to the field, message for a rules-file author)."""
    # Dict-key errors carry a "[key]" marker in their location: the key itself is the field.
    path: tuple[str | int, ...] = tuple(part for part in error["loc"] if part != "[key]")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
        return (*path, *cause.field.split(".")), cause.problem
    kind = error["type"]
    if kind == "extra_forbidden":
        return path, f"unknown key (expected one of: {', '.join(_keys_at(model, path[:-1]))})"
    if kind == "missing":
        return path, "required, but missing"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    return path, message


def _keys_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """The keys a (nested) model accepts, by their YAML spelling."""
    current: type[BaseModel] | None = model
    for part in path:
        field = current.model_fields.get(str(part)) if current is not None else None
        if field is None:
            field = next(
                (info for info in (current.model_fields.values() if current else ()) if info.alias == part),
                None,
            )
        current = _model_in(field.annotation) if field is not None else None
    if current is None:
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


class _Locator:
    """Maps a field path inside one rule to the YAML line it was written on."""

    def __init__(self, source: str, node: yaml.Node, rule: str) -> None:
        self.source = source
        self.node = node
        self.rule = rule

    def line_of(self, path: Sequence[str | int]) -> int:
        node = self.node
        line: int = node.start_mark.line + 1
        for part in path:
            if isinstance(node, yaml.MappingNode):
                entry = next(
                    (
                        (key, value)
                        for key, value in node.value
                        if isinstance(key, yaml.ScalarNode) and key.value == str(part)
                    ),
                    None,
                )
                if entry is None:
                    return line
                line = entry[0].start_mark.line + 1
                node = entry[1]
            elif (
                isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value)
            ):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def problem(self, path: Sequence[str | int], message: str) -> RuleProblem:
        field = ".".join(str(part) for part in path) or None
        return RuleProblem(self.source, self.line_of(path), self.rule, field, message)

    def duplicate_keys(self) -> list[RuleProblem]:
        """YAML keeps the last of two equal keys silently; in a rule that hides a mistake."""
        problems: list[RuleProblem] = []
        self._find_duplicates(self.node, (), problems)
        return problems

    def _find_duplicates(self, node: yaml.Node, path: tuple[str, ...], problems: list[RuleProblem]) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        field = ".".join((*path, key.value))
                        first = seen[key.value]
                        message = f"written twice (lines {first} and {line}); YAML would keep only the last"
                        problems.append(RuleProblem(self.source, line, self.rule, field, message))
                    seen.setdefault(key.value, line)
                    self._find_duplicates(value, (*path, key.value), problems)
        elif isinstance(node, yaml.SequenceNode):
            for child in node.value:
                self._find_duplicates(child, path, problems)
