from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_cdk import App, Token
from aws_cdk import aws_kinesis as kinesis

from infrastructure.application import build_app, cdk_json_context, local_context
from infrastructure.settings import AlertContacts, EscalationLevel, Settings, SettingsError
from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra


def _settings(**context: object) -> Settings:
    return Settings.from_node(App(context=context).node)


def test_defaults_apply_without_context() -> None:
    assert _settings() == Settings()


def test_command_line_strings_are_accepted_as_numbers() -> None:
    # `cdk synth -c powertools_layer_version=41` passes a string.
    settings = _settings(powertools_layer_version="41", log_retention_days="14", log_level="debug")
    assert settings.powertools_layer_version == 41
    assert settings.log_retention_days == 14
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("stage", "Prod"),
        ("stage", "a" * 17),
        ("powertools_layer_version", "latest"),
        ("powertools_layer_version", 0),
        ("log_retention_days", 31),
        ("log_level", "LOUD"),
        ("quarantine_expiry_days", -1),
        ("rules_file", "no/such/rules.yaml"),
        ("alert_contacts", {"sms": ["0044 20 7946 0000"]}),
        ("alert_contacts", {"email": ["not-an-address"]}),
        ("alert_contacts", {"pager": ["+15550100001"]}),
        ("alert_contacts", "{not json"),
        ("escalation_chain", [{"name": "Floor Manager"}]),
        ("escalation_chain", [{"name": "ops"}, {"name": "ops"}]),
        ("escalation_chain", [{"name": "ops", "sms": ["12345"]}]),
        ("escalation_chain", [{"name": "ops", "sms": ["+15550100002", "+15550100002"]}]),
        ("alert_contacts", {"email": ["floor@example.com", "floor@example.com"]}),
        ("dashboard_url", "http://insecure.example.com"),
        ("apigateway_logging_role", "maybe"),
        ("dashboard_site", "sometimes"),
        ("kinesis_shards", -1),
        ("kinesis_shards", "many"),
        ("sms_origination_identities", ["+18005550100"]),  # the number itself, not its ARN
        ("sms_origination_identities", ["arn:aws:sns:us-east-1:111122223333:phone-number/phone-1"]),
        ("sms_origination_identities", "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-1"),
    ],
)
def test_undeployable_context_is_refused_naming_the_key(key: str, value: object) -> None:
    with pytest.raises(SettingsError, match=key):
        _settings(**{key: value})


def test_stack_is_environment_agnostic_so_synthesis_never_asks_aws(synthesized: Synthesized) -> None:
    assert Token.is_unresolved(synthesized.stack.account)
    assert Token.is_unresolved(synthesized.stack.region)


def test_stage_from_context_overrides_cdk_json_and_renames_resources(tmp_path: Path) -> None:
    stack = build_app(outdir=str(tmp_path), context={"stage": "qa"}).stack
    raw_events = stack.ingest.raw_events.node.default_child
    assert isinstance(raw_events, kinesis.CfnStream)
    assert raw_events.name == "floorwatch-qa-raw-events"


def test_contacts_and_chain_from_cdk_json_structures_or_command_line_json() -> None:
    chain = '[{"name": "team-supervisor", "sms": ["+15550100002"]}, {"name": "ops-on-call"}]'
    settings = _settings(
        alert_contacts={"sms": ["+15550100001"], "email": ["floor@example.com"]},
        escalation_chain=chain,
        apigateway_logging_role="false",
    )
    assert settings.alert_contacts == AlertContacts(sms=("+15550100001",), email=("floor@example.com",))
    assert settings.escalation_chain == (
        EscalationLevel("team-supervisor", ("+15550100002",)),
        EscalationLevel("ops-on-call", ()),
    )
    assert settings.escalation_level_names == "team-supervisor,ops-on-call"
    assert settings.apigateway_logging_role is False


def test_a_number_listed_twice_in_one_list_is_refused_clearly() -> None:
    with pytest.raises(SettingsError) as raised:
        _settings(alert_contacts={"sms": ["+15550100001", "+15550100001"]})
    assert str(raised.value) == "alert_contacts.sms: '+15550100001' is listed twice; list it once"


