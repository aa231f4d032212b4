"""The normalize Lambda handler on real Kinesis trigger events, with in-memory ports."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.metrics.provider import cold_start as powertools_cold_start
from floorwatch.names import ENV_CX_EVENTS_STREAM, ENV_QUARANTINE_BUCKET, ENV_STAGE
from floorwatch.settings import NormalizeSettings, SettingsError
from floorwatch.store.memory import InMemoryEventSink, InMemoryQuarantine
from handlers import normalize, observability

from local.runtime.functions import LambdaContext

# The module-level handlers are decorated by Powertools, which reads Lambda's context object.
LAMBDA_CONTEXT = LambdaContext("floorwatch-test")

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/floorwatch-dev-raw-events"
SHARD = "shardId-000000000000"
FIRST_SEQUENCE = 49659842375940583145096471016428536553347416532434845698
ARRIVAL = 1795424405.123  # 2026-11-23T09:00:05.123Z
SETTINGS = NormalizeSettings(
    cx_events_stream="floorwatch-dev-cx-events", quarantine_bucket="floorwatch-dev-q"
)


def kinesis_record(
    data: bytes,
    sequence_number: str,
    *,
    partition_key: str = "pk",
    arrival: float = ARRIVAL,
    stream_arn: str = STREAM_ARN,
    shard_id: str = SHARD,
) -> dict[str, Any]:
    """One record exactly as a Kinesis event source mapping delivers it to Lambda."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/floorwatch-dev-normalize",
        "awsRegion": "us-east-1",
        "eventSourceARN": stream_arn,
    }


def kinesis_event(
    payloads: Sequence[bytes | dict[str, Any]], first_sequence: int = FIRST_SEQUENCE
) -> dict[str, Any]:
    records = []
    for position, payload in enumerate(payloads):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        records.append(kinesis_record(data, str(first_sequence + position), partition_key=f"pk-{position}"))
    return {"Records": records}


def seq(position: int) -> str:
    return str(FIRST_SEQUENCE + position)


def generic(contact: str, queue: str = "billing") -> dict[str, Any]:
    return {
        "source": "generic",
        "type": "contact_queued",
        "occurred_at": "2026-11-23T09:00:00Z",
        "queue_id": queue,
        "contact_id": contact,
    }


class FakeContext:
    aws_request_id = "req-1"
    function_name = "floorwatch-dev-normalize"


def test_poison_records_are_quarantined_and_the_batch_succeeds() -> None:
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    handle = normalize.build_handler(SETTINGS, sink, quarantine)
    event = kinesis_event([generic("c-0"), b"\x00\xff not json", generic("c-2"), {"what": "is this"}])

    response = handle(event, FakeContext())

    assert response == {"batchItemFailures": []}
    assert [item.contact_id for item in sink.events] == ["c-0", "c-2"]
    assert sorted(item.record.sequence_number for item in quarantine.items.values()) == [seq(1), seq(3)]
    reasons = sorted(quarantine.reasons.values())
    assert "not UTF-8" in reasons[0] and "unrecognized payload shape" in reasons[1]


def test_records_the_sink_could_not_store_are_reported_by_sequence_number() -> None:
    sink = InMemoryEventSink(fail_when=lambda event: event.contact_id in {"c-1", "c-3"})
    handle = normalize.build_handler(SETTINGS, sink, InMemoryQuarantine())
    event = kinesis_event([generic(f"c-{position}") for position in range(5)])

    response = handle(event, None)

    assert response == {"batchItemFailures": [{"itemIdentifier": seq(1)}, {"itemIdentifier": seq(3)}]}


def test_a_record_the_quarantine_could_not_take_is_reported() -> None:
    quarantine = InMemoryQuarantine(fail_when=lambda item: True)
    handle = normalize.build_handler(SETTINGS, InMemoryEventSink(), quarantine)

    response = handle(kinesis_event([generic("c-0"), b"oops"]), None)

    assert response == {"batchItemFailures": [{"itemIdentifier": seq(1)}]}


def test_the_record_identity_comes_from_the_trigger_event() -> None:
    quarantine = InMemoryQuarantine()
    handle = normalize.build_handler(SETTINGS, InMemoryEventSink(), quarantine)
    event = {"Records": [kinesis_record(b"{", "4965", partition_key="caller-key", arrival=1795424405.123)]}

    handle(event, None)

    (item,) = quarantine.items.values()
    assert item.key == "quarantine/2026/11/23/floorwatch-dev-raw-events/shardId-000000000000/4965.json"
    assert item.record.partition_key == "caller-key"
    assert item.record.data == b"{"
    assert item.record.arrival_time.isoformat() == "2026-11-23T09:00:05.123000+00:00"


