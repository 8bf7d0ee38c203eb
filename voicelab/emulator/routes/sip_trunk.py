"""``/voicelab/sip``: the simulated SIP trunk — a phone call into the emulator (see
:mod:`voicelab.emulator.realtime.sip` for the protocol and what a real trunk adds).

The caller connects with the server's key (``Authorization: Bearer``; pages are refused: a trunk is a
program), ``?from=…&to=…`` (the INVITE's ``From``/``To``). The call rings: the emulator POSTs the signed
``realtime.call.incoming`` webhook to ``EmulatorSettings.sip_webhook_url`` and waits (at most
:data:`RING_SECONDS`) for ``accept``, ``reject`` or ``refer`` on ``/v1/realtime/calls/{call_id}/…``.

Examples
--------
>>> RING_SECONDS
60.0
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time

from fastapi import APIRouter, WebSocket

from voicelab.emulator.auth import request_token
from voicelab.emulator.errors import error_body
from voicelab.emulator.realtime.calls import CallRegistry, CallState
from voicelab.emulator.realtime.refusal import deny
from voicelab.emulator.realtime.session_limits import limit_pump, released_on_failure
from voicelab.emulator.realtime.sip import SipCall
from voicelab.emulator.realtime.webhooks import deliver, incoming_call_event
from voicelab.emulator.routes.calls import check_capacity, new_core, run_call

__all__ = ["RING_SECONDS", "SIP_TRUNK_PATH", "router"]

router = APIRouter()
SIP_TRUNK_PATH = "/voicelab/sip"
RING_SECONDS = 60.0
_WEBHOOKS: set[asyncio.Task] = set()


@router.websocket(SIP_TRUNK_PATH)
async def sip_trunk(websocket: WebSocket) -> None:
    """An inbound call: ring (webhook), then media or the answer's refusal (see module docs)."""
    app = websocket.app
    keys = app.state.keys
    token = request_token(websocket.headers)
    if websocket.headers.get("origin") or keys.lookup(token) is not None or not keys.check(token).ok:
        await deny(
            websocket, 401, error_body("The SIP trunk needs the server's API key.", code="invalid_api_key")
        )
        return
    try:
        check_capacity()
    except Exception:
        await deny(websocket, 429, error_body("Too many live calls.", code="rate_limit_exceeded"))
        return
    calls: CallRegistry = app.state.calls
    call = calls.create("sip", state=CallState.RINGING)
    decision: asyncio.Future = asyncio.get_running_loop().create_future()
    call.details["decision"] = decision
    query = websocket.query_params
    sip_headers = [
        {"name": "From", "value": query.get("from") or "sip:+15550100@voicelab.invalid"},
        {"name": "To", "value": query.get("to") or "sip:proj_voicelab@sip.api.openai.com"},
        {"name": "Call-ID", "value": secrets.token_hex(8) + "@voicelab.invalid"},
    ]
    call.details["sip_headers"] = sip_headers
    await websocket.accept()
    await websocket.send_text(json.dumps({"type": "ringing", "call_id": call.id}))
    settings = app.state.settings
    if settings.sip_webhook_url and settings.sip_webhook_secret:
        event = incoming_call_event(call.id, sip_headers, now=time.time())
        task = asyncio.create_task(
            deliver(settings.sip_webhook_url, settings.sip_webhook_secret, event, now=time.time())
        )
        _WEBHOOKS.add(task)
        task.add_done_callback(_WEBHOOKS.discard)
    try:
        verb, detail = await asyncio.wait_for(decision, RING_SECONDS)
    except TimeoutError:
        verb, detail = "reject", {"status_code": 408}  # 408 Request Timeout: nobody answered
    if verb != "accept":
        calls.end(call.id)
        call.details["outcome"] = {"type": "rejected" if verb == "reject" else "referred", **detail}
        with contextlib.suppress(Exception):
            await websocket.send_text(json.dumps(call.details["outcome"]))
            await websocket.close(code=1000)
        return
    sessions = detail["sessions"]  # the max_sessions slot the accept took: given back when the call ends
    try:
        with released_on_failure(sessions):
            core, engines, faults, expires_in = new_core(app, detail["model"], detail["session"])
    except Exception as exc:  # OpenAI's error, for the accept that is waiting
        detail["answered"].set_exception(exc)
        raise
    responder = getattr(app.state, "responder", None)
    pump = SipCall(core, responder, engines, faults, websocket=websocket, call=call, calls=calls)
    limit_pump(pump, app)
    call.pump, call.hangup, call.state = pump, pump.hangup, CallState.ACTIVE
    running = run_call(pump, expires_in, session=sessions)
    detail["answered"].set_result(None)
    await websocket.send_text(json.dumps({"type": "accepted", "call_id": call.id}))
    await running  # the trunk's socket lives as long as the call
