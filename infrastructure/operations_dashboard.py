"""The CloudWatch dashboard `floorwatch-<stage>`: one screen that says whether the pipeline is healthy.

Rows, top to bottom: the alarms' state; traffic and the pipeline's own latency; stream backlogs
(iterator age); function errors, throttles and duration; failure queues and quarantine; notifications.
docs/operating.md explains each widget next to the alarm that watches it.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infrastructure.monitored import Monitored

WIDTH = 24  # the dashboard grid's width
PERIOD = Duration.minutes(1)


class OperationsDashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        monitored: Monitored,
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self._monitored = monitored
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"floorwatch-{monitored.stage}",
            default_interval=Duration.hours(3),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms (what to do: docs/operating.md)", alarms=list(alarms), width=WIDTH, height=4
            )
        )
        self.dashboard.add_widgets(*self._traffic())
        self.dashboard.add_widgets(self._iterator_age(), self._durations())
        self.dashboard.add_widgets(*self._errors())
        self.dashboard.add_widgets(*self._failures())
        self.dashboard.add_widgets(*self._notifications())

    def _graph(
        self, title: str, metrics: Sequence[cloudwatch.IMetric], **options: object
    ) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=list(metrics), width=WIDTH // 2, height=6, **options)  # type: ignore[arg-type]

    def _traffic(self) -> list[cloudwatch.IWidget]:
        m = self._monitored
        return [
            self._graph(
                "Traffic: raw records in, events normalized and evaluated, transitions",
                [
                    m.raw_events.metric_incoming_records(
                        period=PERIOD, statistic="Sum", label="raw records in"
                    ),
                    m.custom_metric("normalize", "EventsPublished", period=PERIOD),
                    m.custom_metric("evaluate", "EventsEvaluated", period=PERIOD),
                    m.custom_metric("evaluate", "Transitions", period=PERIOD),
                ],
            ),
            self._graph(
                "Pipeline latency: event time -> evaluation (ms)",
                [
                    m.custom_metric(
                        "evaluate", "PipelineLatency", statistic="p50", period=PERIOD, label="p50"
                    ),
                    m.custom_metric(
                        "evaluate", "PipelineLatency", statistic="p99", period=PERIOD, label="p99"
                    ),
                ],
            ),
        ]

    def _iterator_age(self) -> cloudwatch.IWidget:
        return self._graph(
            "Stream backlog: iterator age, maximum (ms)",
            [
                consumer.function.metric(
                    "IteratorAge", statistic="Maximum", period=PERIOD, label=consumer.label
                )
                for consumer in self._monitored.consumers
            ],
        )

    def _durations(self) -> cloudwatch.IWidget:
        return self._graph(
            "Function duration, p99 (ms)",
            [
                function.metric_duration(statistic="p99", period=PERIOD, label=name)
                for name, function in self._monitored.functions.items()
            ],
        )

    def _errors(self) -> list[cloudwatch.IWidget]:
        functions = self._monitored.functions.items()
        return [
            self._graph(
                "Function errors",
                [f.metric_errors(statistic="Sum", period=PERIOD, label=n) for n, f in functions],
            ),
            self._graph(
                "Function throttles",
                [f.metric_throttles(statistic="Sum", period=PERIOD, label=n) for n, f in functions],
            ),
        ]

    def _failures(self) -> list[cloudwatch.IWidget]:
        m = self._monitored
        return [
            self._graph(
                "Failure and dead-letter queues: messages waiting",
                [
                    queue.metric_approximate_number_of_messages_visible(
                        statistic="Maximum", period=PERIOD, label=label
                    )
                    for label, queue in m.failure_queues.items()
                ],
            ),
            self._graph(
                "Records quarantined, skipped, failed; escalation checks failed",
                [
                    m.custom_metric("normalize", "RecordsQuarantined", period=PERIOD),
                    m.custom_metric("normalize", "RecordsSkipped", period=PERIOD),
                    m.custom_metric("normalize", "RecordsFailed", period=PERIOD, label="normalize failed"),
                    m.custom_metric("evaluate", "RecordsFailed", period=PERIOD, label="evaluate failed"),
                    m.custom_metric("escalate", "EscalationChecksFailed", period=PERIOD),
                ],
            ),
        ]

    def _notifications(self) -> list[cloudwatch.IWidget]:
        m = self._monitored
        return [
            self._graph(
                "SNS: notifications delivered and failed",
                [
                    metric
                    for label, topic in m.topics.items()
                    for metric in (
                        topic.metric_number_of_notifications_delivered(
                            statistic="Sum", period=PERIOD, label=f"{label} delivered"
                        ),
                        topic.metric_number_of_notifications_failed(
                            statistic="Sum", period=PERIOD, label=f"{label} failed"
                        ),
                    )
                ],
            ),
            self._graph(
                "Dashboards: transitions fanned out, WebSocket posts undelivered",
                [
                    m.custom_metric("fanout", "TransitionsDelivered", period=PERIOD),
                    m.custom_metric("fanout", "WebSocketUndelivered", period=PERIOD),
                ],
            ),
        ]
