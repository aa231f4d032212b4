"""Payload builders: the platforms' own JSON shapes, exactly as the floorwatch adapters read them.

- Amazon Connect agent event stream (``AgentARN`` / ``EventType`` / ``CurrentAgentSnapshot``),
- Amazon Connect contact events from EventBridge (``detail-type`` "Amazon Connect Contact Event"),
- Amazon Connect contact records (CTRs, ``AWSContactTraceRecordFormatVersion``),
- Contact Lens real-time segments (voice 1.0.0 with offsets + ``ApproximateArrivalTimestamp``, which the
  ingest side adds for voice; chat 2.0.0 with ``Time.AbsoluteTime``),
- the generic CxEvent JSON (``"source": "generic"``).

Simulation choice, documented: queue ARNs end in the queue's *name* (``.../queue/billing``) rather than
a UUID. Real EventBridge contact events carry only the queue ARN, so with UUIDs the contact events and
the CTRs/agent events of one queue would land on two queue ids (the adapter's documented limitation);
naming the ARN after the queue keeps one simulated queue on one id across all feeds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from local.simulator.config import CenterConfig
from local.simulator.model import AgentProfile

STATUS_AVAILABLE = ("Available", "ROUTABLE")
STATUS_OFFLINE = ("Offline", "OFFLINE")
STATUS_BREAK = ("Break", "CUSTOM")
STATUS_MEETING = ("Meeting", "CUSTOM")

_CONNECT_CHANNEL = {"voice": "VOICE", "chat": "CHAT", "task": "TASK", "email": "EMAIL"}


def iso_ms(at: datetime) -> str:
    """Connect's timestamp style: UTC, milliseconds, ``Z``."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def iso_s(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class Arns:
    """Amazon Connect ARNs of the simulated instance."""

    def __init__(self, center: CenterConfig) -> None:
        self.instance = f"arn:aws:connect:{center.region}:{center.account_id}:instance/{center.instance_id}"

    def agent(self, agent_id: str) -> str:
        return f"{self.instance}/agent/{agent_id}"

    def queue(self, queue: str) -> str:
        return f"{self.instance}/queue/{queue}"

    def contact(self, contact_id: str) -> str:
        return f"{self.instance}/contact/{contact_id}"

    def status(self, name: str) -> str:
        return f"{self.instance}/agent-state/{name.lower()}"

    def group(self, name: str) -> str:
        return f"{self.instance}/agent-group/{name.lower().replace(' ', '-')}"

    def routing_profile(self, queue: str) -> str:
        return f"{self.instance}/routing-profile/{queue}"


def connect_channel(channel: str) -> str:
    return _CONNECT_CHANNEL[channel]