def test_a_record_with_a_broken_envelope_is_quarantined_instead_of_crashing_the_batch() -> None:
    not_base64 = kinesis_record(b"", "11")
    not_base64["kinesis"]["data"] = "%%% not base64 %%%"
    no_arrival = kinesis_record(json.dumps(generic("c-x")).encode(), "12")
    del no_arrival["kinesis"]["approximateArrivalTimestamp"]
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    handle = normalize.build_handler(SETTINGS, sink, quarantine)

    response = handle({"Records": [not_base64, no_arrival, kinesis_record(b"{}", "13")]}, None)

    assert response == {"batchItemFailures": []}
    by_sequence = {item.record.sequence_number: item for item in quarantine.items.values()}
    assert by_sequence["11"].reason.startswith("unusable Kinesis record: ")
    assert by_sequence["11"].record.data == b"%%% not base64 %%%"
    assert "approximateArrivalTimestamp" in by_sequence["12"].reason
    assert "unrecognized payload shape" in by_sequence["13"].reason
    assert sink.events == []


def test_an_event_without_records_succeeds_with_no_failures() -> None:
    handle = normalize.build_handler(SETTINGS, InMemoryEventSink(), InMemoryQuarantine())

    assert handle({"Records": []}, None) == {"batchItemFailures": []}


def through_powertools(handle: normalize.Handler, monkeypatch: pytest.MonkeyPatch) -> normalize.Handler:
    """The module-level handler with its Powertools decorators (metrics flushed at the end of each
    invocation, cold start, correlation id) over `handle`: only the cold start's AWS clients differ."""

    def cold_start() -> normalize.Handler:
        observability.default_dimensions(normalize.metrics, SETTINGS.stage)
        return handle

    monkeypatch.setattr(normalize, "_default_handler", cold_start)
    monkeypatch.setattr(powertools_cold_start, "is_cold_start", True)
    normalize.metrics.clear_metrics()  # what other tests' build_handler calls left unflushed
    return normalize.handler


def test_the_handler_logs_counts_and_emits_metrics(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = through_powertools(
        normalize.build_handler(SETTINGS, InMemoryEventSink(), InMemoryQuarantine()), monkeypatch
    )
    event = kinesis_event([generic("c-0"), generic("c-1"), b"nope"])
    handler(event, LAMBDA_CONTEXT)

    summary = next(entry for entry in caplog.records if entry.getMessage() == "batch normalized")
    counts = {
        name: getattr(summary, name) for name in ("records", "events_published", "quarantined", "failed")
    }
    assert counts == {"records": 3, "events_published": 2, "quarantined": 1, "failed": 0}
    (quarantined,) = [entry for entry in caplog.records if entry.getMessage() == "record quarantined"]
    assert "not valid JSON" in quarantined.reason
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = next(line for line in lines if "_aws" in line and "EventsPublished" in line)
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "floorwatch"
    assert (emf["EventsPublished"], emf["RecordsQuarantined"]) == ([2.0], [1.0])
    # A failure counter is sent only when something failed (CloudWatch bills each hour a metric gets
    # data; its alarm reads missing data as no failure).
    assert not any("RecordsFailed" in line for line in lines)
    assert emf["stage"] == "dev"
    assert any(line.get("ColdStart") == [1.0] for line in lines)
    # Every log line names the request and the batch (its first record's shard and sequence number).
    keys = normalize.logger.get_current_keys()
    assert keys["correlation_id"] == event["Records"][0]["eventID"]
    assert keys["function_request_id"] == LAMBDA_CONTEXT.aws_request_id
    assert "cold_start" in keys


EXAMPLES = Path(__file__).resolve().parents[2] / "events"


def example(relative: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / relative).read_text())
    return document


