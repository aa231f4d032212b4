"""Suite-wide settings: the slow suites' markers by directory, and Hypothesis without deadlines.

Markers by directory (not only per file) so a new test file in a slow directory is never run by the
fast `make test-unit` by accident; the browser test also starts the runtime, so it is e2e too.

Hypothesis' per-example deadline (200 ms) measures wall-clock time, which a loaded 2-core CI machine
cannot promise: property tests judge behaviour, never speed (benchmarks live in tests/bench)."""

from pathlib import Path

import pytest
from hypothesis import settings

TESTS = Path(__file__).resolve().parent
SLOW_DIRECTORIES = {
    "infrastructure": ("infra",),
    "integration": ("integration",),
    "e2e": ("e2e",),
    "golden": ("golden",),
}
SLOW_FILES = {"test_browser.py": ("browser",)}

settings.register_profile("floorwatch", deadline=None)
settings.load_profile("floorwatch")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(item.path)
        if not path.is_relative_to(TESTS):
            continue
        directory = path.relative_to(TESTS).parts[0]
        for marker in (*SLOW_DIRECTORIES.get(directory, ()), *SLOW_FILES.get(path.name, ())):
            item.add_marker(marker)
