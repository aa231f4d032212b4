"""The shared code asset: functions/, pure-Python yaml and jwt, and the validated rules as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from floorwatch.rules.config import load_default_rules, parse_rules
from handlers import observability

from infrastructure.assets import RULES_FILE_NAME, RUNTIME_VERSIONS_FILE_NAME, stage_functions
from infrastructure.settings import SettingsError
from tests.infrastructure.support import Synthesized, function_properties

pytestmark = pytest.mark.infra
ROOT = Path(__file__).resolve().parents[2]


def _asset_dir(synthesized: Synthesized) -> Path:
    code = function_properties(synthesized, synthesized.stack.alerting.evaluate)["Code"]
    return synthesized.outdir / f"asset.{code['S3Key'].removesuffix('.zip')}"


def test_every_function_deploys_the_same_asset(synthesized: Synthesized) -> None:
    functions = synthesized.template.find_resources("AWS::Lambda::Function").values()
    ours = [f for f in functions if f["Properties"]["Handler"].startswith("handlers.")]
    assert len(ours) == 7
    assert len({json.dumps(f["Properties"]["Code"], sort_keys=True) for f in ours}) == 1


def test_asset_bundles_yaml_and_jwt_without_compiled_extensions(synthesized: Synthesized) -> None:
    asset = _asset_dir(synthesized)
    assert (asset / "yaml" / "__init__.py").is_file()
    assert (asset / "jwt" / "__init__.py").is_file()
    assert (asset / "tzdata" / "zoneinfo" / "Europe" / "Berlin").is_file()
    assert (asset / "handlers" / "__init__.py").is_file()
    compiled = [p for p in asset.rglob("*") if p.suffix in {".so", ".pyd", ".pyc"} or p.name == "__pycache__"]
    assert compiled == []


def test_bundled_packages_work_from_the_asset_alone(synthesized: Synthesized) -> None:
    # -B: leave no bytecode in the asset. -S -I: no site-packages at all, so yaml and jwt can only
    # come from the asset (as on Lambda).
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import yaml, jwt; "
        "assert yaml.__file__.startswith(sys.argv[1]) and not yaml.__with_libyaml__; "
        "token = jwt.encode({'sub': 'ana'}, 'k' * 32, algorithm='HS256'); "
        "print(yaml.safe_load('a: [1, 2]')['a'], jwt.decode(token, 'k' * 32, algorithms=['HS256'])['sub']); "
        # No system zone files (a minimal Lambda image may have none): the zones come from tzdata.
        "import zoneinfo; zoneinfo.reset_tzpath([]); from datetime import datetime; "
        "print(datetime(2026, 7, 1, tzinfo=zoneinfo.ZoneInfo('Europe/Berlin')).utcoffset())"
    )
    result = subprocess.run(
        [sys.executable, "-B", "-S", "-I", "-c", script, str(_asset_dir(synthesized))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[1,", "2]", "ana", "2:00:00"]


def test_asset_records_the_layer_packages_the_code_was_tested_with(synthesized: Synthesized) -> None:
    # The pins of pyproject.toml (and the lock): what each function expects the Powertools layer to carry.
    recorded = json.loads((_asset_dir(synthesized) / RUNTIME_VERSIONS_FILE_NAME).read_text(encoding="utf-8"))
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert {f"{package}=={version}" for package, version in recorded.items()} == {
        pin for pin in pins if pin.split("==")[0] in ("aws-lambda-powertools", "pydantic")
    }
    # Where the functions look for it (handlers/ sits beside it in the package).
    assert observability.RUNTIME_VERSIONS_FILE.name == RUNTIME_VERSIONS_FILE_NAME
    assert (_asset_dir(synthesized) / "handlers" / "observability.py").is_file()


def test_asset_ships_the_default_rules_as_json(synthesized: Synthesized) -> None:
    text = (_asset_dir(synthesized) / RULES_FILE_NAME).read_text(encoding="utf-8")
    json.loads(text)  # really JSON, which the rules loader (YAML) reads as well
    shipped = parse_rules(text, RULES_FILE_NAME)
    assert shipped.rules == load_default_rules().rules


def test_a_configured_rules_file_is_validated_and_converted(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- id: long-wait\n  metric: longest_wait_seconds\n  scope: queue\n  direction: above\n"
        "  tiers: {warning: 120, critical: 300}\n",
        encoding="utf-8",
    )
    staged = stage_functions(tmp_path / "asset", rules)
    converted = json.loads((staged / RULES_FILE_NAME).read_text(encoding="utf-8"))
    assert converted[0]["id"] == "long-wait"
    assert converted[0]["tiers"] == {"warning": 120, "critical": 300}


def test_an_invalid_rules_file_fails_synthesis_naming_rule_and_field(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- id: long-wait\n  metric: no_such_metric\n  scope: queue\n  direction: above\n"
        "  tiers: {warning: 120}\n",
        encoding="utf-8",
    )
    with pytest.raises(SettingsError, match=r"rules_file[\s\S]*long-wait[\s\S]*metric"):
        stage_functions(tmp_path / "asset", rules)
