from __future__ import annotations

import pytest

from infrastructure import stack as stack_module
from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra


def test_delivery_endpoints_are_stack_outputs(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    outputs = {key: output["Value"] for key, output in synthesized.template_json["Outputs"].items()}
    api = synthesized.logical_id(stack.websocket.api)
    websocket_url = outputs[stack_module.OUTPUT_WEBSOCKET_URL]["Fn::Join"][1]
    assert websocket_url[0] == "wss://"
    assert {"Ref": api} in websocket_url
    assert websocket_url[-1].endswith(f"/{stack.settings.stage}")
    assert outputs[stack_module.OUTPUT_ALERTS_TOPIC] == {
        "Ref": synthesized.logical_id(stack.notifications.alerts_topic)
    }
    assert outputs[stack_module.OUTPUT_ESCALATION_TOPIC] == {
        "Ref": synthesized.logical_id(stack.notifications.escalation_topic)
    }
    # The secret's name, never its value.
    assert stack_module.OUTPUT_TOKEN_SECRET in outputs
