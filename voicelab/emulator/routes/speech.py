"""``POST /v1/audio/speech``: text → audio in six formats, streamed as it is synthesised, or as SSE events.

The body is chunked: the first sentence's audio leaves while the rest is still being synthesised
(``tts.synthesize_stream`` + :class:`StreamEncoder`). The SDK always sends ``Accept:
application/octet-stream``,
so the shape is chosen by ``stream_format`` alone: ``audio`` (default) → the file's bytes; ``sse`` →
``speech.audio.delta`` events (base64 of the encoded bytes) then ``speech.audio.done`` with token usage.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal, get_type_hints

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from openai.types.audio import SpeechCreateParams, SpeechModel
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import iterate_in_threadpool

from voicelab.emulator.custom_voices import resolve
from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.routes._common import check_model, engine_error
from voicelab.emulator.routes._encoding import StreamEncoder
from voicelab.emulator.routes._sse import Event, event_stream
from voicelab.errors import EngineError, ParameterError
from voicelab.protocol.billing import audio_tokens, text_tokens
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.formats import SPEECH_CONTENT_TYPES, SPEECH_FORMATS
from voicelab.protocol.voices import SPEECH_VOICES, check_voice

__all__ = ["SpeechRequest", "VoiceID", "router", "synthesize_pieces"]

router = APIRouter(tags=["audio"])

_LEGACY_MODELS = ("tts-1", "tts-1-hd")

# As in OpenAI's spec, ``model`` and ``voice`` are "a known name, or any string" (dated snapshots pass).
StreamFormat = get_type_hints(SpeechCreateParams)["stream_format"]  # the SDK's Literal["sse", "audio"]
VoiceName = Literal[SPEECH_VOICES]  # type: ignore[valid-type]


class VoiceID(BaseModel):
    """A custom voice reference ``{"id": "voice_…"}`` (``POST /v1/audio/voices``)."""

    model_config = ConfigDict(extra="forbid")
    id: str


class SpeechRequest(BaseModel):
    """The JSON body of ``POST /v1/audio/speech`` (``openai.types.audio.SpeechCreateParams``)."""

    model_config = ConfigDict(extra="forbid")
    model: SpeechModel | str
    input: Annotated[str, Field(min_length=1, max_length=4096)]
    voice: VoiceName | str | VoiceID
    instructions: Annotated[str | None, Field(max_length=4096)] = None
    response_format: Literal[SPEECH_FORMATS] = "mp3"  # type: ignore[valid-type]
    speed: Annotated[float, Field(ge=0.25, le=4.0)] = 1.0
    stream_format: StreamFormat = "audio"  # type: ignore[valid-type]


def _check(body: SpeechRequest, max_chars: int) -> str | VoiceID:
    check_model(body.model, "speech")
    if len(body.input) > max_chars:
        raise OpenAIHTTPError(
            400,
            f"Invalid 'input': string too long. Expected a string with maximum length "
            f"{max_chars}, but got a string with length {len(body.input)} instead.",
            param="input",
            code="string_above_max_length",
        )
    if not body.input.strip():
        raise OpenAIHTTPError(
            400,
            "Invalid 'input': the text is only whitespace; give some words to speak.",
            param="input",
            code="invalid_value",
        )
    if not isinstance(body.voice, VoiceID):
        try:
            check_voice(body.voice, "speech", param="voice")
        except ProtocolError as exc:
            raise OpenAIHTTPError.from_protocol(exc) from exc
    if body.model in _LEGACY_MODELS:
        if body.instructions:
            raise OpenAIHTTPError(
                400,
                f"'instructions' is not supported with {body.model}; use gpt-4o-mini-tts or leave it out.",
                param="instructions",
                code="unsupported_parameter",
            )
        if body.stream_format == "sse":
            raise OpenAIHTTPError(
                400,
                f"stream_format 'sse' is not supported with {body.model}; use "
                "gpt-4o-mini-tts or stream_format 'audio'.",
                param="stream_format",
                code="unsupported_value",
            )
    return body.voice


def synthesize_pieces(
    text: str, *, voice: str, speed: float = 1.0, instructions: str | None = None, semitones: float = 0.0
) -> Iterator[Any]:
    """The TTS engine's 24 kHz pieces, sentence by sentence (loaded lazily on first use)."""
    from voicelab.engines import tts

    return iter(
        tts.synthesize_stream(text, voice=voice, speed=speed, instructions=instructions, semitones=semitones)
    )


async def _primed(pieces: Iterator[Any]) -> AsyncIterator[Any]:
    """Pull the first piece now (so engine errors become a proper error response), then the rest lazily."""
    stream = iterate_in_threadpool(pieces)
    try:
        first = await stream.__anext__()
    except StopAsyncIteration:
        first = None

    async def rest() -> AsyncIterator[Any]:
        if first is not None:
            yield first
            async for piece in stream:
                yield piece

    return rest()


async def _audio_bytes(pieces: AsyncIterator[Any], encoder: StreamEncoder) -> AsyncIterator[bytes]:
    try:
        async for piece in pieces:
            data = encoder.encode(piece.y)
            if data:
                yield data
        tail = encoder.finish()
        if tail:
            yield tail
    finally:
        encoder.close()


async def _sse_events(
    pieces: AsyncIterator[Any], encoder: StreamEncoder, text: str, instructions: str | None
) -> AsyncIterator[Event]:
    async for data in _audio_bytes(pieces, encoder):
        yield {"type": "speech.audio.delta", "audio": base64.b64encode(data).decode("ascii")}
    input_tokens = text_tokens(text) + text_tokens(instructions or "")
    output_tokens = audio_tokens(encoder.duration * 1000, "assistant")
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }
    yield {"type": "speech.audio.done", "usage": usage}


@router.post(
    "/audio/speech",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}, "text/event-stream": {}}}},
)
async def create_speech(body: SpeechRequest, request: Request) -> StreamingResponse:
    """Generate audio from text; the body streams while the engine synthesises."""
    settings = request.app.state.settings
    requested = _check(body, settings.max_input_chars)
    try:
        chosen = requested.model_dump() if isinstance(requested, VoiceID) else requested
        voice, semitones, tempo = resolve(getattr(request.app.state, "voices", None), chosen)
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    speed = min(4.0, max(0.25, body.speed * tempo))  # a custom voice's tempo stays in the engine's range
    try:
        pieces = await _primed(
            synthesize_pieces(
                body.input, voice=voice, speed=speed, instructions=body.instructions, semitones=semitones
            )
        )
    except (ParameterError, EngineError) as exc:  # the engine refused the text or failed
        raise engine_error(exc) from exc
    encoder = StreamEncoder(body.response_format)
    if body.stream_format == "sse":
        return event_stream(_sse_events(pieces, encoder, body.input, body.instructions))
    return StreamingResponse(
        _audio_bytes(pieces, encoder), media_type=SPEECH_CONTENT_TYPES[body.response_format]
    )
