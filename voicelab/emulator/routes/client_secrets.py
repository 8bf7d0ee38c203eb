"""``POST /v1/realtime/client_secrets``: mint ``ek_…`` keys carrying a realtime or transcription session
config.

The session sent is validated against the SDK's GA types, normalised by the same code the Realtime WebSocket
uses (:mod:`voicelab.protocol.session`: OpenAI's defaults for what it omits), stored with the key in
``app.state.keys`` (the Realtime route applies it when a client connects with that key) and returned.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from voicelab.emulator.custom_voices import check_realtime_voices
from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.routes._common import new_id
from voicelab.protocol import session as protocol_session
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import check_model
from voicelab.protocol.voices import voice_name

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
    Realtime connection starts with (:func:`voicelab.protocol.session.default_session`).

    Examples
    --------
    >>> default_session()["audio"]["output"]["voice"], default_session("transcription")["type"]
    ('alloy', 'transcription')
    """
    return protocol_session.default_session(
        kind, session_id=new_id("sess"), model="gpt-realtime" if kind == "realtime" else None, expires_at=0
    )


def _validate_session(session: dict[str, Any], voices: Any = None) -> dict[str, Any]:
    """The effective session for a minted key: checked once by the SDK's types and OpenAI's limits, and
    normalised by the code the Realtime connection uses, so the key's session is applied there exactly as
    validated here. A custom voice ``{"id": …}`` must exist in ``voices`` (the emulator's voice store)."""
    request = {"type": "realtime", **session}
    try:
        normalized = protocol_session.normalize_session(request, session_id=new_id("sess"))
        check_realtime_voices(voices, {"session": request})
        if normalized["type"] == "realtime":
            check_model(normalized["model"], "realtime", param="session.model")
        return normalized
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc


@router.post("/realtime/client_secrets")
async def create_client_secret(request: Request, body: ClientSecretRequest | None = None) -> dict[str, Any]:
    """Mint an ephemeral ``ek_…`` key for a browser or phone to open a Realtime session."""
    body = body or ClientSecretRequest()
    expires_after = body.expires_after or ExpiresAfter()
    voices = getattr(request.app.state, "voices", None)
    session = _validate_session(body.session or {"type": "realtime"}, voices)
    key = request.app.state.keys.mint(session, expires_after.seconds)
    session["expires_at"] = key.expires_at
    return {"value": key.value, "expires_at": key.expires_at, "session": _as_response(session)}


def _as_response(session: dict[str, Any]) -> dict[str, Any]:
    """The session as the response types it: ``audio.output.voice`` is a string (a custom voice: its id)."""
    output = (session.get("audio") or {}).get("output")
    if not isinstance(output, dict) or "voice" not in output:
        return session
    audio = {**session["audio"], "output": {**output, "voice": voice_name(output["voice"])}}
    return {**session, "audio": audio}
