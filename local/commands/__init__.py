"""Sub-commands of `floorwatch`; add a module here and to COMMAND_MODULES to add a command."""

from __future__ import annotations

from types import ModuleType

from local.commands import (
    demo,
    dev,
    normalize,
    quarantine,
    replay,
    response_times,
    rules,
    score,
    send,
    simulate,
)
from local.commands import token as token_command

COMMAND_MODULES: tuple[ModuleType, ...] = (
    normalize,
    send,
    rules,
    quarantine,
    token_command,
    dev,
    replay,
    demo,
    simulate,
    score,
    response_times,
)
