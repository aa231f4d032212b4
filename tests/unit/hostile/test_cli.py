"""Hostile rules files and arguments for the CLI (issue item 3): each is refused with one clear line and
exit status 2, quickly, and never with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.cli import main

GOOD_RULE = """\
rules:
  - id: queue-longest-wait
    metric: longest_wait_seconds
    scope: queue
    direction: above
    tiers: {warning: 120, critical: 300}
    for: 30s
"""


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """Nested anchors: a few hundred bytes that expand to width**levels nodes."""
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]" for level in range(1, levels)]
    return "\n".join(lines) + f"\nrules: [*a{levels - 1}]\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))  # the alias bomb used to hang here for minutes
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err


@pytest.mark.parametrize("command", ["check", "replay"])
def test_nested_yaml_anchors_are_refused_before_they_expand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    rules = tmp_path / "bomb.yaml"
    rules.write_text(alias_bomb())
    assert len(rules.read_bytes()) < 1600
    events = tmp_path / "events.jsonl"
    events.write_text("")
    argv = (
        ["rules", "check", str(rules)]
        if command == "check"
        else ["replay", str(events), "--rules", str(rules)]
    )
    status, err = run(capsys, *argv)
    assert status == 2
    assert "expands to more than" in err and "aliases" in err


def test_a_few_aliases_are_still_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "anchors.yaml"
    rules.write_text(GOOD_RULE.replace("    for: 30s", "    for: &wait 30s\n    ack_within: *wait"))
    assert run(capsys, "rules", "check", str(rules))[0] == 0


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (("for: 30s", "for: 99999999999999999999d"), "longer than the longest duration"),
        (("for: 30s", "for: 30s\n    window: 999999999999999m"), "longer than the longest duration"),
        (("for: 30s", "for: 30s\n    min_samples: " + "9" * 40), "min_samples"),
        (("for: 30s", "for: 30s\n    min_samples: " + "9" * 5000), "a number too large to read"),
        (("warning: 120", "warning: 1e999"), "tiers.warning"),
    ],
)
def test_huge_durations_and_numbers_exit_2_with_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str], fragment: str | None
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(GOOD_RULE.replace(*edit))
    status, err = run(capsys, "rules", "check", str(rules))
    if fragment is None:
        assert status == 0
    else:
        assert status == 2 and fragment in err


def test_a_deeply_nested_rules_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "deep.yaml"
    rules.write_text("rules: " + "[" * 5000 + "]" * 5000 + "\n")
    status, err = run(capsys, "rules", "check", str(rules))
    assert status == 2 and "invalid YAML" in err


@pytest.mark.parametrize("option", [["--ttl", "99999999999999999999d"], ["--ttl", "10000d"]])
def test_token_lifetimes_beyond_any_sense_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    key = tmp_path / "key"
    status, err = run(
        capsys, "token", "--user", "ana", "--role", "manager", "--secret-file", str(key), *option
    )
    assert status == 2 and "--ttl" in err
