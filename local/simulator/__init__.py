"""`floorwatch simulate`: realistic, deterministic contact-center traffic in the platforms' formats.

``generate`` is the pure generator (same seed, same records); ``pusher.run`` paces it against wall
time and writes it to Kinesis; ``incidents`` documents the scripted incident timeline.
"""

from local.simulator.config import LIGHT_CENTER, CenterConfig, QueueConfig
from local.simulator.engine import generate
from local.simulator.incidents import DEFAULT_INCIDENTS, Incident, select_incidents
from local.simulator.model import SimRecord

__all__ = [
    "DEFAULT_INCIDENTS",
    "LIGHT_CENTER",
    "CenterConfig",
    "Incident",
    "QueueConfig",
    "SimRecord",
    "generate",
    "select_incidents",
]
