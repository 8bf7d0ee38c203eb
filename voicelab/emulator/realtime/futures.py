"""Handing one future's outcome to another (a worker's result to the caller waiting on the event loop).

Examples
--------
>>> import asyncio
>>> from concurrent.futures import Future
>>> async def demo():
...     done, waiting = Future(), asyncio.get_running_loop().create_future()
...     done.set_result("  Hello. ")
...     settle(waiting, done, str.strip)
...     return await waiting
>>> asyncio.run(demo())
'Hello.'
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["settle"]


def settle(
    target: asyncio.Future[Any],
    source: asyncio.Future[Any] | Future[Any],
    convert: Callable[[Any], Any] | None = None,
) -> bool:
    """Give ``target`` the outcome of the finished ``source``: cancelled, its exception, or its result
    (through ``convert`` if given). Nothing happens if ``target`` is already done.

    Returns
    -------
    bool
        Whether ``target`` was settled by this call.

    Examples
    --------
    >>> async def failed():
    ...     loop = asyncio.get_running_loop()
    ...     done, waiting = loop.create_future(), loop.create_future()
    ...     done.set_exception(ValueError("no speech"))
    ...     settled = settle(waiting, done)
    ...     return settled, repr(waiting.exception()), settle(waiting, done)
    >>> asyncio.run(failed())
    (True, "ValueError('no speech')", False)
    """
    if target.done():
        return False
    if source.cancelled():
        target.cancel()
    elif (error := source.exception()) is not None:
        target.set_exception(error)
    else:
        result = source.result()
        target.set_result(convert(result) if convert is not None else result)
    return True
