"""Plain keyword arguments → a GA Realtime ``session`` object, and Python functions → tool definitions.

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
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

from voicelab.errors import ParameterError
from voicelab.protocol.formats import pcm_format
from voicelab.protocol.session import SEMANTIC_VAD_DEFAULTS, SERVER_VAD_DEFAULTS
from voicelab.protocol.validate import validate_session
from voicelab.protocol.voices import REALTIME_VOICES

__all__ = ["VOICES", "function_tool", "session_config"]

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
    voice: str | None = None,
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
    model, instructions, voice : str, optional
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
    return validate_session(cfg)  # the emulator's own check: refused here with the text it would send


_JSON_TYPES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
}


def _schema_for(annotation: Any, name: str) -> dict[str, Any]:
    if annotation is inspect.Parameter.empty or annotation is Any:
        return {}
    origin = typing.get_origin(annotation)
    if origin is Literal:
        values = list(typing.get_args(annotation))
        return {"type": _JSON_TYPES.get(type(values[0]), "string"), "enum": values}
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _schema_for(args[0], name) if len(args) == 1 else {}
    if origin in (list, tuple, set):
        items = typing.get_args(annotation)
        return {"type": "array", **({"items": _schema_for(items[0], name)} if items else {})}
    if origin is dict:
        return {"type": "object"}
    if annotation in _JSON_TYPES:
        return {"type": _JSON_TYPES[annotation]}
    raise ParameterError(
        name,
        expected="a JSON-compatible annotation (str, int, float, bool, list, Literal)",
        got=repr(annotation),
        fix="pass the tool as a dict with its own JSON schema",
    )


def _param_docs(doc: str) -> dict[str, str]:
    """Descriptions of parameters in a numpy-style docstring's Parameters section."""
    out: dict[str, str] = {}
    lines = inspect.cleandoc(doc).splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Parameters") + 2
    except StopIteration:
        return out
    current = None
    for line in lines[start:]:
        if not line.strip():
            continue
        if not line.startswith(" "):
            if set(line.strip()) <= {"-"}:
                break
            if " : " in line or line.strip().isidentifier():
                current = line.split(":")[0].strip()
                out[current] = ""
                continue
            break
        if current:
            out[current] = (out[current] + " " + line.strip()).strip()
    return out


def function_tool(
    fn: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """A Realtime ``function`` tool definition from a Python function's signature and docstring.

    Parameters without a default are required; annotations become JSON-schema types.

    Examples
    --------
    >>> def get_weather(city: str, unit: Literal["C", "F"] = "C") -> dict:
    ...     '''Current weather in a city.
    ...
    ...     Parameters
    ...     ----------
    ...     city : str
    ...         City name, e.g. Paris.
    ...     '''
    >>> tool = function_tool(get_weather)
    >>> tool["name"], tool["description"], tool["parameters"]["required"]
    ('get_weather', 'Current weather in a city.', ['city'])
    >>> tool["parameters"]["properties"]["unit"]
    {'type': 'string', 'enum': ['C', 'F']}
    """
    if not callable(fn):
        raise ParameterError("fn", expected="a function", got=type(fn).__name__)
    doc = inspect.getdoc(fn) or ""
    docs = _param_docs(doc)
    hints = typing.get_type_hints(fn)
    props: dict[str, Any] = {}
    required: list[str] = []
    for pname, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        schema = _schema_for(hints.get(pname, param.annotation), pname)
        if docs.get(pname):
            schema["description"] = docs[pname]
        props[pname] = schema
        if param.default is inspect.Parameter.empty:
            required.append(pname)
    summary = (
        description if description is not None else (doc.split("\n\n")[0].replace("\n", " ") if doc else "")
    )
    return {
        "type": "function",
        "name": name or fn.__name__,
        "description": summary,
        "parameters": {"type": "object", "properties": props, "required": required},
    }
