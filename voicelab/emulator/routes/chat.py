"""``POST /v1/chat/completions`` with audio: ``input_audio`` parts are transcribed, replies can be spoken.

The responder (``app.state.responder``) writes the reply; with ``modalities=["text", "audio"]`` the reply is
synthesised in ``audio.voice`` and returned as ``message.audio{id, data, transcript, expires_at}``. Earlier
audio
replies can be referred to by ``{"role": "assistant", "audio": {"id": …}}`` for an hour, as on OpenAI.
Streaming
(``stream=true``) sends ``chat.completion.chunk`` events: content deltas, or ``delta.audio`` pieces with
transcript
and base64 pcm16 data, then a final ``delta.audio.expires_at``; tool calls stream as ``delta.tool_calls``.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from voicelab.emulator.custom_voices import resolve
from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.routes._common import decode_upload, new_id, now
from voicelab.emulator.routes._images import image_part
from voicelab.emulator.routes._sse import DONE, Event, event_stream
from voicelab.emulator.routes.speech import VoiceID, VoiceName, synthesize_pieces
from voicelab.emulator.routes.transcriptions import transcribe
from voicelab.errors import ParameterError, ResponderError
from voicelab.protocol.billing import audio_tokens, text_tokens
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.formats import CHAT_AUDIO_FORMATS
from voicelab.protocol.voices import check_voice

__all__ = ["AudioStore", "ChatAudioParams", "ChatRequest", "router"]

router = APIRouter(tags=["chat"])

AUDIO_LIFETIME = 3600  # seconds an audio reply can be referred to, as OpenAI's expires_at
_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_ENCODE_FORMAT = {"wav": "wav", "aac": "aac", "mp3": "mp3", "flac": "flac", "opus": "opus", "pcm16": "pcm"}


@dataclass
class AudioStore:
    """Transcripts of audio replies by id, for ``{"role": "assistant", "audio": {"id": …}}`` in later
    turns."""

    lifetime: int = AUDIO_LIFETIME
    _entries: dict[str, tuple[str, int]] = field(default_factory=dict)

    def put(self, audio_id: str, transcript: str) -> int:
        expires_at = now() + self.lifetime
        self._entries = {k: v for k, v in self._entries.items() if v[1] > now()}
        self._entries[audio_id] = (transcript, expires_at)
        return expires_at

    def get(self, audio_id: str) -> str | None:
        entry = self._entries.get(audio_id)
        if entry is None or entry[1] <= now():
            return None
        return entry[0]


class ChatAudioParams(BaseModel):
    """``audio`` of a chat request: the output voice and format."""

    model_config = ConfigDict(extra="forbid")
    voice: VoiceName | str | VoiceID
    format: Literal[CHAT_AUDIO_FORMATS]  # type: ignore[valid-type]


class ChatRequest(BaseModel):
    """The JSON body of ``POST /v1/chat/completions`` (the fields the emulator acts on; others are
    accepted)."""

    model_config = ConfigDict(extra="allow")
    model: Literal["gpt-4o-audio-preview", "gpt-4o-mini-audio-preview", "gpt-audio", "gpt-4o-mini"] | str
    messages: Annotated[list[dict[str, Any]], Field(min_length=1)]
    modalities: list[Literal["text", "audio"]] | None = None
    audio: ChatAudioParams | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    stream: bool | None = None
    stream_options: dict[str, Any] | None = None
    n: Annotated[int | None, Field(ge=1, le=128)] = None
    temperature: Annotated[float | None, Field(ge=0.0, le=2.0)] = None
    top_p: Annotated[float | None, Field(ge=0.0, le=1.0)] = None
    max_tokens: Annotated[int | None, Field(ge=1)] = None
    max_completion_tokens: Annotated[int | None, Field(ge=1)] = None


@dataclass
class _Prepared:
    """The conversation in the responder's terms, with what usage needs."""

    messages: list[dict[str, Any]]
    instructions: str | None
    input_audio_seconds: float
    prompt_text: str
    image_tokens: int = 0


def _bad(param: str, message: str, code: str = "invalid_value") -> OpenAIHTTPError:
    return OpenAIHTTPError(400, message, param=param, code=code)


