"""cdk-nag's AwsSolutions pack runs on every synthesis, and only explained exceptions pass it."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from aws_cdk import Aspects
from aws_cdk.assertions import Match
from cdk_nag import AwsSolutionsChecks

from infrastructure.application import synthesis_problems
from infrastructure.nag import MIN_REASON_LENGTH
from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra

AWS_SOLUTIONS = Match.string_like_regexp("AwsSolutions-.*")


def _report_rows(synthesized: Synthesized) -> list[dict[str, str]]:
    [report] = synthesized.outdir.glob(f"AwsSolutions-*{synthesized.stack.stack_name}-NagReport.csv")
    with report.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _suppressions(synthesized: Synthesized) -> list[dict[str, Any]]:
    template = synthesized.template_json
    holders = [template, *template["Resources"].values()]
    return [
        suppression
        for holder in holders
        for suppression in holder.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]


def test_aws_solutions_checks_are_applied_to_the_app(synthesized: Synthesized) -> None:
    assert any(isinstance(aspect, AwsSolutionsChecks) for aspect in Aspects.of(synthesized.app).all)


def test_nag_evaluated_the_stack_and_found_nothing_unsuppressed(synthesized: Synthesized) -> None:
    rows = _report_rows(synthesized)
    checked_rules = {row["Rule ID"] for row in rows}
    # Proof that the pack really looked at streams, buckets, queues, roles, functions, tables, topics,
    # the WebSocket API and the secret.
    expected = {"KDS1", "S1", "SQS4", "IAM4", "L1", "DDB3", "SNS3", "APIG1", "APIG4", "SMG4"}
    assert {f"AwsSolutions-{rule}" for rule in expected} <= checked_rules
    failing = [(row["Rule ID"], row["Resource ID"]) for row in rows if row["Compliance"] == "Non-Compliant"]
    assert failing == []


def test_no_nag_errors_or_warnings_reach_the_assembly(synthesized: Synthesized) -> None:
    assert synthesized.annotations.find_error("*", AWS_SOLUTIONS) == []
    assert synthesized.annotations.find_warning("*", AWS_SOLUTIONS) == []
    # app.py fails `make synth` on exactly these (the assembly is cached: no second synthesis).
    assert synthesis_problems(synthesized.app.synth()) == ([], [])


def test_every_suppression_says_why(synthesized: Synthesized) -> None:
    suppressions = _suppressions(synthesized)
    assert suppressions, (
        "expected the documented suppressions (X-Ray wildcard, access-log bucket, failure queue)"
    )
    too_short = [s["id"] for s in suppressions if len(s.get("reason", "").strip()) < MIN_REASON_LENGTH]
    assert too_short == []


def test_wildcard_suppressions_name_the_findings_they_cover(synthesized: Synthesized) -> None:
    # A blanket IAM5 suppression would also hide wildcards that later grants add to the same role.
    blanket = [
        s for s in _suppressions(synthesized) if s["id"] == "AwsSolutions-IAM5" and not s.get("applies_to")
    ]
    assert blanket == []
