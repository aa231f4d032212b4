"""The documentation resolves: every relative link in the Markdown files and every repository file a
docstring or comment names exists, and the contributing guide's adapter steps match the code."""

from __future__ import annotations

import re
import subprocess
import tokenize
from pathlib import Path

import pytest
from floorwatch.events import model
from floorwatch.events.adapters import base, registry

ROOT = Path(__file__).resolve().parents[2]
# A path-looking token naming a file of a kind this repository keeps (docs, code, config).
_FILE_TOKEN = re.compile(
    r"(?<![\w./-])((?:[\w.-]+/)*[\w.-]+\.(?:md|py|js|json|yaml|yml|toml|css|html|jsonl))(?![\w/-])"
)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
# Names that look like files but are not paths in this repository.
_NOT_REPO_FILES = {
    "cdk.context.local.json",  # git-ignored on purpose: each deployer writes their own
    "rules.json",  # /var/task/rules.json inside the Lambda asset, written at synth
    "outputs.json",
    "day.jsonl",
    "busy.jsonl",
    "events.jsonl",
    "transitions.jsonl",
    "captured.jsonl",
    "recorded.jsonl",
    "my-rules.yaml",
    "R.yaml",
    "config/rules.yaml",  # docs/deploying.md's example of a project's own rules file
    "package-lock.json",
}


def _tracked(*patterns: str) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *patterns],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


# Not repository paths: build output, S3 keys, and a path a test names because it does not exist.
_NOT_REPO_PREFIXES = ("cdk.out/", "quarantine/", "no/such/")


def _resolves(name: str, relative_to: Path) -> bool:
    if name.startswith(_NOT_REPO_PREFIXES) or name in _NOT_REPO_FILES or Path(name).name in _NOT_REPO_FILES:
        return True
    bases = (relative_to, ROOT, ROOT / "functions", ROOT / "functions" / "floorwatch", ROOT / "events")
    return any((base / name).exists() for base in bases)


def _prose(path: Path) -> str:
    """What people read in a file: Markdown without its link targets, Python's comments and
    docstrings (string constants in code are data, not references), other files whole."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return "\n".join(_LINK.sub("", line) for line in text.splitlines())
    if path.suffix != ".py":
        return text
    with path.open("rb") as source:
        tokens = list(tokenize.tokenize(source.readline))
    return "\n".join(
        token.string
        for token in tokens
        if token.type == tokenize.COMMENT
        or (token.type == tokenize.STRING and token.string.lstrip("rbuRBU").startswith(('"""', "'''")))
    )


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(markdown: Path) -> set[str]:
    text = markdown.read_text(encoding="utf-8")
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", text, flags=re.S), flags=re.M)
    return {_slug(h) for h in headings} | set(_ANCHOR.findall(text))


def test_every_relative_link_in_the_docs_resolves() -> None:
    problems = []
    for doc in _tracked("*.md"):
        for target in _LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: outside the repository
            path, _, anchor = target.partition("#")
            resolved = (doc.parent / path) if path else doc
            if not resolved.exists():
                problems.append(f"{doc.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                problems.append(f"{doc.relative_to(ROOT)}: {target} (no such section)")
    assert problems == []


@pytest.mark.parametrize("pattern", ["*.md", "*.py", "*.js", "Makefile", ".ci/run"])
def test_every_file_named_in_docs_docstrings_and_comments_exists(pattern: str) -> None:
    problems = []
    for path in _tracked(pattern):
        for name in _FILE_TOKEN.findall(_prose(path)):
            if "*" in name or name.startswith(".") or "<" in name:
                continue
            if "/" not in name and not name.endswith(".md"):
                continue  # a bare module or file name ("app.js", "settings.py") is not a path
            if not _resolves(name, path.parent):
                problems.append(f"{path.relative_to(ROOT)}: {name}")
    assert problems == []


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"## {heading}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


def test_the_adapter_steps_of_the_contributing_guide_match_the_registry() -> None:
    steps = _section((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"), "Add an adapter (a platform)")
    # The names the steps tell a contributor to use exist where the steps say.
    assert "`Source`" in steps and hasattr(model, "Source")
    assert "`ADAPTERS`" in steps and isinstance(registry.ADAPTERS, tuple)
    assert "`ADAPTERS_BY_SOURCE`" in steps and registry.ADAPTERS_BY_SOURCE
    for name in ("AdapterError", "Skip", "stable_id", "lookup"):
        assert f"`{name}" in steps and hasattr(base, name), name
    for method in ("matches", "to_events"):
        assert f"`{method}(" in steps and hasattr(base.Adapter, method), method
    # What the steps say every adapter has, every registered adapter has.
    platforms = (ROOT / "docs" / "platforms.md").read_text(encoding="utf-8")
    for adapter in registry.ADAPTERS:
        source = adapter.source.value
        platform = source.split(".")[0]
        assert isinstance(adapter.source, model.Source)
        assert registry.ADAPTERS_BY_SOURCE[source] is adapter
        assert list((ROOT / "events" / platform).glob("*.json")), f"no examples in events/{platform}/"
        tests = ROOT / "tests" / "unit" / "events"
        assert list(tests.glob(f"test_{source.replace('.', '_')}*.py")) or list(
            tests.glob(f"test_{platform}*.py")
        ), f"no tests/unit/events/test_{platform}*.py"
        assert f"`{source}`" in platforms, f"{source} is missing from docs/platforms.md"
    # Every file the steps name exists (placeholders like <platform> aside).
    for name in re.findall(r"`([\w./-]+\.py)`", steps):
        assert (ROOT / name).exists(), name