def _decode_input_audio(text: str, fmt: str, settings: Any, param: str) -> tuple[np.ndarray, int]:
    """Base64 → samples, bounded by the upload limits (blocking: run in a thread)."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad(param, "Invalid base64 in input_audio.data.", "invalid_base64") from exc
    return decode_upload(data, f"input.{fmt}", settings, param=param)


async def _part_text(part: Any, where: str, request: Request) -> tuple[str, float]:
    """Text of one content part (audio is transcribed) and the seconds of input audio it held."""
    if not isinstance(part, dict) or not isinstance(part.get("type"), str):
        raise _bad(where, f"Invalid '{where}': expected a content part object with a 'type'.", "invalid_type")
    kind = part["type"]
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise _bad(
                f"{where}.text", f"Missing required parameter: '{where}.text'.", "missing_required_parameter"
            )
        return part["text"], 0.0
    if kind == "input_audio":
        spec = part.get("input_audio")
        if not isinstance(spec, dict) or not isinstance(spec.get("data"), str):
            raise _bad(
                f"{where}.input_audio.data",
                f"Missing required parameter: '{where}.input_audio.data'.",
                "missing_required_parameter",
            )
        fmt = spec.get("format")
        if fmt not in ("wav", "mp3"):
            raise _bad(
                f"{where}.input_audio.format",
                f"Invalid value: {fmt!r}. Supported values are: 'wav' and 'mp3'.",
            )
        y, sr = await run_in_threadpool(
            _decode_input_audio, spec["data"], fmt, request.app.state.settings, f"{where}.input_audio.data"
        )
        transcript = await transcribe(
            y, sr, language=None, prompt=None, temperature=0.0, task="transcribe", word_timestamps=False
        )
        return transcript.text.strip(), y.shape[0] / sr
    if kind == "refusal":
        return str(part.get("refusal") or ""), 0.0
    raise _bad(
        f"{where}.type",
        f"Content part type {kind!r} is not supported by the offline emulator; use 'text', 'image_url' or "
        "'input_audio'.",
        "unsupported_value",
    )


async def _prepare(body: ChatRequest, request: Request) -> _Prepared:
    store: AudioStore = request.app.state.audio_store
    instructions: list[str] = []
    messages: list[dict[str, Any]] = []
    seconds = 0.0
    images_billed = 0
    texts: list[str] = []
    for index, message in enumerate(body.messages):
        where = f"messages[{index}]"
        role = message.get("role")
        if role not in _ROLES:
            raise _bad(
                f"{where}.role",
                f"Invalid value: {role!r}. Supported values are: {', '.join(repr(r) for r in _ROLES)}.",
            )
        content = message.get("content")
        images: list[dict[str, Any]] = []
        if isinstance(content, list):
            pieces = []
            for part_index, part in enumerate(content):
                if isinstance(part, dict) and part.get("type") == "image_url":
                    image, tokens = image_part(part, f"{where}.content[{part_index}]", body.model)
                    images.append(image)
                    images_billed += tokens
                    continue
                text, part_seconds = await _part_text(part, f"{where}.content[{part_index}]", request)
                pieces.append(text)
                seconds += part_seconds
            text = " ".join(p.strip() for p in pieces if p.strip())
        elif content is None or isinstance(content, str):
            text = content or ""
        else:
            raise _bad(
                f"{where}.content",
                f"Invalid type for '{where}.content': expected a string or an array of content parts.",
                "invalid_type",
            )
        audio_ref = message.get("audio")
        if role == "assistant" and isinstance(audio_ref, dict) and audio_ref.get("id"):
            transcript = store.get(str(audio_ref["id"]))
            if transcript is None:
                raise _bad(f"{where}.audio.id", f"Audio with id {audio_ref['id']!r} not found or expired.")
            text = (text + " " + transcript).strip()
        if role in ("user", "tool") and content is None:
            raise _bad(
                f"{where}.content",
                f"Missing required parameter: '{where}.content'.",
                "missing_required_parameter",
            )
        if role == "tool" and not message.get("tool_call_id"):
            raise _bad(
                f"{where}.tool_call_id",
                f"Missing required parameter: '{where}.tool_call_id'.",
                "missing_required_parameter",
            )
        texts.append(text)
        if role in ("system", "developer"):
            instructions.append(text)
            continue
        forwarded: dict[str, Any] = {
            "role": "tool" if role == "function" else role,
            "content": [{"type": "text", "text": text}, *images] if images else text,
        }
        if message.get("tool_calls"):
            forwarded["tool_calls"] = message["tool_calls"]
        if message.get("tool_call_id"):
            forwarded["tool_call_id"] = message["tool_call_id"]
        messages.append(forwarded)
    return _Prepared(messages, "\n".join(instructions) or None, seconds, "\n".join(texts), images_billed)


def _parallel(body: ChatRequest) -> dict[str, bool]:
    """``parallel_tool_calls`` for the responder, when the request sets it (unset: at most one call)."""
    value = (body.model_extra or {}).get("parallel_tool_calls")
    if value is not None and not isinstance(value, bool):
        raise _bad(
            "parallel_tool_calls",
            f"Invalid type for 'parallel_tool_calls': expected a boolean, but got {value!r}.",
            "invalid_type",
        )
    return {} if value is None else {"parallel_tool_calls": value}


def _validate(body: ChatRequest) -> bool:
    """Checks beyond the schema; returns whether audio output was asked for."""
    wants_audio = "audio" in (body.modalities or [])
    if wants_audio and body.audio is None:
        raise _bad(
            "audio",
            "Audio output was requested (modalities includes 'audio') but the 'audio' parameter "
            "is missing; pass audio={'voice': 'alloy', 'format': 'wav'}.",
            "missing_required_parameter",
        )
    if body.audio is not None:
        voice = body.audio.voice
        if not isinstance(voice, VoiceID):  # a custom voice is looked up in _speaker
            try:
                check_voice(voice, "chat", param="audio.voice")
            except ProtocolError as exc:
                raise OpenAIHTTPError.from_protocol(exc) from exc
        if wants_audio and body.stream and body.audio.format != "pcm16":
            raise _bad(
                "audio.format",
                f"Streaming audio supports only format 'pcm16'; got {body.audio.format!r}.",
                "unsupported_value",
            )
    if body.n not in (None, 1):
        raise _bad("n", f"The offline emulator returns one choice; got n={body.n}.", "unsupported_value")
    return wants_audio


def _usage(
    prompt_text: str,
    input_seconds: float,
    reply_text: str,
    output_seconds: float,
    instructions: str | None = None,
    prompt_images: int = 0,
) -> dict[str, Any]:
    prompt_text_tokens = text_tokens(prompt_text)
    prompt_audio = audio_tokens(input_seconds * 1000, "user")
    completion_text = text_tokens(reply_text)
    completion_audio = audio_tokens(output_seconds * 1000, "assistant")
    prompt = prompt_text_tokens + prompt_audio + prompt_images
    completion = completion_text + completion_audio
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "audio_tokens": prompt_audio,
            "cached_tokens": 0,
            "text_tokens": prompt_text_tokens,
            "image_tokens": prompt_images,
        },
        "completion_tokens_details": {
            "audio_tokens": completion_audio,
            "reasoning_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
            "text_tokens": completion_text,
        },
    }


def _tool_calls(reply: Any) -> list[dict[str, Any]]:
    return [
        {"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in reply.tool_calls
    ]


def _speaker(request: Request, body: ChatRequest) -> dict[str, Any]:
    """How to speak the reply: a built-in voice, or a custom voice's rendering (``{"id": …}``)."""
    if body.audio is None:
        return {}
    voice = body.audio.voice
    chosen = voice.model_dump() if isinstance(voice, VoiceID) else voice
    try:
        name, semitones, tempo = resolve(
            getattr(request.app.state, "voices", None), chosen, param="audio.voice"
        )
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    return {"voice": name, "speed": tempo, "semitones": semitones}


