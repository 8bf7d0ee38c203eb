"""Transcription options and their per-model rules, for REST ``/v1/audio/transcriptions`` and Realtime
``audio.input.transcription`` — as the installed SDK's docstrings state them, once.

Sources (``openai`` 3.57): ``types/audio/transcription_create_params.py`` (REST ``keywords``, ``languages``,
``include``, ``prompt``), ``types/realtime/audio_transcription_param.py`` (Realtime ``delay``, ``keywords``,
``languages``, ``prompt``), ``types/realtime/realtime_transcription_session_audio_input_param.py``
(``turn_detection`` must be null for ``gpt-realtime-whisper``), ``types/audio/transcription.py`` and
``types/realtime/conversation_item_input_audio_transcription_completed_event.py`` (``languages`` "Returned by
`gpt-transcribe`"; ``logprobs``).

=====================  =====================================================  =============================
option                 REST models                                            Realtime models
=====================  =====================================================  =============================
``keywords``           gpt-transcribe                                         gpt-transcribe,
                                                                              gpt-live-transcribe
``languages``          gpt-transcribe                                         gpt-transcribe,
                                                                              gpt-live-transcribe
``delay``              —                                                      gpt-realtime-whisper
``include`` logprobs   gpt-4o-transcribe, gpt-4o-mini-transcribe(-2025-12-15)  all but gpt-4o-transcribe-
                                                                              diarize (session ``include``)
``prompt``             all but gpt-4o-transcribe-diarize                      all but gpt-realtime-whisper and
                                                                              gpt-4o-transcribe-diarize
=====================  =====================================================  =============================

A ``gpt-realtime-whisper`` transcription session must have ``turn_detection: null`` ("VAD is not supported").

``gpt-4o-transcribe-diarize`` in Realtime: the SDK's ``prompt`` docstring describes the prompt for
"`gpt-4o-transcribe` models (excluding `gpt-4o-transcribe-diarize`)", and REST refuses ``prompt`` and
``include[]=logprobs`` for it ("not supported when using `gpt-4o-transcribe-diarize`"); the emulator refuses
both in Realtime sessions too (``session.audio.input.transcription.prompt``, ``session.include``), rather than
accept options the model does not honour.

Examples
--------
>>> try:
...     check_options("rest", "whisper-1", {"keywords": ["voicelab"]})
... except ProtocolError as exc:
...     print(exc.code, exc.param)
...     print(exc.message)
unsupported_parameter keywords
Unsupported parameter: 'keywords' is not supported with model 'whisper-1'; it is supported by: gpt-transcribe.
>>> check_options("realtime", "gpt-live-transcribe", {"keywords": ["voicelab"], "languages": ["en"]})
>>> reports_languages("gpt-transcribe"), reports_languages("whisper-1")
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .diarization import is_diarize_model
from .errors import ProtocolError

__all__ = [
    "DELAYS",
    "LOGPROBS_INCLUDE",
    "NO_VAD_MODELS",
    "OPTION_MODELS",
    "PROMPTLESS_MODELS",
    "Surface",
    "check_options",
    "check_session_transcription",
    "reports_languages",
    "wants_logprobs",
]

Surface = Literal["rest", "realtime"]

OPTION_MODELS: dict[Surface, dict[str, tuple[str, ...]]] = {
    "rest": {
        "keywords": ("gpt-transcribe",),
        "languages": ("gpt-transcribe",),
        "include": ("gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe-2025-12-15"),
    },
    "realtime": {
        "keywords": ("gpt-transcribe", "gpt-live-transcribe"),
        "languages": ("gpt-transcribe", "gpt-live-transcribe"),
        "delay": ("gpt-realtime-whisper",),
    },
}
"""Which models take each option, per surface (the SDK docstrings' "Supported by …" / "Only supported
with …")."""

PROMPTLESS_MODELS: dict[Surface, tuple[str, ...]] = {
    "rest": ("gpt-4o-transcribe-diarize",),
    "realtime": ("gpt-realtime-whisper", "gpt-4o-transcribe-diarize"),
}
"""Models that refuse ``prompt`` ("This field is not supported when using …" / "Prompt is not supported with
`gpt-realtime-whisper` in GA Realtime sessions")."""

NO_VAD_MODELS = ("gpt-realtime-whisper",)
"""Transcription-session models whose ``turn_detection`` must be null ("VAD is not supported")."""

DELAYS = ("minimal", "low", "medium", "high", "xhigh")
"""``delay`` values of ``gpt-realtime-whisper`` (the SDK's ``Literal``): how long it waits before emitting
text."""

LOGPROBS_INCLUDE = "item.input_audio_transcription.logprobs"
"""The Realtime session ``include`` entry that adds ``logprobs`` to input transcription events."""

_LANGUAGE_REPORTERS = ("gpt-transcribe",)


def _unsupported(name: str, model: str, supported: tuple[str, ...], param: str) -> ProtocolError:
    by = f"; it is supported by: {', '.join(supported)}" if supported else ""
    return ProtocolError(
        "unsupported_parameter",
        f"Unsupported parameter: '{name}' is not supported with model '{model}'{by}.",
        param,
    )


def check_options(surface: Surface, model: str, options: Mapping[str, Any], *, prefix: str = "") -> None:
    """Raise OpenAI's ``unsupported_parameter`` error (naming the parameter) if ``model`` does not take one
    of the ``options`` that are set (not None, not empty).

    Parameters
    ----------
    surface : {"rest", "realtime"}
        ``/v1/audio/transcriptions`` or a Realtime ``audio.input.transcription``.
    model : str
        A transcription model id (already known to the catalogue).
    options : mapping
        The request's options by name (``keywords``, ``languages``, ``delay``, ``include``, ``prompt``).
    prefix : str
        How the options are named in ``param`` (``"session.audio.input.transcription."``).
    """
    rules = OPTION_MODELS[surface]
    for name, value in options.items():
        if value is None or value == "" or value == [] or value == ():
            continue
        if name in rules and model not in rules[name]:
            raise _unsupported(name, model, rules[name], prefix + name)
        if name == "prompt" and model in PROMPTLESS_MODELS[surface]:
            raise _unsupported(name, model, (), prefix + name)


def check_session_transcription(session: Mapping[str, Any], *, prefix: str = "session") -> None:
    """Check an effective Realtime session's ``audio.input.transcription`` against its model's rules, and a
    ``gpt-realtime-whisper`` transcription session's ``turn_detection`` (must be null).

    Examples
    --------
    >>> audio = {"input": {"transcription": {"model": "gpt-realtime-whisper", "delay": "low"},
    ...                    "turn_detection": {"type": "server_vad"}}}
    >>> check_session_transcription({"type": "realtime", "audio": audio})     # a realtime session: allowed
    >>> try:
    ...     check_session_transcription({"type": "transcription", "audio": audio})
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    invalid_value session.audio.input.turn_detection
    """
    audio_input = (session.get("audio") or {}).get("input") or {}
    transcription = audio_input.get("transcription")
    if not isinstance(transcription, Mapping) or not transcription.get("model"):
        return
    model = str(transcription["model"])
    where = f"{prefix}.audio.input.transcription."
    check_options("realtime", model, {k: v for k, v in transcription.items() if k != "model"}, prefix=where)
    if is_diarize_model(model) and wants_logprobs(session):
        raise ProtocolError(
            "unsupported_parameter",
            f"Unsupported parameter: include '{LOGPROBS_INCLUDE}' is not supported with model '{model}'; "
            "remove it from include, or transcribe with gpt-4o-transcribe for logprobs.",
            f"{prefix}.include",
        )
    if (
        session.get("type") == "transcription"
        and model in NO_VAD_MODELS
        and audio_input.get("turn_detection") is not None
    ):
        raise ProtocolError(
            "invalid_value",
            f"Invalid '{prefix}.audio.input.turn_detection': for '{model}' transcription sessions turn "
            "detection must be set to null; VAD is not supported. Send turn_detection: null and commit the "
            "input audio buffer yourself.",
            f"{prefix}.audio.input.turn_detection",
        )


def wants_logprobs(session: Mapping[str, Any]) -> bool:
    """Whether a Realtime session's ``include`` asks for input transcription logprobs.

    Examples
    --------
    >>> wants_logprobs({"include": [LOGPROBS_INCLUDE]}), wants_logprobs({"include": None})
    (True, False)
    """
    return LOGPROBS_INCLUDE in (session.get("include") or ())


def reports_languages(model: str) -> bool:
    """Whether the transcription result of ``model`` carries ``languages`` ("Returned by
    `gpt-transcribe`")."""
    return model in _LANGUAGE_REPORTERS
