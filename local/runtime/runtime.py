"""The whole system on one machine: embedded AWS, the event source mappings, the gateway.

``LocalRuntime`` starts, in order: moto (free loopback port) with every resource provisioned from
floorwatch.names (stage "local"); the handlers' environment (the same variables the CDK stack sets,
plus AWS_ENDPOINT_URL -> moto and a token-signing key file); the WebSocket gateway; the pollers
(Kinesis raw-events -> normalize, cx-events -> evaluate, alerts stream -> fanout, escalation queue
-> escalate); and the scheduler (evaluate tick, baselines). ``stop()`` undoes all of it and joins
every thread. Handlers run in this process, so the environment is this process's ``os.environ``:
one runtime per process at a time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from floorwatch import names
from floorwatch.events.adapters.base import payload_digest
from floorwatch.names import ResourceNames
from floorwatch.security import tokens
from floorwatch.store.kinesis import KinesisEntry, KinesisWriter

from local.runtime.aws import ACCOUNT_ID, CREDENTIALS, REGION, EmbeddedAws, Resources, deprovision, provision
from local.runtime.functions import LocalFunction, local_functions
from local.runtime.gateway import Gateway
from local.runtime.outbox import Outbox, default_subscriptions
from local.runtime.queues import QueueConsumer, Scheduler
from local.runtime.streams import (
    DynamoDBStreamShardSource,
    KinesisShardSource,
    MappingSettings,
    ShardConsumer,
)

log = logging.getLogger("floorwatch.local")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DASHBOARD_DIR = REPO_ROOT / "dashboard"
DEFAULT_ESCALATION_CHAIN = "duty-supervisor,ops-on-call,floor-manager"
STOP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class RuntimeOptions:
    rules_file: Path | None = None  # None: the packaged default rules
    port: int = 0  # gateway port; 0 = a free one
    dashboard_dir: Path = DEFAULT_DASHBOARD_DIR
    tick_seconds: float = names.EVALUATE_TICK_MINUTES * 60.0  # evaluate's scheduled tick (EventBridge)
    baselines_seconds: float = names.BASELINES_SCHEDULE_MINUTES * 60.0
    # None keeps the deployed mappings' batching windows (floorwatch.names); lower it for snappier hops.
    batching_window: float | None = None
    escalation_chain: str = DEFAULT_ESCALATION_CHAIN
    escalation_repeat_seconds: int = names.ESCALATION_REPEAT_SECONDS
    log_level: str = "WARNING"  # the handlers' Powertools loggers
    extra_environment: Mapping[str, str] = field(default_factory=dict)


class LocalRuntime:
    def __init__(self, options: RuntimeOptions | None = None) -> None:
        self.options = options or RuntimeOptions()
        self.names = ResourceNames(stage="local")
        self.aws = EmbeddedAws()
        self.resources: Resources | None = None
        self.functions: dict[str, LocalFunction] = {}
        self.gateway: Gateway | None = None
        self.outbox: Outbox | None = None
        self._consumers: list[Any] = []
        self._scheduler = Scheduler()
        self._workdir = Path(tempfile.mkdtemp(prefix="floorwatch-local-"))
        self._token_file = self._workdir / "token-signing-key"
        self._token_secret = tokens.ensure_key_file(self._token_file)
        self._saved_environment: dict[str, str | None] = {}

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> LocalRuntime:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self.aws.start()
        self.resources = provision(self.aws, self.names)
        levels = [level for level in self.options.escalation_chain.split(",") if level]
        self.outbox = Outbox(self.aws, self.resources, default_subscriptions(self.resources, levels))
        self.functions = local_functions(self.names)
        self.gateway = Gateway(
            authorizer=self.functions["authorizer"],
            websocket=self.functions["websocket"],
            dashboard_dir=self.options.dashboard_dir,
            outbox=self.outbox.messages,
            stage=self.names.stage,
            port=self.options.port,
        )
        self.gateway.start()
        self._set_environment(self._environment())
        self._start_mappings()
        self._scheduler.every(self.options.tick_seconds, self.functions["evaluate"], "evaluate-tick")
        self._scheduler.every(self.options.baselines_seconds, self.functions["baselines"], "baselines")
        self._scheduler.start()
        for function in self.functions.values():
            function.available()  # logs the missing ones once, up front

    def stop(self) -> None:
        """Stop pollers, scheduler, gateway and moto; join their threads; restore the environment."""
        for function in self.functions.values():
            function.close()  # only the invocations already running are waited for
        for consumer in self._consumers:
            consumer.stop()
        self._scheduler.stop()
        for consumer in self._consumers:
            consumer.join(STOP_TIMEOUT_SECONDS)
        self._scheduler.join(STOP_TIMEOUT_SECONDS)
        self._consumers = []
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        if self.resources is not None:
            deprovision(self.aws, self.resources)
            self.resources = None
        self.aws.stop()
        for function in self.functions.values():
            function.forget_cold_start()
        self._restore_environment()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- environment --------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        """The variables the CDK stack sets on the functions, pointed at the local resources."""
        assert self.resources is not None and self.gateway is not None
        n, r = self.names, self.resources
        environment = {
            names.ENV_AWS_ENDPOINT_URL: self.aws.endpoint_url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            names.ENV_STAGE: n.stage,
            names.ENV_CX_EVENTS_STREAM: n.cx_events_stream,
            names.ENV_QUARANTINE_BUCKET: n.quarantine_bucket,
            names.ENV_METRICS_TABLE: n.table(names.METRICS_TABLE),
            names.ENV_ALERTS_TABLE: n.table(names.ALERTS_TABLE),
            names.ENV_CONNECTIONS_TABLE: n.table(names.CONNECTIONS_TABLE),
            names.ENV_AUDIT_TABLE: n.table(names.AUDIT_TABLE),
            names.ENV_BASELINES_TABLE: n.table(names.BASELINES_TABLE),
            names.ENV_DELIVERIES_TABLE: n.table(names.DELIVERIES_TABLE),
            names.ENV_ESCALATION_QUEUE_URL: r.queue_url(n.escalation_queue),
            names.ENV_ALERTS_TOPIC_ARN: r.topic_arns[n.alerts_topic],
            names.ENV_ESCALATION_TOPIC_ARN: r.topic_arns[n.escalation_topic],
            names.ENV_ESCALATION_CHAIN: self.options.escalation_chain,
            names.ENV_ESCALATION_REPEAT_SECONDS: str(self.options.escalation_repeat_seconds),
            names.ENV_TOKEN_SECRET_FILE: str(self._token_file),
            names.ENV_WEBSOCKET_ENDPOINT: self.gateway.management_endpoint,
            names.ENV_DASHBOARD_URL: self.gateway.http_url,
            names.POWERTOOLS_SERVICE_NAME: "floorwatch-local",
            names.LOG_LEVEL: self.options.log_level,
            # In Lambda, Powertools' metrics are EMF lines on stdout that CloudWatch turns into
            # metrics; here nothing reads them and they would drown the demo's own output.
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        if self.options.rules_file is not None:
            environment[names.ENV_RULES_FILE] = str(self.options.rules_file.resolve())
        environment.update(self.options.extra_environment)
        return environment

    def _set_environment(self, environment: Mapping[str, str]) -> None:
        for name, value in environment.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        if self.options.rules_file is None and names.ENV_RULES_FILE not in environment:
            self._saved_environment.setdefault(names.ENV_RULES_FILE, os.environ.get(names.ENV_RULES_FILE))
            os.environ.pop(names.ENV_RULES_FILE, None)

    def _restore_environment(self) -> None:
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment = {}

    # --- event source mappings ----------------------------------------------------------------------

    def _start_mappings(self) -> None:
        assert self.resources is not None
        n, r = self.names, self.resources
        window = self.options.batching_window
        self._kinesis_mapping(
            n.raw_events_stream,
            self.functions["normalize"],
            MappingSettings(
                batch_size=names.NORMALIZE_BATCH_SIZE,
                batching_window=names.NORMALIZE_BATCHING_WINDOW_SECONDS if window is None else window,
                max_retries=names.NORMALIZE_MAX_RETRY_ATTEMPTS,
                max_record_age=names.NORMALIZE_MAX_RECORD_AGE_SECONDS,
            ),
            n.normalize_failures_queue,
        )
        self._kinesis_mapping(
            n.cx_events_stream,
            self.functions["evaluate"],
            MappingSettings(
                batch_size=names.EVALUATE_BATCH_SIZE,
                batching_window=names.EVALUATE_BATCHING_WINDOW_SECONDS if window is None else window,
                max_retries=names.EVALUATE_MAX_RETRY_ATTEMPTS,
                max_record_age=names.EVALUATE_MAX_RECORD_AGE_SECONDS,
            ),
            n.evaluate_failures_queue,
        )
        self._alerts_stream_mapping(
            MappingSettings(
                batch_size=names.FANOUT_BATCH_SIZE,
                batching_window=0.0,
                max_retries=names.FANOUT_MAX_RETRY_ATTEMPTS,
                filters=(names.ALERTS_STREAM_FILTER,),
            )
        )
        escalations = QueueConsumer(
            self.aws.client("sqs"),
            r.queue_url(n.escalation_queue),
            r.queue_arn(n.escalation_queue),
            self.functions["escalate"],
        )
        self._run(escalations)

    def _kinesis_mapping(
        self, stream: str, function: LocalFunction, settings: MappingSettings, failure_queue: str
    ) -> None:
        assert self.resources is not None
        from local.runtime.moto_patches import MotoChanges  # noqa: PLC0415 - imports moto (dev only)

        arn = self.resources.stream_arn(stream)
        shards = self.aws.client("kinesis").list_shards(StreamName=stream)["Shards"]
        sources = [KinesisShardSource(self.aws.client("kinesis"), stream, arn, s["ShardId"]) for s in shards]
        changes = MotoChanges.kinesis(stream, ACCOUNT_ID, REGION)
        self._shard_consumers(
            sources, function, settings, failure_queue, batch_info_key="KinesisBatchInfo", changes=changes
        )

    def _alerts_stream_mapping(self, settings: MappingSettings) -> None:
        assert self.resources is not None
        from local.runtime.moto_patches import MotoChanges  # noqa: PLC0415 - imports moto (dev only)

        arn = self.resources.alerts_stream_arn
        description = self.aws.client("dynamodbstreams").describe_stream(StreamArn=arn)["StreamDescription"]
        sources = [
            DynamoDBStreamShardSource(self.aws.client("dynamodbstreams"), arn, shard["ShardId"])
            for shard in description["Shards"]
        ]
        changes = MotoChanges.dynamodb_stream(self.names.table(names.ALERTS_TABLE))
        fanout, failures = self.functions["fanout"], self.names.fanout_failures_queue
        self._shard_consumers(
            sources, fanout, settings, failures, batch_info_key="DDBStreamBatchInfo", changes=changes
        )

    def _shard_consumers(
        self,
        sources: list[Any],
        function: LocalFunction,
        settings: MappingSettings,
        failure_queue: str,
        *,
        batch_info_key: str,
        changes: Any,
    ) -> None:
        for source in sources:
            on_failure = self._failure_destination(failure_queue)
            consumer = ShardConsumer(
                source, function, settings, on_failure, batch_info_key=batch_info_key, changes=changes
            )
            self._run(consumer)

    def _failure_destination(self, queue: str) -> Any:
        assert self.resources is not None
        sqs = self.aws.client("sqs")
        url = self.resources.queue_url(queue)

        def send(record: dict[str, Any]) -> None:
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))

        return send

    def _run(self, consumer: Any) -> None:
        self._consumers.append(consumer)
        consumer.start()

    # --- what users and tests do with a running runtime ---------------------------------------------

    def mint_token(
        self,
        role: str = "supervisor",
        user: str = "local-supervisor",
        teams: Iterable[str] = (),
        queues: Iterable[str] = (),
        ttl_seconds: int = 8 * 3600,
    ) -> str:
        """A token the local authorizer accepts (signed with this runtime's key file)."""
        return tokens.mint(
            self._token_secret,
            user=user,
            role=role,
            now=datetime.now(UTC),
            teams=teams,
            queues=queues,
            ttl=timedelta(seconds=ttl_seconds),
        )

    @property
    def token_file(self) -> Path:
        """The signing key file (FLOORWATCH_TOKEN_SECRET_FILE): `floorwatch token --secret-file` it."""
        return self._token_file

    def dashboard_url(self, token: str) -> str:
        assert self.gateway is not None
        return f"{self.gateway.http_url}?{urlencode({'token': token})}"

    def ws_url(self, token: str | None = None) -> str:
        assert self.gateway is not None
        return (
            self.gateway.ws_url if token is None else f"{self.gateway.ws_url}?{urlencode({'token': token})}"
        )

    def put_raw(self, payloads: Iterable[Mapping[str, Any] | bytes]) -> int:
        """PutRecords raw payloads into the raw-events stream, as a platform does; returns how many."""
        entries = [_entry(payload, index) for index, payload in enumerate(payloads)]
        writer = KinesisWriter(self.aws.client("kinesis"), self.names.raw_events_stream)
        failed = writer.put(entries)
        if failed:
            raise RuntimeError(f"{len(failed)} records not stored: {failed[0].error_code}")
        return len(entries)

    def outbox_messages(self) -> list[dict[str, Any]]:
        assert self.outbox is not None
        return self.outbox.messages()

    def unavailable_functions(self) -> list[str]:
        return [module for module, function in self.functions.items() if not function.available()]


def _entry(payload: Mapping[str, Any] | bytes, index: int) -> KinesisEntry:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    key = payload_digest(payload) if not isinstance(payload, bytes) else f"raw-{index}"
    return KinesisEntry(data=data, partition_key=key)