async def _speak(text: str, speaker: dict[str, Any]) -> tuple[np.ndarray, float]:
    """The whole reply as 24 kHz samples (sentence pieces joined)."""
    pieces = [piece.y async for piece in iterate_in_threadpool(synthesize_pieces(text, **speaker))]
    y = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return y, y.shape[0] / 24000


def _chunk(
    completion_id: str,
    created: int,
    model: str,
    delta: dict[str, Any],
    finish: str | None = None,
    *,
    usage: dict[str, Any] | None = None,
    include_usage: bool = False,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_voicelab",
        "service_tier": "default",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if include_usage:
        event["usage"] = usage
    return event


def _usage_chunk(completion_id: str, created: int, model: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_voicelab",
        "service_tier": "default",
        "choices": [],
        "usage": usage,
    }


def _sentences(text: str) -> list[str]:
    import re

    parts = [p for p in re.split(r"(?<=[.!?。！？])\s+", text.strip()) if p]
    return parts or [text]


async def _stream(
    body: ChatRequest,
    prepared: _Prepared,
    reply: Any,
    wants_audio: bool,
    store: AudioStore,
    speaker: dict[str, Any],
) -> AsyncIterator[Event]:
    completion_id, created, model = new_id("chatcmpl").replace("_", "-", 1), now(), body.model
    include_usage = bool((body.stream_options or {}).get("include_usage"))
    chunk_usage = include_usage  # OpenAI sends "usage": null on every chunk when usage is requested

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return _chunk(completion_id, created, model, delta, finish, usage=None, include_usage=chunk_usage)

    yield chunk(
        {
            "role": "assistant",
            "content": None if wants_audio and not reply.tool_calls else "",
            "refusal": None,
        }
    )
    output_seconds = 0.0
    if reply.tool_calls:
        for index, call in enumerate(reply.tool_calls):
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call.call_id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": ""},
                        }
                    ]
                }
            )
            arguments = call.arguments
            for start in range(0, len(arguments), 16):
                yield chunk(
                    {
                        "tool_calls": [
                            {"index": index, "function": {"arguments": arguments[start : start + 16]}}
                        ]
                    }
                )
        finish = "tool_calls"
    elif wants_audio:
        assert body.audio is not None
        from voicelab import audio as audio_mod

        audio_id = new_id("audio")
        for sentence in _sentences(reply.text):
            yield chunk({"audio": {"id": audio_id, "transcript": sentence + " "}})
            async for piece in iterate_in_threadpool(synthesize_pieces(sentence, **speaker)):
                y = piece.y
                output_seconds += y.shape[0] / 24000
                pcm = audio_mod.to_pcm16(y).astype("<i2").tobytes()
                step = 24000 * 2 // 2  # half a second of pcm16 per chunk
                for start in range(0, len(pcm), step):
                    data = base64.b64encode(pcm[start : start + step]).decode("ascii")
                    yield chunk({"audio": {"id": audio_id, "data": data}})
        expires_at = store.put(audio_id, reply.text)
        yield chunk({"audio": {"expires_at": expires_at}})
        finish = "stop"
    else:
        words = reply.text.split(" ")
        for index, word in enumerate(words):
            yield chunk({"content": word if index == len(words) - 1 else word + " "})
        finish = "stop"
    yield chunk({}, finish)
    if include_usage:
        yield _usage_chunk(
            completion_id,
            created,
            model,
            _usage(
                prepared.prompt_text,
                prepared.input_audio_seconds,
                "" if reply.tool_calls else reply.text,
                output_seconds,
                prompt_images=prepared.image_tokens,
            ),
        )
    yield DONE


