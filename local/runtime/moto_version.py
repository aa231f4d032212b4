"""The moto version the local runtime's patches (local/runtime/moto_patches.py) were written for.

The patches replace moto internals (Kinesis shards, DynamoDB transactions, expression parsing) with
equivalents that keep moto's results. Another moto may rename or change those internals, and a
replacement that no longer matches would give wrong results quietly; so a different version stops the
local runtime with a clear message before any patch is applied. This module imports nothing from moto,
so the check also runs when the new moto's internals no longer import.
"""

from __future__ import annotations

from importlib import metadata

from local.errors import MotoVersionError

PATCHED_FOR = "5.2.5"  # the moto pin in pyproject.toml (a test keeps the two equal)
__all__ = ["PATCHED_FOR", "MotoVersionError", "check"]


def check(installed: str | None = None) -> None:
    """Raise MotoVersionError unless ``installed`` (default: the installed moto) is ``PATCHED_FOR``."""
    if installed is None:
        try:
            installed = metadata.version("moto")
        except metadata.PackageNotFoundError:
            raise MotoVersionError(
                "the local runtime needs moto, which is not installed: run `make setup` "
                "(or pip install the project's dev extra)"
            ) from None
    if installed != PATCHED_FOR:
        raise MotoVersionError(
            f"moto {installed} is installed, but the local runtime's patches "
            f"(local/runtime/moto_patches.py) were written for moto {PATCHED_FOR}: install the pinned "
            f"version with `make setup`, or, when upgrading moto on purpose, re-check each patch against "
            f"moto {installed} and then set PATCHED_FOR in local/runtime/moto_version.py"
        )
