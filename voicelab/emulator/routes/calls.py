"""``/v1/realtime/calls``: WebRTC calls (``POST``) and call control (``/v1/realtime/calls/{call_id}/…``).

``POST /v1/realtime/calls?model=…`` takes the caller's SDP offer, either as the raw body
(``Content-Type: application/sdp``, what OpenAI's WebRTC guide and the source documents' browser code send)
or as the unified multipart form the SDK's ``client.realtime.calls.create(sdp=…, session=…)`` sends (``sdp``
plus a ``session`` JSON part). It authenticates with the server's key or an ephemeral ``ek_`` key (whose
session config applies first; the form's ``session`` on top), answers ``201 Created`` with the answer SDP
(``application/sdp``) and ``Location: /v1/realtime/calls/rtc_u1_…``, and the call runs on
:class:`~voicelab.emulator.realtime.webrtc.WebRTCCall` until it is hung up. The id is what the sideband
WebSocket (``/v1/realtime?call_id=…``) and the control endpoints take.

Expensive work is bounded before it starts: an offer over 64 KiB is refused, and at most
:data:`MAX_LIVE_CALLS` calls run at once (429 beyond).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from voicelab.emulator.auth import request_token
from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.realtime.calls import Call, CallRegistry
from voicelab.emulator.realtime.faults import FaultConfig
from voicelab.emulator.realtime.sideband import call_not_found
from voicelab.protocol import session as protocol_session
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import check_model

__all__ = ["MAX_LIVE_CALLS", "MAX_SDP_BYTES", "call_or_404", "router"]

log = logging.getLogger(__name__)
router = APIRouter(tags=["realtime"])

MAX_SDP_BYTES = 64 * 1024
MAX_LIVE_CALLS = 32
_CALL_TASKS: set[asyncio.Task] = set()


def _registry(request: Request) -> CallRegistry:
    calls = getattr(request.app.state, "calls", None)
    if calls is None:
        calls = request.app.state.calls = CallRegistry()
    return calls


def call_or_404(request: Request, call_id: str) -> Call:
    """The live call ``call_id``, or OpenAI's 404."""
    call = _registry(request).live(call_id)
    if call is None:
        raise OpenAIHTTPError(
            404, call_not_found(call_id)["error"]["message"], param="call_id", code="call_id_not_found"
        )
    return call


async def _offer_and_session(request: Request) -> tuple[str, dict[str, Any]]:
    """The SDP offer and the form's ``session`` (``{}`` with a raw SDP body)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_SDP_BYTES:
        raise OpenAIHTTPError(413, f"The SDP offer is larger than {MAX_SDP_BYTES} bytes.", param="sdp")
    if content_type == "application/sdp":
        body = await request.body()
        if len(body) > MAX_SDP_BYTES:
            raise OpenAIHTTPError(413, f"The SDP offer is larger than {MAX_SDP_BYTES} bytes.", param="sdp")
        return body.decode("utf-8", "replace"), {}
    if content_type == "multipart/form-data":
        form = await request.form(max_files=2, max_fields=4, max_part_size=MAX_SDP_BYTES)
        sdp, session = form.get("sdp"), form.get("session")
        sdp_text = (await sdp.read()).decode("utf-8", "replace") if not isinstance(sdp, str | None) else sdp
        if not sdp_text:
            raise OpenAIHTTPError(
                400, "Missing required parameter: 'sdp'.", param="sdp", code="missing_required_parameter"
            )
        if session is None:
            return str(sdp_text), {}
        raw = session if isinstance(session, str) else (await session.read()).decode("utf-8", "replace")
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise OpenAIHTTPError(400, f"'session' is not valid JSON: {exc}.", param="session") from exc
        if not isinstance(parsed, dict):
            raise OpenAIHTTPError(400, "'session' must be a JSON object.", param="session")
        return str(sdp_text), parsed
    raise OpenAIHTTPError(
        400,
        "Send the SDP offer as the body with Content-Type: application/sdp, or as multipart/form-data with "
        f"an 'sdp' part (and optionally a 'session' JSON part); got Content-Type {content_type or 'none'!r}.",
        param="sdp",
    )


def _session(request: Request, form_session: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The call's model and initial session: the ``ek_`` key's session, then the form's, checked."""
    keys = request.app.state.keys
    ephemeral = keys.lookup(request_token(request.headers))
    session = dict(getattr(ephemeral, "session", None) or {})
    try:
        if form_session:
            update = protocol_session.validate_session(
                protocol_session.session_request({"type": "realtime", **form_session})
            )
            session = {**session, **update}
        if session.get("type", "realtime") != "realtime":
            raise ProtocolError("invalid_value", "A WebRTC call needs a realtime session.", "session.type")
        model = request.query_params.get("model") or session.get("model") or "gpt-realtime"
        check_model(str(model), "realtime", param="model")
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    session.pop("model", None)
    return str(model), session


