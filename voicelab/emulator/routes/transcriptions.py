"""``POST /v1/audio/transcriptions`` and ``POST /v1/audio/translations`` (multipart), on offline Whisper base.

Usage is shaped as OpenAI does: ``{"type": "duration", "seconds"}`` for ``whisper-1`` and
``{"type": "tokens", …}`` for the token-billed transcribe models (audio tokens at 10 per second, text tokens
≈ 4 chars).
``stream=true`` with a token model answers ``transcript.text.delta`` events then ``transcript.text.done``;
``whisper-1`` ignores ``stream`` as OpenAI does. The deltas come as the audio is recognised, turn by turn
(``voicelab.emulator.incremental_stt``, with the request's ``keywords[]`` and ``languages[]``;
``gpt-transcribe`` reports the languages its turns were heard in; with ``include[]=logprobs`` each turn's
token deltas come when the turn ends, as only its final pass has per-token logprobs).

Options follow :mod:`voicelab.protocol.transcription`: ``keywords[]`` (Whisper hotwords) and ``languages[]``
(language detection limited to them) for ``gpt-transcribe``, which also reports ``languages``;
``include[]=logprobs`` gives Whisper's per-token log probabilities. Word and segment times are snapped to the
speech Silero VAD hears (:mod:`voicelab.engines.word_timing`).
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.routes import _formats
from voicelab.emulator.routes._common import check_model, decode_upload, engine_error
from voicelab.emulator.routes._diarize import chunking_from_form, diarized_response
from voicelab.emulator.routes._sse import Event, event_stream
from voicelab.emulator.routes._stream_transcription import incremental_events
from voicelab.engines.stt import logprob_dicts, token_pieces
from voicelab.errors import EngineError, ParameterError
from voicelab.protocol.billing import audio_tokens, text_tokens
from voicelab.protocol.diarization import check_diarize_request, is_diarize_model
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.transcription import OPTION_MODELS, check_options, reports_languages

__all__ = ["router", "transcribe"]

router = APIRouter(tags=["audio"])

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
TranscriptionFormat = Literal["json", "text", "srt", "verbose_json", "vtt", "diarized_json"]
TranscriptionModel = Literal[
    "whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-4o-transcribe-diarize"
]


async def transcribe(
    y: Any,
    sr: int,
    *,
    language: str | None,
    prompt: str | None,
    temperature: float,
    task: str,
    word_timestamps: bool,
    keywords: list[str] | None = None,
    languages: list[str] | None = None,
) -> Any:
    """Run the STT engine in a worker thread (it loads Whisper once, lazily); times snapped to the speech
    Silero VAD hears."""
    from voicelab.engines import stt
    from voicelab.vad.regions import speech_regions

    try:
        return await run_in_threadpool(
            stt.transcribe,
            y,
            sr,
            language=language,
            prompt=prompt,
            temperature=temperature,
            task=task,
            word_timestamps=word_timestamps,
            keywords=keywords,
            languages=languages,
            speech=speech_regions,
        )
    except (ParameterError, EngineError) as exc:
        raise engine_error(exc) from exc


def _token_usage(transcript: Any, prompt: str | None) -> dict[str, Any]:
    audio = audio_tokens(float(transcript.duration) * 1000, "user")
    prompt_tokens = text_tokens(prompt or "")
    output_tokens = text_tokens(transcript.text.strip())
    return {
        "type": "tokens",
        "input_tokens": audio + prompt_tokens,
        "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio},
        "output_tokens": output_tokens,
        "total_tokens": audio + prompt_tokens + output_tokens,
    }


def _languages(transcript: Any) -> list[dict[str, str]]:
    """The detected language, as ``languages`` reports it (empty when nothing was heard)."""
    return [{"code": transcript.language}] if transcript.text.strip() else []


def _token_pieces(transcript: Any) -> list[tuple[str, list[Any]]]:
    """The stream's delta pieces: whole-text token groups; the whole text at once if there are no tokens."""
    pieces = token_pieces(transcript.tokens)
    if not pieces or "".join(p for p, _ in pieces).strip() != transcript.text.strip():
        return [(transcript.text.strip(), list(transcript.tokens))]
    return pieces


