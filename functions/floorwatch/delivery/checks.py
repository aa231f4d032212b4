"""The escalation checks queue (SQS, ``names.ENV_ESCALATION_QUEUE_URL``): ``CheckScheduler`` over boto3."""

from __future__ import annotations

from typing import Any

from floorwatch.alerts.escalation import EscalationCheck
from floorwatch.names import SQS_MAX_DELAY_SECONDS


class SqsCheckScheduler:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def schedule(self, check: EscalationCheck, delay_seconds: int) -> None:
        if not 0 <= delay_seconds <= SQS_MAX_DELAY_SECONDS:
            raise ValueError(f"SQS delays are 0..{SQS_MAX_DELAY_SECONDS} s, not {delay_seconds}")
        self._client.send_message(
            QueueUrl=self.queue_url, MessageBody=check.to_message(), DelaySeconds=delay_seconds
        )
