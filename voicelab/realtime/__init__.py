"""The Realtime client: a session wrapper over the official SDK, its sans-I/O core, ephemeral keys,
recording and
replay, the event timeline, and the chained STT → LLM → TTS pipeline measured the same way.

Examples
--------
>>> from voicelab.realtime import RealtimeSession, replay, timeline  # doctest: +SKIP
>>> async with RealtimeSession(instructions="Be brief.", voice="verse") as session:  # doctest: +SKIP
...     turn = await session.ask("Hello!")
"""

from __future__ import annotations

from typing import Any

from voicelab.realtime.config import VOICES, session_config
from voicelab.realtime.core import (
    BargeIn,
    ClientCore,
    FunctionCall,
    Item,
    Phase,
    ReconnectPolicy,
    Response,
    ResponseState,
    Turn,
    UsageTotals,
)
from voicelab.realtime.costs import ConversationCost
from voicelab.realtime.metrics import MetricsTable, compare, turn_metrics
from voicelab.realtime.recording import Recording, RecordingWriter, replay
from voicelab.realtime.timeline import TimelineData, timeline
from voicelab.realtime.tools import function_tool

__all__ = [
    "VOICES",
    "BargeIn",
    "ChainedAgent",
    "ChainedTurn",
    "ClientCore",
    "ConversationCost",
    "FunctionCall",
    "Item",
    "MetricsTable",
    "Phase",
    "RealtimeSession",
    "ReconnectPolicy",
    "Recording",
    "RecordingWriter",
    "Response",
    "ResponseState",
    "TimelineData",
    "TranslationRun",
    "Turn",
    "UsageTotals",
    "compare",
    "function_tool",
    "mint",
    "replay",
    "session_config",
    "timeline",
    "tokens",
    "translate",
    "turn_metrics",
]

_LAZY = {
    "RealtimeSession": "voicelab.realtime.session",
    "ChainedAgent": "voicelab.realtime.chained",
    "ChainedTurn": "voicelab.realtime.chained",
    "mint": "voicelab.realtime.tokens",
    "TranslationRun": "voicelab.realtime.translation",
    "translate": "voicelab.realtime.translation",
    "tokens": None,
}


def __getattr__(name: str) -> Any:
    # the session, the pipeline and the token backend import the SDK / FastAPI: load them on first use
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'voicelab.realtime' has no attribute {name!r}")
    if name == "tokens":
        return importlib.import_module("voicelab.realtime.tokens")
    return getattr(importlib.import_module(str(_LAZY[name])), name)
