"""The stack's own observability: alarms on the operations topic, and the CloudWatch dashboard."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from floorwatch.names import METRICS_NAMESPACE

from infrastructure.alarms import RUNBOOK
from tests.infrastructure.support import Synthesized

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("normalize", "evaluate", "baselines", "authorizer", "websocket", "fanout", "escalate")


def _alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    found = synthesized.template.find_resources("AWS::CloudWatch::Alarm")
    return {alarm["Properties"]["AlarmName"]: alarm["Properties"] for alarm in found.values()}


def _topic_ref(synthesized: Synthesized) -> dict[str, str]:
    return {"Ref": synthesized.logical_id(synthesized.stack.alarms.topic)}


def _metric(alarm: dict[str, Any]) -> dict[str, Any]:
    """Namespace, MetricName, Statistic and Dimensions of the alarm's one metric, in either of the
    shapes CloudFormation takes (top-level properties, or one MetricStat when the metric has a label)."""
    if "Metrics" not in alarm:
        statistic = alarm.get("Statistic") or alarm["ExtendedStatistic"]
        return {**alarm, "Statistic": statistic}
    [query] = alarm["Metrics"]
    stat = query["MetricStat"]
    return {**stat["Metric"], "Statistic": stat["Stat"], "Period": stat["Period"]}


def _dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in _metric(alarm).get("Dimensions", [])}


def _what(alarm: dict[str, Any]) -> tuple[str, str, str]:
    metric = _metric(alarm)
    return metric["Namespace"], metric["MetricName"], metric["Statistic"]


def test_every_alarm_notifies_the_operations_topic_when_it_fires_and_recovers(
    synthesized: Synthesized,
) -> None:
    alarms = _alarms(synthesized)
    assert alarms
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [_topic_ref(synthesized)], name
        assert alarm["OKActions"] == [_topic_ref(synthesized)], name


def test_the_operations_topic_is_encrypted_with_a_key_cloudwatch_may_use(synthesized: Synthesized) -> None:
    alarms = synthesized.stack.alarms
    topic = synthesized.resource(alarms.topic)["Properties"]
    assert topic["TopicName"] == "floorwatch-dev-operations"
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = synthesized.template_json["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    statements = key["KeyPolicy"]["Statement"]
    assert any(
        s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} and "kms:Decrypt" in s["Action"]
        for s in statements
    )
    outputs = synthesized.template_json["Outputs"]
    assert outputs["OperationsTopicArn"]["Value"] == _topic_ref(synthesized)


def test_errors_and_throttles_of_every_function_are_alarmed(synthesized: Synthesized) -> None:
    alarms = _alarms(synthesized)
    for name in FUNCTIONS:
        for kind, metric in (("function-errors", "Errors"), ("function-throttles", "Throttles")):
            alarm = alarms[f"floorwatch-dev-{kind}.{name}"]
            assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
                "AWS/Lambda",
                metric,
                "Sum",
            )
            function_ref = {"Ref": synthesized.logical_id(getattr_function(synthesized, name))}
            assert _dimensions(alarm) == {"FunctionName": function_ref}


def getattr_function(synthesized: Synthesized, name: str) -> Any:
    stack = synthesized.stack
    return {
        "normalize": stack.ingest.normalize,
        "evaluate": stack.alerting.evaluate,
        "baselines": stack.alerting.baselines,
        "authorizer": stack.websocket.authorizer,
        "websocket": stack.websocket.handler,
        "fanout": stack.fanout.fanout,
        "escalate": stack.notifications.escalate,
    }[name].function


@pytest.mark.parametrize("consumer", ["normalize", "evaluate", "fanout"])
def test_iterator_age_of_both_streams_and_the_alerts_stream_is_alarmed(
    synthesized: Synthesized, consumer: str
) -> None:
    alarm = _alarms(synthesized)[f"floorwatch-dev-iterator-age.{consumer}"]
    assert _what(alarm) == ("AWS/Lambda", "IteratorAge", "Maximum")
    assert alarm["Threshold"] == 60_000
    assert _dimensions(alarm) == {
        "FunctionName": {"Ref": synthesized.logical_id(getattr_function(synthesized, consumer))}
    }


def test_failure_and_dead_letter_queues_alarm_on_the_first_message(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    queues = {
        "normalize-failures": stack.ingest.normalize_failures,
        "evaluate-failures": stack.alerting.evaluate_failures,
        "fanout-failures": stack.fanout.failures,
        "escalation-dlq": stack.notifications.escalation_dead_letters,
    }
    alarms = _alarms(synthesized)
    for label, queue in queues.items():
        alarm = alarms[f"floorwatch-dev-failure-queue.{label}"]
        assert _what(alarm)[1] == "ApproximateNumberOfMessagesVisible"
        assert _dimensions(alarm) == {
            "QueueName": {"Fn::GetAtt": [synthesized.logical_id(queue), "QueueName"]}
        }
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


@pytest.mark.parametrize(
    ("alarm_name", "function", "metric"),
    [
        ("quarantined-records", "normalize", "RecordsQuarantined"),
        ("pipeline-latency", "evaluate", "PipelineLatency"),
        ("escalation-failures", "escalate", "EscalationChecksFailed"),
    ],
)
def test_custom_metric_alarms_select_what_the_handler_emits(
    synthesized: Synthesized, alarm_name: str, function: str, metric: str
) -> None:
    alarm = _alarms(synthesized)[f"floorwatch-dev-{alarm_name}"]
    assert _what(alarm)[:2] == (METRICS_NAMESPACE, metric)
    # Powertools Metrics adds `service` (POWERTOOLS_SERVICE_NAME) and our default `stage` dimension.
    variables = synthesized.resource(getattr_function(synthesized, function))["Properties"]["Environment"][
        "Variables"
    ]
    assert _dimensions(alarm) == {"service": variables["POWERTOOLS_SERVICE_NAME"], "stage": "dev"}
    handler_source = (ROOT / "functions" / "handlers" / f"{function}.py").read_text(encoding="utf-8")
    assert f'name="{metric}"' in handler_source


def test_a_layer_without_the_tested_powertools_is_alarmed(synthesized: Synthesized) -> None:
    alarm = _alarms(synthesized)["floorwatch-dev-layer-version-mismatch"]
    assert _what(alarm)[:2] == (METRICS_NAMESPACE, "LayerVersionMismatch")
    assert alarm["Threshold"] == 1
    source = (ROOT / "functions" / "handlers" / "observability.py").read_text(encoding="utf-8")
    assert 'name="LayerVersionMismatch"' in source


def test_pipeline_latency_alarms_on_its_p99(synthesized: Synthesized) -> None:
    alarm = _alarms(synthesized)["floorwatch-dev-pipeline-latency"]
    assert _what(alarm)[2] == "p99"
    assert alarm["Threshold"] == 30_000


def test_a_silent_pipeline_reaches_a_human_even_with_no_data(synthesized: Synthesized) -> None:
    alarm = _alarms(synthesized)["floorwatch-dev-pipeline-silent"]
    assert _what(alarm)[:2] == ("AWS/Kinesis", "IncomingRecords")
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["TreatMissingData"] == "breaching"


def test_sns_delivery_failures_of_both_topics_are_alarmed(synthesized: Synthesized) -> None:
    alarms = _alarms(synthesized)
    notifications = synthesized.stack.notifications
    for label, topic in (
        ("alerts", notifications.alerts_topic),
        ("escalations", notifications.escalation_topic),
    ):
        alarm = alarms[f"floorwatch-dev-sns-delivery-failures.{label}"]
        assert _what(alarm)[:2] == ("AWS/SNS", "NumberOfNotificationsFailed")
        assert _dimensions(alarm) == {
            "TopicName": {"Fn::GetAtt": [synthesized.logical_id(topic), "TopicName"]}
        }


def test_every_alarm_points_at_a_runbook_section_that_exists(synthesized: Synthesized) -> None:
    runbook = (ROOT / RUNBOOK).read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', runbook))
    for name, alarm in _alarms(synthesized).items():
        match = re.search(rf"{re.escape(RUNBOOK)}#([a-z0-9-]+)", alarm["AlarmDescription"])
        assert match, name
        assert match.group(1) in anchors, f"{name}: no section #{match.group(1)} in {RUNBOOK}"


def test_the_dashboard_shows_the_alarms_and_each_concern(synthesized: Synthesized) -> None:
    [dashboard] = synthesized.template.find_resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "floorwatch-dev"
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in (
        "Alarms",
        "Pipeline latency",
        "Stream backlog: iterator age",
        "Function errors",
        "Function throttles",
        "Failure and dead-letter queues",
        "Records quarantined",
        "SNS: notifications delivered and failed",
    ):
        assert title in body
    for metric in ("PipelineLatency", "IteratorAge", "RecordsQuarantined", "NumberOfNotificationsFailed"):
        assert metric in body


def test_function_log_groups_have_bounded_retention(synthesized: Synthesized) -> None:
    groups = synthesized.template.find_resources("AWS::Logs::LogGroup").values()
    names = {g["Properties"].get("LogGroupName"): g["Properties"].get("RetentionInDays") for g in groups}
    for function in FUNCTIONS:
        assert names[f"/aws/lambda/floorwatch-dev-{function}"] == 30


def test_operations_contacts_subscribe_to_the_operations_topic(tmp_path: Path) -> None:
    from infrastructure.application import build_app

    stack = build_app(
        outdir=str(tmp_path),
        context={"operations_contacts": {"sms": ["+15550100009"], "email": ["oncall@example.com"]}},
    ).stack
    subscriptions = [
        child.node.default_child
        for child in stack.alarms.topic.node.children
        if child.node.default_child is not None and "Subscription" in type(child).__name__
    ]
    endpoints = {(s.protocol, s.endpoint) for s in subscriptions}  # type: ignore[union-attr]
    assert endpoints == {("sms", "+15550100009"), ("email", "oncall@example.com")}
