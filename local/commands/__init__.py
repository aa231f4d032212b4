"""Sub-commands of `floorwatch`; add a module here and to COMMAND_MODULES to add a command."""

from __future__ import annotations

from types import ModuleType

from local.commands import normalize, quarantine, rules, send

COMMAND_MODULES: tuple[ModuleType, ...] = (normalize, send, rules, quarantine)
