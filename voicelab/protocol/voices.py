"""OpenAI's built-in voices per surface, read from the installed ``openai`` SDK's ``Literal`` types.

Speech (``audio.speech``) has 13 voices; the Realtime API and chat completions with audio output have 10
(no ``fable``, ``onyx`` or ``nova``). Every surface also accepts a custom voice ``{"id": "voice_…"}``. The
lists are read from the SDK each time, so upgrading the SDK moves the client and the emulator together.

Examples
--------
>>> len(voices("speech")), len(voices("realtime")), "nova" in voices("realtime")
(13, 10, False)
>>> check_voice("marin", "realtime", param="session.audio.output.voice")
'marin'
>>> check_voice({"id": "voice_123"}, "speech", param="voice")
{'id': 'voice_123'}
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Literal

from ._literals import literal_values
from .errors import ProtocolError, invalid_type, invalid_value, missing_parameter, unknown_parameter

__all__ = [
    "CHAT_VOICES",
    "REALTIME_VOICES",
    "SPEECH_VOICES",
    "Surface",
    "check_voice",
    "custom_voice_unavailable",
    "refuse_custom_voices",
    "voices",
]

Surface = Literal["speech", "realtime", "chat"]

# where the SDK declares each surface's ``Voice`` type: (module, attribute)
_SOURCES: dict[str, tuple[str, str]] = {
    "speech": ("openai.types.audio.speech_create_params", "Voice"),
    "realtime": ("openai.types.realtime.realtime_audio_config_output", "Voice"),
    "chat": ("openai.types.chat.chat_completion_audio_param", "Voice"),
}


def voices(surface: Surface) -> tuple[str, ...]:
    """The built-in voice names of ``surface`` (``"speech"``, ``"realtime"`` or ``"chat"``), as the SDK lists
    them.

    Examples
    --------
    >>> voices("chat")[:3]
    ('alloy', 'ash', 'ballad')
    """
    module, name = _SOURCES[surface]
    return tuple(
        v for v in literal_values(getattr(importlib.import_module(module), name)) if isinstance(v, str)
    )


SPEECH_VOICES = voices("speech")
"""The 13 voices of ``audio.speech`` (as the installed SDK lists them)."""
REALTIME_VOICES = voices("realtime")
"""The 10 voices of a Realtime session."""
CHAT_VOICES = voices("chat")
"""The 10 voices of chat completions with audio output."""


def check_voice(voice: Any, surface: Surface, *, param: str = "voice") -> str | dict[str, Any]:
    """``voice`` if ``surface`` accepts it (a built-in name or ``{"id": …}``), else OpenAI's error.

    Raises
    ------
    ProtocolError
        ``invalid_value`` (naming the supported voices), ``invalid_type``, or ``unknown_parameter`` /
        ``missing_required_parameter`` for a malformed custom voice.

    Examples
    --------
    >>> from voicelab.protocol.errors import ProtocolError
    >>> try:
    ...     check_voice("nova", "realtime", param="session.audio.output.voice")
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param, exc.message.split('.')[0])
    invalid_value session.audio.output.voice Invalid value: 'nova'
    """
    if isinstance(voice, dict):
        extra = sorted(set(voice) - {"id"})
        if extra:
            raise unknown_parameter(f"{param}.{extra[0]}")
        if "id" not in voice:
            raise missing_parameter(f"{param}.id")
        if not isinstance(voice["id"], str):
            raise invalid_type(f"{param}.id", "a string", voice["id"])
        return voice
    if not isinstance(voice, str):
        raise invalid_type(param, "a string", voice)
    known = voices(surface)
    if voice not in known:
        raise invalid_value(param, voice, known)
    return voice


def custom_voice_unavailable(voice_id: str, surface: Surface, *, param: str) -> ProtocolError:
    """The emulator's refusal of a custom voice ``{"id": …}`` where it does not take one yet (Realtime
    sessions; speech and chat audio speak with voices made by ``POST /v1/audio/voices``): ``invalid_value``,
    naming ``param``.

    Examples
    --------
    >>> err = custom_voice_unavailable("voice_1", "realtime", param="session.audio.output.voice")
    >>> err.code, err.param
    ('invalid_value', 'session.audio.output.voice')
    >>> err.message.split(";")[0]
    "Custom voice 'voice_1' is not available in the offline emulator"
    """
    return ProtocolError(
        "invalid_value",
        f"Custom voice {voice_id!r} is not available in the offline emulator; use one of: "
        f"{', '.join(voices(surface))}.",
        param,
    )


_REALTIME_VOICE_PATHS: dict[str, tuple[str, ...]] = {
    "session": ("audio", "output", "voice"),
    "response": ("audio", "output", "voice"),
}


def refuse_custom_voices(body: Mapping[str, Any], prefix: str = "") -> None:
    """Raise :func:`custom_voice_unavailable` if a Realtime client event (``session.update``,
    ``response.create``) or a client-secret request body (``prefix``-less) names a custom voice.

    ``body`` is already valid per the SDK's types; ``prefix`` is how its keys are named in ``param``.

    Examples
    --------
    >>> refuse_custom_voices({"type": "session.update", "session": {"audio": {"output": {"voice": "ash"}}}})
    >>> try:
    ...     refuse_custom_voices({"session": {"audio": {"output": {"voice": {"id": "voice_9"}}}}})
    ... except ProtocolError as exc:
    ...     print(exc.param)
    session.audio.output.voice
    """
    for head, path in _REALTIME_VOICE_PATHS.items():
        node: Any = body.get(head)
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("id"), str):
            param = ".".join((prefix, head, *path)).lstrip(".")
            raise custom_voice_unavailable(node["id"], "realtime", param=param)
