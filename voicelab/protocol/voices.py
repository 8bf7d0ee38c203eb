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
from .errors import invalid_type, invalid_value, missing_parameter, unknown_parameter

__all__ = [
    "CHAT_VOICES",
    "REALTIME_VOICES",
    "SPEECH_VOICES",
    "Surface",
    "check_voice",
    "custom_voice_ids",
    "voice_name",
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


_REALTIME_VOICE_PATHS: dict[str, tuple[str, ...]] = {
    "session": ("audio", "output", "voice"),
    "response": ("audio", "output", "voice"),
}


def custom_voice_ids(body: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The custom voices ``{"id": …}`` a Realtime client event (``session.update``, ``response.create``) or a
    client-secret request body names, as ``(param, voice id)`` pairs, for the caller to look up.

    ``body`` is already valid per the SDK's types; ``prefix`` is how its keys are named in ``param``.

    Examples
    --------
    >>> custom_voice_ids({"type": "session.update", "session": {"audio": {"output": {"voice": "ash"}}}})
    []
    >>> custom_voice_ids({"response": {"audio": {"output": {"voice": {"id": "v_9"}}}}})
    [('response.audio.output.voice', 'v_9')]
    """
    found = []
    for head, path in _REALTIME_VOICE_PATHS.items():
        node: Any = body.get(head)
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("id"), str):
            found.append((".".join((prefix, head, *path)).lstrip("."), node["id"]))
    return found


def voice_name(voice: str | Mapping[str, Any]) -> str:
    """How a response object names a voice: a string, a custom voice by its id (the SDK's ``RealtimeResponse``
    and client-secret ``RealtimeSessionCreateResponse`` type ``audio.output.voice`` as ``str``).

    Examples
    --------
    >>> voice_name("marin"), voice_name({"id": "voice_123"})
    ('marin', 'voice_123')
    """
    return voice if isinstance(voice, str) else str(voice["id"])
