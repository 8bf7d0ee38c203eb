"""Realtime translation sessions (``/v1/realtime/translations``): the session, its updates and its events.

A translation session is not a conversation: the client streams 24 kHz PCM16 with
``session.input_audio_buffer.append`` and the server streams the translation back as
``session.output_transcript.delta`` and ``session.output_audio.delta`` (plus
``session.input_transcript.delta`` when ``audio.input.transcription`` is set), until ``session.close``
flushes and ends it with ``session.closed``.
Only ``audio.output.language``, ``audio.input.transcription`` and ``audio.input.noise_reduction`` can be
updated; ``type`` and ``model`` are fixed at creation (OpenAI's translation client-events reference).

Every client event is checked with a strict ``TypeAdapter`` over the SDK's ``RealtimeTranslationClientEvent``
union, and every server event built here is validated against ``RealtimeTranslationServerEvent``.

Examples
--------
>>> session = default_session(session_id="sess_1", model="gpt-realtime-translate", expires_at=0)
>>> session["type"], session["audio"]["output"]["language"]
('translation', 'en')
>>> apply_update(session, {"audio": {"output": {"language": "ja"}}})["audio"]["output"]["language"]
'ja'
>>> frame_elapsed_ms(4800 * 3 + 10)       # three whole 200 ms frames at 24 kHz, then 10 samples
600
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from .errors import ProtocolError
from .formats import PCM_RATE

__all__ = [
    "DEFAULT_OUTPUT_LANGUAGE",
    "FRAME_MS",
    "FRAME_SAMPLES",
    "UPDATABLE",
    "apply_update",
    "default_session",
    "frame_elapsed_ms",
    "parse_client_event",
    "server_event",
]

FRAME_MS = 200
"""Translation consumes 200 ms engine frames (the SDK's ``session.input_audio_buffer.append`` docstring)."""
FRAME_SAMPLES = PCM_RATE * FRAME_MS // 1000
DEFAULT_OUTPUT_LANGUAGE = "en"
"""The target language of a session that sets none (voicelab's choice: OpenAI documents no default)."""
UPDATABLE = ("audio.output.language", "audio.input.transcription", "audio.input.noise_reduction")


@functools.cache
def _client_adapter() -> TypeAdapter[Any]:
    from openai.types.realtime.realtime_translation_client_event import RealtimeTranslationClientEvent

    return TypeAdapter(RealtimeTranslationClientEvent)


@functools.cache
def _server_adapter() -> TypeAdapter[Any]:
    from openai.types.realtime.realtime_translation_server_event import RealtimeTranslationServerEvent

    return TypeAdapter(Annotated[RealtimeTranslationServerEvent, Field(discriminator="type")])


def default_session(*, session_id: str, model: str, expires_at: int) -> dict[str, Any]:
    """The session a translation connection starts with (``session.created``)."""
    return {
        "id": session_id,
        "type": "translation",
        "model": model,
        "expires_at": expires_at,
        "audio": {
            "input": {"noise_reduction": None, "transcription": None},
            "output": {"language": DEFAULT_OUTPUT_LANGUAGE},
        },
    }


def apply_update(session: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``session`` with a ``session.update``'s ``session`` applied (a new dict; ``session`` is unchanged).

    Raises
    ------
    ProtocolError
        ``type`` or ``model`` in the update (fixed at creation), or a field translation sessions do not have.
    """
    for fixed in ("type", "model"):
        if fixed in update and update[fixed] != session.get(fixed):
            raise ProtocolError(
                "invalid_value",
                f"The translation session's `{fixed}` is set at creation and cannot be changed with "
                f"session.update. Updatable: {', '.join(UPDATABLE)}.",
                f"session.{fixed}",
            )
    extra = sorted(set(update) - {"type", "model", "audio"})
    if extra:
        raise ProtocolError(
            "unknown_parameter", f"Unknown parameter: 'session.{extra[0]}'.", f"session.{extra[0]}"
        )
    merged = copy.deepcopy(session)
    audio = update.get("audio") or {}
    for side in ("input", "output"):
        for key, value in (audio.get(side) or {}).items():
            if key == "noise_reduction" and value is not None:
                previous = merged["audio"][side].get("noise_reduction") or {}
                value = {
                    "type": value["type"],
                    "strength": value.get("strength", previous.get("strength", 1.0)),
                }
            merged["audio"][side][key] = value
    return merged


def parse_client_event(text: str) -> dict[str, Any]:
    """A client event from the wire, validated strictly by the SDK's translation client-event union.

    Raises
    ------
    ProtocolError
        Not JSON, an unknown ``type``, or a field the SDK's type does not have or does not allow — naming it.

    Examples
    --------
    >>> parse_client_event('{"type": "session.close"}')["type"]
    'session.close'
    >>> try:
    ...     parse_client_event('{"type": "response.create"}')
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    invalid_value type
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProtocolError("invalid_json", f"The event is not valid JSON: {exc}.", None) from exc
    if not isinstance(data, dict):
        raise ProtocolError("invalid_json", "The event must be a JSON object.", None)
    kinds = ("session.update", "session.input_audio_buffer.append", "session.close")
    if data.get("type") not in kinds:
        raise ProtocolError(
            "invalid_value",
            f"Invalid value: {data.get('type')!r}. Translation sessions accept: {', '.join(kinds)}.",
            "type",
        )
    try:
        _client_adapter().validate_python(data, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("Realtime", "function-")))
        raise ProtocolError("invalid_value", f"Invalid '{param}': {first['msg']}.", param or None) from exc
    _reject_unknown_keys(data)
    return data


def _reject_unknown_keys(data: dict[str, Any]) -> None:
    allowed: dict[str, Any] = {
        "session.update": {
            "type": None,
            "event_id": None,
            "session": {
                "type": None,
                "model": None,
                "audio": {
                    "input": {
                        "transcription": {"model": None},
                        "noise_reduction": {"type": None, "strength": None},
                    },
                    "output": {"language": None},
                },
            },
        },
        "session.input_audio_buffer.append": {"type": None, "event_id": None, "audio": None},
        "session.close": {"type": None, "event_id": None},
    }

    def walk(value: Any, shape: Any, path: str) -> None:
        if not isinstance(value, dict) or shape is None:
            return
        for key, inner in value.items():
            where = f"{path}.{key}" if path else key
            if key not in shape:
                raise ProtocolError("unknown_parameter", f"Unknown parameter: '{where}'.", where)
            walk(inner, shape[key], where)

    walk(data, allowed[data["type"]], "")


def frame_elapsed_ms(samples: int) -> int:
    """``elapsed_ms`` for output aligned to the audio received so far: whole 200 ms frames, in ms."""
    return (samples // FRAME_SAMPLES) * FRAME_MS


def server_event(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` checked against the SDK's ``RealtimeTranslationServerEvent`` union (strict), returned as is.

    Examples
    --------
    >>> server_event({"type": "session.closed", "event_id": "event_1"})["type"]
    'session.closed'
    """
    _server_adapter().validate_python(event, strict=True)
    return event
