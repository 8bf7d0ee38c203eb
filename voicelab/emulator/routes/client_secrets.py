"""``POST /v1/realtime/client_secrets``: mint ``ek_…`` keys carrying a realtime or transcription session
config.

The session sent is validated against the SDK's GA types, normalised by the same code the Realtime WebSocket
uses (:mod:`voicelab.emulator.realtime.session`: OpenAI's defaults for what it omits), stored with the key in
``app.state.keys`` (the Realtime route applies it when a client connects with that key) and returned.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from voicelab.emulator.errors import OpenAIHTTPError, validation_error
from voicelab.emulator.realtime import session as realtime_session
from voicelab.emulator.realtime.validation import EventError
from voicelab.emulator.routes._common import REALTIME_MODELS, VOICE_NAMES, check_model, new_id

__all__ = ["ClientSecretRequest", "ExpiresAfter", "default_session", "router"]

router = APIRouter(tags=["realtime"])


class ExpiresAfter(BaseModel):
    """When the client secret expires: ``seconds`` (10..7200, default 600) after creation."""

    model_config = ConfigDict(extra="forbid")
    anchor: Literal["created_at"] = "created_at"
    seconds: Annotated[int, Field(ge=10, le=7200)] = 600


class ClientSecretRequest(BaseModel):
    """The JSON body of ``POST /v1/realtime/client_secrets``."""

    model_config = ConfigDict(extra="forbid")
    expires_after: ExpiresAfter | None = None
    session: dict[str, Any] | None = None


def default_session(kind: str = "realtime") -> dict[str, Any]:
    """The effective session config before any update, as OpenAI reports it (GA shape) — the same one a
    Realtime connection starts with (:func:`voicelab.emulator.realtime.session.default_session`).

    Examples
    --------
    >>> default_session()["audio"]["output"]["voice"], default_session("transcription")["type"]
    ('alloy', 'transcription')
    """
    return realtime_session.default_session(
        kind, session_id=new_id("sess"), model="gpt-realtime" if kind == "realtime" else None, expires_at=0
    )


def _validate_session(session: dict[str, Any]) -> dict[str, Any]:
    from openai.types.realtime.realtime_session_create_request_param import RealtimeSessionCreateRequestParam
    from openai.types.realtime.realtime_transcription_session_create_request_param import (
        RealtimeTranscriptionSessionCreateRequestParam,
    )

    kind = session.get("type", "realtime")
    if kind not in ("realtime", "transcription"):
        raise OpenAIHTTPError(
            400,
            f"Invalid value: {kind!r}. Supported values are: 'realtime' and 'transcription'.",
            param="session.type",
            code="invalid_value",
        )
    spec: Any = (
        RealtimeSessionCreateRequestParam
        if kind == "realtime"
        else RealtimeTranscriptionSessionCreateRequestParam
    )
    request = {"type": kind, **session}
    unknown = sorted(set(request) - set(spec.__annotations__))
    if unknown:
        raise OpenAIHTTPError(
            400,
            f"Unknown parameter: 'session.{unknown[0]}'.",
            param=f"session.{unknown[0]}",
            code="unknown_parameter",
        )
    try:
        TypeAdapter(spec).validate_python(request)
    except ValidationError as exc:
        error = validation_error([{**e, "loc": ("session", *e["loc"])} for e in exc.errors()])
        raise error from exc
    if kind == "realtime":
        if "model" in request:
            check_model(str(request["model"]), REALTIME_MODELS, param="session.model")
        output = (request.get("audio") or {}).get("output") or {}
        voice = output.get("voice")
        if isinstance(voice, str) and voice not in VOICE_NAMES:
            raise OpenAIHTTPError(
                400,
                f"Invalid value: {voice!r}. Supported values are: {', '.join(repr(v) for v in VOICE_NAMES)}.",
                param="session.audio.output.voice",
                code="invalid_value",
            )
        speed = output.get("speed")
        if speed is not None and not 0.25 <= float(speed) <= 1.5:
            raise OpenAIHTTPError(
                400,
                f"Invalid 'session.audio.output.speed': expected a value between 0.25 and 1.5, got {speed}.",
                param="session.audio.output.speed",
                code="decimal_above_max_value" if float(speed) > 1.5 else "decimal_below_min_value",
            )
    try:
        # the one session normaliser the Realtime connection also uses, so the key's session is applied there
        # exactly as validated here
        return realtime_session.normalize_session(request, session_id=new_id("sess"))
    except EventError as exc:
        raise OpenAIHTTPError(400, exc.message, param=exc.param, code=exc.code) from exc


@router.post("/realtime/client_secrets")
async def create_client_secret(request: Request, body: ClientSecretRequest | None = None) -> dict[str, Any]:
    """Mint an ephemeral ``ek_…`` key for a browser or phone to open a Realtime session."""
    body = body or ClientSecretRequest()
    expires_after = body.expires_after or ExpiresAfter()
    session = _validate_session(body.session or {"type": "realtime"})
    key = request.app.state.keys.mint(session, expires_after.seconds)
    session["expires_at"] = key.expires_at
    return {"value": key.value, "expires_at": key.expires_at, "session": session}
