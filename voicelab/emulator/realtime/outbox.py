"""A connection's outgoing server events, bounded in bytes: a client that stops reading is disconnected.

The core's events are queued here for the sender task. When the client does not read, the socket's buffer
fills, the sender waits, and events pile up; :class:`Outbox` counts their bytes and, once they pass
``max_bytes``, drops them all (freeing the memory at once) and reports the overflow, on which the
connection disconnects the client (:func:`disconnect_slow_reader`: an ``error`` event if the socket still
takes one, close code 1008 with reason ``slow_reader``, then the TCP connection is dropped). A single event
larger than the limit is still queued when nothing else is waiting, so a client that reads gets it.

Examples
--------
>>> import asyncio
>>> async def demo():
...     outbox = Outbox(max_bytes=10)
...     first = outbox.put({"type": "a"}, "x" * 8)
...     second = outbox.put({"type": "b"}, "y" * 8)
...     return first, second, outbox.overflowed, outbox.bytes
>>> asyncio.run(demo())
(True, False, True, 0)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

__all__ = ["CLOSE_CODE", "CLOSE_REASON", "Outbox", "disconnect_slow_reader", "slow_reader_error"]

CLOSE_CODE = 1008  # policy violation
CLOSE_REASON = "slow_reader"
_POLITE_SECONDS = 0.5  # how long the error event and the close frame may wait for room in the socket


class Outbox:
    """Queued server events and their size in bytes, never above ``max_bytes`` (but for one large event)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.overflowed = False
        self.overflow = asyncio.Event()  # set once, when the client fell too far behind
        self._queue: asyncio.Queue[tuple[Any, str | None, int]] = asyncio.Queue()

    def put(self, item: Any, text: str | None = None) -> bool:
        """Queue ``item`` (its JSON ``text`` is what counts); False when the outbox overflowed."""
        if self.overflowed:
            return False
        size = len(text) if text else 0
        if self.bytes and self.bytes + size > self.max_bytes:
            self.overflowed = True
            self._drop_all()
            self.overflow.set()
            return False
        self.bytes += size
        self._queue.put_nowait((item, text, size))
        return True

    def put_control(self, item: Any) -> None:
        """Queue a marker (a close, the end of the connection): it takes no room and is never refused."""
        self._queue.put_nowait((item, None, 0))

    def qsize(self) -> int:
        """Queued items (events and markers)."""
        return self._queue.qsize()

    def get_nowait(self) -> tuple[Any, str | None, int]:
        """The next queued ``(item, text, size)`` if there is one (``asyncio.QueueEmpty`` if not)."""
        return self._queue.get_nowait()

    async def get(self) -> tuple[Any, str | None, int]:
        """The next queued ``(item, text, size)``; call :meth:`sent` with the size once it is sent."""
        return await self._queue.get()

    def sent(self, size: int) -> None:
        """An event of ``size`` bytes has left (or was given up): its room is free."""
        self.bytes = max(self.bytes - size, 0)

    def _drop_all(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self.bytes = 0


def slow_reader_error(max_bytes: int, event_id: str) -> dict[str, Any]:
    """The ``error`` event sent (if it still can be) before a slow reader is disconnected."""
    return {
        "type": "error",
        "event_id": event_id,
        "error": {
            "type": "invalid_request_error",
            "code": CLOSE_REASON,
            "message": f"The client is not reading server events: more than {max_bytes} bytes are waiting to "
            "be sent (voicelab's max_outbox_bytes), so the connection is closed. Read events as they come.",
            "param": None,
            "event_id": None,
        },
    }


async def disconnect_slow_reader(
    websocket: Any, error: dict[str, Any], abort: Callable[[], None] | None
) -> None:
    """Tell the client why (if its socket still takes it), close with 1008 ``slow_reader``, drop the TCP
    connection (``abort``: the ASGI extension of :mod:`voicelab.emulator.transports`) so that its unsent
    data is freed."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.send_text(json.dumps(error)), _POLITE_SECONDS)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code=CLOSE_CODE, reason=CLOSE_REASON), _POLITE_SECONDS)
    if abort is not None:
        abort()
