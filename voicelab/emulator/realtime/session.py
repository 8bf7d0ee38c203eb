"""The effective session configuration: GA defaults, and how ``session.update`` changes it.

Only fields sent are changed. ``turn_detection``, ``format``, ``transcription``, ``noise_reduction``,
``tools`` and ``tool_choice`` are replaced whole (a new ``turn_detection`` gets OpenAI's defaults for the
fields it omits).
"""

from __future__ import annotations

import copy
from typing import Any

from .schemas import SESSION
from .validation import EventError

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "apply_update",
    "default_session",
    "fill_turn_detection",
    "validate_session",
]

DEFAULT_INSTRUCTIONS = (
    "You are a helpful, witty, and friendly AI running in voicelab's local emulator. Keep answers short."
)

SERVER_VAD_DEFAULTS = {
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 500,
    "idle_timeout_ms": None,
    "create_response": True,
    "interrupt_response": True,
}
SEMANTIC_VAD_DEFAULTS = {"eagerness": "auto", "create_response": True, "interrupt_response": True}
PCM = {"type": "audio/pcm", "rate": 24000}


def fill_turn_detection(turn_detection: dict[str, Any] | None, *, transcription: bool = False) -> dict | None:
    """A ``turn_detection`` with OpenAI's defaults for the fields it omits.

    Examples
    --------
    >>> fill_turn_detection({"type": "server_vad", "threshold": 0.7})["silence_duration_ms"]
    500
    >>> fill_turn_detection(None) is None
    True
    """
    if turn_detection is None:
        return None
    defaults = SERVER_VAD_DEFAULTS if turn_detection["type"] == "server_vad" else SEMANTIC_VAD_DEFAULTS
    out = {"type": turn_detection["type"], **defaults}
    out.update({k: v for k, v in turn_detection.items() if v is not None or k == "idle_timeout_ms"})
    if transcription:
        out.pop("create_response", None)
        out.pop("interrupt_response", None)
    return out


def default_session(kind: str, *, session_id: str, model: str | None, expires_at: int) -> dict[str, Any]:
    """The session OpenAI reports in ``session.created`` for a new ``realtime`` or ``transcription`` session.

    Examples
    --------
    >>> s = default_session("realtime", session_id="sess_1", model="gpt-realtime", expires_at=0)
    >>> s["audio"]["output"]["voice"], s["audio"]["input"]["turn_detection"]["type"]
    ('alloy', 'server_vad')
    """
    audio_input = {
        "format": dict(PCM),
        "transcription": None,
        "noise_reduction": None,
        "turn_detection": fill_turn_detection({"type": "server_vad"}, transcription=kind == "transcription"),
    }
    if kind == "transcription":
        audio_input["transcription"] = {"model": "gpt-4o-transcribe", "language": None, "prompt": ""}
        return {
            "type": "transcription",
            "object": "realtime.transcription_session",
            "id": session_id,
            "expires_at": expires_at,
            "audio": {"input": audio_input},
            "include": None,
        }
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model or "gpt-realtime",
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": expires_at,
        "audio": {"input": audio_input, "output": {"format": dict(PCM), "voice": "alloy", "speed": 1.0}},
        "include": None,
    }


def validate_session(raw: Any, path: str = "session") -> dict[str, Any]:
    """Check a client's session object against the GA schema; raise :class:`EventError` if it is wrong."""
    return SESSION(raw, path)


def _normalize_format(fmt: dict[str, Any]) -> dict[str, Any]:
    kind = fmt.get("type", "audio/pcm")
    return dict(PCM) if kind == "audio/pcm" else {"type": kind}


def apply_update(current: dict[str, Any], update: dict[str, Any], *, voice_locked: bool) -> dict[str, Any]:
    """The session after a validated ``session.update``; raises :class:`EventError` for forbidden changes.

    Examples
    --------
    >>> s = default_session("realtime", session_id="s", model=None, expires_at=0)
    >>> apply_update(s, {"type": "realtime", "instructions": "Be brief."}, voice_locked=False)["instructions"]
    'Be brief.'
    """
    if update["type"] != current["type"]:
        raise EventError(
            "invalid_value",
            f"Cannot update a {current['type']} session to a {update['type']} "
            "session; open a new connection instead.",
            "session.type",
        )
    new = copy.deepcopy(current)
    transcription_kind = current["type"] == "transcription"
    for key, value in update.items():
        if key in ("type", "audio"):
            continue
        if key == "output_modalities" and not value:
            raise EventError(
                "invalid_value",
                "Invalid 'session.output_modalities': expected exactly one of 'audio' or 'text'.",
                "session.output_modalities",
            )
        new[key] = copy.deepcopy(value)
    audio = update.get("audio") or {}
    for side in ("input", "output"):
        for key, value in (audio.get(side) or {}).items():
            if key == "format":
                value = _normalize_format(value)
            elif key == "turn_detection":
                value = fill_turn_detection(value, transcription=transcription_kind)
            elif key == "voice" and voice_locked and value != new["audio"]["output"]["voice"]:
                raise EventError(
                    "cannot_update_voice",
                    "Cannot update a conversation's voice if assistant audio is present.",
                    "session.audio.output.voice",
                )
            new["audio"][side][key] = copy.deepcopy(value)
    return new
