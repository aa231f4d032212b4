"""The one code asset every floorwatch function deploys: functions/ plus what the Powertools layer lacks.

Built at synth time without Docker or network: the `functions/` directory (domain package and handlers),
the pure-Python packages `yaml` (PyYAML), `jwt` (PyJWT) and `tzdata` (time zone data) copied from this
virtual environment, and the
configured rules file converted to JSON. Compiled extensions are left out on purpose: the venv's are
built for the synthesizing machine, not for Lambda's Python on arm64, and both packages work without
them (PyYAML falls back to its pure-Python loader; PyJWT only needs `cryptography` for RSA/EC, and
floorwatch tokens are HS256).

The rules are validated here with floorwatch.rules.config, so a broken rules file fails `cdk synth`
rather than the evaluator's first invocation, and they ship as JSON (which the same YAML loader reads)
so the deployed rules are exactly the validated ones.
"""

from __future__ import annotations

import importlib
import json
import shutil
from importlib import metadata
from pathlib import Path

import yaml
from aws_cdk import Stack, Stage
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from floorwatch.rules.config import (
    DEFAULT_RULES_RESOURCE,
    RulesError,
    load_default_rules,
    load_rules,
    parse_rules,
)

from infrastructure.settings import CONTEXT_RULES_FILE, SettingsError

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
# Build and editor leftovers never belong in the deployment package.
ASSET_EXCLUDES = (
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "*.egg-info",
    ".DS_Store",
)
# Platform-specific binaries from the synthesizing machine would not load on Lambda (arm64).
COMPILED_EXCLUDES = ("*.so", "*.pyd", "*.dylib")
# tzdata: the IANA time zones of centers (baselines learn local hours); Lambda's Python runtime image is
# minimal and may have no /usr/share/zoneinfo, and zoneinfo falls back to this package.
BUNDLED_PACKAGES = ("yaml", "jwt", "tzdata")
RULES_FILE_NAME = "rules.json"
RUNTIME_VERSIONS_FILE_NAME = "runtime_versions.json"
# What the functions take from the public Powertools layer instead of the deployment package.
LAYER_PACKAGES = ("aws-lambda-powertools", "pydantic")
# Lambda unpacks the code asset here (LAMBDA_TASK_ROOT); ENV_RULES_FILE points into it.
LAMBDA_TASK_ROOT = "/var/task"
STAGING_DIR = ".staging"


def rules_json(rules_file: Path | None) -> str:
    """The rules file (or the shipped defaults) as JSON, after validating it; RulesError names problems."""
    if rules_file is None:
        load_default_rules()
        text = (FUNCTIONS_DIR / "floorwatch" / "rules" / DEFAULT_RULES_RESOURCE).read_text(encoding="utf-8")
    else:
        load_rules(rules_file)
        text = rules_file.read_text(encoding="utf-8")
    converted = json.dumps(yaml.safe_load(text), indent=1, ensure_ascii=False) + "\n"
    parse_rules(converted, RULES_FILE_NAME)  # what ships must load exactly as validated
    return converted


def package_dir(name: str) -> Path:
    """Where the installed package `name` lives (site-packages of this environment)."""
    module = importlib.import_module(name)
    if module.__file__ is None:
        raise RuntimeError(f"{name} is not an ordinary package; cannot bundle it")
    return Path(module.__file__).parent


def stage_functions(target: Path, rules_file: Path | None) -> Path:
    """Write the deployment package into `target` (replacing what was there) and return it."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(FUNCTIONS_DIR, target, ignore=shutil.ignore_patterns(*ASSET_EXCLUDES))
    for name in BUNDLED_PACKAGES:
        shutil.copytree(
            package_dir(name),
            target / name,
            ignore=shutil.ignore_patterns(*ASSET_EXCLUDES, *COMPILED_EXCLUDES),
        )
    try:
        rules = rules_json(rules_file)
    except RulesError as error:
        raise SettingsError(f"{CONTEXT_RULES_FILE}: the rules file cannot be deployed:\n{error}") from None
    (target / RULES_FILE_NAME).write_text(rules, encoding="utf-8")
    (target / RUNTIME_VERSIONS_FILE_NAME).write_text(json.dumps(runtime_versions()) + "\n", encoding="utf-8")
    return target


def runtime_versions() -> dict[str, str]:
    """What the layer must provide, as installed here (the locked, tested versions); each function
    compares the layer's at cold start (handlers.observability.check_layer)."""
    return {package: metadata.version(package) for package in LAYER_PACKAGES}


class FunctionsAsset(Construct):
    """One staged asset per stack, shared by every function (one upload, one hash)."""

    CONSTRUCT_ID = "FunctionsAsset"
    rules_path = f"{LAMBDA_TASK_ROOT}/{RULES_FILE_NAME}"

    @classmethod
    def of(cls, scope: Construct, *, rules_file: Path | None) -> FunctionsAsset:
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.CONSTRUCT_ID)
        if isinstance(existing, cls):
            return existing
        return cls(stack, cls.CONSTRUCT_ID, rules_file=rules_file)

    def __init__(self, scope: Construct, construct_id: str, *, rules_file: Path | None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # Inside the cloud assembly directory, so `cdk synth` leaves nothing elsewhere behind.
        outdir = Path(Stage.of(self).outdir)  # type: ignore[union-attr]
        self.directory = stage_functions(outdir / STAGING_DIR / f"{stack.stack_name}-functions", rules_file)
        self.code = lambda_.Code.from_asset(str(self.directory))
