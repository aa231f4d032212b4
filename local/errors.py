"""Errors shared by the CLI commands."""


class UsageError(Exception):
    """Arguments that parse but cannot be used (missing file, bad URL...): exit status 2."""


class MotoVersionError(RuntimeError):
    """The installed moto is not the one the local runtime's patches were written for (exit status 1)."""