def test_the_same_number_on_two_escalation_levels_synthesizes(tmp_path: Path) -> None:
    # A small center: the supervisor is also the floor manager. One SNS subscription serves both levels.
    chain = [
        {"name": "team-supervisor", "sms": ["+15550100002"]},
        {"name": "floor-manager", "sms": ["+15550100002", "+15550100003"]},
    ]
    built = build_app(outdir=str(tmp_path), context={"escalation_chain": chain})
    template = built.app.synth().get_stack_by_name(built.stack.stack_name).template
    subscriptions = sorted(
        (resource["Properties"]["Endpoint"], resource["Properties"]["FilterPolicy"]["level"])
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::SNS::Subscription"
    )
    assert subscriptions == [
        ("+15550100002", ["team-supervisor", "floor-manager"]),
        ("+15550100003", ["floor-manager"]),
    ]


def test_relative_rules_file_is_read_from_the_project_directory() -> None:
    settings = _settings(rules_file="functions/floorwatch/rules/default_rules.yaml")
    assert settings.rules_file is not None
    assert settings.rules_file.is_file()
    assert _settings(rules_file="").rules_file is None


def test_dashboard_hosting_can_be_left_out(tmp_path: Path) -> None:
    stack = build_app(outdir=str(tmp_path), context={"dashboard_site": "false"}).stack
    assert stack.dashboard is None


def test_each_stage_is_its_own_cloudformation_stack(tmp_path: Path, synthesized: Synthesized) -> None:
    # Deploying a second stage must create a second stack, never replace the first.
    assert synthesized.stack.stack_name == "Floorwatch-dev"
    qa = build_app(outdir=str(tmp_path), context={"stage": "qa"}).stack
    assert qa.stack_name == "Floorwatch-qa"


def test_committed_cdk_json_holds_no_phone_numbers_or_addresses() -> None:
    context = cdk_json_context()
    assert "alert_contacts" not in context
    assert "escalation_chain" not in context
    assert not re.search(r'\+[1-9][0-9]{6,}|[^\s"@]+@[^\s"@]+\.[a-z]', json.dumps(context))


def _local_file(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "cdk.context.local.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_contacts_come_from_the_uncommitted_local_file_per_stage(tmp_path: Path) -> None:
    path = _local_file(
        tmp_path,
        {
            "alert_contacts": {"email": ["floor@example.com"]},
            "stages": {"prod": {"escalation_chain": [{"name": "ops-on-call", "sms": ["+15550100004"]}]}},
        },
    )
    assert local_context(path, "dev", {}) == {"alert_contacts": {"email": ["floor@example.com"]}}
    prod = local_context(path, "prod", {})
    assert prod["escalation_chain"] == [{"name": "ops-on-call", "sms": ["+15550100004"]}]
    assert local_context(tmp_path / "missing.json", "dev", {}) == {}


def test_command_line_context_wins_over_the_local_file(tmp_path: Path) -> None:
    path = _local_file(tmp_path, {"alert_contacts": {"email": ["floor@example.com"]}})
    app = build_app(
        outdir=str(tmp_path / "out"),
        context={"alert_contacts": {"email": ["cli@example.com"]}},
        local_context_file=path,
    )
    assert app.stack.settings.alert_contacts == AlertContacts(email=("cli@example.com",))


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"stage": "prod"}, "stage"),
        ({"log_level": "DEBUG"}, "log_level"),  # set in cdk.json: the CLI would silently win
        ({"stages": ["prod"]}, "stages"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_local_file_that_cannot_work_is_refused_clearly(
    tmp_path: Path, document: object, problem: str
) -> None:
    with pytest.raises(SettingsError, match=problem):
        local_context(_local_file(tmp_path, document), "dev", cdk_json_context())


def test_the_example_local_file_is_valid_for_every_stage() -> None:
    example = Path(__file__).resolve().parents[2] / "cdk.context.local.example.json"
    for stage in ("dev", "prod"):
        values = local_context(example, stage, cdk_json_context())
        settings = _settings(**values)
        assert settings.escalation_chain or stage == "dev"
