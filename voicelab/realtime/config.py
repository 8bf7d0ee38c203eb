"""Plain keyword arguments → a GA Realtime ``session`` object (Python functions → tools: :mod:`.tools`).

Examples
--------
>>> session_config(instructions="Be brief.", voice="verse", vad="server_vad", silence_duration_ms=400)
... # doctest: +NORMALIZE_WHITESPACE
{'type': 'realtime', 'instructions': 'Be brief.',
 'audio': {'input': {'format': {'type': 'audio/pcm', 'rate': 24000},
                     'turn_detection': {'type': 'server_vad', 'silence_duration_ms': 400}},
           'output': {'format': {'type': 'audio/pcm', 'rate': 24000}, 'voice': 'verse'}}}
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal

from voicelab.errors import ParameterError
from voicelab.protocol.formats import pcm_format
from voicelab.protocol.models import check_lifecycle
from voicelab.protocol.session import SEMANTIC_VAD_DEFAULTS, SERVER_VAD_DEFAULTS
from voicelab.protocol.validate import validate_session
from voicelab.protocol.voices import REALTIME_VOICES
from voicelab.realtime.tools import function_tool

__all__ = ["VOICES", "session_config"]

VOICES = REALTIME_VOICES
"""The voices a Realtime session accepts (:func:`voicelab.protocol.voices.voices`)."""
_VAD_TYPES = ("server_vad", "semantic_vad")
_COMMON_VAD_KEYS = tuple(k for k in SERVER_VAD_DEFAULTS if k in SEMANTIC_VAD_DEFAULTS)
_VAD_KEYS = {
    "server_vad": tuple(k for k in SERVER_VAD_DEFAULTS if k not in _COMMON_VAD_KEYS),
    "semantic_vad": tuple(k for k in SEMANTIC_VAD_DEFAULTS if k not in _COMMON_VAD_KEYS),
}


def session_config(
    session: dict[str, Any] | None = None,
    *,
    model: str | None = None,
    instructions: str | None = None,
    voice: str | dict[str, str] | None = None,
    vad: str | dict[str, Any] | Literal[False] | None = "default",
    threshold: float | None = None,
    prefix_padding_ms: int | None = None,
    silence_duration_ms: int | None = None,
    idle_timeout_ms: int | None = None,
    eagerness: str | None = None,
    create_response: bool | None = None,
    interrupt_response: bool | None = None,
    transcription: str | dict[str, Any] | None = None,
    tools: list[dict[str, Any] | Callable[..., Any]] | None = None,
    tool_choice: str | dict[str, Any] | None = None,
    output_modalities: list[str] | None = None,
    speed: float | None = None,
    max_output_tokens: int | str | None = None,
    noise_reduction: str | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """Build the ``session`` object of a ``session.update`` from plain arguments.

    Parameters
    ----------
    session : dict, optional
        A GA session object to start from; the keyword arguments given are merged over it.
    model, instructions : str, optional
    voice : str or dict, optional
        A built-in voice (:data:`VOICES`) or a custom voice ``{"id": "voice_…"}`` (``client.audio.voices``).
    vad : {"server_vad", "semantic_vad"}, dict, None or False
        Turn detection type (or a whole ``turn_detection`` dict); default server VAD (or the one in
        ``session``). ``None``/``False`` turns it off (manual commit). ``threshold``,
        ``prefix_padding_ms``, ``silence_duration_ms``, ``idle_timeout_ms`` (server VAD),
        ``eagerness`` (semantic VAD), ``create_response`` and ``interrupt_response`` go into it.
    transcription : str or dict, optional
        Input transcription model (``"gpt-4o-mini-transcribe"``, ``"whisper-1"``) or a ``{model, language,
        prompt}`` dict.
    tools : list of dict or callable, optional
        Tool definitions; Python functions are converted by :func:`function_tool`.
    tool_choice, output_modalities, speed, max_output_tokens, noise_reduction
        As in the GA session object.

    partial : bool
        Only the fields given (for a later ``session.update``): no default formats or turn detection.

    Returns
    -------
    dict
        ``{"type": "realtime", ...}`` ready for ``session.update``.

    Warns
    -----
    voicelab.errors.ModelShutdownWarning
        ``model`` or the transcription model has an announced shutdown date (once per model per process).

    Raises
    ------
    voicelab.protocol.errors.ProtocolError
        The session would be refused by the server: checked by the same code and worded as the emulator words
        the ``error`` event (``param`` is the session's dotted path). A ``ParameterError``.
    voicelab.errors.ParameterError
        The keyword arguments do not fit together (VAD parameters without VAD…).

    Examples
    --------
    >>> session_config(vad=None, output_modalities=["text"])["audio"]["input"]["turn_detection"] is None
    True
    >>> session_config(voice="nova")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    voicelab.protocol.errors.ProtocolError: Invalid value: 'nova'. Supported values are: 'alloy', 'ash', ...
    """
    cfg: dict[str, Any] = copy.deepcopy(session) if session else {}
    if not isinstance(cfg, dict):
        raise ParameterError("session", expected="a dict (GA session object)", got=type(session).__name__)
    cfg.setdefault("type", "realtime")
    if model is not None:
        cfg["model"] = model
    if instructions is not None:
        cfg["instructions"] = instructions
    if output_modalities is not None:
        if not (
            isinstance(output_modalities, list)
            and output_modalities
            and set(output_modalities) <= {"text", "audio"}
        ):
            raise ParameterError(
                "output_modalities", expected='["audio"] or ["text"]', got=repr(output_modalities)
            )
        cfg["output_modalities"] = list(output_modalities)
    if max_output_tokens is not None:
        cfg["max_output_tokens"] = max_output_tokens
    if tools is not None:
        cfg["tools"] = [t if isinstance(t, dict) else function_tool(t) for t in tools]
    if tool_choice is not None:
        cfg["tool_choice"] = tool_choice
    audio = cfg.setdefault("audio", {})
    a_in = audio.setdefault("input", {})
    a_out = audio.setdefault("output", {})
    if not partial:
        a_in.setdefault("format", pcm_format())
        a_out.setdefault("format", pcm_format())
    if voice is not None:
        a_out["voice"] = voice
    if speed is not None:
        a_out["speed"] = speed
    if noise_reduction is not None:
        a_in["noise_reduction"] = {"type": noise_reduction}
    if transcription is not None:
        a_in["transcription"] = (
            {"model": transcription} if isinstance(transcription, str) else dict(transcription)
        )
    vad_params = {
        "threshold": threshold,
        "prefix_padding_ms": prefix_padding_ms,
        "silence_duration_ms": silence_duration_ms,
        "idle_timeout_ms": idle_timeout_ms,
        "eagerness": eagerness,
        "create_response": create_response,
        "interrupt_response": interrupt_response,
    }
    given = {k: v for k, v in vad_params.items() if v is not None}
    if vad == "default":
        if given:
            vad = "server_vad" if "eagerness" not in given else "semantic_vad"
        elif partial or "turn_detection" in a_in:
            vad = "keep"
        else:
            vad = "server_vad"
    if vad == "keep":
        pass
    elif vad is None or vad is False:
        if given:
            key = next(iter(given))
            raise ParameterError(
                key,
                expected="no VAD parameters when vad=None",
                got=f"{key}={given[key]!r}",
                fix='pass vad="server_vad" or drop the parameter',
            )
        a_in["turn_detection"] = None
    elif isinstance(vad, dict):
        a_in["turn_detection"] = {**vad, **given}
    else:
        if vad not in _VAD_TYPES:
            raise ParameterError(
                "vad", expected="'server_vad', 'semantic_vad', a dict or None", got=repr(vad)
            )
        allowed = _VAD_KEYS[vad] + _COMMON_VAD_KEYS
        for key in given:
            if key not in allowed:
                raise ParameterError(
                    key, expected=f"a parameter of {vad} ({', '.join(allowed)})", got=f"{key}={given[key]!r}"
                )
        a_in["turn_detection"] = {"type": vad, **given}
    if partial:  # drop the empty containers a partial update did not fill
        for key in ("input", "output"):
            if not audio[key]:
                del audio[key]
        if not audio:
            del cfg["audio"]
    checked = validate_session(cfg)  # the emulator's own check: refused here with the text it would send
    transcription_cfg = ((checked.get("audio") or {}).get("input") or {}).get("transcription") or {}
    for name in (checked.get("model"), transcription_cfg.get("model")):
        if isinstance(name, str):
            check_lifecycle(name, stacklevel=3)  # a model with an announced shutdown: one warning per process
    return checked
