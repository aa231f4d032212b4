"""`pip install .` gives the `floorwatch` CLI and the functions everything they import.

Every import in local/ and functions/ (module level or deferred inside a function) is either the
standard library, the project's own packages, or a distribution named in pyproject.toml's
``[project] dependencies``: nothing may rely on the dev extra (aiohttp used to)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIRST_PARTY = {"floorwatch", "handlers", "local", "infrastructure", "tests"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_canonical(re.split(r"[\[=<>~!; ]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}


def _imported_modules(directory: Path) -> dict[str, Path]:
    """Top-level module names imported anywhere under ``directory`` (absolute imports only)."""
    found: dict[str, Path] = {}
    for path in sorted(directory.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], path)
    return found


def test_the_cli_and_functions_import_only_declared_distributions() -> None:
    distributions = metadata.packages_distributions()
    declared = _declared()
    undeclared = []
    for directory in (ROOT / "local", ROOT / "functions"):
        for module, path in _imported_modules(directory).items():
            if module in sys.stdlib_module_names or module in FIRST_PARTY:
                continue
            owners = {_canonical(owner) for owner in distributions.get(module, [])}
            if not owners & declared:
                undeclared.append(f"{module} ({path.relative_to(ROOT)}): from {sorted(owners) or '?'}")
    assert not undeclared, "imported but not in [project] dependencies: " + "; ".join(undeclared)
