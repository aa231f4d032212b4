"""Each function compares the Powertools layer's packages with the versions the code was tested with
(recorded in the deployment package at synth time) and says so when they differ."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.shared import version as powertools_version
from handlers import observability


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    # Powertools keeps one metric set per process: start and end each test with it empty.
    metrics = Metrics(namespace="test")
    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def recorded(tmp_path: Path, **versions: str) -> Path:
    path = tmp_path / "runtime_versions.json"
    path.write_text(json.dumps(versions), encoding="utf-8")
    return path


def test_the_tested_versions_pass(tmp_path: Path, metrics: Metrics) -> None:
    expected = recorded(
        tmp_path, **{"aws-lambda-powertools": powertools_version.VERSION, "pydantic": pydantic.VERSION}
    )
    assert observability.check_layer(metrics, expected) == {}
    assert "LayerVersionMismatch" not in metrics.metric_set  # no data: its alarm reads it as no mismatch


def test_another_layer_release_is_named_and_counted(tmp_path: Path, metrics: Metrics) -> None:
    expected = recorded(tmp_path, **{"aws-lambda-powertools": "3.0.0", "pydantic": pydantic.VERSION})
    mismatches = observability.check_layer(metrics, expected)
    assert mismatches == {"aws-lambda-powertools": f"layer {powertools_version.VERSION}, tested 3.0.0"}
    emitted = metrics.serialize_metric_set()
    assert emitted["LayerVersionMismatch"] == [1.0]


def test_outside_lambda_there_is_nothing_to_compare(tmp_path: Path, metrics: Metrics) -> None:
    assert observability.check_layer(metrics, tmp_path / "absent.json") == {}
