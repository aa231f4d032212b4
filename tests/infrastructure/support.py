"""What the session fixture hands to the infrastructure tests."""

from __future__ import annotations

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