def agent_event(
    center: CenterConfig,
    arns: Arns,
    agent: AgentProfile,
    *,
    event_id: str,
    event_type: str,
    at: datetime,
    status: tuple[str, str],
    status_since: datetime,
    contact: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An agent event stream record; ``contact`` is one entry of CurrentAgentSnapshot.Contacts."""
    name, kind = status
    return {
        "AWSAccountId": center.account_id,
        "AgentARN": arns.agent(agent.agent_id),
        "CurrentAgentSnapshot": {
            "AgentStatus": {
                "ARN": arns.status(name),
                "Name": name,
                "StartTimestamp": iso_ms(status_since),
                "Type": kind,
            },
            "Configuration": {
                "AgentHierarchyGroups": {
                    "Level1": {"ARN": arns.group("Floor"), "Name": "Floor"},
                    "Level2": {"ARN": arns.group(agent.team), "Name": agent.team},
                },
                "FirstName": agent.first_name,
                "LastName": agent.last_name,
                "RoutingProfile": {
                    "ARN": arns.routing_profile(agent.queue),
                    "Name": f"{agent.queue} profile",
                    "InboundQueues": [
                        {"ARN": arns.queue(agent.queue), "Name": agent.queue, "Channels": ["VOICE", "CHAT"]}
                    ],
                },
                "Username": agent.username,
            },
            "Contacts": [contact] if contact else [],
        },
        "EventId": event_id,
        "EventTimestamp": iso_ms(at),
        "EventType": event_type,
        "InstanceARN": arns.instance,
        "Version": "2019-05-25",
    }


def agent_contact(
    arns: Arns,
    *,
    contact_id: str,
    channel: str,
    queue: str,
    state: str,
    state_since: datetime,
    queued_at: datetime,
    connected_at: datetime | None,
) -> dict[str, Any]:
    return {
        "Channel": connect_channel(channel),
        "ConnectedToAgentTimestamp": iso_ms(connected_at) if connected_at else None,
        "ContactId": contact_id,
        "InitialContactId": None,
        "InitiationMethod": "INBOUND",
        "Queue": {"ARN": arns.queue(queue), "Name": queue},
        "QueueTimestamp": iso_ms(queued_at),
        "State": state,
        "StateStartTimestamp": iso_ms(state_since),
    }


def contact_event(
    center: CenterConfig,
    arns: Arns,
    *,
    event_id: str,
    event_type: str,
    at: datetime,
    contact_id: str,
    channel: str,
    queue: str,
    initiated: datetime,
    enqueued: datetime,
    agent_id: str | None = None,
    connected: datetime | None = None,
    disconnected: datetime | None = None,
    disconnect_reason: str | None = None,
) -> dict[str, Any]:
    """An EventBridge "Amazon Connect Contact Event" (QUEUED, CONNECTED_TO_AGENT or DISCONNECTED)."""
    detail: dict[str, Any] = {
        "eventType": event_type,
        "contactId": contact_id,
        "channel": connect_channel(channel),
        "instanceArn": arns.instance,
        "initiationMethod": "INBOUND",
        "initiationTimestamp": iso_ms(initiated),
        "connectedToSystemTimestamp": iso_ms(initiated),
        "queueInfo": {
            "queueArn": arns.queue(queue),
            "queueType": "STANDARD",
            "enqueueTimestamp": iso_ms(enqueued),
        },
    }
    if agent_id is not None:
        detail["agentInfo"] = {
            "agentArn": arns.agent(agent_id),
            "connectedToAgentTimestamp": iso_ms(connected) if connected else None,
        }
    if disconnected is not None:
        detail["disconnectTimestamp"] = iso_ms(disconnected)
        detail["disconnectReason"] = disconnect_reason or "CUSTOMER_DISCONNECT"
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": center.account_id,
        "time": iso_s(at),
        "region": center.region,
        "resources": [arns.contact(contact_id), arns.instance],
        "detail": detail,
    }


def contact_record(
    center: CenterConfig,
    arns: Arns,
    *,
    contact_id: str,
    channel: str,
    queue: str,
    initiated: datetime,
    enqueued: datetime,
    dequeued: datetime,
    disconnected: datetime,
    agent: AgentProfile | None,
    connected: datetime | None,
    talk_seconds: int,
    hold_seconds: int,
    holds: int,
    acw_seconds: int,
    last_update: datetime,
) -> dict[str, Any]:
    """A contact trace record (CTR) as the Kinesis export delivers it, once the contact is over."""
    record: dict[str, Any] = {
        "AWSAccountId": center.account_id,
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "Agent": None,
        "Channel": connect_channel(channel),
        "ConnectedToSystemTimestamp": iso_s(initiated),
        "ContactId": contact_id,
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "DisconnectTimestamp": iso_s(disconnected),
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": iso_s(initiated),
        "InstanceARN": arns.instance,
        "LastUpdateTimestamp": iso_s(last_update),
        "Queue": {
            "ARN": arns.queue(queue),
            "Name": queue,
            "EnqueueTimestamp": iso_s(enqueued),
            "DequeueTimestamp": iso_s(dequeued),
            "Duration": max(0, round((dequeued - enqueued).total_seconds())),
        },
        "TransferCompletedTimestamp": None,
    }
    if agent is not None and connected is not None:
        record["Agent"] = {
            "ARN": arns.agent(agent.agent_id),
            "AfterContactWorkDuration": acw_seconds,
            "AgentInteractionDuration": talk_seconds,
            "ConnectedToAgentTimestamp": iso_s(connected),
            "CustomerHoldDuration": hold_seconds,
            "HierarchyGroups": {
                "Level1": {"ARN": arns.group("Floor"), "GroupName": "Floor"},
                "Level2": {"ARN": arns.group(agent.team), "GroupName": agent.team},
            },
            "NumberOfHolds": holds,
            "RoutingProfile": {"ARN": arns.routing_profile(agent.queue), "Name": f"{agent.queue} profile"},
            "Username": agent.username,
        }
    return record


def lens_transcript(
    *,
    segment_id: str,
    role: str,
    content: str,
    sentiment: str,
    begin_ms: int,
    end_ms: int,
    absolute: datetime | None,
) -> dict[str, Any]:
    """One Transcript segment: voice carries offsets from the contact's start, chat an absolute time."""
    transcript: dict[str, Any] = {
        "Id": segment_id,
        "ParticipantId": role,
        "ParticipantRole": role,
        "Content": content,
        "Sentiment": sentiment,
    }
    if absolute is None:
        transcript["BeginOffsetMillis"] = begin_ms
        transcript["EndOffsetMillis"] = end_ms
    else:
        transcript["Time"] = {"AbsoluteTime": iso_ms(absolute)}
    return {"Transcript": transcript}


def lens_category(name: str, *, begin_ms: int, end_ms: int, transcript_id: str | None) -> dict[str, Any]:
    point: dict[str, Any] = (
        {"TranscriptItems": [{"Id": transcript_id}]}
        if transcript_id is not None
        else {"BeginOffsetMillis": begin_ms, "EndOffsetMillis": end_ms}
    )
    return {
        "Categories": {"MatchedCategories": [name], "MatchedDetails": {name: {"PointsOfInterest": [point]}}}
    }


def lens_segments(
    center: CenterConfig,
    *,
    contact_id: str,
    channel: str,
    segments: list[dict[str, Any]],
    arrival: datetime,
) -> dict[str, Any]:
    """A Contact Lens SEGMENTS record (voice 1.0.0 or chat 2.0.0)."""
    common = {
        "AccountId": center.account_id,
        "InstanceId": center.instance_id,
        "ContactId": contact_id,
        "Channel": connect_channel(channel),
    }
    if channel == "voice":
        return {
            "Version": "1.0.0",
            **common,
            "LanguageCode": "en-GB",
            "EventType": "SEGMENTS",
            "Segments": segments,
            # Voice segments carry only offsets: the ingest side stamps the Kinesis arrival time.
            "ApproximateArrivalTimestamp": iso_ms(arrival),
        }
    return {"Version": "2.0.0", **common, "StreamingEventType": "SEGMENTS", "Segments": segments}


def generic_event(
    center: CenterConfig,
    *,
    event_id: str,
    event_type: str,
    at: datetime,
    queue: str | None = None,
    team: str | None = None,
    agent_id: str | None = None,
    contact_id: str | None = None,
    channel: str | None = None,
    values: dict[str, float] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The generic CxEvent JSON; ids and queue/team ids as the Connect adapters would derive them."""
    event: dict[str, Any] = {
        "source": "generic",
        "event_id": event_id,
        "type": event_type,
        "occurred_at": iso_ms(at),
        "center_id": center.instance_id,
    }
    optional = {
        "queue_id": queue,
        "team_id": team.lower().replace(" ", "-") if team else None,
        "agent_id": agent_id,
        "contact_id": contact_id,
        "channel": channel,
    }
    event.update({key: value for key, value in optional.items() if value is not None})
    if values:
        event["values"] = values
    if labels:
        event["labels"] = labels
    return event
