"""The adapters in detection order: the first whose ``matches`` accepts a payload maps it.

Order matters only where shapes could overlap: the most specific shapes come first.
"""

from __future__ import annotations

from floorwatch.events.adapters.amazon_connect_agent import AmazonConnectAgentAdapter
from floorwatch.events.adapters.amazon_connect_contact_event import AmazonConnectContactEventAdapter
from floorwatch.events.adapters.amazon_connect_contact_record import AmazonConnectContactRecordAdapter
from floorwatch.events.adapters.base import Adapter
from floorwatch.events.adapters.contact_lens import ContactLensAdapter
from floorwatch.events.adapters.generic import GenericAdapter
from floorwatch.events.adapters.genesys import GenesysAdapter
from floorwatch.events.adapters.twilio import TwilioAdapter
from floorwatch.events.adapters.zendesk import ZendeskAdapter

ADAPTERS: tuple[Adapter, ...] = (
    GenericAdapter(),
    AmazonConnectContactEventAdapter(),  # EventBridge envelope: "detail-type" + "detail"
    ContactLensAdapter(),
    AmazonConnectAgentAdapter(),
    AmazonConnectContactRecordAdapter(),
    GenesysAdapter(),
    TwilioAdapter(),
    ZendeskAdapter(),
)

ADAPTERS_BY_SOURCE: dict[str, Adapter] = {adapter.source.value: adapter for adapter in ADAPTERS}