async def _stream_events(
    transcript: Any, prompt: str | None, logprobs: bool, languages: bool
) -> AsyncIterator[Event]:
    pieces = _token_pieces(transcript)
    for index, (piece, tokens) in enumerate(pieces):
        delta = piece.lstrip() if index == 0 else piece
        event: dict[str, Any] = {"type": "transcript.text.delta", "delta": delta}
        if logprobs:
            event["logprobs"] = logprob_dicts(tokens)
        yield event
    done: dict[str, Any] = {
        "type": "transcript.text.done",
        "text": transcript.text.strip(),
        "usage": _token_usage(transcript, prompt),
    }
    if logprobs:
        done["logprobs"] = logprob_dicts(transcript.tokens)
    if languages:
        done["languages"] = _languages(transcript)
    yield done


def _check_language(language: str | None, *, param: str = "language") -> str | None:
    if language is None or language == "":
        return None
    code = language.strip().lower()
    if code not in _formats.WHISPER_LANGUAGES:
        raise OpenAIHTTPError(
            400,
            f"Invalid language {language!r}. Language parameter must be specified in "
            "ISO-639-1 format (e.g. 'en', 'ja').",
            param=param,
            code="invalid_value",
        )
    return code


def _text_response(body: str, response_format: str) -> Response:
    media = {"text": "text/plain", "srt": "application/x-subrip", "vtt": "text/vtt"}[response_format]
    return PlainTextResponse(body, media_type=f"{media}; charset=utf-8")


async def _read_upload(file: UploadFile, request: Request) -> tuple[Any, int]:
    settings = request.app.state.settings
    data = await file.read(settings.max_upload_bytes + 1)
    return await run_in_threadpool(decode_upload, data, file.filename, settings)


Temperature = Annotated[float, Form(ge=0.0, le=1.0)]


