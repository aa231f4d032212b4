"""Every function: its handler string, and environment variables that are exactly what its settings
class in floorwatch.settings reads (when that class exists yet), with names from floorwatch.names."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from floorwatch import names

from infrastructure.assets import FunctionsAsset
from tests.infrastructure.support import Synthesized, function_properties

pytestmark = pytest.mark.infra

# Set on every function by PythonFunction for Powertools, not read by the settings classes.
POWERTOOLS_VARIABLES = {names.POWERTOOLS_SERVICE_NAME, names.POWERTOOLS_METRICS_NAMESPACE, names.LOG_LEVEL}
# function name -> (handler string, settings class in floorwatch.settings, reads the rules file)
FUNCTIONS = {
    "normalize": ("handlers.normalize.handler", "NormalizeSettings", False),
    "evaluate": ("handlers.evaluate.handler", "EvaluateSettings", True),
    "baselines": ("handlers.baselines.handler", "BaselinesSettings", True),
    "authorizer": ("handlers.authorizer.handler", "AuthorizerSettings", False),
    "websocket": ("handlers.websocket.handler", "WebsocketSettings", True),
    "fanout": ("handlers.fanout.handler", "FanoutSettings", True),
    "escalate": ("handlers.escalate.handler", "EscalateSettings", False),
}


def _python_functions(synthesized: Synthesized) -> dict[str, Any]:
    stack = synthesized.stack
    return {
        "normalize": stack.ingest.normalize,
        "evaluate": stack.alerting.evaluate,
        "baselines": stack.alerting.baselines,
        "authorizer": stack.websocket.authorizer,
        "websocket": stack.websocket.handler,
        "fanout": stack.fanout.fanout,
        "escalate": stack.notifications.escalate,
    }


def test_the_stack_has_exactly_these_functions(synthesized: Synthesized) -> None:
    deployed = synthesized.template.find_resources("AWS::Lambda::Function").values()
    # Besides CDK's own deployment-time handler for the dashboard files (no name, not ours).
    deployed_names = sorted(
        f["Properties"]["FunctionName"] for f in deployed if "FunctionName" in f["Properties"]
    )
    assert deployed_names == sorted(names.ResourceNames(names.DEFAULT_STAGE).function(n) for n in FUNCTIONS)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_runs_its_handler_with_the_shared_defaults(synthesized: Synthesized, name: str) -> None:
    properties = function_properties(synthesized, _python_functions(synthesized)[name])
    assert properties["FunctionName"] == names.ResourceNames(names.DEFAULT_STAGE).function(name)
    assert properties["Handler"] == FUNCTIONS[name][0]
    assert properties["Runtime"] == "python3.14"
    assert properties["Architectures"] == ["arm64"]
    assert "TracingConfig" not in properties  # no active tracing: nothing would be traced


@pytest.mark.parametrize("name", FUNCTIONS)
def test_rules_file_variable_only_where_rules_are_read(synthesized: Synthesized, name: str) -> None:
    variables = function_properties(synthesized, _python_functions(synthesized)[name])["Environment"][
        "Variables"
    ]
    if FUNCTIONS[name][2]:
        assert variables[names.ENV_RULES_FILE] == FunctionsAsset.rules_path
    else:
        assert names.ENV_RULES_FILE not in variables


def _settings_class(name: str) -> Any:
    """The function's settings model: in floorwatch.settings, or next to its handler."""
    handler_module, class_name = FUNCTIONS[name][0].rsplit(".", 1)[0], FUNCTIONS[name][1]
    for module_name in ("floorwatch.settings", handler_module):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, class_name):
            return getattr(module, class_name)
    pytest.skip(f"{class_name} does not exist yet")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_environment_is_what_the_settings_class_reads(synthesized: Synthesized, name: str) -> None:
    settings_class = _settings_class(name)
    variables = function_properties(synthesized, _python_functions(synthesized)[name])["Environment"][
        "Variables"
    ]
    given = set(variables) - POWERTOOLS_VARIABLES
    readable = set(settings_class.environment_variables())
    required = {
        field.validation_alias for field in settings_class.model_fields.values() if field.is_required()
    }
    assert given - readable == set(), "variables the function never reads"
    assert required - given == set(), "variables the function needs but does not get"
