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
import contextlib
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import PayloadTooBig
from websockets.frames import Close, CloseCode, Frame, Opcode
from websockets.protocol import State

from voicelab.protocol.limits import event_too_large

from .large_frames import LARGE_EVENT_BYTES, FrameHeader, read_header, read_large_frame

__all__ = [
    "ABORT_EXTENSION",
    "LARGE_FRAME_BYTES",
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


LARGE_FRAME_BYTES = LARGE_EVENT_BYTES
"""A text frame at least this large is unmasked and decoded in a worker thread, not on the event loop."""

_FRAME_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ws-large-frame")
_HELD_BYTES = 1024 * 1024  # bytes held behind a frame being decoded before reading pauses (backpressure)
_REFUSED_GRACE_S = 1.0  # after refusing an oversized event, the connection closes this much later


def _message_size(conn: Any) -> int | None:
    """Bytes of a fragmented message websockets is reading (``None``: none; between messages)."""
    return getattr(conn, "current_size", getattr(conn, "cur_size", None))


class AbortableWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol with the ``"voicelab.abort"`` scope extension, reading large
    text frames off the event loop (:mod:`voicelab.emulator.large_frames`).

    Once the session is open, the incoming bytes are split at frame boundaries: other frames go to the
    websockets parser as before, a complete, unfragmented text frame (compressed or not) of
    :data:`LARGE_FRAME_BYTES` up to ``ws_max_size`` is collected here and decoded in a worker thread (two
    at most for the whole server); the bytes after it wait, so each connection's messages keep their order.
    """

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._splitting = False  # the stream is followed frame by frame (from a frame boundary on)
        self._pending = bytearray()  # bytes not yet handed on, starting at a frame boundary
        self._pass_left = 0  # bytes of the current frame still to go to the websockets parser
        self._large: tuple[FrameHeader, bytearray] | None = None  # a large frame being collected
        self._decoding = False  # a large frame is in a worker: everything after it waits
        self._refused = False  # an oversized event was refused: the connection closes shortly

    def data_received(self, data: bytes) -> None:
        if self._refused:  # the rest of an oversized event (and anything after it) is dropped unread
            return
        if not self._splitting:
            at_boundary = self.handshake_complete and not self.conn.reader.buffer
            if not (at_boundary and _message_size(self.conn) is None and self._can_split()):
                super().data_received(data)
                return
            self._splitting = True
        large = self._large
        if large is not None and not self._pending:  # the payload of a large frame: collect it
            header, frame = large
            need = header.total - len(frame)
            frame += data[:need]
            if len(data) > need:
                self._pending += data[need:]
        else:
            self._pending += data
            if self._decoding and len(self._pending) > _HELD_BYTES:
                self.transport.pause_reading()
        self._split()

    def _can_split(self) -> bool:
        return self.conn.state is State.OPEN and not self.close_sent

    def _split(self) -> None:
        """Hand on what is complete, in order: frames to websockets, a large text frame to a worker."""
        while not self._decoding and not self._refused and not self.transport.is_closing():
            if self._large is not None:
                header, frame = self._large
                if len(frame) < header.total:
                    if not self._pending:
                        return
                    need = header.total - len(frame)
                    frame += self._pending[:need]
                    del self._pending[:need]
                    continue
                self._large = None
                self._decode(header, frame)
                return
            if not self._pending:
                return
            if self._pass_left:
                chunk = bytes(self._pending[: self._pass_left])
                del self._pending[: len(chunk)]
                self._pass_left -= len(chunk)
                super().data_received(chunk)
                continue
            next_header = read_header(self._pending)
            if next_header is None:
                return
            if self._is_large_text(next_header):  # its bytes so far (not those of the frames after it)
                self._large = (next_header, self._pending[: next_header.total])
                del self._pending[: next_header.total]
                continue
            self._pass_left = next_header.total

    def _is_large_text(self, header: FrameHeader) -> bool:
        return (
            header.opcode == Opcode.TEXT
            and header.fin
            and header.rsv in (0, 4)  # uncompressed, or permessage-deflate (RSV1) when negotiated
            and (not header.rsv or bool(self.conn.extensions))
            and header.mask is not None
            and LARGE_FRAME_BYTES <= header.length <= (self.config.ws_max_size or 0)
            and _message_size(self.conn) is None
            and self._can_split()
        )

    def _decode(self, header: FrameHeader, frame: bytearray) -> None:
        self._decoding = True
        if len(self._pending) > _HELD_BYTES:
            self.transport.pause_reading()
        max_size = self.config.ws_max_size or 0
        extensions = self.conn.extensions
        future = self.loop.run_in_executor(
            _FRAME_WORKERS, read_large_frame, frame, header, extensions, max_size
        )
        future.add_done_callback(self._decoded)

    def _decoded(self, future: asyncio.Future) -> None:
        self._decoding = False
        if self.transport.is_closing() or future.cancelled():
            return
        error = future.exception()
        if error is None and not self.close_sent:
            self.queue.put_nowait({"type": "websocket.receive", "text": future.result()})
        elif error is not None:  # as websockets does when its parser fails
            if isinstance(error, PayloadTooBig):
                self.conn.fail(CloseCode.MESSAGE_TOO_BIG, str(error))
            elif isinstance(error, UnicodeDecodeError):
                self.conn.fail(CloseCode.INVALID_DATA, f"{error.reason} at position {error.start}")
            else:
                self.logger.error("reading a large frame failed", exc_info=error)
                self.conn.fail(CloseCode.INTERNAL_ERROR)
            self.conn.parser_exc = error if isinstance(error, Exception) else None
            self.handle_parser_exception()
            return
        with contextlib.suppress(RuntimeError):
            self.transport.resume_reading()
        self._split()

    def handle_parser_exception(self) -> None:
        error = self.conn.parser_exc
        if isinstance(error, PayloadTooBig):  # refused from the frame header: nothing of it was buffered
            self.conn.data_to_send()  # websockets' close frame (its reason in its words) is replaced below
            size = getattr(error, "size", None)  # None: inflating went past the limit (size unknown)
            if size is not None:
                size += getattr(error, "current_size", None) or 0
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
            disconnect: Any = {"type": "websocket.disconnect", "code": close.code, "reason": close.reason}
            self.queue.put_nowait(disconnect)
            # The client may still be sending the event: closing now would reset the connection, and its
            # system could drop the error event unread. Its bytes are dropped unread for a moment instead.
            self._refused = self.close_sent = True
            self.close_timer = self.loop.call_later(_REFUSED_GRACE_S, self.transport.close)  # not at app end
            return
        super().handle_parser_exception()

    async def run_asgi(self) -> None:
        extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
        extensions[ABORT_EXTENSION] = self.transport.abort
        await super().run_asgi()
