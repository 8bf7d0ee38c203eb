"""Fair scheduling of the shared core pool: every connection gets its turn, heavy calls cannot take it all.

All Realtime connections share a few worker threads for their core calls (parsing, validation, turn
detection). Each connection's calls run one at a time and in order (a :class:`Lane`); between connections the
:class:`CoreScheduler` takes turns round-robin, and a *heavy* call (a large ``input_audio_buffer.append``:
decoding and VAD over seconds of audio) may occupy at most ``workers - 1`` threads. So two clients appending
15 MB events keep one worker busy between them, and an unrelated session's text answer still runs on the
other within milliseconds, instead of waiting for their seconds-long calls.

A lane's next call starts only after the previous call's completion callback has run on the connection's
event loop (its outputs dispatched there, in order).

Examples
--------
>>> import asyncio
>>> async def demo():
...     scheduler = CoreScheduler(workers=2)
...     lane = scheduler.lane(asyncio.get_running_loop())
...     results = []
...     for n in range(3):
...         lane.submit(lambda n=n: n * n, lambda future: results.append(future.result()))
...     await lane.drained()
...     scheduler.shutdown()
...     return results
>>> asyncio.run(demo())
[0, 1, 4]
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..large_frames import LARGE_EVENT_BYTES

__all__ = ["HEAVY_TEXT_CHARS", "CoreScheduler", "Lane", "shared_scheduler"]

HEAVY_TEXT_CHARS = LARGE_EVENT_BYTES
"""A client event longer than this (about 2.7 s of 24 kHz audio as base64) is a heavy call."""

_Done = Callable[["Future[Any]"], None]


class Lane:
    """One connection's queue of core calls: one at a time, in order, each completion run on its loop."""

    def __init__(self, scheduler: CoreScheduler, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduler = scheduler
        self._loop = loop
        self.pending: deque[tuple[Callable[[], Any], _Done, bool]] = deque()
        self.busy = False  # a call is running, or its completion has not run yet
        self.closed = False
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, work: Callable[[], Any], done: _Done, *, heavy: bool = False) -> None:
        """Run ``work()`` after this lane's earlier calls; then ``done(future)`` on the lane's loop."""
        if self.closed:
            return
        self._idle.clear()
        with self._scheduler.lock:
            self.pending.append((work, done, heavy))
        self._scheduler.pump()

    def close(self) -> list[_Done]:
        """No more calls: the ones not started are dropped; their ``done`` callbacks are returned."""
        with self._scheduler.lock:
            self.closed = True
            dropped = [done for _, done, _ in self.pending]
            self.pending.clear()
        self._scheduler.forget(self)
        return dropped

    async def drained(self) -> None:
        """Wait until every submitted call has finished and its completion has run."""
        await self._idle.wait()

    def _finished(self, future: Future[Any], done: _Done) -> None:  # on the loop
        try:
            done(future)
        finally:
            with self._scheduler.lock:
                self.busy = False
                idle = not self.pending
            if idle:
                self._idle.set()
            self._scheduler.pump()


class CoreScheduler:
    """A pool of ``workers`` threads shared by lanes, round-robin, heavy calls on at most ``workers - 1``."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self.heavy_limit = max(workers - 1, 1)
        self.lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="realtime-core")
        self._ring: deque[Lane] = deque()  # open lanes, in turn order
        self._running = 0
        self._heavy_running = 0

    def lane(self, loop: asyncio.AbstractEventLoop) -> Lane:
        """A new lane whose completions run on ``loop`` (it takes turns until it is closed)."""
        lane = Lane(self, loop)
        with self.lock:
            self._ring.append(lane)
        return lane

    def forget(self, lane: Lane) -> None:
        with self.lock:
            if lane in self._ring:
                self._ring.remove(lane)

    def pump(self) -> None:
        """Start calls while workers are free: the next lane in turn whose first call may run now."""
        while True:
            with self.lock:
                picked = self._pick()
                if picked is None:
                    return
                lane, (work, done, heavy) = picked
                lane.busy = True
                self._running += 1
                self._heavy_running += heavy
            future = self._executor.submit(work)
            future.add_done_callback(functools.partial(self._ran, lane=lane, done=done, heavy=heavy))

    def _pick(self) -> tuple[Lane, tuple[Callable[[], Any], _Done, bool]] | None:
        if self._running >= self.workers:
            return None
        for lane in [lane for lane in self._ring if not lane.busy and lane.pending]:
            work, done, heavy = lane.pending[0]
            if heavy and self._heavy_running >= self.heavy_limit:
                continue
            lane.pending.popleft()
            self._ring.remove(lane)
            self._ring.append(lane)  # its next turn comes after every other lane's
            return lane, (work, done, heavy)
        return None

    def _ran(self, future: Future[Any], *, lane: Lane, done: _Done, heavy: bool) -> None:  # on a worker
        with self.lock:
            self._running -= 1
            self._heavy_running -= heavy
        try:
            lane._loop.call_soon_threadsafe(lane._finished, future, done)
        except RuntimeError:  # the lane's loop is closed: nobody waits for this call any more
            with self.lock:
                lane.busy = False
        self.pump()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


_shared: CoreScheduler | None = None
_shared_lock = threading.Lock()


def shared_scheduler(workers: int = 2) -> CoreScheduler:
    """The process-wide scheduler of the Realtime core calls, created on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CoreScheduler(workers)
        return _shared
