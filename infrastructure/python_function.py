"""The one way floorwatch builds a Lambda function, so every function shares the same defaults.

Defaults: Python 3.14 on arm64 (Graviton: cheaper per GB-second), the `functions/` directory as the
code asset (the `floorwatch` domain package and the `handlers` modules side by side, so a handler
string is `handlers.<module>.handler`), the public Powertools for AWS Lambda (Python) v3 layer for
third-party dependencies, no active X-Ray tracing (see below), an explicit log group with bounded
retention, and a role of its own whose only built-in permission is writing to that log group. The
owning construct adds the grants its function needs (least privilege per function).

The Powertools layer carries aws-lambda-powertools with its parser/tracer extras, which include
pydantic v2 (and pydantic-core built for the layer's Python and architecture) and aws-xray-sdk;
boto3 comes with the Lambda runtime. What else the functions import (PyYAML, PyJWT) and the
validated rules file travel in the shared code asset (infrastructure.assets); every function gets
ENV_RULES_FILE pointing at those rules only when it asks for them (`reads_rules=True`).

Tracing: off. The handlers do not use Powertools' Tracer (importing aws-xray-sdk costs every cold
start, and the batch handlers' time goes into a few AWS calls the logs and metrics already time);
with active tracing on, X-Ray would record only Lambda's own invoke segments at a price. Structured
logs with a correlation id, EMF metrics and the alarms (infrastructure/alarms.py) are the signals.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from floorwatch.names import (
    ENV_RULES_FILE,
    ENV_STAGE,
    LOG_LEVEL,
    METRICS_NAMESPACE,
    POWERTOOLS_METRICS_NAMESPACE,
    POWERTOOLS_SERVICE_NAME,
    ResourceNames,
)

from infrastructure.assets import FunctionsAsset
from infrastructure.settings import Settings

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
DEFAULT_MEMORY_MB = 512
DEFAULT_TIMEOUT_SECONDS = 60


def service_name(name: str) -> str:
    """POWERTOOLS_SERVICE_NAME of a function: the `service` dimension of every metric it emits."""
    return f"floorwatch-{name}"


def powertools_layer_arn(version: int) -> str:
    """The public Powertools v3 layer matching RUNTIME and ARCHITECTURE in the stack's region."""
    python = RUNTIME.name.replace(".", "")  # "python3.14" -> "python314"
    layer = f"AWSLambdaPowertoolsPythonV3-{python}-{ARCHITECTURE.name}"
    return f"arn:aws:lambda:{Aws.REGION}:{POWERTOOLS_LAYER_ACCOUNT}:layer:{layer}:{version}"


class PythonFunction(Construct):
    """A Lambda function with floorwatch's shared defaults, its own role and its own log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        name: str,
        handler: str,
        description: str,
        environment: Mapping[str, str] | None = None,
        memory_size: int = DEFAULT_MEMORY_MB,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        reads_rules: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        function_name = ResourceNames(settings.stage).function(name)

        # Log group names are fixed by the function name; DESTROY so that deleting and recreating
        # the stack does not fail on a leftover group (its contents expire anyway).
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=settings.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Our own role instead of AWSLambdaBasicExecutionRole (which allows writing to any log group).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {function_name}",
        )
        self.log_group.grant_write(self.role)
        asset = FunctionsAsset.of(self, rules_file=settings.rules_file)
        rules = {ENV_RULES_FILE: asset.rules_path} if reads_rules else {}

        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=asset.code,
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(
                    self, "Powertools", powertools_layer_arn(settings.powertools_layer_version)
                )
            ],
            role=self.role,
            memory_size=memory_size,
            timeout=Duration.seconds(timeout_seconds),
            tracing=lambda_.Tracing.DISABLED,
            log_group=self.log_group,
            environment={
                POWERTOOLS_SERVICE_NAME: service_name(name),
                POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
                LOG_LEVEL: settings.log_level,
                ENV_STAGE: settings.stage,
                **rules,
                **(environment or {}),
            },
        )
