"""`floorwatch rules check [FILE]`: one line per rule and exit 0, or every problem on stderr and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from floorwatch.rules.config import load_default_rules

from local.cli import main

RULES = """\
rules:
  - id: queue-longest-wait
    metric: longest_wait_seconds
    scope: queue
    queues: [billing]
    direction: above
    tiers: {info: 60, warning: 120, critical: 300}
    for: 60s
    notify: {critical: [dashboard, sms]}
    ack_within: 30s
  - id: card-number-spoken
    match: {type: compliance, labels: {category: card-number-spoken}}
    scope: contact
    severity: critical
"""


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(["rules", "check", *argv])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


def test_a_valid_file_prints_what_each_rule_watches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "rules.yaml"
    source.write_text(RULES)
    status, out, err = check(capsys, str(source))
    assert status == 0
    assert out == [
        "queue-longest-wait  longest_wait_seconds per queue (queues billing)"
        "  info>60 warning>120 critical>300  for 1m  window 15m"
        "  notify info:dashboard warning:dashboard critical:dashboard+sms  ack within 30s",
        "card-number-spoken  match compliance category=card-number-spoken on the contact  critical"
        "  resolves after 10m quiet  notify critical:dashboard",
    ]
    assert err == ["rules.yaml: 2 rules OK (1 threshold, 1 match)"]


def test_an_invalid_file_lists_every_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "rules.yaml"
    source.write_text(
        RULES.replace("critical: 300", "critical: 100").replace("scope: contact", "scope: feed")
    )
    status, out, err = check(capsys, str(source))
    assert status == 2
    assert out == []
    assert err == [
        "rules.yaml line 7, rule 'queue-longest-wait', field 'tiers': "
        "critical (100) must be above warning (120) for direction 'above'",
        "rules.yaml line 13, rule 'card-number-spoken', field 'scope': "
        "a match rule raises its alert on the event's contact, agent, queue, team or center",
        "2 problems: the rules were not loaded",
    ]


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = check(capsys, str(tmp_path / "nope.yaml"))
    assert status == 2
    assert out == []
    assert "nope.yaml: cannot read the file" in err[0]


def test_without_a_file_it_checks_the_shipped_rules(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys)
    assert status == 0
    assert [line.split()[0] for line in out] == [rule.id for rule in load_default_rules()]


def test_rules_without_an_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rules"])
    assert exited.value.code == 2
    capsys.readouterr()