def test_voice_segments_take_the_kinesis_arrival_time_instead_of_being_quarantined() -> None:
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    handle = normalize.build_handler(SETTINGS, sink, quarantine)
    voice = example("contact_lens/voice_segments.json")
    assert "ApproximateArrivalTimestamp" not in voice  # as Contact Lens writes it

    assert handle(kinesis_event([voice]), None) == {"batchItemFailures": []}

    assert quarantine.items == {}
    times = sorted(event.occurred_at for event in sink.events)
    assert sink.events and times[-1].isoformat() == "2026-11-23T09:00:05.123000+00:00"  # the newest segment
    assert all(event.source.value == "contact_lens" for event in sink.events)
    # re-delivery: same record, same arrival time, same events and ids
    again = InMemoryEventSink()
    normalize.build_handler(SETTINGS, again, InMemoryQuarantine())(kinesis_event([voice]), None)
    assert again.events == sink.events


def test_recognised_payloads_mapped_to_nothing_are_skipped_counted_and_logged(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink, quarantine = InMemoryEventSink(), InMemoryQuarantine()
    handle = through_powertools(normalize.build_handler(SETTINGS, sink, quarantine), monkeypatch)
    started = example("contact_lens/voice_started.json")
    task_created = {**example("twilio/task_queue_entered.json"), "EventType": "task.created"}

    response = handle(kinesis_event([started, generic("c-1"), task_created, started]), LAMBDA_CONTEXT)

    assert response == {"batchItemFailures": []}
    assert quarantine.items == {}
    assert [event.contact_id for event in sink.events] == ["c-1"]
    summary = next(entry for entry in caplog.records if entry.getMessage() == "batch normalized")
    assert (summary.records, summary.skipped, summary.quarantined) == (4, 3, 0)
    (skipped,) = [entry for entry in caplog.records if entry.getMessage() == "records skipped"]
    assert skipped.reasons == {
        "contact_lens: Contact Lens STARTED lifecycle event: only SEGMENTS carry sentiment or categories": 2,
        "twilio: TaskRouter event 'task.created' is not monitored (mapped: task-queue.entered, "
        "reservation.accepted, task.canceled, task.completed, worker.activity.update)": 1,
    }
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emf = next(line for line in lines if "RecordsSkipped" in line)
    assert emf["RecordsSkipped"] == [3.0]


def test_a_generic_payload_in_an_envelope_need_not_repeat_its_source() -> None:
    sink = InMemoryEventSink()
    handle = normalize.build_handler(SETTINGS, sink, InMemoryQuarantine())
    bare = generic("c-7")
    inner = {key: value for key, value in bare.items() if key != "source"}

    assert handle(kinesis_event([{"source": "generic", "payload": inner}, bare]), None) == {
        "batchItemFailures": []
    }

    enveloped, plain = sink.events
    assert enveloped.source.value == "generic" and enveloped.contact_id == "c-7"
    assert enveloped.event_id == plain.event_id  # both spellings of one event are one event


# --- cold start: settings from the environment ----------------------------------------------------


@pytest.fixture
def fresh_cold_start() -> Iterator[None]:
    normalize._default_handler.cache_clear()
    yield
    normalize._default_handler.cache_clear()


@pytest.mark.usefixtures("fresh_cold_start")
def test_a_missing_variable_fails_the_first_invocation_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_CX_EVENTS_STREAM, raising=False)
    monkeypatch.setenv(ENV_QUARANTINE_BUCKET, "floorwatch-dev-q")

    with pytest.raises(SettingsError, match=ENV_CX_EVENTS_STREAM):
        normalize.handler(kinesis_event([generic("c-0")]), LAMBDA_CONTEXT)


def test_settings_name_every_bad_variable_and_accept_a_good_environment() -> None:
    with pytest.raises(SettingsError) as caught:
        NormalizeSettings.from_environ({ENV_STAGE: "Prod!", ENV_QUARANTINE_BUCKET: "Not_A_Bucket"})
    message = str(caught.value)
    assert f"{ENV_CX_EVENTS_STREAM} is not set" in message
    assert f"{ENV_QUARANTINE_BUCKET}='Not_A_Bucket' is invalid" in message
    assert f"{ENV_STAGE}='Prod!' is invalid" in message

    settings = NormalizeSettings.from_environ(
        {
            ENV_CX_EVENTS_STREAM: "floorwatch-prod-cx-events",
            ENV_QUARANTINE_BUCKET: "fw-quarantine-1",
            "stage": "x",
        }
    )
    assert (settings.stage, settings.cx_events_stream, settings.quarantine_bucket) == (
        "dev",
        "floorwatch-prod-cx-events",
        "fw-quarantine-1",
    )
