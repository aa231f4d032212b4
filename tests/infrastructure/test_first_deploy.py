"""A first deploy that cannot get stuck, and SMS that arrives: what the template does about each
(the retained tables' policy is in test_tables.py, the dashboard bucket in test_dashboard.py, a phone on
two escalation levels in test_settings.py, the layer check in test_assets.py and test_operations.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from infrastructure import stack as stack_module
from infrastructure.application import build_app
from infrastructure.sms_delivery import SUCCESS_SAMPLING_PERCENT
from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra


def _sdk_call(resource: dict[str, Any], phase: str, synthesized: Synthesized) -> dict[str, Any]:
    text = synthesized.stack.resolve(resource["Properties"][phase])
    parts = text["Fn::Join"][1] if isinstance(text, dict) else [text]
    joined = "".join(part if isinstance(part, str) else "<ROLE>" for part in parts)
    return json.loads(joined)  # type: ignore[no-any-return]


def test_sms_delivery_status_logging_is_turned_on_for_the_account(synthesized: Synthesized) -> None:
    sms = synthesized.stack.sms_delivery
    assert sms is not None
    [setting] = synthesized.template.find_resources("Custom::AWS").values()
    for phase in ("Create", "Update"):
        call = _sdk_call(setting, phase, synthesized)
        assert (call["service"], call["action"]) == ("SNS", "setSMSAttributes")
        assert call["parameters"]["attributes"] == {
            "DeliveryStatusIAMRole": "<ROLE>",
            "DeliveryStatusSuccessSamplingRate": str(SUCCESS_SAMPLING_PERCENT),
        }
    # The role SNS assumes may write only its own delivery-status log groups, and outlives the stack
    # (the account-wide setting keeps naming it).
    role = synthesized.resource(sms.role)
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "sns.amazonaws.com"
    }
    assert role["DeletionPolicy"] == "Retain"
    assert "RoleName" not in role["Properties"]
    [statement] = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert all(action.startswith("logs:") for action in statement["Action"])
    assert all(":log-group:sns/" in json.dumps(resource) for resource in statement["Resource"])


def test_sms_delivery_logging_can_be_left_to_the_account(tmp_path: Path) -> None:
    built = build_app(outdir=str(tmp_path), context={"sms_delivery_logging": "false"})
    assert built.stack.sms_delivery is None
    assert not Template.from_stack(built.stack).find_resources("Custom::AWS")


TOLL_FREE = "arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-0123456789abcdef0123456789abcdef"
POOL = "arn:aws:sms-voice:us-east-1:111122223333:pool/pool-0123456789abcdef0123456789abcdef"


def test_no_origination_identity_is_touched_unless_named(synthesized: Synthesized) -> None:
    assert synthesized.stack.sms_origination is None
    assert "sms-voice" not in json.dumps(synthesized.template_json)


def test_sns_may_text_through_each_origination_identity_named(tmp_path: Path) -> None:
    # Without the SMS delivery logging, so the shared SDK-call handler is explained by this construct.
    context = {"sms_origination_identities": json.dumps([TOLL_FREE, POOL]), "sms_delivery_logging": "false"}
    built = build_app(outdir=str(tmp_path), context=context)
    template = Template.from_stack(built.stack)
    calls = {}
    for resource in template.find_resources("Custom::AWS").values():
        for phase in ("Create", "Update"):
            text = built.stack.resolve(resource["Properties"][phase])
            parts = text["Fn::Join"][1]
            call = json.loads("".join(part if isinstance(part, str) else "<ACCOUNT>" for part in parts))
            assert (call["service"], call["action"]) == ("PinpointSMSVoiceV2", "putResourcePolicy")
            calls[call["parameters"]["ResourceArn"]] = json.loads(call["parameters"]["Policy"])
        assert "Delete" not in resource["Properties"]  # another stage may text through the same number
    assert set(calls) == {TOLL_FREE, POOL}
    for arn, policy in calls.items():
        [statement] = policy["Statement"]
        assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
        assert statement["Action"] == "sms-voice:SendTextMessage"
        assert statement["Resource"] == arn
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "<ACCOUNT>"}}
    # The deploy-time handler may put exactly these policies, nothing else.
    granted = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sms-voice" in json.dumps(statement)
    ]
    assert sorted((s["Action"], s["Resource"]) for s in granted) == sorted(
        ("sms-voice:PutResourcePolicy", arn) for arn in (TOLL_FREE, POOL)
    )
    # cdk-nag finds nothing unsuppressed in this variant either.
    assert (
        Annotations.from_stack(built.stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    )
    assert (
        Annotations.from_stack(built.stack).find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
        == []
    )


def test_e_mail_addresses_to_confirm_are_a_deploy_output(tmp_path: Path, synthesized: Synthesized) -> None:
    assert stack_module.OUTPUT_EMAILS_TO_CONFIRM not in synthesized.template_json["Outputs"]
    built = build_app(
        outdir=str(tmp_path),
        context={
            "alert_contacts": {"email": ["floor@example.com"]},
            "operations_contacts": {"email": ["oncall@example.com", "floor@example.com"]},
        },
    )
    outputs = Template.from_stack(built.stack).to_json()["Outputs"]
    output = outputs[stack_module.OUTPUT_EMAILS_TO_CONFIRM]
    assert output["Value"] == "floor@example.com, oncall@example.com"
    assert "make subscriptions" in output["Description"]
