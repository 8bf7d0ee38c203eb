"""``POST /v1/realtime/translations/calls``: a realtime translation session over WebRTC.

OpenAI's realtime-translation guide ("Create a browser WebRTC session") has the browser mint an ``ek_`` key
with ``POST /v1/realtime/translations/client_secrets``, then post its SDP offer here with that key
(``Content-Type: application/sdp``); the answer SDP comes back, the translated speech arrives on the remote
track and the transcript deltas on the ``oai-events`` data channel. The installed SDK has no method for this
endpoint (its ``realtime.translations`` resource is the WebSocket and the client secrets), so callers post
the offer themselves, as the guide does.

The session is the key's (its ``audio.output.language``, input transcription), or the defaults with a server
key and ``?model=gpt-realtime-translate``. The media run in
:class:`~voicelab.emulator.realtime.translation_call.TranslationCall` with the WebSocket's translation core
and engines; live calls count against :data:`~voicelab.emulator.routes.calls.MAX_LIVE_CALLS` and the server's
``max_sessions`` (429 beyond), and the session has the server's event-size and input-audio limits
(:mod:`voicelab.emulator.realtime.session_limits`).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from voicelab.emulator.auth import request_token
from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.realtime.session_limits import admit_session, released_on_failure
from voicelab.emulator.routes.calls import check_capacity, offer_and_session, run_call
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import check_model

__all__ = ["router"]

router = APIRouter(tags=["realtime"])


@router.post("/realtime/translations/calls", status_code=201)
async def create_translation_call(request: Request) -> Response:
    """Answer a WebRTC offer with a translation session: 201 and the answer SDP."""
    from voicelab.emulator.realtime.translation_call import TranslationCall
    from voicelab.emulator.realtime.translation_route import new_translation_core

    offer, form_session = await offer_and_session(request)
    if form_session:
        raise OpenAIHTTPError(
            400,
            "A translation call takes its session from the ek_ key: set it when minting the key with "
            "POST /v1/realtime/translations/client_secrets.",
            param="session",
            code="unknown_parameter",
        )
    if "m=audio" not in offer:
        raise OpenAIHTTPError(
            400,
            "The SDP offer has no audio media section (m=audio): the source speech travels on an audio "
            "track.",
            param="sdp",
            code="invalid_offer",
        )
    model, session = _model_and_session(request)
    check_capacity()
    app = request.app
    sessions = admit_session(app)
    with released_on_failure(sessions):
        core, engines = new_translation_core(app, model, session)
        call = TranslationCall(core, engines)
        try:
            answer = await call.answer(offer)
        except Exception as exc:
            await call.peer.close()
            raise OpenAIHTTPError(
                400, f"The SDP offer could not be answered: {exc}.", param="sdp", code="invalid_offer"
            ) from exc
    run_call(call, core.session["expires_at"] - time.time(), session=sessions)
    return Response(answer, status_code=201, media_type="application/sdp")


def _model_and_session(request: Request) -> tuple[str, dict[str, Any]]:
    """The translation model and the ``ek_`` key's session (a server key: ``?model=`` and the defaults)."""
    keys = getattr(request.app.state, "keys", None)
    ephemeral = keys.lookup(request_token(request.headers)) if keys is not None else None
    session = dict(getattr(ephemeral, "session", None) or {})
    if ephemeral is not None and session.get("type") != "translation":
        raise OpenAIHTTPError(
            401,
            "This client secret was created for a Realtime session, not a translation session: create it "
            "with POST /v1/realtime/translations/client_secrets.",
            code="invalid_api_key",
        )
    model = request.query_params.get("model") or session.get("model")
    if not model:
        raise OpenAIHTTPError(
            400, "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
        )
    try:
        check_model(str(model), "realtime_translation", param="model")
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    return str(model), session
