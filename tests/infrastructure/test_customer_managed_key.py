"""Issue 14, item 8: `-c customer_managed_key=true` puts one rotated stack key on the streams, tables
(and so the alerts stream), queues, alert topics, the quarantine bucket and the log groups; each function
may use it only through the data services; cdk-nag and cfn-lint stay clean. Off by default."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Annotations, Template
from cfnlint.api import ManualArgs, lint_file

from infrastructure.application import build_app, synthesis_problems
from infrastructure.encryption import KEY_USE_ACTIONS, OUTPUT_ENCRYPTION_KEY, VIA_SERVICES
from infrastructure.settings import Settings, SettingsError
from tests.infrastructure.support import Synthesized, as_list, role_statements
from tests.infrastructure.test_cfn_lint import IGNORED_CHECKS

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out.kms")
    built = build_app(outdir=str(outdir), context={"customer_managed_key": True})
    built.app.synth()
    yield Synthesized(
        app=built.app,
        stack=built.stack,
        outdir=outdir,
        template=Template.from_stack(built.stack),
        annotations=Annotations.from_stack(built.stack),
    )


def _resources(synthesized: Synthesized, kind: str) -> dict[str, Any]:
    return synthesized.template.find_resources(kind)


def _key_ref(synthesized: Synthesized) -> dict[str, Any]:
    assert synthesized.stack.encryption is not None
    return {"Fn::GetAtt": [synthesized.logical_id(synthesized.stack.encryption.key), "Arn"]}


def test_the_flag_reads_command_line_strings_and_refuses_anything_else() -> None:
    assert Settings.from_node(App(context={"customer_managed_key": "true"}).node).customer_managed_key
    assert not Settings.from_node(App(context={"customer_managed_key": "false"}).node).customer_managed_key
    with pytest.raises(SettingsError, match="customer_managed_key"):
        Settings.from_node(App(context={"customer_managed_key": "yes please"}).node)


def test_off_by_default_every_store_keeps_its_aws_managed_key(synthesized: Synthesized) -> None:
    assert synthesized.stack.encryption is None
    keys = _resources(synthesized, "AWS::KMS::Key")
    assert len(keys) == 1  # the operations topic's own key (infrastructure/alarms.py), nothing else
    for table in _resources(synthesized, "AWS::DynamoDB::Table").values():
        assert "KMSMasterKeyId" not in table["Properties"]["SSESpecification"]


def test_one_rotated_key_that_outlives_the_stack(keyed: Synthesized) -> None:
    assert keyed.stack.encryption is not None
    key = keyed.resource(keyed.stack.encryption.key)
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    assert OUTPUT_ENCRYPTION_KEY in keyed.template_json["Outputs"]


def test_streams_tables_queues_and_alert_topics_use_the_key(keyed: Synthesized) -> None:
    key = _key_ref(keyed)
    tables = _resources(keyed, "AWS::DynamoDB::Table")
    assert len(tables) == 6
    for table in tables.values():
        assert table["Properties"]["SSESpecification"] == {
            "KMSMasterKeyId": key,
            "SSEEnabled": True,
            "SSEType": "KMS",
        }
    streams = _resources(keyed, "AWS::Kinesis::Stream")
    assert len(streams) == 2
    for stream in streams.values():
        assert stream["Properties"]["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": key}
    queues = _resources(keyed, "AWS::SQS::Queue")
    assert len(queues) >= 5
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == key
        assert "SqsManagedSseEnabled" not in queue["Properties"]
    notifications = keyed.stack.notifications
    for topic in (notifications.alerts_topic, notifications.escalation_topic):
        assert keyed.resource(topic)["Properties"]["KmsMasterKeyId"] == key
    operations = keyed.resource(keyed.stack.alarms.topic)["Properties"]["KmsMasterKeyId"]
    assert operations != key  # its own key, which CloudWatch alarms may use


def test_the_quarantine_bucket_and_every_log_group_use_the_key(keyed: Synthesized) -> None:
    key = _key_ref(keyed)
    bucket = keyed.resource(keyed.stack.ingest.quarantine.bucket)["Properties"]["BucketEncryption"]
    [rule] = bucket["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    log_groups = _resources(keyed, "AWS::Logs::LogGroup")
    assert len(log_groups) >= 8
    for group in log_groups.values():
        assert group["Properties"]["KmsKeyId"] == key
    policy = json.dumps(keyed.resource(keyed.stack.encryption.key)["Properties"]["KeyPolicy"])  # type: ignore[union-attr]
    assert "logs." in policy and "kms:EncryptionContext:aws:logs:arn" in policy


def test_functions_use_the_key_only_through_the_data_services(keyed: Synthesized) -> None:
    key = _key_ref(keyed)
    stack = keyed.stack
    roles = [
        stack.ingest.normalize.role,
        stack.alerting.evaluate.role,
        stack.websocket.handler.role,
        stack.fanout.fanout.role,
        stack.notifications.escalate.role,
    ]
    for role in roles:
        statements = [
            s for s in role_statements(keyed, role) if any(a.startswith("kms:") for a in as_list(s["Action"]))
        ]
        on_key = [s for s in statements if key in as_list(s["Resource"])]
        assert on_key, role
        for statement in on_key:
            assert set(as_list(statement["Action"])) == set(KEY_USE_ACTIONS)
            via = statement["Condition"]["StringEquals"]["kms:ViaService"]
            assert len(via) == len(VIA_SERVICES)


def test_nag_and_cfn_lint_are_clean_with_the_key(keyed: Synthesized) -> None:
    assert keyed.annotations.find_error("*", "*") == []
    assert synthesis_problems(keyed.app.synth()) == ([], [])
    [report] = keyed.outdir.glob(f"AwsSolutions-*{keyed.stack.stack_name}-NagReport.csv")
    with report.open(newline="", encoding="utf-8") as handle:
        failing = [row["Rule ID"] for row in csv.DictReader(handle) if row["Compliance"] == "Non-Compliant"]
    assert failing == []
    matches = lint_file(
        keyed.template_path, ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=IGNORED_CHECKS)
    )
    assert [f"{m.rule.id}: {m.message}" for m in matches if not m.rule.id.startswith("I")] == []
