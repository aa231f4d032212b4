"""Errors shared by the CLI commands."""


class UsageError(Exception):
    """Arguments that parse but cannot be used (missing file, bad URL...): exit status 2."""
