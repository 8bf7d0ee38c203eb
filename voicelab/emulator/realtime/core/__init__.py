"""The server side of one Realtime connection, sans-I/O, split by concept.

=====================  ==========================================================================
``dispatcher``         :class:`ServerCore`: session, ids, lifecycle; routes each client event
``input_buffer``       :class:`InputAudioBuffer`: append/commit/clear, the audio clock, turn detection
``conversation``       :class:`ServerConversation`: items, create/retrieve/delete/truncate
``responses``          :class:`ServerResponses`: create/cancel, reply, audio, ``response.done`` + usage
``transcription``      :class:`InputTranscription`: input transcription results and failures
``items``              :class:`ServerItem`, :class:`ServerResponse`, :class:`ServerResponseState`
``text``               word deltas, chunks, token prefixes
=====================  ==========================================================================

Examples
--------
>>> core = ServerCore(seed=1, vad_factory=None)
>>> [e["type"] for e in core.start()]
['session.created']
"""

from .conversation import ServerConversation
from .dispatcher import ConnectionState, Output, ServerCore
from .input_buffer import InputAudioBuffer, TurnDetector
from .items import SR, ServerItem, ServerResponse, ServerResponseState
from .responses import ServerResponses, speech_pieces
from .transcription import InputTranscription, TranscriptionDetails

__all__ = [
    "SR",
    "ConnectionState",
    "InputAudioBuffer",
    "InputTranscription",
    "Output",
    "ServerConversation",
    "ServerCore",
    "ServerItem",
    "ServerResponse",
    "ServerResponseState",
    "ServerResponses",
    "TranscriptionDetails",
    "TurnDetector",
    "speech_pieces",
]
