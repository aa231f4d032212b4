"""The local runtime refuses a moto its patches were not written for, with a message saying what to do."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from local.runtime.moto_version import PATCHED_FOR, MotoVersionError, check

ROOT = Path(__file__).resolve().parents[3]


def test_the_pinned_moto_is_accepted() -> None:
    check(PATCHED_FOR)
    check()  # the installed one: `make setup` installs the pin


@pytest.mark.parametrize("other", ["5.2.6", "5.3.0", "6.0.0"])
def test_another_moto_stops_the_runtime_with_a_clear_message(other: str) -> None:
    with pytest.raises(MotoVersionError) as raised:
        check(other)
    message = str(raised.value)
    assert f"moto {other} is installed" in message
    assert f"written for moto {PATCHED_FOR}" in message
    assert "make setup" in message


def test_the_patches_are_written_for_the_pinned_moto() -> None:
    # Bumping the pin must come with a look at the patches (and then PATCHED_FOR).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert f"moto[server]=={PATCHED_FOR}" in project["dependencies"]
