"""The emulator's uvicorn protocols: a deadline for request headers (slowloris), a way to drop a WebSocket.

:func:`header_deadline_protocol` is uvicorn's h11 protocol with a deadline: a client must finish sending a
request's headers within ``header_timeout_s`` of connecting (or of the previous response), or the connection
is closed. uvicorn's own ``timeout_keep_alive`` is cancelled by any byte received, so a client sending one
header byte every few seconds would otherwise hold its connection (and a file descriptor) forever.

:class:`AbortableWebSocketProtocol` is uvicorn's sans-I/O WebSocket protocol that offers the application
the ASGI scope extension ``"voicelab.abort"``: a callable that drops the TCP connection at once, unsent data
and all. A client that stops reading cannot be closed politely (the close frame would wait behind the data it
does not read), so :mod:`voicelab.emulator.realtime.outbox` uses it to disconnect slow readers and free their
memory. It also answers a message over ``ws_max_size`` (the event limit, 15 MiB: refused from its frame
header, before its payload is read, so it is never buffered) with an ``event_too_large`` error event, then
the close 1009 with the reason ``event_too_large``, instead of closing without a word.

Examples
--------
>>> protocol = header_deadline_protocol(2.5)
>>> protocol.header_timeout_s, issubclass(protocol, H11Protocol)
(2.5, True)
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import PayloadTooBig
from websockets.frames import Close, CloseCode, Frame, Opcode

from voicelab.protocol.limits import event_too_large

__all__ = [
    "ABORT_EXTENSION",
    "TOO_LARGE_CLOSE_REASON",
    "AbortableWebSocketProtocol",
    "H11Protocol",
    "header_deadline_protocol",
]

ABORT_EXTENSION = "voicelab.abort"
"""The ASGI scope extension holding a callable that drops the connection."""

TOO_LARGE_CLOSE_REASON = "event_too_large"
"""The close reason (code 1009) after a message over the event limit."""


class _HeaderDeadlineProtocol(H11Protocol):
    header_timeout_s = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_deadline()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # the request's headers are in
            self._disarm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        if not self.transport.is_closing():
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_deadline_passed(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose headers took over %ss", self.header_timeout_s)
            self.transport.close()


def header_deadline_protocol(header_timeout_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol closing connections that take over ``header_timeout_s`` to send headers."""
    return type("HeaderDeadlineProtocol", (_HeaderDeadlineProtocol,), {"header_timeout_s": header_timeout_s})


class AbortableWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol with the ``"voicelab.abort"`` scope extension."""

    def handle_parser_exception(self) -> None:
        error = self.conn.parser_exc
        if isinstance(error, PayloadTooBig):  # refused from the frame header: nothing of it was buffered
            self.conn.data_to_send()  # websockets' close frame (its reason in its words) is replaced below
            size = (getattr(error, "size", None) or 0) + (getattr(error, "current_size", None) or 0)
            refusal = event_too_large(size, self.config.ws_max_size or 0)
            event = {
                "type": "error",
                "event_id": "event_" + secrets.token_hex(11),
                "error": refusal.event_body(),
            }
            close = Close(CloseCode.MESSAGE_TOO_BIG, TOO_LARGE_CLOSE_REASON)
            self.conn.close_sent = close
            frames = (Frame(Opcode.TEXT, json.dumps(event).encode()), Frame(Opcode.CLOSE, close.serialize()))
            self.transport.write(b"".join(f.serialize(mask=False, extensions=[]) for f in frames))
        super().handle_parser_exception()

    async def run_asgi(self) -> None:
        extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
        extensions[ABORT_EXTENSION] = self.transport.abort
        await super().run_asgi()
