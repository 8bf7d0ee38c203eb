"""The emulator's GA Realtime API: a sans-I/O per-connection core and the ``/v1/realtime`` WebSocket route.

``core.ServerCore`` (state machine), ``route.router`` (FastAPI), ``faults.FaultConfig`` (fault injection),
``eventlog.EventLog`` (look at the raw events of any Realtime connection).
"""

from voicelab.emulator.realtime.core import ServerCore
from voicelab.emulator.realtime.eventlog import EventLog
from voicelab.emulator.realtime.faults import FaultConfig

__all__ = ["EventLog", "FaultConfig", "ServerCore"]
