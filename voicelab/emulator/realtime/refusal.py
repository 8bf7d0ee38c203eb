"""Refusing a Realtime WebSocket as OpenAI does: after the handshake with an error event, or at the handshake.

Two ways, used by every Realtime endpoint (``/v1/realtime``, its sideband, ``/v1/realtime/translations``):

- :func:`refuse`: accept the socket, send one OpenAI-shaped ``error`` event, close with a code and the error
  code as the reason — OpenAI's answer to a bad key, an unknown model or the beta header once connected;
- :func:`deny`: answer the upgrade with an HTTP status and an OpenAI-shaped JSON body (a 429 at the session
  cap, a 404 for an unknown call), no WebSocket at all.

Examples
--------
>>> event = error_event("model_not_found", "The model 'x' does not exist.", "model")
>>> event["type"], event["error"]["code"], event["error"]["param"], event["event_id"].startswith("event_")
('error', 'model_not_found', 'model', True)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

from voicelab.protocol.errors import ProtocolError

from .ids import IdFactory

__all__ = ["deny", "error_event", "refuse"]


def error_event(
    code: str, message: str, param: str | None = None, *, error_type: str = "invalid_request_error"
) -> dict[str, Any]:
    """A server ``error`` event (a fresh ``event_id``; the error concerns no client event)."""
    body = ProtocolError(code, message, param, type=error_type).event_body()
    return {"type": "error", "event_id": IdFactory().new("event"), "error": body}


async def refuse(
    websocket: WebSocket,
    code: str,
    message: str,
    param: str | None,
    close_code: int,
    *,
    subprotocol: str | None = None,
    error_type: str = "invalid_request_error",
    check: Callable[[dict[str, Any]], Any] | None = None,
) -> None:
    """Accept, send one OpenAI-shaped error event, close with ``close_code`` and the code as the reason.

    ``check`` validates the event against the endpoint's server-event types before it is sent (the
    translation endpoint's union differs from the Realtime one).
    """
    await websocket.accept(subprotocol=subprotocol)
    event = error_event(code, message, param, error_type=error_type)
    if check is not None:
        check(event)
    with contextlib.suppress(Exception):  # the client may already be gone
        await websocket.send_text(json.dumps(event))
        await websocket.close(code=close_code, reason=code[:120])


async def deny(
    websocket: WebSocket, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    """Refuse the WebSocket handshake with an HTTP status and an OpenAI-shaped JSON body."""
    try:
        await websocket.send_denial_response(JSONResponse(body, status_code=status, headers=headers))
    except RuntimeError:  # server without the denial-response extension
        await websocket.close(code=1008 if status < 500 else 1013)
