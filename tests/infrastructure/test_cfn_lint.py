from __future__ import annotations

import pytest
from cfnlint.api import ManualArgs, lint_file

from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra

# W3005 (DependsOn already implied by a Ref/GetAtt): aws-cdk-lib itself adds DependsOn from each
# Lambda function to its role next to the GetAtt of the role's ARN; redundant, never wrong.
IGNORED_CHECKS = ["W3005"]


def test_synthesized_template_has_no_cfn_lint_errors_or_warnings(synthesized: Synthesized) -> None:
    matches = lint_file(
        synthesized.template_path,
        ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=IGNORED_CHECKS),
    )
    # Informational findings (I*) are advice, not defects.
    problems = [
        f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches if not m.rule.id.startswith("I")
    ]
    assert problems == []
