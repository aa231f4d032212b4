"""Issue 14, item 9: a handler that cannot be imported fails the end-to-end and browser tests that need
it (they skipped before, leaving `make test` green over a broken handler); a skip only when asked."""

from __future__ import annotations

import sys

import pytest

from tests.e2e.support import ALLOW_MISSING_HANDLERS, RunningSystem, require


class FanoutMissing:
    """What RunningSystem reports when the runtime could not import handlers.fanout."""

    def missing_handlers(self) -> list[str]:
        return ["fanout"]


@pytest.fixture
def broken_fanout(monkeypatch: pytest.MonkeyPatch) -> RunningSystem:
    monkeypatch.setitem(sys.modules, "handlers.fanout", None)  # any import of it now fails
    return FanoutMissing()  # type: ignore[return-value]


def test_a_handler_that_cannot_be_imported_fails_the_test_naming_the_error(
    broken_fanout: RunningSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW_MISSING_HANDLERS, raising=False)
    with pytest.raises(pytest.fail.Exception, match=r"handlers\.fanout: ModuleNotFoundError"):
        require(broken_fanout, "normalize", "fanout")


def test_it_is_skipped_only_when_asked(broken_fanout: RunningSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_MISSING_HANDLERS, "1")
    with pytest.raises(pytest.skip.Exception, match=r"handlers\.fanout"):
        require(broken_fanout, "fanout")


def test_handlers_the_test_does_not_need_are_not_its_concern(broken_fanout: RunningSystem) -> None:
    require(broken_fanout, "normalize", "evaluate")  # returns: nothing it needs is missing
