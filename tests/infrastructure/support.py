"""What the session fixture hands to the infrastructure tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Annotations, Template

from infrastructure.stack import FloorwatchStack


@dataclass(frozen=True)
class Synthesized:
    app: App
    stack: FloorwatchStack
    outdir: Path
    template: Template
    annotations: Annotations

    @property
    def template_path(self) -> Path:
        return self.outdir / self.stack.template_file

    @property
    def template_json(self) -> dict[str, Any]:
        return dict(self.template.to_json())

    def logical_id(self, construct: Any) -> str:
        """The CloudFormation logical id of an L2 construct's main resource."""
        return str(self.stack.resolve(construct.node.default_child.logical_id))

    def resource(self, construct: Any) -> dict[str, Any]:
        return self.template_json["Resources"][self.logical_id(construct)]  # type: ignore[no-any-return]


Statement = dict[str, Any]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(synthesized: Synthesized, role: Any) -> list[Statement]:
    """Every statement of the role's inline and attached (AWS::IAM::Policy) policies."""
    role_id = synthesized.logical_id(role)
    properties = synthesized.template_json["Resources"][role_id]["Properties"]
    documents = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
    for policy in synthesized.template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            documents.append(policy["Properties"]["PolicyDocument"])
    return [statement for document in documents for statement in document["Statement"]]


def allowed(statements: list[Statement]) -> list[Statement]:
    return [statement for statement in statements if statement["Effect"] == "Allow"]


def actions_on(statements: list[Statement], logical_id: str) -> set[str]:
    """Actions of `statements` on any resource that refers to `logical_id` (its ARN or one under it)."""
    return {
        action
        for statement in statements
        if any(f'"{logical_id}"' in json.dumps(resource) for resource in as_list(statement["Resource"]))
        for action in as_list(statement["Action"])
    }


def all_actions(statements: list[Statement]) -> set[str]:
    return {action for statement in statements for action in as_list(statement["Action"])}


def event_source_mapping(synthesized: Synthesized, function: Any) -> dict[str, Any]:
    """The properties of the one event source mapping that invokes `function`."""
    function_ref = {"Ref": synthesized.logical_id(function)}
    mappings = synthesized.template.find_resources("AWS::Lambda::EventSourceMapping")
    [mapping] = [
        m["Properties"] for m in mappings.values() if m["Properties"]["FunctionName"] == function_ref
    ]
    return mapping  # type: ignore[no-any-return]


def function_properties(synthesized: Synthesized, python_function: Any) -> dict[str, Any]:
    return synthesized.resource(python_function.function)["Properties"]  # type: ignore[no-any-return]


def roles_allowed(synthesized: Synthesized, action: str, logical_id: str | None = None) -> set[str]:
    """Logical ids of the roles that some policy allows `action` (on `logical_id`'s resources, if given)."""
    template = synthesized.template_json["Resources"]
    grants: list[tuple[list[Any], Statement]] = []
    for role_id, resource in template.items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                grants += [([{"Ref": role_id}], s) for s in policy["PolicyDocument"]["Statement"]]
        if resource["Type"] == "AWS::IAM::Policy":
            roles = resource["Properties"].get("Roles", [])
            grants += [(roles, s) for s in resource["Properties"]["PolicyDocument"]["Statement"]]
    return {
        role["Ref"]
        for roles, statement in grants
        if statement["Effect"] == "Allow"
        and action in as_list(statement["Action"])
        and (logical_id is None or actions_on([statement], logical_id))
        for role in roles
    }
