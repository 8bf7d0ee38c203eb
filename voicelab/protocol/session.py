"""The GA Realtime session: OpenAI's defaults, normalisation, and how ``session.update`` changes it.

This is the one place a session config is normalised. The emulator's WebSocket (``session.created``,
``session.update``) and ``POST /v1/realtime/client_secrets`` use :func:`normalize_session` /
:func:`apply_update`; :func:`session_request` turns a stored effective session back into a ``session.update``
body; the client builds its ``session.update`` from :data:`SERVER_VAD_DEFAULTS` and checks it with the same
:func:`~voicelab.protocol.validate.validate_session`.

Only fields sent are changed. ``turn_detection``, ``format``, ``transcription``, ``noise_reduction``,
``tools`` and ``tool_choice`` are replaced whole (a new ``turn_detection`` gets OpenAI's defaults for the
fields it omits). The voice cannot change once the assistant has spoken.

Examples
--------
>>> s = normalize_session({"type": "realtime", "audio": {"output": {"voice": "ash"}}}, session_id="s")
>>> out, vad = s["audio"]["output"], s["audio"]["input"]["turn_detection"]
>>> out["voice"], out["speed"], vad["type"], vad["silence_duration_ms"]
('ash', 1.0, 'server_vad', 500)
"""

from __future__ import annotations

import copy
from typing import Any

from openai.types.realtime import RealtimeSessionCreateRequest, RealtimeTranscriptionSessionCreateRequest

from .errors import ProtocolError
from .formats import pcm_format, realtime_format
from .transcription import check_session_transcription
from .validate import validate_session

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "SEMANTIC_VAD_DEFAULTS",
    "SEMANTIC_VAD_MAX_WAIT_MS",
    "SERVER_VAD_DEFAULTS",
    "SESSION_MAX_SECONDS",
    "SESSION_MAX_SECONDS_MESSAGE",
    "SPEED_DEFAULT",
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
"""The instructions of a new session in the emulator (OpenAI's own default prompt is not public)."""

SERVER_VAD_DEFAULTS: dict[str, Any] = {
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 500,
    "idle_timeout_ms": None,
    "create_response": True,
    "interrupt_response": True,
}
"""OpenAI's defaults for ``turn_detection: {"type": "server_vad"}``."""

SEMANTIC_VAD_DEFAULTS: dict[str, Any] = {
    "eagerness": "auto",
    "create_response": True,
    "interrupt_response": True,
}
"""OpenAI's defaults for ``turn_detection: {"type": "semantic_vad"}``."""

SEMANTIC_VAD_MAX_WAIT_MS: dict[str, int] = {"low": 8000, "medium": 4000, "high": 2000, "auto": 4000}
"""The longest semantic VAD waits for the user to go on, per ``eagerness`` (8 s, 4 s, 2 s; auto = medium)."""

SESSION_MAX_SECONDS = 3600
"""OpenAI's maximum Realtime session duration: 60 minutes, the session's ``expires_at`` (the documented
maximum, as openai/openai-agents-js#1278 restates it; the server's ``session_expired`` message is quoted in
pollen-robotics/reachy_mini_conversation_app#134). An ``ek_`` key does not shorten it: the key only gates
connecting (``openai/types/realtime/client_secret_create_params.py``: "the session itself may continue after
that time once started")."""
SESSION_MAX_SECONDS_MESSAGE = "Your session hit the maximum duration of 60 minutes."
"""The ``session_expired`` error message at :data:`SESSION_MAX_SECONDS`."""

SPEED_DEFAULT = 1.0
"""``audio.output.speed`` of a new session (its range, 0.25–1.5, is in
:data:`voicelab.protocol.validate.LIMITS`)."""


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


