"""Custom voices: ``/v1/audio/voice_consents`` and ``/v1/audio/voices``, as ``client.audio`` calls them.

A consent recording (≤ 10 MiB, ≤ 30 s) must exist before a voice is made from a speaker's sample: OpenAI
asks for the speaker's recorded consent, reading its consent phrase for the language — Whisper checks that
it does (:mod:`voicelab.emulator.consent_check`). The sample (≤ 10 MiB, at least 0.5 s of
voiced speech) is measured off the event loop and stored as a rendering of a built-in voice
(:mod:`voicelab.emulator.custom_voices`, :mod:`voicelab.engines.voice_profile`). Voices made from a text
prompt are stored as OpenAI does, and refused where OpenAI refuses them (everywhere but Live).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from voicelab.emulator.consent_check import check_consent
from voicelab.emulator.custom_voices import VoiceStore
from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.routes._common import decode_upload
from voicelab.errors import ParameterError
from voicelab.protocol.consent import consent_phrase
from voicelab.protocol.errors import ProtocolError

__all__ = ["MAX_RECORDING_BYTES", "router"]

router = APIRouter(tags=["audio"])

MAX_RECORDING_BYTES = 10 * 1024 * 1024
"""Consent recordings and voice samples: "Maximum size is 10 MiB" (the SDK's voice params)."""
MAX_SAMPLE_SECONDS = 30.0
MAX_VOICES = 20
"""OpenAI's custom-voices guide: a sample of at most 30 s; at most 20 voices per organization."""


def _store(request: Request) -> VoiceStore:
    store: VoiceStore = request.app.state.voices
    return store


def _not_found(exc: ProtocolError) -> OpenAIHTTPError:
    """An unknown id, as OpenAI answers it: 404 ``not_found`` with the store's message and parameter."""
    return OpenAIHTTPError(404, exc.message, param=exc.param, code="not_found")


@contextmanager
def _answered_as(
    answer: Callable[[ProtocolError], OpenAIHTTPError] = OpenAIHTTPError.from_protocol,
) -> Iterator[None]:
    """A :class:`ProtocolError` raised in the block, raised again as the HTTP error ``answer`` makes of it (by
    default: the error's own status, message, parameter and code)."""
    try:
        yield
    except ProtocolError as exc:
        raise answer(exc) from exc


async def _read_audio(request: Request, upload: UploadFile, param: str) -> tuple[Any, int]:
    data = await upload.read(MAX_RECORDING_BYTES + 1)
    if len(data) > MAX_RECORDING_BYTES:
        raise OpenAIHTTPError(
            400,
            f"Invalid '{param}': the file is larger than 10 MiB ({len(data)} bytes or more).",
            param=param,
            code="file_too_large",
        )
    settings = request.app.state.settings
    return await run_in_threadpool(decode_upload, data, upload.filename, settings, param=param)


# ---------------------------------------------------------------------------------------------- consents


@router.post("/audio/voice_consents")
async def create_consent(
    request: Request,
    name: Annotated[str, Form(min_length=1, max_length=256)],
    language: Annotated[str, Form(min_length=2, max_length=35)],
    recording: Annotated[UploadFile, File(description="the consent recording, at most 10 MiB")],
) -> dict[str, Any]:
    """Store a consent recording's metadata once it reads OpenAI's consent phrase for ``language`` (checked
    by Whisper off the event loop, :mod:`voicelab.emulator.consent_check`; the audio is not kept)."""
    with _answered_as():
        consent_phrase(language)  # a language without a phrase is refused before the audio is read
    y, sr = await _read_audio(request, recording, "recording")
    with _answered_as():
        await run_in_threadpool(check_consent, y, sr, language)
    return _store(request).add_consent(name=name, language=language)


@router.get("/audio/voice_consents")
async def list_consents(request: Request, after: str | None = None, limit: int = 20) -> dict[str, Any]:
    """Consent recordings, oldest first, in pages of ``limit`` (1–100) after the id ``after``."""
    if not 1 <= limit <= 100:
        raise OpenAIHTTPError(
            400, "Invalid 'limit': must be between 1 and 100.", param="limit", code="invalid_value"
        )
    items = _store(request).consents()
    if after is not None:
        ids = [item["id"] for item in items]
        if after not in ids:
            raise OpenAIHTTPError(
                400, f"No consent recording with id {after!r}.", param="after", code="invalid_value"
            )
        items = items[ids.index(after) + 1 :]
    page = items[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": len(items) > limit,
    }


@router.get("/audio/voice_consents/{consent_id}")
async def retrieve_consent(request: Request, consent_id: str) -> dict[str, Any]:
    with _answered_as(_not_found):
        return _store(request).consent(consent_id)


class _Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


@router.post("/audio/voice_consents/{consent_id}")
async def update_consent(request: Request, consent_id: str, body: _Rename) -> dict[str, Any]:
    with _answered_as(_not_found):
        return _store(request).rename_consent(consent_id, body.name)


@router.delete("/audio/voice_consents/{consent_id}")
async def delete_consent(request: Request, consent_id: str) -> dict[str, Any]:
    with _answered_as(_not_found):
        return _store(request).delete_consent(consent_id)


# ---------------------------------------------------------------------------------------------- voices


@router.post("/audio/voices")
async def create_voice(request: Request) -> dict[str, Any]:
    """A voice from an audio sample and a consent id (multipart), or from a text prompt (JSON, multipart)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        if not isinstance(body, dict):
            raise OpenAIHTTPError(400, "The body must be a JSON object.", param=None, code="invalid_value")
        return _prompt_voice(request, body)
    async with request.form(max_part_size=MAX_RECORDING_BYTES + 1024) as form:
        return await _voice_from_form(request, form)


async def _voice_from_form(request: Request, form: Any) -> dict[str, Any]:
    kind = str(form.get("type") or "audio_sample")
    if kind == "prompt":
        return _prompt_voice(request, {k: v for k, v in form.items() if isinstance(v, str)})
    if kind != "audio_sample":
        raise OpenAIHTTPError(
            400,
            f"Invalid 'type': {kind!r}; use 'audio_sample' or 'prompt'.",
            param="type",
            code="invalid_value",
        )
    _require_text(form, "name", "consent")
    name, consent, sample = form.get("name"), form.get("consent"), form.get("audio_sample")
    if not isinstance(sample, UploadFile) and not hasattr(sample, "read"):
        raise _missing("audio_sample")
    store = _store(request)
    with _answered_as(_unknown_consent):
        store.consent(str(consent))
    if len(store.voices()) >= MAX_VOICES:
        raise OpenAIHTTPError(
            400,
            f"The organization already has {MAX_VOICES} custom voices, the most OpenAI allows: delete one.",
            param=None,
            code="voice_limit_reached",
        )
    y, sr = await _read_audio(request, sample, "audio_sample")
    if len(y) / sr > MAX_SAMPLE_SECONDS:
        raise OpenAIHTTPError(
            400,
            f"Invalid 'audio_sample': the sample is {len(y) / sr:.1f} s long; it must be at most 30 seconds.",
            param="audio_sample",
            code="audio_too_long",
        )
    rendering = await run_in_threadpool(_render, y, sr)
    return store.public(
        store.add_voice(name=str(name), kind="audio_sample", rendering=rendering, consent=str(consent))
    )


def _unknown_consent(exc: ProtocolError) -> OpenAIHTTPError:
    """A ``consent`` form field naming no stored recording: 400 ``invalid_value`` on ``consent``."""
    return OpenAIHTTPError(400, exc.message, param="consent", code="invalid_value")


def _render(y: Any, sr: int) -> dict[str, Any]:
    from voicelab.engines import voice_profile

    try:
        profile = voice_profile.measure(y, sr)
    except ParameterError as exc:
        raise OpenAIHTTPError(400, str(exc), param="audio_sample", code="invalid_value") from exc
    return {**voice_profile.derive(profile).to_dict(), "profile": dataclasses.asdict(profile)}


def _prompt_voice(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    _require_text(body, "name", "prompt")
    store = _store(request)
    return store.public(store.add_voice(name=str(body["name"]), kind="prompt", prompt=str(body["prompt"])))


def _require_text(fields: Mapping[str, Any], *params: str) -> None:
    """Each of ``params`` is a non-empty string in ``fields`` (a form or a JSON body), or a 400 naming it."""
    for param in params:
        value = fields.get(param)
        if not isinstance(value, str) or not value:
            raise _missing(param)


def _missing(param: str) -> OpenAIHTTPError:
    return OpenAIHTTPError(
        400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


@router.delete("/audio/voices/{voice_id}")
async def delete_voice(request: Request, voice_id: str) -> dict[str, Any]:
    with _answered_as(_not_found):
        return _store(request).delete_voice(voice_id)
