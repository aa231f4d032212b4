"""Synthesizes the CDK app once per test session: starting jsii and synthesizing take seconds."""

from __future__ import annotations

import os

# jsii's Node process inherits the environment when it starts (on the first aws_cdk import).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from collections.abc import Iterator

import pytest
from aws_cdk.assertions import Annotations, Template

from infrastructure.application import build_app
from tests.infrastructure.support import Synthesized


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    built = build_app(outdir=str(outdir))
    built.app.synth()
    yield Synthesized(
        app=built.app,
        stack=built.stack,
        outdir=outdir,
        # Both read the assembly synthesized above; neither synthesizes again.
        template=Template.from_stack(built.stack),
        annotations=Annotations.from_stack(built.stack),
    )
