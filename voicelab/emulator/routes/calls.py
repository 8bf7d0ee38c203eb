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
:data:`MAX_LIVE_CALLS` calls run at once (429 beyond). A call's session has the server's limits, as a
WebSocket session has (:mod:`voicelab.emulator.realtime.session_limits`): it takes one of the
``max_sessions`` slots from the ``POST`` that starts it (the WebRTC offer, a SIP call's ``accept``; OpenAI's
429 ``rate_limit_exceeded`` when none is free) until it is hung up, and its core and event queue have the
configured sizes.
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

from voicelab.emulator.admission import Slots
from voicelab.emulator.auth import request_token
from voicelab.emulator.custom_voices import check_realtime_voices
from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.realtime.calls import Call, CallRegistry, CallState
from voicelab.emulator.realtime.faults import FaultConfig
from voicelab.emulator.realtime.session_limits import (
    admit_session,
    limit_core,
    limit_pump,
    released_on_failure,
    settings_of,
)
from voicelab.emulator.realtime.sideband import call_not_found
from voicelab.protocol import session as protocol_session
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import check_model

__all__ = [
    "MAX_LIVE_CALLS",
    "MAX_SDP_BYTES",
    "call_or_404",
    "check_capacity",
    "checked_session",
    "new_core",
    "offer_and_session",
    "router",
    "run_call",
]

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


async def offer_and_session(request: Request) -> tuple[str, dict[str, Any]]:
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


def checked_session(
    base: dict[str, Any],
    update: dict[str, Any],
    model: str | None,
    *,
    param: str = "session",
    voices: Any = None,
) -> tuple[str, dict[str, Any]]:
    """A call's model and initial session: ``base`` (an ``ek_`` key's session) with ``update`` on top, checked
    by the SDK's types and OpenAI's rules (an OpenAI-shaped 400/404 naming the parameter otherwise); a custom
    voice ``{"id": …}`` must be one of ``voices`` (the emulator's voice store)."""
    session = dict(base)
    try:
        if update:
            checked = protocol_session.validate_session(
                protocol_session.session_request({"type": "realtime", **update})
            )
            check_realtime_voices(voices, {"session": update})
            session = {**session, **checked}
        if session.get("type", "realtime") != "realtime":
            raise ProtocolError("invalid_value", "A call needs a realtime session.", f"{param}.type")
        model = model or session.get("model") or "gpt-realtime"
        check_model(str(model), "realtime", param="model")
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    session.pop("model", None)
    return str(model), session