@router.post("/realtime/calls", status_code=201)
async def create_call(request: Request) -> Response:
    """Answer a WebRTC offer: 201, the answer SDP and ``Location: /v1/realtime/calls/{call_id}``."""
    from voicelab.emulator.realtime.core import ServerCore
    from voicelab.emulator.realtime.route import Engines
    from voicelab.emulator.realtime.webrtc import WebRTCCall
    from voicelab.emulator.settings import EmulatorSettings

    offer, form_session = await _offer_and_session(request)
    if "m=audio" not in offer and "m=application" not in offer:
        raise OpenAIHTTPError(
            400,
            "The SDP offer has no audio or data channel media section (m=audio / m=application).",
            param="sdp",
            code="invalid_offer",
        )
    model, session = _session(request, form_session)
    calls = _registry(request)
    if len(_CALL_TASKS) >= MAX_LIVE_CALLS:
        raise OpenAIHTTPError(
            429,
            f"Too many live calls (at most {MAX_LIVE_CALLS}); hang one up first.",
            type="rate_limit_error",
            code="rate_limit_exceeded",
        )
    app = request.app
    settings = getattr(app.state, "settings", None) or EmulatorSettings()
    engines = getattr(app.state, "realtime_engines", None) or Engines.default(
        vad_detector=settings.realtime_vad_detector
    )
    faults = getattr(app.state, "realtime_faults", None) or FaultConfig.from_settings(settings)
    now = time.time()
    try:
        core = ServerCore(model=model, now=now, vad_factory=engines.vad_factory, session=session)
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    call = calls.create("webrtc")
    pump = WebRTCCall(
        core,
        getattr(app.state, "responder", None),
        engines,
        dataclasses.replace(faults, pacing=False),
        call=call,
        calls=calls,
    )
    try:
        answer = await pump.answer(offer)
    except Exception as exc:
        calls.end(call.id)
        await pump.peer.close()
        raise OpenAIHTTPError(
            400, f"The SDP offer could not be answered: {exc}.", param="sdp", code="invalid_offer"
        ) from exc
    call.pump, call.hangup = pump, pump.hangup
    task = asyncio.create_task(
        pump.run(core.session["expires_at"] - now, "Your session hit the maximum duration of 60 minutes.")
    )
    _CALL_TASKS.add(task)
    task.add_done_callback(_CALL_TASKS.discard)
    return Response(
        answer,
        status_code=201,
        media_type="application/sdp",
        headers={"Location": f"/v1/realtime/calls/{call.id}"},
    )


@router.post("/realtime/calls/{call_id}/hangup")
async def hangup_call(request: Request, call_id: str) -> Response:
    """End a WebRTC or SIP call: media stops, the session closes, sideband sockets are closed."""
    call = call_or_404(request, call_id)
    if call.hangup is not None:
        await call.hangup()
    _registry(request).end(call.id)
    return Response(status_code=200)
