"""The emulator's GA Realtime API: a sans-I/O per-connection core and the ``/v1/realtime`` WebSocket route.

``core.RealtimeCore`` (state machine), ``route.router`` (FastAPI), ``faults.FaultConfig`` (fault injection).
The client's view of the raw events is :mod:`voicelab.realtime.eventlog`.
"""

from voicelab.emulator.realtime.core import RealtimeCore
from voicelab.emulator.realtime.faults import FaultConfig

__all__ = ["FaultConfig", "RealtimeCore"]