@router.post(
    "/audio/transcriptions",
    responses={200: {"content": {"application/json": {}, "text/plain": {}, "text/event-stream": {}}}},
)
async def create_transcription(
    request: Request,
    file: Annotated[UploadFile, File(description="flac mp3 mp4 mpeg mpga m4a ogg wav webm, up to 25 MB")],
    model: Annotated[TranscriptionModel | str, Form()],
    language: Annotated[str | None, Form()] = None,
    prompt: Annotated[str | None, Form()] = None,
    response_format: Annotated[TranscriptionFormat, Form()] = "json",
    temperature: Temperature = 0.0,
    timestamp_granularities: Annotated[
        list[Literal["word", "segment"]] | None, Form(alias="timestamp_granularities[]")
    ] = None,
    include: Annotated[list[Literal["logprobs"]] | None, Form(alias="include[]")] = None,
    stream: Annotated[bool | None, Form()] = None,
    chunking_strategy: Annotated[str | None, Form()] = None,
    keywords: Annotated[list[str] | None, Form(alias="keywords[]")] = None,
    languages: Annotated[list[str] | None, Form(alias="languages[]")] = None,
    known_speaker_names: Annotated[list[str] | None, Form(alias="known_speaker_names[]")] = None,
    known_speaker_references: Annotated[list[str] | None, Form(alias="known_speaker_references[]")] = None,
) -> Response:
    """Transcribe audio into the input language (with speaker labels for gpt-4o-transcribe-diarize)."""
    check_model(model, "transcription")
    try:
        check_options("rest", model, {"keywords": keywords, "languages": languages, "prompt": prompt})
        check_diarize_request(
            model,
            response_format=response_format,
            options={"include": include, "timestamp_granularities": timestamp_granularities},
            known_speaker_names=known_speaker_names,
            known_speaker_references=known_speaker_references,
        )
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    if is_diarize_model(model):
        chunking = chunking_from_form(chunking_strategy, await request.form())
        code = _check_language(language)
        y, sr = await _read_upload(file, request)
        return await diarized_response(
            request, y, sr, model=model, response_format=response_format, stream=bool(stream), language=code,
            chunking=chunking, known_speaker_names=list(known_speaker_names or []),
            known_speaker_references=list(known_speaker_references or []),
        )
    candidates = [_check_language(code, param="languages") or "" for code in languages or []]
    token_model = model != "whisper-1"
    if token_model and response_format not in ("json", "text"):
        raise OpenAIHTTPError(
            400,
            f"response_format '{response_format}' is not compatible with model '{model}'; "
            "use 'json' (or whisper-1 for srt, vtt and verbose_json).",
            param="response_format",
            code="unsupported_value",
        )
    if timestamp_granularities and response_format != "verbose_json":
        raise OpenAIHTTPError(
            400,
            "timestamp_granularities requires response_format 'verbose_json'.",
            param="timestamp_granularities",
            code="invalid_value",
        )
    logprobs = bool(include)
    if logprobs and (model not in OPTION_MODELS["rest"]["include"] or response_format != "json"):
        raise OpenAIHTTPError(
            400,
            "include[]=logprobs works only with response_format 'json' and the models "
            f"{', '.join(OPTION_MODELS['rest']['include'])}.",
            param="include",
            code="unsupported_value",
        )
    if chunking_strategy not in (None, "", "auto"):
        try:
            strategy = json.loads(chunking_strategy)
        except json.JSONDecodeError:
            strategy = None
        if not (isinstance(strategy, dict) and strategy.get("type") == "server_vad"):
            raise OpenAIHTTPError(
                400,
                f"Invalid chunking_strategy {chunking_strategy!r}: expected 'auto' or "
                '{"type": "server_vad", …}.',
                param="chunking_strategy",
                code="invalid_value",
            )
    code = _check_language(language)
    y, sr = await _read_upload(file, request)
    granularities = set(timestamp_granularities or [])
    if stream and token_model:  # deltas as the audio is recognised, not after
        duration = len(y) / sr
        return event_stream(
            incremental_events(
                y,
                sr,
                language=code,
                prompt=prompt,
                usage=lambda text: _token_usage(SimpleNamespace(duration=duration, text=text), prompt),
                keywords=keywords or (),
                languages=candidates or (),
                report_languages=reports_languages(model),
                logprobs=logprobs,
            )
        )
    want_words = "word" in granularities or logprobs or (bool(stream) and token_model)
    transcript = await transcribe(
        y,
        sr,
        language=code,
        prompt=prompt,
        temperature=temperature,
        task="transcribe",
        word_timestamps=want_words,
        keywords=keywords,
        languages=candidates,
    )
    report_languages = reports_languages(model)
    if stream and token_model:
        return event_stream(_stream_events(transcript, prompt, logprobs, report_languages))
    if response_format in ("text", "srt", "vtt"):
        render = {"text": _formats.text, "srt": _formats.srt, "vtt": _formats.vtt}[response_format]
        return _text_response(render(transcript), response_format)
    if response_format == "verbose_json":
        body = _formats.verbose(
            transcript,
            task="transcribe",
            segments=not granularities or "segment" in granularities,
            words="word" in granularities,
        )
        return JSONResponse(body)
    result: dict[str, Any] = {"text": transcript.text.strip()}
    if report_languages:
        result["languages"] = _languages(transcript)
    if logprobs:
        result["logprobs"] = logprob_dicts(transcript.tokens)
    result["usage"] = (
        _token_usage(transcript, prompt)
        if token_model
        else {"type": "duration", "seconds": math.ceil(float(transcript.duration))}
    )
    return JSONResponse(result)


@router.post(
    "/audio/translations",
    responses={200: {"content": {"application/json": {}, "text/plain": {}}}},
)
async def create_translation(
    request: Request,
    file: Annotated[UploadFile, File(description="flac mp3 mp4 mpeg mpga m4a ogg wav webm, up to 25 MB")],
    model: Annotated[Literal["whisper-1"] | str, Form()],
    prompt: Annotated[str | None, Form()] = None,
    response_format: Annotated[ResponseFormat, Form()] = "json",
    temperature: Temperature = 0.0,
) -> Response:
    """Translate audio into English text (Whisper's translate task)."""
    check_model(model, "translation")
    y, sr = await _read_upload(file, request)
    transcript = await transcribe(
        y, sr, language=None, prompt=prompt, temperature=temperature, task="translate", word_timestamps=False
    )
    if response_format in ("text", "srt", "vtt"):
        render = {"text": _formats.text, "srt": _formats.srt, "vtt": _formats.vtt}[response_format]
        return _text_response(render(transcript), response_format)
    if response_format == "verbose_json":
        body = _formats.verbose(transcript, task="translate", language="english")
        return JSONResponse(body)
    return JSONResponse({"text": transcript.text.strip()})
