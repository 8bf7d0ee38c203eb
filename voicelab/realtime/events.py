"""Event dispatch of a :class:`~voicelab.realtime.session.RealtimeSession`: the log, callbacks, subscribers.

Every event of a session — server events as they arrive, client events as they are sent, and the session's
own notes (``voicelab.reconnecting``, ``voicelab.barge_in``, …) — becomes one record of
:attr:`SessionEvents.log` (``t``, ``dir``, ``type``, fields; base64 audio left out), is written to the
recording if one runs, and is handed to the callbacks registered with :meth:`SessionEvents.on` and to every
:meth:`SessionEvents.stream` subscriber. Waiting for something to happen (:meth:`SessionEvents.wait_record`,
:meth:`SessionEvents.wait_tick`) wakes on each new record.

Examples
--------
>>> events = SessionEvents(clock=lambda: 1.5)
>>> seen = []
>>> _ = events.on("voicelab.reconnecting", lambda note: seen.append(note.attempt))
>>> events.note({"type": "voicelab.reconnecting", "attempt": 2})
>>> seen, events.log
([2], [{'t': 1.5, 'dir': 'local', 'type': 'voicelab.reconnecting', 'attempt': 2}])
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from voicelab.realtime.core import Turn
from voicelab.realtime.recording import RecordingWriter, strip_audio

__all__ = ["SessionEvents", "SessionNote", "answers", "turn_note"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionNote:
    """A client-side event of the session (``type`` starts with ``voicelab.``): reconnects, barge-ins, …"""

    type: str
    data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(name) from None


class SessionEvents:
    """The log, the callbacks and the subscribers of one session, and its background tasks.

    Parameters
    ----------
    clock : callable
        Seconds on the session's clock (the ``t`` of every record).
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.log: list[dict[str, Any]] = []
        self.recorder: RecordingWriter | None = None
        self._handlers: dict[str, list[Callable[..., Any]]] = {}
        self._subscribers: list[asyncio.Queue[Any]] = []
        self._tick = asyncio.Event()
        self.tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ records
    def record(self, direction: str, event: dict[str, Any], t: float, **extra: Any) -> None:
        """Log a server (``"server"``) or client (``"client"``) event, without its base64 audio."""
        slim, _ = strip_audio(event)
        record = {"t": round(t, 6), "dir": direction, "type": event.get("type"), **extra, "event": slim}
        self.log.append(record)
        if self.recorder is not None:
            self.recorder.log(slim, t=t, direction=direction, **extra)

    def note(self, note: dict[str, Any]) -> None:
        """Log one of the session's own events and hand it to callbacks and subscribers as a SessionNote."""
        t = self.clock()
        fields = {k: v for k, v in note.items() if k != "type"}
        self.log.append({"t": round(t, 6), "dir": "local", "type": note["type"], **fields})
        if self.recorder is not None:
            self.recorder.log(note, t=t, direction="local", **fields)
        self.dispatch(note["type"], SessionNote(note["type"], fields))
        self.wake()

    # ------------------------------------------------------------------ callbacks and subscribers
    def on(self, event_type: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Call ``handler(event)`` for each event of that type (``"*"``: all)."""
        self._handlers.setdefault(event_type, []).append(handler)
        return handler

    def dispatch(self, kind: str, event: Any) -> None:
        """Hand ``event`` to the callbacks of ``kind`` (async ones as tasks) and to every subscriber."""
        for handler in self._handlers.get(kind, []) + self._handlers.get("*", []):
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    self.spawn(_logged(result))
            except Exception:
                log.exception("event handler for %s failed", kind)
        for queue in self._subscribers:
            queue.put_nowait(event)

    async def stream(self, *, local: bool, over: Callable[[], bool]) -> AsyncIterator[Any]:
        """Events from now on (notes too with ``local``) until ``over()`` and nothing is left."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._subscribers.append(queue)
        try:
            while True:
                if queue.empty() and over():
                    return
                getter = asyncio.ensure_future(queue.get())
                tick = asyncio.ensure_future(self._tick.wait())
                try:
                    await asyncio.wait({getter, tick}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    tick.cancel()
                    if not getter.done():
                        getter.cancel()
                if getter.done() and not getter.cancelled():
                    event = getter.result()
                    if local or not isinstance(event, SessionNote):
                        yield event
        finally:
            self._subscribers.remove(queue)

    # ------------------------------------------------------------------ waiting
    def wake(self) -> None:
        """Something happened: wake everyone waiting."""
        self._tick.set()
        self._tick = asyncio.Event()

    async def wait_tick(self, timeout: float) -> None:
        """Wait until something happens, or ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._tick.wait(), timeout)

    async def wait_record(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        since: int,
        timeout: float,
        check: Callable[[], None],
    ) -> dict[str, Any]:
        """The first record from index ``since`` on that matches; ``check()`` raises when the session is
        over."""
        deadline = time.monotonic() + timeout
        index = since
        while True:
            while index < len(self.log):
                record = self.log[index]
                index += 1
                if predicate(record):
                    return record
            check()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching event within {timeout} s")
            await self.wait_tick(remaining)

    # ------------------------------------------------------------------ tasks
    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background (cancelled when the session closes)."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            task.cancel()


def answers(record: dict[str, Any], event_id: str) -> bool:
    """The record is the server's ``error`` answering the client event ``event_id``."""
    return (
        record["type"] == "error"
        and ((record.get("event") or {}).get("error") or {}).get("event_id") == event_id
    )


def turn_note(turn: Turn, response_id: str | None) -> dict[str, Any]:
    """The ``voicelab.turn`` note of a finished turn: its moments and latencies (s) and token counts."""
    r = turn.response
    assert r is not None
    usage = r.usage or {}

    def sec(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return {
        "type": "voicelab.turn",
        "index": turn.index,
        "kind": turn.kind,
        "response_id": response_id,
        "status": r.state.value,
        "start": round(turn.start_t, 4),
        "first_audio": sec(r.first_audio_t),
        "first_text": sec(r.first_text_t),
        "done": sec(r.done_t),
        "time_to_first_audio": sec(turn.time_to_first_audio),
        "total_time": sec(turn.total_time),
        "input_tokens": usage.get("input_tokens"),
        "output_tokens": usage.get("output_tokens"),
    }


async def _logged(awaitable: Awaitable[Any]) -> Any:
    try:
        return await awaitable
    except Exception:
        log.exception("async event handler failed")
        return None
