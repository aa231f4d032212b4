"""Rules files: what a valid rule means, and errors that name the file, the line, the rule and the field."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from floorwatch.alerts.model import Severity
from floorwatch.events.model import CxEvent, EventType, Source
from floorwatch.metrics.model import ScopeKind
from floorwatch.rules.config import (
    Direction,
    MatchRule,
    NotifyChannel,
    RuleProblem,
    RulesError,
    ThresholdRule,
    load_rules,
    parse_rules,
    render_link,
)

LONGEST_WAIT = """\
- id: queue-longest-wait
  metric: longest_wait_seconds
  scope: queue
  direction: above
  tiers: {info: 60, warning: 120, critical: 300}
"""


def parse(text: str) -> list[ThresholdRule | MatchRule]:
    return list(parse_rules(textwrap.dedent(text), "rules.yaml"))


def problems(text: str) -> list[RuleProblem]:
    with pytest.raises(RulesError) as raised:
        parse_rules(textwrap.dedent(text), "rules.yaml")
    return list(raised.value.problems)


def only_problem(text: str) -> RuleProblem:
    found = problems(text)
    assert len(found) == 1, [str(problem) for problem in found]
    return found[0]


# --- valid rules ------------------------------------------------------------------------------------


def test_a_minimal_threshold_rule_gets_the_documented_defaults() -> None:
    [rule] = parse(LONGEST_WAIT)
    assert isinstance(rule, ThresholdRule)
    assert rule.direction is Direction.ABOVE
    assert rule.tiers.levels() == ((Severity.INFO, 60), (Severity.WARNING, 120), (Severity.CRITICAL, 300))
    assert rule.for_ == timedelta(0)
    assert rule.clear == 0.9
    assert rule.window == timedelta(minutes=15)
    assert rule.min_samples == 0
    assert rule.baseline is None
    assert rule.ack_within is None
    assert rule.channels(Severity.CRITICAL) == (NotifyChannel.DASHBOARD,)
    assert rule.flapping.opens == 4
    assert rule.flapping.within == timedelta(minutes=30)


def test_the_design_example_rule_parses_with_every_field() -> None:
    [rule] = parse(
        """\
        rules:
          - id: queue-longest-wait
            description: Oldest contact waited too long
            metric: longest_wait_seconds
            scope: queue
            queues: [billing, sales]
            direction: above
            tiers: {info: 60, warning: 120, critical: 300}
            for: 60s
            clear: 0.8
            window: 1h
            min_samples: 5
            baseline: {warning_sigma: 3, critical_sigma: 5}
            notify: {critical: [dashboard, sms], warning: [dashboard], info: [dashboard]}
            ack_within: 30s
            join_url: "https://connect.example.com/queue/{queue_id}"
            runbook: "https://wiki.example.com/runbooks/{rule_id}"
            team: floor-ops
        """
    )
    assert isinstance(rule, ThresholdRule)
    assert rule.queues == ("billing", "sales")
    assert rule.for_ == timedelta(seconds=60)
    assert rule.clear == 0.8
    assert rule.window == timedelta(hours=1)
    assert rule.min_samples == 5
    assert rule.baseline is not None
    assert rule.baseline.critical_sigma == 5
    assert rule.channels(Severity.CRITICAL) == (NotifyChannel.DASHBOARD, NotifyChannel.SMS)
    assert rule.ack_within == timedelta(seconds=30)
    assert rule.team == "floor-ops"


def test_a_rule_with_a_match_key_is_a_match_rule() -> None:
    [rule] = parse(
        """\
        - id: card-number-spoken
          match:
            type: compliance
            labels: {category: card-number-spoken}
          scope: contact
          severity: critical
          notify: {critical: [dashboard, sms]}
          ack_within: 30s
        """
    )
    assert isinstance(rule, MatchRule)
    assert rule.match.type is EventType.COMPLIANCE
    assert rule.severity is Severity.CRITICAL
    assert rule.resolve_after == timedelta(minutes=10)


def test_an_empty_rule_list_is_a_valid_empty_rule_set() -> None:
    assert len(parse_rules("[]", "rules.yaml")) == 0
    assert len(parse_rules("rules: []", "rules.yaml")) == 0


# --- threshold semantics ------------------------------------------------------------------------------


def test_breach_is_strictly_past_the_threshold_in_both_directions() -> None:
    [above] = parse(LONGEST_WAIT)
    [below] = parse(
        """\
        - id: queue-service-level
          metric: service_level
          scope: queue
          direction: below
          tiers: {warning: 0.8, critical: 0.7}
        """
    )
    assert isinstance(above, ThresholdRule)
    assert isinstance(below, ThresholdRule)
    assert above.breaches(61, 60) and not above.breaches(60, 60)
    assert below.breaches(0.79, 0.8) and not below.breaches(0.8, 0.8)


def test_clear_levels_sit_on_the_safe_side_of_the_threshold() -> None:
    [above] = parse(LONGEST_WAIT)
    [below, negative] = parse(
        """\
        - id: queue-service-level
          metric: service_level
          scope: queue
          direction: below
          tiers: {warning: 0.8}
        - id: contact-sentiment
          metric: sentiment
          scope: contact
          direction: below
          tiers: {warning: -0.3}
        """
    )
    assert isinstance(above, ThresholdRule)
    assert isinstance(below, ThresholdRule)
    assert isinstance(negative, ThresholdRule)
    assert above.clear_level(120) == pytest.approx(108)
    assert below.clear_level(0.8) == pytest.approx(0.8 / 0.9)
    # A negative "below" threshold clears above itself (-0.267), not further below (-0.333).
    assert negative.clear_level(-0.3) == pytest.approx(-0.3 + 0.3 * (1 / 0.9 - 1))
    assert negative.holds(-0.28, -0.3) and not negative.holds(-0.26, -0.3)


def test_scope_filters_admit_only_the_named_scopes() -> None:
    [queue_rule, contact_rule] = parse(
        """\
        - id: billing-wait
          metric: longest_wait_seconds
          scope: queue
          queues: [billing]
          direction: above
          tiers: {warning: 120}
        - id: team-a-sentiment
          metric: sentiment
          scope: contact
          teams: [team-a]
          direction: below
          tiers: {warning: -0.3}
        """
    )
    assert queue_rule.admits("queue:billing")
    assert not queue_rule.admits("queue:sales")
    assert not queue_rule.admits("agent:billing")
    assert contact_rule.admits("contact:c-1", team_id="team-a")
    assert not contact_rule.admits("contact:c-1", team_id="team-b")
    assert not contact_rule.admits("contact:c-1")  # an unknown team does not pass a team filter


def test_render_link_fills_the_scope_id_and_gives_up_on_unknown_facts() -> None:
    template = "https://connect.example.com/contact/{contact_id}?agent={agent_id}"
    assert (
        render_link(template, "contact:c-42", "rule", agent_id="a-7")
        == "https://connect.example.com/contact/c-42?agent=a-7"
    )
    assert render_link(template, "contact:c-42", "rule") is None
    assert render_link(None, "contact:c-42", "rule") is None


def _event(**fields: object) -> CxEvent:
    document: dict[str, object] = {
        "event_id": "e-1",
        "source": Source.CONTACT_LENS,
        "type": EventType.COMPLIANCE,
        "occurred_at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        "contact_id": "c-1",
        "queue_id": "billing",
    }
    document.update(fields)
    return CxEvent.model_validate(document)


def test_match_rules_compare_types_labels_without_case_and_value_conditions() -> None:
    [category, sentiment] = parse(
        """\
        - id: compliance-breach
          match:
            type: compliance
            labels: {category: [card-number-spoken, ssn-spoken]}
          scope: contact
          severity: critical
        - id: very-negative
          match:
            type: sentiment
            values: {sentiment: "<= -0.8"}
          scope: contact
          severity: warning
        """
    )
    assert isinstance(category, MatchRule)
    assert isinstance(sentiment, MatchRule)
    assert category.matches(_event(labels={"category": "Card-Number-Spoken"}))
    assert category.matches(_event(labels={"category": "ssn-spoken"}))
    assert not category.matches(_event(labels={"category": "greeting-missed"}))
    assert not category.matches(_event(type=EventType.SENTIMENT, labels={"category": "ssn-spoken"}))
    assert not category.matches(_event(contact_id=None, labels={"category": "ssn-spoken"}))
    assert sentiment.matches(_event(type=EventType.SENTIMENT, values={"sentiment": -0.8}))
    assert not sentiment.matches(_event(type=EventType.SENTIMENT, values={"sentiment": -0.5}))
    assert not sentiment.matches(_event(type=EventType.SENTIMENT))
    assert sentiment.scope_of(_event(type=EventType.SENTIMENT)) == "contact:c-1"
    assert sentiment.match.observed(_event(values={"sentiment": -0.9})) == (-0.9, -0.8)


# --- errors: each names rule, field and line ------------------------------------------------------------


def test_inverted_tiers_are_rejected_with_the_documented_message() -> None:
    problem = only_problem(
        """\
        - id: queue-contacts-waiting
          metric: contacts_in_queue
          scope: queue
          direction: above
          tiers: {warning: 20, critical: 40}
        - id: queue-longest-wait
          metric: longest_wait_seconds
          scope: queue
          direction: above
          tiers: {info: 60, warning: 50, critical: 300}
        """
    )
    assert str(problem) == (
        "rules.yaml line 10, rule 'queue-longest-wait', field 'tiers': "
        "warning (50) must be above info (60) for direction 'above'"
    )


@pytest.mark.parametrize(
    ("tiers", "expected"),
    [
        ("{warning: 0.7, critical: 0.8}", "critical (0.8) must be below warning (0.7) for direction 'below'"),
        ("{warning: 0.8, critical: 0.8}", "critical (0.8) must be below warning (0.8) for direction 'below'"),
        ("{info: 0.9, critical: 0.95}", "critical (0.95) must be below info (0.9) for direction 'below'"),
        ("{}", "give at least one of info, warning, critical"),
    ],
)
def test_below_rules_need_falling_tiers(tiers: str, expected: str) -> None:
    problem = only_problem(
        f"""\
        - id: queue-service-level
          metric: service_level
          scope: queue
          direction: below
          tiers: {tiers}
        """
    )
    assert (problem.rule, problem.field, problem.line) == ("'queue-service-level'", "tiers", 5)
    assert expected in problem.message


def test_equal_tiers_are_rejected_for_above_too() -> None:
    problem = only_problem(LONGEST_WAIT.replace("critical: 300", "critical: 120"))
    assert problem.field == "tiers"
    assert "critical (120) must be above warning (120)" in problem.message


def test_unknown_keys_name_the_key_and_its_line_and_list_the_allowed_ones() -> None:
    problem = only_problem(LONGEST_WAIT + "  treshold: 5\n")
    assert (problem.line, problem.rule, problem.field) == (6, "'queue-longest-wait'", "treshold")
    assert "unknown key" in problem.message
    assert "tiers" in problem.message and "for" in problem.message


def test_unknown_keys_inside_a_nested_mapping_are_located_too() -> None:
    problem = only_problem(LONGEST_WAIT.replace("tiers: {info: 60,", "tiers: {severe: 500, info: 60,"))
    assert (problem.line, problem.field) == (5, "tiers.severe")
    assert "expected one of: info, warning, critical" in problem.message


def test_unknown_metrics_suggest_the_closest_name() -> None:
    problem = only_problem(LONGEST_WAIT.replace("longest_wait_seconds", "longest_wait_secs"))
    assert (problem.line, problem.field) == (2, "metric")
    assert "unknown metric 'longest_wait_secs'" in problem.message
    assert "did you mean 'longest_wait_seconds'" in problem.message


def test_a_metric_must_exist_for_the_rule_scope() -> None:
    problem = only_problem(LONGEST_WAIT.replace("scope: queue", "scope: agent"))
    assert problem.field == "metric"
    assert "does not exist for scope 'agent'" in problem.message


def test_metric_names_are_checked_against_the_catalog_given() -> None:
    catalog = {"longest_wait_seconds": {ScopeKind.CENTER}}
    with pytest.raises(RulesError) as raised:
        parse_rules(LONGEST_WAIT, "rules.yaml", catalog)
    assert "does not exist for scope 'queue' (it exists for: center)" in str(raised.value)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("30s", "30s is shorter than one bucket (1m)"),
        ("90s", "1m30s is not a whole number of buckets (1m)"),
        ("25h", "1d1h is longer than 1d"),
        ("0", "0s is shorter than one bucket (1m)"),
        ("15", "give the duration a unit"),
        ("fortnight", "'fortnight' is not a duration"),
    ],
)
def test_impossible_windows_are_rejected(window: str, expected: str) -> None:
    problem = only_problem(LONGEST_WAIT + f"  window: {window}\n")
    assert (problem.line, problem.field) == (6, "window")
    assert expected in problem.message


def test_duplicate_ids_name_the_first_rule_line() -> None:
    problem = only_problem(LONGEST_WAIT + LONGEST_WAIT)
    assert (problem.line, problem.rule, problem.field) == (6, "'queue-longest-wait'", "id")
    assert "duplicate id" in problem.message and "line 1" in problem.message


@pytest.mark.parametrize(
    ("extra", "field", "expected"),
    [
        ("  clear: 0\n", "clear", "greater than 0"),
        ("  clear: 1.5\n", "clear", "less than or equal to 1"),
        ("  min_samples: -1\n", "min_samples", "greater than or equal to 0"),
        ("  min_samples: true\n", "min_samples", "valid integer"),
        ("  for: 1 minute\n", "for", "not a duration"),
        ("  ack_within: 0s\n", "ack_within", "longer than 0s"),
        ("  agents: [a-1]\n", "agents", "cannot filter a queue-scope rule by agents"),
        ("  queues: []\n", "queues", "at least one id"),
        ("  notify: {critical: [pager]}\n", "notify.critical.0", "'dashboard', 'sms' or 'email'"),
        ("  join_url: 'https://x.example.com/{contact}'\n", "join_url", "unknown placeholder {contact}"),
        ("  runbook: wiki/queue-wait\n", "runbook", "must be an http(s) URL"),
        ("  baseline: {warning_sigma: 3, critical_sigma: 2}\n", "baseline.critical_sigma", "must be above"),
        ("  baseline: {warning_sigma: 3, seasonal: true}\n", "baseline.seasonal", "unknown key"),
        ("  flapping: {opens: 1}\n", "flapping.opens", "greater than or equal to 2"),
    ],
)
def test_field_errors_name_the_field_and_its_line(extra: str, field: str, expected: str) -> None:
    problem = only_problem(LONGEST_WAIT + extra)
    assert (problem.line, problem.rule, problem.field) == (6, "'queue-longest-wait'", field)
    assert expected in problem.message


def test_enum_fields_list_their_values() -> None:
    problem = only_problem(LONGEST_WAIT.replace("direction: above", "direction: sideways"))
    assert (problem.line, problem.field) == (4, "direction")
    assert "'above' or 'below'" in problem.message


def test_notify_cannot_name_a_severity_the_rule_never_raises() -> None:
    problem = only_problem(LONGEST_WAIT.replace("info: 60, ", "") + "  notify: {info: [sms]}\n")
    assert (problem.line, problem.field) == (6, "notify")
    assert "names 'info' but this rule can only raise warning, critical" in problem.message


def test_a_below_ratio_tier_must_be_able_to_clear() -> None:
    problem = only_problem(
        """\
        - id: queue-service-level
          metric: service_level
          scope: queue
          direction: below
          tiers: {warning: 0.9}
        """
    )
    assert (problem.line, problem.field) == (1, "clear")
    assert problem.message == (
        "the warning tier (0.9) could only clear above 1, which a ratio (0..1) never reaches: "
        "use a clear factor above 0.9"
    )
    assert parse("""\
        - id: queue-service-level
          metric: service_level
          scope: queue
          direction: below
          tiers: {warning: 0.9}
          clear: 0.95
        """)


def test_a_key_written_twice_is_an_error_not_a_silent_override() -> None:
    problem = only_problem(LONGEST_WAIT + "  scope: agent\n")
    assert (problem.line, problem.field) == (6, "scope")
    assert "written twice (lines 3 and 6)" in problem.message


def test_missing_required_fields_are_named() -> None:
    found = problems(
        """\
        - id: half-a-rule
          metric: longest_wait_seconds
        """
    )
    assert {(problem.field, problem.message) for problem in found} == {
        ("scope", "required, but missing"),
        ("direction", "required, but missing"),
        ("tiers", "required, but missing"),
    }
    assert {problem.line for problem in found} == {1}


def test_a_rule_with_an_unusable_id_is_named_by_its_position() -> None:
    found = problems(LONGEST_WAIT + LONGEST_WAIT.replace("queue-longest-wait", "Queue Wait"))
    assert [(problem.rule, problem.field, problem.line) for problem in found] == [("#2", "id", 6)]
    assert "not a rule id" in found[0].message


def test_match_rule_errors() -> None:
    found = problems(
        """\
        - id: bad-match
          match:
            type: compliance
            labels: {category: []}
            values: {score: "about -0.8"}
            colour: red
          scope: feed
          severity: urgent
        """
    )
    by_field = {problem.field: (problem.line, problem.message) for problem in found}
    assert by_field["scope"][0] == 7
    assert "contact, agent, queue, team or center" in by_field["scope"][1]
    assert by_field["match.labels.category"][0] == 4
    assert by_field["match.values.score"] == (
        5,
        "'about -0.8' is not a condition: write e.g. '<= -0.8', '> 3' or a number",
    )
    assert by_field["match.colour"][0] == 6
    assert by_field["severity"][0] == 8


def test_an_unknown_kind_is_named() -> None:
    problem = only_problem(LONGEST_WAIT + "  kind: anomaly\n")
    assert (problem.field, problem.line) == ("kind", 6)
    assert "'anomaly' is not a rule kind" in problem.message


def test_every_problem_of_a_file_is_reported_in_file_order() -> None:
    found = problems(
        LONGEST_WAIT.replace("window", "x")
        + "  window: 2m30s\n"
        + LONGEST_WAIT.replace("queue-longest-wait", "second").replace("above", "up")
    )
    assert [(problem.line, problem.rule, problem.field) for problem in found] == [
        (6, "'queue-longest-wait'", "window"),
        (10, "'second'", "direction"),
    ]


# --- errors in the document itself ---------------------------------------------------------------------


def test_invalid_yaml_names_the_line() -> None:
    problem = only_problem(LONGEST_WAIT + "  tiers: {info: 60\n- id: next\n")
    assert problem.line is not None and problem.line >= 6
    assert problem.message.startswith("invalid YAML")
    assert problem.rule is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "found an empty file"),
        ("id: queue-longest-wait\n", "unknown top-level key 'id'"),
        ("rules: {id: x}\n", "found a dict"),
        ("just words\n", "found a str"),
    ],
)
def test_the_document_must_be_a_list_of_rules(text: str, expected: str) -> None:
    problem = only_problem(text)
    assert expected in problem.message
    assert "expected a list of rules" in problem.message


def test_a_rule_that_is_not_a_mapping_is_named_by_position() -> None:
    problem = only_problem(LONGEST_WAIT + "- just a string\n")
    assert (problem.rule, problem.line) == ("#2", 6)
    assert "must be a mapping" in problem.message


def test_load_rules_reads_a_file_and_names_it_in_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(LONGEST_WAIT)
    assert [rule.id for rule in load_rules(good)] == ["queue-longest-wait"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(LONGEST_WAIT.replace("scope: queue", "scope: galaxy"))
    with pytest.raises(RulesError, match=r"^bad\.yaml line 3, rule 'queue-longest-wait', field 'scope': "):
        load_rules(bad)
    with pytest.raises(RulesError, match="cannot read the file"):
        load_rules(tmp_path / "missing.yaml")


def test_rule_set_lookups() -> None:
    rules = parse_rules(
        LONGEST_WAIT
        + textwrap.dedent(
            """\
            - id: agent-hold
              metric: agent_on_hold_seconds
              scope: agent
              direction: above
              tiers: {warning: 180}
            - id: card-number-spoken
              match: {type: compliance, labels: {category: card-number-spoken}}
              scope: contact
              severity: critical
            """
        ),
        "rules.yaml",
    )
    assert [rule.id for rule in rules.threshold_rules(ScopeKind.AGENT)] == ["agent-hold"]
    assert [rule.id for rule in rules.match_rules()] == ["card-number-spoken"]
    assert rules.metrics() == {"longest_wait_seconds", "agent_on_hold_seconds"}
    found = rules.get("agent-hold")
    assert found is not None and found.scope is ScopeKind.AGENT
    assert rules.get("nope") is None


def test_a_baseline_on_a_rule_the_learner_cannot_learn_is_refused_with_the_reason() -> None:
    text = """
rules:
  - id: feed-stale
    metric: silence_surprise
    scope: feed
    direction: above
    tiers: {warning: 16}
    window: 1h
    baseline: {warning_sigma: 3, loosest: {warning: 48}}
"""
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "rules.yaml")
    assert "feed-stale" in str(caught.value)
    assert "learned for queue, team and center rules only" in str(caught.value)
