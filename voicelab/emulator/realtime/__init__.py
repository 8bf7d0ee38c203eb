"""The emulator's GA Realtime API: a sans-I/O per-connection core and the ``/v1/realtime`` WebSocket route.

``core.ServerCore`` (state machine), ``route.router`` (FastAPI), ``faults.FaultConfig`` (fault injection).
The client's view of the raw events is :mod:`voicelab.realtime.eventlog`.
"""

from voicelab.emulator.realtime.core import ServerCore
from voicelab.emulator.realtime.faults import FaultConfig

__all__ = ["FaultConfig", "ServerCore"]
