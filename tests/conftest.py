"""Suite-wide settings.

Hypothesis' per-example deadline (200 ms) measures wall-clock time, which a loaded 2-core CI machine
cannot promise: property tests judge behaviour, never speed (benchmarks live in tests/bench)."""

from hypothesis import settings

settings.register_profile("floorwatch", deadline=None)
settings.load_profile("floorwatch")
