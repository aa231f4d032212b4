"""The embedded runtime: moto, local event source mappings, the WebSocket gateway (see runtime.py)."""

from local.runtime.runtime import LocalRuntime, RuntimeOptions

__all__ = ["LocalRuntime", "RuntimeOptions"]
