"""Sideband control: a WebSocket to ``/v1/realtime?call_id=rtc_…`` attached to a live WebRTC or SIP call.

OpenAI's server-controls guide: the application server opens the Realtime WebSocket with its own API key and
the call's id instead of a model; it then sees the call's server events and sends client events
(``session.update`` with server-side tools or instructions, ``response.create``, function call outputs) to the
same session. Here the sideband socket becomes a listener of the call's
:class:`~voicelab.emulator.realtime.pump.SessionPump`: it first gets ``session.created`` with the session as
it is now, then a copy of every event the call's transport publishes (output audio travels on the call's
media, not as events), and its client events go to the same core, in order with the call's own. Closing the
sideband leaves the call running; the end of the call closes the sideband (code 1000).

Refusals happen at the handshake, as OpenAI does: an unknown or ended call is an HTTP 404 with
``code: "call_id_not_found"`` ("No session found for the provided call_id", the wording reported in
openai/codex#35094; openai/openai-realtime-console#562 shows the 404), and an ephemeral ``ek_`` key is an HTTP
403 (a sideband needs the server's key; OpenAI's exact answer to this case is not documented, so this code and
message are voicelab's choice).

Examples
--------
>>> call_not_found("rtc_u1_0")["error"]["code"]
'call_id_not_found'
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from voicelab.emulator.errors import error_body

from .calls import CallRegistry
from .effects import Close
from .refusal import deny

__all__ = ["call_not_found", "serve_sideband"]


def call_not_found(call_id: str) -> dict[str, Any]:
    """OpenAI's error body for a ``call_id`` with no live session."""
    return error_body("No session found for the provided call_id.", param="call_id", code="call_id_not_found")


async def serve_sideband(
    websocket: WebSocket,
    calls: CallRegistry | None,
    call_id: str,
    *,
    ephemeral: bool,
    subprotocol: str | None,
) -> None:
    """Attach ``websocket`` to the live call ``call_id`` until either side ends (see module docs)."""
    if ephemeral:
        body = error_body(
            "A sideband connection (call_id) needs your API key; ephemeral client secrets can only start a "
            "session.",
            param="call_id",
            code="invalid_api_key",
        )
        await deny(websocket, 403, body)
        return
    call = calls.live(call_id) if calls is not None else None
    pump = call.pump if call is not None else None
    if pump is None or pump.closed:
        await deny(websocket, 404, call_not_found(call_id))
        return
    await websocket.accept(subprotocol=subprotocol)
    queue: asyncio.Queue = asyncio.Queue()

    def created() -> dict[str, Any]:
        return pump.core.event("session.created", session=copy.deepcopy(pump.core.session))

    queue.put_nowait((await pump.core_value(created), None))
    pump.listeners.append(queue)  # before the loop runs anything else: no event is missed or duplicated
    sender = asyncio.create_task(_send_loop(websocket, queue))
    try:
        while not sender.done():
            receiving = asyncio.ensure_future(websocket.receive())
            await asyncio.wait({receiving, sender}, return_when=asyncio.FIRST_COMPLETED)
            if not receiving.done():
                receiving.cancel()
                break
            message = receiving.result()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("text") is not None:
                pump.client_text(message["text"])
            elif message.get("bytes") is not None:
                pump.core_call("binary_frame")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        with contextlib.suppress(ValueError):
            pump.listeners.remove(queue)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def _send_loop(websocket: WebSocket, queue: asyncio.Queue) -> None:
    """Send the mirrored events; the call's end (or its ``Close``) closes the sideband."""
    while True:
        queued = await queue.get()
        event, text = queued if isinstance(queued, tuple) else (None, None)
        if event is None or isinstance(event, Close):
            code, reason = (event.code, event.reason) if isinstance(event, Close) else (1000, "call ended")
            with contextlib.suppress(Exception):
                await websocket.close(code=code, reason=reason)
            return
        try:
            await websocket.send_text(text or json.dumps(event))
        except Exception:  # the sideband went away
            return
