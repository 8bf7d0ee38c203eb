"""``gpt-4o-transcribe-diarize`` on ``/v1/audio/transcriptions``: speaker-labelled segments from the offline
diarizer (:mod:`voicelab.engines.speakers`), as ``json``, ``text`` or ``diarized_json``, or streamed as
``transcript.text.delta`` (with ``segment_id``) + ``transcript.text.segment`` per turn, then
``transcript.text.done``. The rules live in :mod:`voicelab.protocol.diarization`; the engines run in the
thread pool, never on the event loop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.routes._common import decode_upload, engine_error
from voicelab.emulator.routes._sse import Event, event_stream
from voicelab.engines.speakers import Diarization
from voicelab.errors import EngineError, ParameterError
from voicelab.protocol.billing import audio_tokens, text_tokens
from voicelab.protocol.diarization import (
    check_chunking,
    check_reference_duration,
    parse_audio_data_url,
    segment_fields,
)
from voicelab.protocol.errors import ProtocolError

__all__ = ["chunking_from_form", "diarized_response"]

Regions = Callable[[np.ndarray, int], list[tuple[float, float]]]


def _bad_chunking(detail: str) -> OpenAIHTTPError:
    return OpenAIHTTPError(400, f"Invalid chunking_strategy: {detail}", param="chunking_strategy",
                           code="invalid_value")


def chunking_from_form(raw: str | None, form: Mapping[str, Any]) -> str | dict[str, Any] | None:
    """The request's ``chunking_strategy``: ``"auto"``, a ``server_vad`` object (sent by the SDK as
    ``chunking_strategy[type]``, ``chunking_strategy[threshold]`` … form fields, or as JSON) or None.

    Raises
    ------
    OpenAIHTTPError
        400 ``invalid_value`` naming ``chunking_strategy`` for anything else.
    """
    fields = {key[len("chunking_strategy["):-1]: value for key, value in form.items()
              if key.startswith("chunking_strategy[") and key.endswith("]")}
    strategy: Any = dict(fields) if fields else raw
    if strategy in (None, "", "auto"):
        return strategy or None
    if isinstance(strategy, str):
        try:
            strategy = json.loads(strategy)
        except json.JSONDecodeError:
            strategy = None
    if not (isinstance(strategy, dict) and strategy.get("type") == "server_vad"):
        raise _bad_chunking(f"expected 'auto' or {{\"type\": \"server_vad\", …}}, got {raw!r}.")
    return strategy


def _regions(strategy: str | dict[str, Any] | None) -> Regions:
    """Silero VAD's speech regions, tuned by a ``server_vad`` chunking strategy's threshold and silence
    duration."""
    from voicelab.vad.regions import MIN_SILENCE_S, START_THRESHOLD, speech_regions

    if not isinstance(strategy, dict):
        return speech_regions

    try:
        threshold = float(strategy.get("threshold", START_THRESHOLD))
        silence_s = float(strategy.get("silence_duration_ms", MIN_SILENCE_S * 1000)) / 1000
    except (TypeError, ValueError):
        raise _bad_chunking("threshold and silence_duration_ms must be numbers.") from None
    if not (0.0 < threshold < 1.0 and silence_s >= 0):
        raise _bad_chunking("threshold must be between 0 and 1 and silence_duration_ms non-negative.")
    return partial(speech_regions, start_threshold=threshold, end_threshold=max(0.01, threshold - 0.15),
                   min_silence_s=silence_s)


def _reference_embeddings(names: list[str], references: list[str], settings: Any) -> dict[str, np.ndarray]:
    """Embed each known speaker's clip (blocking: runs in the thread pool)."""
    from voicelab.engines.speakers import embed

    known: dict[str, np.ndarray] = {}
    for index, (name, url) in enumerate(zip(names, references, strict=True)):
        param = f"known_speaker_references[{index}]"
        try:
            data = parse_audio_data_url(url, param)
        except ProtocolError as exc:
            raise OpenAIHTTPError.from_protocol(exc) from exc
        y, sr = decode_upload(data, None, settings, param=param)
        try:
            check_reference_duration(len(y) / sr, param)
        except ProtocolError as exc:
            raise OpenAIHTTPError.from_protocol(exc) from exc
        known[name] = embed(y, sr)
    return known


def _usage(result: Diarization) -> dict[str, Any]:
    audio = audio_tokens(result.duration * 1000, "user")
    output = text_tokens(result.text)
    return {
        "type": "tokens",
        "input_tokens": audio,
        "input_token_details": {"text_tokens": 0, "audio_tokens": audio},
        "output_tokens": output,
        "total_tokens": audio + output,
    }


def _segments(result: Diarization) -> list[dict[str, Any]]:
    return [
        {"type": "transcript.text.segment",
         **segment_fields(index, speaker=s.speaker, start=s.start, end=s.end, text=s.text)}
        for index, s in enumerate(result.segments)
    ]


async def _events(result: Diarization, diarized: bool) -> AsyncIterator[Event]:
    for index, segment in enumerate(_segments(result)):
        delta = segment["text"] if index == 0 else " " + segment["text"]
        event: dict[str, Any] = {"type": "transcript.text.delta", "delta": delta}
        if diarized:
            event["segment_id"] = segment["id"]
        yield event
        if diarized:
            yield segment
    yield {"type": "transcript.text.done", "text": result.text, "usage": _usage(result)}


async def diarized_response(
    request: Request,
    y: np.ndarray,
    sr: int,
    *,
    model: str,
    response_format: str,
    stream: bool,
    language: str | None,
    chunking: str | dict[str, Any] | None,
    known_speaker_names: list[str],
    known_speaker_references: list[str],
) -> Response:
    """Diarize the decoded upload and answer in ``response_format`` (or as a stream)."""
    from voicelab.engines.speakers import diarize

    try:
        check_chunking(model, len(y) / sr, chunking)
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    regions = _regions(chunking)
    settings = request.app.state.settings
    try:
        known = await run_in_threadpool(_reference_embeddings, known_speaker_names, known_speaker_references,
                                        settings)
        result = await run_in_threadpool(diarize, y, sr, language=language, known=known, regions=regions)
    except (ParameterError, EngineError) as exc:
        raise engine_error(exc) from exc
    if stream:
        return event_stream(_events(result, response_format == "diarized_json"))
    if response_format == "text":
        return PlainTextResponse(result.text + "\n", media_type="text/plain; charset=utf-8")
    if response_format == "diarized_json":
        return JSONResponse({"task": "transcribe", "duration": round(result.duration, 3), "text": result.text,
                             "segments": _segments(result), "usage": _usage(result)})
    return JSONResponse({"text": result.text, "usage": _usage(result)})
