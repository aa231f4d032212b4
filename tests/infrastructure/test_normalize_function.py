from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from floorwatch import names

from infrastructure.application import cdk_json_context
from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra


def _function(synthesized: Synthesized) -> dict[str, Any]:
    properties: dict[str, Any] = synthesized.resource(synthesized.stack.ingest.normalize.function)[
        "Properties"
    ]
    return properties


def test_runs_the_normalize_handler_on_python_3_14_arm64_without_active_tracing(
    synthesized: Synthesized,
) -> None:
    function = _function(synthesized)
    assert function["FunctionName"] == names.ResourceNames(names.DEFAULT_STAGE).function("normalize")
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "handlers.normalize.handler"
    assert function["MemorySize"] == 512
    assert function["Timeout"] == 60
    assert "TracingConfig" not in function


def test_environment_names_come_from_floorwatch_names(synthesized: Synthesized) -> None:
    ingest = synthesized.stack.ingest
    variables = _function(synthesized)["Environment"]["Variables"]
    assert variables[names.ENV_STAGE] == names.DEFAULT_STAGE
    assert variables[names.ENV_CX_EVENTS_STREAM] == {"Ref": synthesized.logical_id(ingest.cx_events)}
    assert variables[names.ENV_QUARANTINE_BUCKET] == {"Ref": synthesized.logical_id(ingest.quarantine.bucket)}
    assert variables[names.POWERTOOLS_SERVICE_NAME] == "floorwatch-normalize"
    assert variables[names.LOG_LEVEL] == cdk_json_context()["log_level"]
    assert variables[names.POWERTOOLS_METRICS_NAMESPACE] == names.METRICS_NAMESPACE


def test_dependencies_come_from_the_powertools_layer_version_in_cdk_json(synthesized: Synthesized) -> None:
    [layer] = _function(synthesized)["Layers"]
    arn = json.dumps(layer)  # "arn:aws:lambda:" + region token + ":017000801446:layer:...:<version>"
    version = cdk_json_context()["powertools_layer_version"]
    assert f":017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:{version}" in arn


def test_logs_go_to_an_explicit_log_group_with_retention(synthesized: Synthesized) -> None:
    normalize = synthesized.stack.ingest.normalize
    log_group_id = synthesized.logical_id(normalize.log_group)
    assert _function(synthesized)["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
    log_group = synthesized.template_json["Resources"][log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == cdk_json_context()["log_retention_days"]
    assert log_group["LogGroupName"] == "/aws/lambda/floorwatch-dev-normalize"


def test_role_has_no_managed_policies(synthesized: Synthesized) -> None:
    role = synthesized.resource(synthesized.stack.ingest.normalize.role)["Properties"]
    assert "ManagedPolicyArns" not in role


def _asset_dir(synthesized: Synthesized) -> Path:
    s3_key = _function(synthesized)["Code"]["S3Key"]
    return synthesized.outdir / f"asset.{s3_key.removesuffix('.zip')}"


def test_code_asset_holds_the_handler_and_domain_package_without_bytecode(synthesized: Synthesized) -> None:
    asset = _asset_dir(synthesized)
    handler_module = asset / "handlers" / "normalize.py"
    assert "def handler(" in handler_module.read_text(encoding="utf-8")
    assert (asset / "floorwatch" / "names.py").is_file()
    leftovers = [p for p in asset.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    assert leftovers == []
