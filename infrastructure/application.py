"""Builds the CDK app: context from cdk.json, the stack, and cdk-nag on everything.

Shared by app.py and the infrastructure tests, so the tests check exactly what `cdk deploy` ships.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Aspects, cx_api
from cdk_nag import AwsSolutionsChecks

from infrastructure.settings import CONTEXT_STAGE, Settings, SettingsError
from infrastructure.stack import FloorwatchStack, stack_id

PROJECT_DIR = Path(__file__).resolve().parent.parent
CDK_JSON = PROJECT_DIR / "cdk.json"
# Phone numbers and e-mail addresses stay out of the repository: this file is git-ignored
# (docs/deploying.md shows its format; cdk.context.local.example.json is a template).
LOCAL_CONTEXT_FILE = PROJECT_DIR / "cdk.context.local.json"
# A block of the local file that applies to one stage only: {"stages": {"prod": {...}}}.
LOCAL_STAGES_KEY = "stages"


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The `context` block of cdk.json. The CDK CLI reads it itself; `python app.py` does not."""
    context = json.loads(path.read_text(encoding="utf-8")).get("context", {})
    if not isinstance(context, dict):
        raise ValueError(f"{path}: 'context' must be an object")
    return context


def local_context(path: Path, stage: str, committed: Mapping[str, Any]) -> dict[str, Any]:
    """The uncommitted context file's values for `stage`: its top-level keys, then its `stages.<stage>`
    block. Keys cdk.json sets are refused: the CDK CLI hands cdk.json's values to the app as if given
    with -c, so a local value for them could never win."""
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SettingsError(f"{path.name}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise SettingsError(f"{path.name}: expected a JSON object of context keys")
    stages = document.pop(LOCAL_STAGES_KEY, {})
    if not isinstance(stages, dict) or not all(isinstance(block, dict) for block in stages.values()):
        raise SettingsError(f'{path.name}: "{LOCAL_STAGES_KEY}" must map stage names to objects')
    values = {**document, **stages.get(stage, {})}
    clash = sorted(key for key in values if key in committed or key == CONTEXT_STAGE)
    if clash:
        raise SettingsError(
            f"{path.name}: {', '.join(clash)} also set in cdk.json (or the stage itself); "
            "keep each key in one place, and pick the stage with -c stage=..."
        )
    return values


@dataclass(frozen=True)
class FloorwatchApp:
    app: App
    stack: FloorwatchStack


def build_app(
    *,
    outdir: str | None = None,
    context: Mapping[str, Any] | None = None,
    local_context_file: Path | None = None,
) -> FloorwatchApp:
    """cdk.json context, then `context`; values the CLI passes (`-c key=value`) take precedence over both.

    `local_context_file` (app.py passes LOCAL_CONTEXT_FILE; tests pass nothing) fills the keys nobody
    else set: the contacts that must not be committed.
    """
    committed = cdk_json_context()
    app = App(outdir=outdir, context={**committed, **(context or {})})
    if local_context_file is not None:
        stage = app.node.try_get_context(CONTEXT_STAGE)
        for key, value in local_context(local_context_file, str(stage), committed).items():
            if app.node.try_get_context(key) is None:
                app.node.set_context(key, value)
    settings = Settings.from_node(app.node)
    stack = FloorwatchStack(app, stack_id(settings.stage), settings=settings)
    # Always on: a finding is an error at synth time unless a suppression next to it says why.
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return FloorwatchApp(app=app, stack=stack)


def synthesis_problems(assembly: cx_api.CloudAssembly) -> tuple[list[str], list[str]]:
    """(errors, warnings) annotated during synthesis, e.g. unsuppressed cdk-nag findings.

    The CDK CLI prints these and fails on errors; `python app.py` has to do that itself.
    """
    found: dict[cx_api.SynthesisMessageLevel, list[str]] = {
        cx_api.SynthesisMessageLevel.ERROR: [],
        cx_api.SynthesisMessageLevel.WARNING: [],
    }
    for stack in assembly.stacks:
        for message in stack.messages:
            if message.level in found:
                found[message.level].append(f"{message.id}: {message.entry.data}")
    return found[cx_api.SynthesisMessageLevel.ERROR], found[cx_api.SynthesisMessageLevel.WARNING]
