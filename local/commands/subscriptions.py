"""`floorwatch subscriptions`: which SNS subscriptions of a deployed stage are not confirmed yet.

    floorwatch subscriptions [--outputs .floorwatch/outputs-dev.json]

SNS sends each e-mail address a "Subscription Confirmation" message when the stack subscribes it; until
its link is clicked the subscription is pending and receives nothing (SMS subscriptions need no
confirmation). Reads the topics from the outputs file `make deploy` writes, lists every subscription of
the alerts, escalation and operations topics, and exits 1 while any is pending (`make subscriptions`).
Needs AWS credentials for the stage's account and region.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.aws_clients import aws_client, aws_usage_errors
from local.errors import UsageError

PENDING = "PendingConfirmation"  # SNS's SubscriptionArn of a subscription not confirmed yet
TOPIC_OUTPUTS = ("AlertsTopicArn", "EscalationTopicArn", "OperationsTopicArn")


@dataclass(frozen=True)
class Subscription:
    topic: str  # the topic's name
    protocol: str
    endpoint: str
    pending: bool


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "subscriptions",
        help="list a deployed stage's SNS subscriptions; exit 1 while an e-mail is unconfirmed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--outputs",
        type=Path,
        default=Path(".floorwatch") / "outputs-dev.json",
        help="stack outputs written by `make deploy` (default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    topics = topic_arns(args.outputs)
    region = topics[0].split(":")[3]  # the stage's: arn:aws:sns:<region>:<account>:<topic>
    client = aws_client("sns", None, region)

    def missing(code: str) -> str | None:
        return "a topic of these outputs does not exist (deleted stage?)" if code == "NotFound" else None

    with aws_usage_errors(f"SNS in {region}", missing):
        found = list(subscriptions(client, topics))
    return report(found)


def topic_arns(outputs: Path) -> list[str]:
    """The stage's topic ARNs from a `cdk deploy --outputs-file` file ({stack: {key: value}})."""
    try:
        stacks = json.loads(outputs.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(
            f"cannot read the stack outputs {outputs}: {error} (run `make deploy` first)"
        ) from None
    arns = [
        values[key]
        for values in stacks.values()
        if isinstance(values, dict)
        for key in TOPIC_OUTPUTS
        if isinstance(values.get(key), str)
    ]
    if not arns:
        raise UsageError(f"{outputs} names no floorwatch topics ({', '.join(TOPIC_OUTPUTS)})")
    return arns


def subscriptions(client: Any, topic_arns: list[str]) -> Iterator[Subscription]:
    for topic_arn in topic_arns:
        request: dict[str, str] = {"TopicArn": topic_arn}
        while True:
            page = client.list_subscriptions_by_topic(**request)
            for item in page.get("Subscriptions", []):
                yield Subscription(
                    topic=topic_arn.rsplit(":", 1)[-1],
                    protocol=str(item.get("Protocol")),
                    endpoint=str(item.get("Endpoint")),
                    pending=item.get("SubscriptionArn") == PENDING,
                )
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]


def report(found: list[Subscription]) -> int:
    for item in found:
        status = "PENDING: click the link in the confirmation e-mail" if item.pending else "confirmed"
        print(f"{item.topic}  {item.protocol:5}  {item.endpoint}  {status}")
    pending = [item for item in found if item.pending]
    if pending:
        print(f"{len(pending)} subscription(s) pending: they receive nothing until confirmed")
        return 1
    print(f"{len(found)} subscription(s), all confirmed")
    return 0
