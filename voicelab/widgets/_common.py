"""Shared pieces of the browser widgets: ids, callback lists and a thread-safe async fan-out of chunks."""

from __future__ import annotations

import asyncio
import collections
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["Callbacks", "ChunkFanout", "ChunkIterator", "new_uid"]

T = TypeVar("T")
C = TypeVar("C", bound=Callable[..., Any])

_END = object()


def new_uid() -> str:
    """A random id that ties a Python widget to its front-end controller."""
    return uuid.uuid4().hex


class Callbacks(Generic[C]):
    """The callbacks of an ``on_…(callback, *, remove=False)`` method, called in the order they were added.

    Examples
    --------
    >>> heard = Callbacks()
    >>> show = heard.register(print)
    >>> for callback in heard:
    ...     callback("chunk 1")
    chunk 1
    >>> _ = heard.register(print, remove=True)
    >>> list(heard)
    []
    """

    def __init__(self) -> None:
        self._items: list[C] = []

    def register(self, callback: C, *, remove: bool = False) -> C:
        """Add ``callback`` (or, with ``remove=True``, detach it if it is there); return it."""
        if remove:
            if callback in self._items:
                self._items.remove(callback)
        else:
            self._items.append(callback)
        return callback

    def __iter__(self) -> Iterator[C]:
        return iter(list(self._items))  # a copy: a callback may detach itself while they are called


class ChunkIterator(Generic[T]):
    """An async iterator fed by :class:`ChunkFanout`; it holds every item published after its creation.

    Items may be published from any thread; the iterator is consumed on one event loop.
    """

    def __init__(self, fanout: ChunkFanout[T]) -> None:
        self._fanout = fanout
        self._items: collections.deque[object] = collections.deque()
        self._lock = threading.Lock()
        self._waiter: asyncio.Future[None] | None = None
        self._finished = False

    def _put(self, item: object) -> None:
        with self._lock:
            self._items.append(item)
            waiter = self._waiter
            self._waiter = None
        if waiter is not None:
            loop = waiter.get_loop()

            def wake() -> None:
                if not waiter.done():
                    waiter.set_result(None)

            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                wake()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(wake)

    def __aiter__(self) -> ChunkIterator[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            if self._finished:
                raise StopAsyncIteration
            with self._lock:
                if self._items:
                    item = self._items.popleft()
                else:
                    item = None
                    self._waiter = asyncio.get_running_loop().create_future()
                    waiter = self._waiter
            if item is None:
                await waiter
                continue
            if item is _END:
                self.close()
                raise StopAsyncIteration
            if isinstance(item, BaseException):
                self.close()
                raise item
            return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop receiving items; a pending ``__anext__`` ends the iteration."""
        self._finished = True
        self._fanout._unsubscribe(self)

    async def aclose(self) -> None:
        self.close()


class ChunkFanout(Generic[T]):
    """Deliver items to any number of async iterators, from any thread.

    Each :meth:`subscribe` returns a :class:`ChunkIterator` that yields every item published after it
    was created, ends after :meth:`close`, and raises the exception given to :meth:`fail`.
    """

    def __init__(self) -> None:
        self._subscribers: list[ChunkIterator[T]] = []
        self._lock = threading.Lock()

    def subscribe(self) -> ChunkIterator[T]:
        it: ChunkIterator[T] = ChunkIterator(self)
        with self._lock:
            self._subscribers.append(it)
        return it

    def _unsubscribe(self, it: ChunkIterator[T]) -> None:
        with self._lock:
            if it in self._subscribers:
                self._subscribers.remove(it)

    def _publish(self, item: object) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            sub._put(item)

    def publish(self, item: T) -> None:
        self._publish(item)

    def close(self) -> None:
        """End every open iterator (after the items already queued)."""
        self._publish(_END)

    def fail(self, exc: BaseException) -> None:
        """Make every open iterator raise ``exc`` after the items already queued."""
        self._publish(exc)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)