def _session(request: Request, form_session: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The WebRTC call's model and session: the ``ek_`` key's session, then the form's."""
    ephemeral = request.app.state.keys.lookup(request_token(request.headers))
    base = dict(getattr(ephemeral, "session", None) or {})
    voices = getattr(request.app.state, "voices", None)
    return checked_session(base, form_session, request.query_params.get("model"), voices=voices)


def new_core(app: Any, model: str, session: dict[str, Any]) -> tuple[Any, Any, FaultConfig, float]:
    """A session core for a call, with the app's engines, faults (pacing off: the media paces itself) and
    limits."""
    from voicelab.emulator.realtime.core import ServerCore
    from voicelab.emulator.realtime.route import Engines

    settings = settings_of(app)
    engines = getattr(app.state, "realtime_engines", None) or Engines.default(
        vad_detector=settings.realtime_vad_detector
    )
    faults = getattr(app.state, "realtime_faults", None) or FaultConfig.from_settings(settings)
    now = time.time()
    try:
        core = ServerCore(
            model=model,
            now=now,
            vad_factory=engines.vad_factory,
            session=session,
            transcriber_factory=engines.streaming,
            voices=getattr(app.state, "voices", None),
        )
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    limit_core(core, settings)
    return core, engines, dataclasses.replace(faults, pacing=False), core.session["expires_at"] - now


def run_call(pump: Any, expires_in: float, *, session: Slots | None = None) -> asyncio.Task:
    """Run a call's pump in the background until it ends (kept referenced, counted against the limit);
    ``session``: the ``max_sessions`` slot it holds, given back when it ends."""
    task = asyncio.create_task(pump.run(expires_in, "Your session hit the maximum duration of 60 minutes."))
    _CALL_TASKS.add(task)
    task.add_done_callback(_CALL_TASKS.discard)
    if session is not None:
        task.add_done_callback(lambda _: session.release())
    return task


def check_capacity() -> None:
    """At most :data:`MAX_LIVE_CALLS` calls at once (429 beyond), checked before any work starts."""
    if len(_CALL_TASKS) >= MAX_LIVE_CALLS:
        raise OpenAIHTTPError(
            429,
            f"Too many live calls (at most {MAX_LIVE_CALLS}); hang one up first.",
            type="rate_limit_error",
            code="rate_limit_exceeded",
        )


@router.post("/realtime/calls", status_code=201)
async def create_call(request: Request) -> Response:
    """Answer a WebRTC offer: 201, the answer SDP and ``Location: /v1/realtime/calls/{call_id}``."""
    from voicelab.emulator.realtime.webrtc import WebRTCCall

    offer, form_session = await offer_and_session(request)
    if "m=audio" not in offer and "m=application" not in offer:
        raise OpenAIHTTPError(
            400,
            "The SDP offer has no audio or data channel media section (m=audio / m=application).",
            param="sdp",
            code="invalid_offer",
        )
    model, session = _session(request, form_session)
    calls = _registry(request)
    check_capacity()
    app = request.app
    sessions = admit_session(app)
    with released_on_failure(sessions):
        core, engines, faults, expires_in = new_core(app, model, session)
        call = calls.create("webrtc")
        responder = getattr(app.state, "responder", None)
        pump = limit_pump(WebRTCCall(core, responder, engines, faults, call=call, calls=calls), app)
        try:
            answer = await pump.answer(offer)
        except Exception as exc:
            calls.end(call.id)
            await pump.peer.close()
            raise OpenAIHTTPError(
                400, f"The SDP offer could not be answered: {exc}.", param="sdp", code="invalid_offer"
            ) from exc
    call.pump, call.hangup = pump, pump.hangup
    run_call(pump, expires_in, session=sessions)
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


# ---------------------------------------------------------------------------------------------- SIP control
def _ringing(request: Request, call_id: str) -> Call:
    call = call_or_404(request, call_id)
    decision = call.details.get("decision")
    if call.state is not CallState.RINGING or decision is None or decision.done():
        raise OpenAIHTTPError(
            400,
            f"Call '{call_id}' is not waiting for an answer (only a ringing SIP call can be accepted, "
            "rejected or referred).",
            param="call_id",
            code="call_not_ringing",
        )
    return call


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_SDP_BYTES:
        raise OpenAIHTTPError(413, f"The request body is larger than {MAX_SDP_BYTES} bytes.")
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise OpenAIHTTPError(400, f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(body, dict):
        raise OpenAIHTTPError(400, "The body must be a JSON object.")
    return body


@router.post("/realtime/calls/{call_id}/accept")
async def accept_call(request: Request, call_id: str) -> Response:
    """Accept a ringing SIP call with a session config (``client.realtime.calls.accept``)."""
    call = _ringing(request, call_id)
    body = await _json_body(request)
    if body.get("type") != "realtime":
        raise OpenAIHTTPError(
            400,
            "Missing required parameter: 'type' (must be 'realtime').",
            param="type",
            code="missing_required_parameter",
        )
    voices = getattr(request.app.state, "voices", None)
    model, session = checked_session({}, body, body.get("model"), param="session", voices=voices)
    check_capacity()
    sessions = admit_session(request.app)  # the SIP trunk gives the slot back when the call ends
    answered: asyncio.Future = asyncio.get_running_loop().create_future()
    accepted = {"model": model, "session": session, "answered": answered, "sessions": sessions}
    with released_on_failure(sessions):
        call.details["decision"].set_result(("accept", accepted))
    await asyncio.wait_for(answered, 10)  # the session is up: the sideband can attach as soon as we return
    return Response(status_code=200)


@router.post("/realtime/calls/{call_id}/reject")
async def reject_call(request: Request, call_id: str) -> Response:
    """Decline a ringing SIP call with a SIP status (default 603 Decline)."""
    call = _ringing(request, call_id)
    status = (await _json_body(request)).get("status_code", 603)
    if not isinstance(status, int) or not 400 <= status <= 699:
        raise OpenAIHTTPError(
            400, f"Invalid 'status_code': {status!r} (a SIP status 400-699).", param="status_code"
        )
    call.details["decision"].set_result(("reject", {"status_code": status}))
    return Response(status_code=200)


@router.post("/realtime/calls/{call_id}/refer")
async def refer_call(request: Request, call_id: str) -> Response:
    """Transfer a SIP call (SIP REFER) to ``target_uri`` (``tel:…`` or ``sip:…``)."""
    call = call_or_404(request, call_id)
    target = (await _json_body(request)).get("target_uri")
    if not isinstance(target, str) or not target.startswith(("tel:", "sip:", "sips:")):
        raise OpenAIHTTPError(
            400,
            f"Invalid 'target_uri': {target!r} (a tel: or sip: URI).",
            param="target_uri",
            code="invalid_value" if target is not None else "missing_required_parameter",
        )
    decision = call.details.get("decision")
    if call.transport != "sip" or decision is None:
        raise OpenAIHTTPError(400, "Only SIP calls can be referred.", param="call_id")
    if not decision.done():
        decision.set_result(("refer", {"target_uri": target}))
    else:  # an answered call is transferred: the caller is told, the session ends
        call.details["referred_to"] = target
        if call.hangup is not None:
            await call.hangup()
    return Response(status_code=200)
