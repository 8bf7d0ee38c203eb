"""Effects: work the sans-I/O core asks the I/O layer to do, whose results it feeds back into the core.

The core never calls an engine or sleeps. It returns these objects among its server events; ``route.py`` runs
them (in threads for the blocking speech engines) and calls the matching ``ServerCore`` method with the
result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voicelab.emulator.mcp.servers import McpEndpoint

__all__ = [
    "CallMcpTool",
    "Close",
    "Effect",
    "FinalizeTranscriber",
    "GenerateReply",
    "ListMcpTools",
    "McpEndpoint",
    "StepTranscriber",
    "StopResponse",
    "Synthesize",
    "Transcribe",
]


@dataclass(frozen=True)
class Transcribe:
    """Transcribe a committed user audio item; answer with ``transcription_ready`` / ``transcription_failed``.

    ``visible`` is False when only the emulator's "brain" needs the words (no input transcription configured):
    then the result goes to ``note_heard`` and no event is sent. ``keywords``, ``languages`` and ``delay`` are
    the session's transcription options (:mod:`voicelab.protocol.transcription`); ``logprobs``: the session's
    ``include`` asks for per-token log probabilities; ``diarize``: the model labels speakers
    (``gpt-4o-transcribe-diarize``), so the engine diarizes the item and the result carries its segments.
    """

    item_id: str
    pcm: np.ndarray = field(repr=False)  # 24 kHz int16
    model: str | None = None
    language: str | None = None
    prompt: str | None = None
    visible: bool = True
    keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    delay: str | None = None
    logprobs: bool = False
    diarize: bool = False


@dataclass(frozen=True)
class StepTranscriber:
    """Run one pass of the turn's streaming transcriber (``transcriber.step()``, CPU work: the STT executor,
    one pass at a time per transcriber); answer with ``transcription_partial(turn, partial.delta)``."""

    turn: int
    transcriber: Any = field(repr=False)


@dataclass(frozen=True)
class FinalizeTranscriber:
    """The turn ended: after any running pass, ``transcriber.finalize(speech_end_ms=…)`` in the STT executor;
    its text is what the user said (for the responder, as soon as it is known) and goes back with
    ``transcription_final(turn, text, details)``. ``pcm`` (the committed audio) is for a whole-utterance
    fallback; ``model`` and the options (as in :class:`Transcribe`): the session's input transcription."""

    turn: int
    item_id: str
    transcriber: Any = field(repr=False)
    speech_end_ms: int | None
    pcm: np.ndarray = field(repr=False)
    language: str | None = None
    prompt: str | None = None
    model: str | None = None
    keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    delay: str | None = None
    logprobs: bool = False


@dataclass(frozen=True)
class GenerateReply:
    """Ask the responder for a reply; answer with ``reply_ready(response_id, text, tool_calls)``.

    ``unheard`` lists ``(item_id, pcm)`` of input audio whose words the responder needs first (transcribe them
    and call ``note_heard``), then build the messages with ``ServerCore.messages_for(response_id)``.
    """

    response_id: str
    instructions: str | None
    tools: list[dict[str, Any]]
    tool_choice: Any
    unheard: tuple[tuple[str, np.ndarray], ...] = field(default=(), repr=False)
    parallel_tool_calls: bool | None = None  # None: at most one call (the Realtime default)
    thinking_s: float = 0.0  # a reasoning model's thinking delay before the reply (responder.reasoning)


@dataclass(frozen=True)
class Synthesize:
    """Speak ``text``; feed each 24 kHz piece to ``audio_ready`` and end with ``synthesis_finished``.

    ``voice`` is a built-in voice; a custom voice arrives as its rendering (base voice, ``speed`` scaled by
    its tempo, ``semitones`` of pitch shift)."""

    response_id: str
    text: str
    voice: str
    speed: float
    semitones: float = 0.0


@dataclass(frozen=True)
class StopResponse:
    """Stop any work still running for this response (it was cancelled or hit its token limit)."""

    response_id: str


@dataclass(frozen=True)
class Close:
    """Close the WebSocket with this code and reason after sending the events before it."""

    code: int = 1000
    reason: str = ""


@dataclass(frozen=True)
class ListMcpTools:
    """List the tools of an MCP server; answer with ``mcp_tools_listed(item_id, tools)`` or
    ``mcp_tools_failed(item_id, message)``."""

    item_id: str
    endpoint: McpEndpoint


@dataclass(frozen=True)
class CallMcpTool:
    """Call a tool on an MCP server; answer with ``mcp_call_finished(response_id, item_id, output, error)``
    (``error`` a :class:`~openai.types.realtime.RealtimeMcpToolCall` error dict, or ``None``)."""

    response_id: str
    item_id: str
    endpoint: McpEndpoint
    name: str
    arguments: str


Effect = (
    Transcribe
    | StepTranscriber
    | FinalizeTranscriber
    | GenerateReply
    | Synthesize
    | StopResponse
    | Close
    | ListMcpTools
    | CallMcpTool
)
