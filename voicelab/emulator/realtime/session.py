"""The effective session configuration: GA defaults, and how ``session.update`` changes it.

This module is the one place a session config is normalised: the Realtime WebSocket (``session.created``,
``session.update``) and ``POST /v1/realtime/client_secrets`` (the session an ``ek_`` key carries) both use
:func:`normalize_session` / :func:`apply_update`, and :func:`session_request` turns a stored effective session
back into a ``session.update`` body, so a key's session is applied exactly as it was validated at mint time.

Only fields sent are changed. ``turn_detection``, ``format``, ``transcription``, ``noise_reduction``,
``tools`` and ``tool_choice`` are replaced whole (a new ``turn_detection`` gets OpenAI's defaults for the
fields it omits).
"""

from __future__ import annotations

import copy
from typing import Any

from .schemas import REALTIME_SESSION, SESSION, TRANSCRIPTION_SESSION
from .validation import EventError

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "apply_update",
    "default_session",
    "fill_turn_detection",
    "normalize_session",
    "session_request",
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


def normalize_session(
    raw: Any, *, session_id: str, model: str | None = None, expires_at: int = 0, path: str = "session"
) -> dict[str, Any]:
    """The effective session for a client's session config: validated, with OpenAI's defaults for what it
    omits. Raises :class:`EventError` (naming the parameter) if the config is wrong.

    Examples
    --------
    >>> s = normalize_session({"type": "realtime", "audio": {"output": {"voice": "ash"}}}, session_id="s")
    >>> s["audio"]["output"]["voice"], s["audio"]["output"]["speed"], s["include"]
    ('ash', 1.0, None)
    >>> try:
    ...     normalize_session({"type": "realtime", "audio": {"output": {"speed": 9}}}, session_id="s")
    ... except EventError as exc:
    ...     print(exc.code, exc.param)
    decimal_above_max_value session.audio.output.speed
    """
    checked = SESSION(raw, path)
    base = default_session(
        checked["type"], session_id=session_id, model=checked.get("model", model), expires_at=expires_at
    )
    return apply_update(base, checked, voice_locked=False)


# fields of an effective session the client cannot send (set by the server)
_SERVER_FIELDS = ("id", "object", "expires_at", "client_secret")


def session_request(session: dict[str, Any]) -> dict[str, Any]:
    """An effective session (as in ``session.created`` or a client secret) as a ``session.update`` body that
    :func:`validate_session` accepts and :func:`apply_update` turns back into the same config.

    Server-set fields are dropped, and the few ``null`` values the response shows where a request has no
    ``null`` (``include``, a transcription's ``language``/``prompt``) are left out — they mean "not set".
    Meaningful nulls stay: ``turn_detection: null`` (manual turns), ``transcription: null`` (off).

    Examples
    --------
    >>> s = default_session("realtime", session_id="sess_1", model="gpt-realtime", expires_at=0)
    >>> body = session_request(s)
    >>> "include" in body, "id" in body, body["audio"]["output"]["voice"]
    (False, False, 'alloy')
    >>> apply_update(s, validate_session(body), voice_locked=False) == s
    True
    """
    kind = session.get("type", "realtime")
    known = (TRANSCRIPTION_SESSION if kind == "transcription" else REALTIME_SESSION).fields
    body = {k: copy.deepcopy(v) for k, v in session.items() if k in known and k not in _SERVER_FIELDS}
    body["type"] = kind
    if body.get("include") is None:
        body.pop("include", None)
    audio_input = (body.get("audio") or {}).get("input") or {}
    transcription = audio_input.get("transcription")
    if isinstance(transcription, dict):
        audio_input["transcription"] = {k: v for k, v in transcription.items() if v is not None}
    return body


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
            elif key == "transcription" and value is not None:
                # reported whole, as in the default session: an unset language is null, an unset prompt ""
                value = {"language": None, "prompt": "", **value}
            elif key == "voice" and voice_locked and value != new["audio"]["output"]["voice"]:
                raise EventError(
                    "cannot_update_voice",
                    "Cannot update a conversation's voice if assistant audio is present.",
                    "session.audio.output.voice",
                )
            new["audio"][side][key] = copy.deepcopy(value)
    return new
