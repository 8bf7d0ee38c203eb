"""Short garbage-collector pauses for a long-running server: freeze what was loaded at start.

CPython's cyclic collector stops every thread while it runs, and a full (oldest-generation) collection
walks every tracked object the process holds. Once the emulator has imported its stack (FastAPI, pydantic,
the ``openai`` SDK's types, numpy, onnxruntime) and loaded its speech engines, that is about 150 000
objects, and a full collection took 85–98 ms on the 2-core machine the project is tested on: enough, on its
own, to make a health probe miss its 100 ms goal whenever an abuse (or a busy session) allocates enough to
trigger one. Those objects live as long as the process, so the server moves them to the collector's
permanent generation (:func:`gc.freeze`): later collections skip them and take well under a millisecond.

:func:`freeze_long_lived` is called once the app is built and again once the Realtime engines have loaded;
objects created later (sessions, requests, engines loaded on first use) are collected as usual. Reference
counting still frees frozen objects that lose their last reference; only garbage *cycles* among frozen
objects would stay, and start-up code makes none that matter.

Examples
--------
>>> import gc
>>> freeze_long_lived() > 10_000  # this interpreter's modules, types and functions, at least
True
>>> gc.unfreeze()  # give them back to the collector (a server never does)
"""

from __future__ import annotations

import gc

__all__ = ["freeze_long_lived"]


def freeze_long_lived(*, collect_first: bool = True) -> int:
    """Collect what is garbage now, then move every surviving object to the permanent generation.

    Parameters
    ----------
    collect_first : bool
        Run a full collection first (so no garbage is frozen). That collection is itself the long pause
        this module avoids (53 ms, measured while ``voicelab serve`` served): pass ``False`` once the
        server is serving. Loading the Realtime engines leaves no garbage to freeze (a full collection
        right after found 0 unreachable objects).

    Returns
    -------
    int
        The number of objects in the permanent generation now (:func:`gc.get_freeze_count`); the count
        drops as reference counting frees some of them.

    Examples
    --------
    >>> import gc
    >>> before = freeze_long_lived()
    >>> loaded_later = [[] for _ in range(1000)]
    >>> freeze_long_lived() >= before + 1000
    True
    >>> gc.unfreeze()
    """
    if collect_first:
        gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