def default_session(
    kind: str,
    *,
    session_id: str,
    model: str | None,
    expires_at: int,
    instructions: str = DEFAULT_INSTRUCTIONS,
) -> dict[str, Any]:
    """The session OpenAI reports in ``session.created`` for a new ``realtime`` or ``transcription`` session.

    Examples
    --------
    >>> s = default_session("realtime", session_id="sess_1", model="gpt-realtime", expires_at=0)
    >>> s["audio"]["output"]["voice"], s["audio"]["input"]["turn_detection"]["type"]
    ('alloy', 'server_vad')
    """
    audio_input = {
        "format": pcm_format(),
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
        "instructions": instructions,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": expires_at,
        "audio": {
            "input": audio_input,
            "output": {"format": pcm_format(), "voice": "alloy", "speed": SPEED_DEFAULT},
        },
        "include": None,
    }


def normalize_session(
    raw: Any, *, session_id: str, model: str | None = None, expires_at: int = 0, path: str = "session"
) -> dict[str, Any]:
    """The effective session for a client's session config: validated, with OpenAI's defaults for what it
    omits. Raises :class:`ProtocolError` (naming the parameter) if the config is wrong.

    Examples
    --------
    >>> try:
    ...     normalize_session({"type": "realtime", "audio": {"output": {"speed": 9}}}, session_id="s")
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    decimal_above_max_value session.audio.output.speed
    """
    checked = validate_session(raw, path)
    base = default_session(
        checked["type"], session_id=session_id, model=checked.get("model", model), expires_at=expires_at
    )
    return apply_update(base, checked, voice_locked=False)


# fields of an effective session the client cannot send (set by the server)
_SERVER_FIELDS = ("id", "object", "expires_at", "client_secret")
_REQUEST_FIELDS = {
    "realtime": frozenset(RealtimeSessionCreateRequest.model_fields),
    "transcription": frozenset(RealtimeTranscriptionSessionCreateRequest.model_fields),
}


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
    known = _REQUEST_FIELDS["transcription" if kind == "transcription" else "realtime"]
    body = {k: copy.deepcopy(v) for k, v in session.items() if k in known and k not in _SERVER_FIELDS}
    body["type"] = kind
    if body.get("include") is None:
        body.pop("include", None)
    audio_input = (body.get("audio") or {}).get("input") or {}
    transcription = audio_input.get("transcription")
    if isinstance(transcription, dict):
        audio_input["transcription"] = {k: v for k, v in transcription.items() if v is not None}
    return body


def apply_update(current: dict[str, Any], update: dict[str, Any], *, voice_locked: bool) -> dict[str, Any]:
    """The session after a validated ``session.update``; raises :class:`ProtocolError` for forbidden changes.

    Examples
    --------
    >>> s = default_session("realtime", session_id="s", model=None, expires_at=0)
    >>> apply_update(s, {"type": "realtime", "instructions": "Be brief."}, voice_locked=False)["instructions"]
    'Be brief.'
    """
    if update["type"] != current["type"]:
        raise ProtocolError(
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
            raise ProtocolError(
                "invalid_value",
                "Invalid 'session.output_modalities': expected exactly one of 'audio' or 'text'.",
                "session.output_modalities",
            )
        new[key] = copy.deepcopy(value)
    audio = update.get("audio") or {}
    for side in ("input", "output"):
        for key, value in (audio.get(side) or {}).items():
            if key == "format":
                value = realtime_format(value)
            elif key == "turn_detection":
                value = fill_turn_detection(value, transcription=transcription_kind)
            elif key == "transcription" and value is not None:
                # reported whole, as in the default session: an unset language is null, an unset prompt ""
                value = {"language": None, "prompt": "", **value}
            elif key == "voice" and voice_locked and value != new["audio"]["output"]["voice"]:
                raise ProtocolError(
                    "cannot_update_voice",
                    "Cannot update a conversation's voice if assistant audio is present.",
                    "session.audio.output.voice",
                )
            new["audio"][side][key] = copy.deepcopy(value)
    check_session_transcription(new)  # per-model rules (gpt-realtime-whisper: delay, no prompt, no VAD)
    return new