@router.post(
    "/chat/completions",
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
)
async def create_chat_completion(body: ChatRequest, request: Request) -> Response:
    """A chat completion from the emulator's responder, with audio in and out."""
    wants_audio = _validate(body)
    speaker = _speaker(request, body)
    prepared = await _prepare(body, request)
    try:
        reply = await request.app.state.responder.respond(
            prepared.messages,
            instructions=prepared.instructions,
            tools=body.tools,
            tool_choice=body.tool_choice if body.tool_choice is not None else "auto",
            **_parallel(body),
        )
    except ParameterError as exc:
        raise _bad(exc.param, str(exc)) from exc
    except ResponderError as exc:
        raise OpenAIHTTPError(502, str(exc), type="server_error", code="upstream_error") from exc
    store: AudioStore = request.app.state.audio_store
    if body.stream:
        return event_stream(_stream(body, prepared, reply, wants_audio, store, speaker))
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
    output_seconds = 0.0
    finish = "stop"
    if reply.tool_calls:
        message["content"] = reply.text or None
        message["tool_calls"] = _tool_calls(reply)
        finish = "tool_calls"
    elif wants_audio:
        assert body.audio is not None
        from voicelab import audio as audio_mod

        y, output_seconds = await _speak(reply.text, speaker)
        fmt: Any = _ENCODE_FORMAT[body.audio.format]
        encoded = audio_mod.encode(y if y.size else np.zeros(1, dtype=np.float32), 24000, fmt)
        audio_id = new_id("audio")
        expires_at = store.put(audio_id, reply.text)
        message["content"] = None
        message["audio"] = {
            "id": audio_id,
            "data": base64.b64encode(encoded).decode("ascii"),
            "expires_at": expires_at,
            "transcript": reply.text,
        }
    completion: dict[str, Any] = {
        "id": new_id("chatcmpl").replace("_", "-", 1),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.model,
        "system_fingerprint": "fp_voicelab",
        "service_tier": "default",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(
            prepared.prompt_text,
            prepared.input_audio_seconds,
            "" if reply.tool_calls and not reply.text else reply.text,
            output_seconds,
            prompt_images=prepared.image_tokens,
        ),
    }
    if reply.tool_calls:
        args_tokens = sum(text_tokens(c.arguments) for c in reply.tool_calls)
        completion["usage"]["completion_tokens"] += args_tokens
        completion["usage"]["total_tokens"] += args_tokens
        completion["usage"]["completion_tokens_details"]["text_tokens"] += args_tokens
    return JSONResponse(completion)
