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

from infrastructure.settings import Settings
from infrastructure.stack import STACK_ID, FloorwatchStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The `context` block of cdk.json. The CDK CLI reads it itself; `python app.py` does not."""
    context = json.loads(path.read_text(encoding="utf-8")).get("context", {})
    if not isinstance(context, dict):
        raise ValueError(f"{path}: 'context' must be an object")
    return context


@dataclass(frozen=True)
class FloorwatchApp:
    app: App
    stack: FloorwatchStack


def build_app(*, outdir: str | None = None, context: Mapping[str, Any] | None = None) -> FloorwatchApp:
    """cdk.json context, then `context`; values the CLI passes (`-c key=value`) take precedence over both."""
    app = App(outdir=outdir, context={**cdk_json_context(), **(context or {})})
    stack = FloorwatchStack(app, STACK_ID, settings=Settings.from_node(app.node))
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
