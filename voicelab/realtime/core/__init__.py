"""Sans-I/O bookkeeping for a Realtime API client session: :class:`ClientCore` and its parts.

:class:`ClientCore` takes server events in (plain dicts, as they come off the wire) and client events out
(plain dicts to send), and keeps the protocol state a client needs. It never touches a socket, a clock or a
thread; :mod:`voicelab.realtime.session` moves the bytes. The parts, one concept each:

- :mod:`~voicelab.realtime.core.client` — :class:`ClientCore` (connection phase, session config, the event
  dispatcher, barge-in) and :class:`Reaction` (what the I/O layer must do after an event);
- :mod:`~voicelab.realtime.core.turns` — :class:`Item`, :class:`Response`, :class:`Turn`,
  :class:`FunctionCall`, :class:`BargeIn` and the :class:`Conversation` that builds them from events;
- :mod:`~voicelab.realtime.core.playback` — what was played, and where to cut it;
- :mod:`~voicelab.realtime.core.outbox` — events and audio held while disconnected, and the input-audio clock;
- :mod:`~voicelab.realtime.core.reconnect` — :class:`Phase` and :class:`ReconnectPolicy`;
- :mod:`~voicelab.realtime.core.usage` — :class:`UsageTotals`.

Examples
--------
>>> core = ClientCore({"type": "realtime", "instructions": "Be brief."})
>>> core.connecting(t=0.0)
>>> core.receive({"type": "session.created", "event_id": "e1", "session": {}}, t=0.1).send[0]["type"]
'session.update'
"""

from voicelab.realtime.core.client import ClientCore, Reaction
from voicelab.realtime.core.outbox import Outbox
from voicelab.realtime.core.playback import Playback, audio_ms
from voicelab.realtime.core.reconnect import Phase, ReconnectPolicy
from voicelab.realtime.core.turns import (
    BargeIn,
    Conversation,
    FunctionCall,
    Item,
    Response,
    ResponseState,
    Turn,
)
from voicelab.realtime.core.usage import UsageTotals

__all__ = [
    "BargeIn",
    "ClientCore",
    "Conversation",
    "FunctionCall",
    "Item",
    "Outbox",
    "Phase",
    "Playback",
    "Reaction",
    "ReconnectPolicy",
    "Response",
    "ResponseState",
    "Turn",
    "UsageTotals",
    "audio_ms",
]
