"""The lock (requirements/dev.lock) is what `make setup` installs: it must agree with pyproject.toml's pins
and pin every package with hashes, so a fresh clone installs exactly what was tested."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "dev.lock"
PIN = re.compile(r"^([A-Za-z0-9_.\[\],-]+)==([^\s;]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[", 1)[0]).lower()


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[_canonical(match.group(1))] = match.group(2)
    return pins


def test_every_pin_of_pyproject_is_locked_at_its_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    locked = _locked()
    stale = [spec for spec in declared if locked.get(_canonical(spec.split("==")[0])) != spec.split("==")[1]]
    assert not stale, f"requirements/dev.lock disagrees with pyproject.toml on {stale}: run `make lock`"


def test_every_locked_package_carries_hashes() -> None:
    text = LOCK.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    pinned = [entry for entry in entries if PIN.match(entry)]
    assert len(pinned) == len(_locked()) > 50
    assert all("--hash=sha256:" in entry for entry in pinned)
    # The build backend is locked too: the project installs without build isolation.
    assert {"setuptools", "wheel"} <= set(_locked())
