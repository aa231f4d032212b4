"""`floorwatch rules report --stage local --endpoint-url <the local runtime's AWS endpoint>`: the tables
of the local runtime, on its moto server, read over HTTP as `floorwatch dev` users would."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from floorwatch.names import ALERTS_TABLE, AUDIT_TABLE, ResourceNames

from local.cli import main
from local.runtime.aws import EmbeddedAws, Resources, provisioned
from tests.integration.ddb_tables import use_fake_credentials
from tests.unit.rules_report.record import RULES, store_recorded_week

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
NAMES = ResourceNames("local")


@pytest.fixture
def aws() -> Iterator[tuple[EmbeddedAws, Resources]]:
    with provisioned(NAMES) as running:
        yield running


def test_the_local_runtimes_tables_are_reported_over_its_endpoint(
    aws: tuple[EmbeddedAws, Resources], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    embedded, _ = aws
    store_recorded_week(embedded.client("dynamodb"), NAMES.table(AUDIT_TABLE), NAMES.table(ALERTS_TABLE))
    use_fake_credentials(monkeypatch, "us-east-1")  # any non-empty credentials, as the docs say
    argv = [
        "rules",
        "report",
        "--rules",
        str(RULES),
        "--stage",
        "local",
        "--endpoint-url",
        embedded.endpoint_url,
    ]
    window = ["--since", "2026-11-23T00:00:00Z", "--until", "2026-11-30T00:00:00Z"]
    assert main([*argv, *window, "--json"]) == 0
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["source"].endswith(f"at {embedded.endpoint_url}")
    assert {"rule": "queue-longest-wait", "scope": "queue:billing"} in document["flagged"]
    assert "floorwatch-local-audit: 1 page(s)" in err
