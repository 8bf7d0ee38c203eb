"""Freed memory handed back to the operating system, so a server's resident size falls after a burst.

glibc's ``malloc`` keeps memory that the program has freed, for reuse: after a client sent 14.7 MB audio
events (decoded, resampled, run through the VAD, then dropped), the emulator's resident size stayed
110–160 MiB above where it started, although nothing held the memory any more. ``malloc_trim(0)`` returns the
free pages of every arena. :class:`HeapTrimmer` calls it from a daemon thread whenever the resident size is
``min_growth_mib`` above the smallest size a trim has left; when a trim gives back little (the memory is in
use), the next one waits twice as long, up to ``max_backoff_s`` (:class:`TrimPolicy`). A server at its
resting size is never trimmed, one whose memory stays in use at most every ``max_backoff_s``, and a busy one
at most once per second. ``malloc_trim`` runs without the GIL (a ctypes call) and
took 0.3–28 ms on the 2-core test machine during ``benchmarks/limits.py``; the event loop kept answering its
health probe within 45 ms meanwhile.

Where the C library has no ``malloc_trim`` (musl, macOS) the trimmer does nothing.

Examples
--------
>>> policy = TrimPolicy(rest_mib=500.0, min_growth_mib=64.0)
>>> policy.due(rss_mib=540.0, now=10.0)  # steady
False
>>> policy.due(rss_mib=700.0, now=11.0)  # after a burst
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HeapTrimmer", "TrimPolicy", "resident_mib"]


@dataclass
class TrimPolicy:
    """When to trim (sans-I/O): the resident size is ``min_growth_mib`` above the smallest size a trim has
    left, and the back-off since the last trim has passed. A trim that gave back less than a quarter of
    ``min_growth_mib`` doubles the back-off (up to ``max_backoff_s``); one that gave back more resets it.

    Examples
    --------
    >>> policy = TrimPolicy(rest_mib=500.0, min_growth_mib=64.0, backoff_s=1.0)
    >>> policy.due(700.0, now=0.0)
    True
    >>> policy.trimmed(before_mib=700.0, after_mib=695.0, now=0.0)  # the memory was in use
    >>> policy.due(700.0, now=1.5), policy.due(700.0, now=2.0)  # so the next try waits 2 s
    (False, True)
    >>> policy.trimmed(before_mib=700.0, after_mib=510.0, now=2.0)  # freed by then: given back
    >>> policy.backoff_s, policy.rest_mib
    (1.0, 500.0)
    """

    rest_mib: float
    min_growth_mib: float = 64.0
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    _base_backoff_s: float = field(init=False)
    _next_at: float = field(init=False, default=float("-inf"))

    def __post_init__(self) -> None:
        self._base_backoff_s = self.backoff_s

    def due(self, rss_mib: float, now: float) -> bool:
        """Whether to trim at ``now`` (monotonic seconds) with ``rss_mib`` resident."""
        return rss_mib - self.rest_mib >= self.min_growth_mib and now >= self._next_at

    def trimmed(self, before_mib: float, after_mib: float, now: float) -> None:
        """Record a trim at ``now`` and the resident sizes before and after it."""
        self.rest_mib = min(self.rest_mib, after_mib)
        gave_back = before_mib - after_mib >= self.min_growth_mib / 4
        self.backoff_s = self._base_backoff_s if gave_back else min(self.backoff_s * 2, self.max_backoff_s)
        self._next_at = now + self.backoff_s


def resident_mib() -> float:
    """This process's resident set size in MiB (``VmRSS`` of ``/proc/self/status``; NaN where there is none).

    Examples
    --------
    >>> resident_mib() > 1.0
    True
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None  # CDLL: the call releases the GIL
    except (OSError, AttributeError):
        return None


class HeapTrimmer:
    """A daemon thread that returns freed heap memory to the OS whenever the resident size has grown.

    Parameters
    ----------
    interval_s : float
        How often to look at the resident size (also the shortest time between two trims).
    min_growth_mib : float
        Trim once the resident size is this much above the smallest size a trim has left.
    max_backoff_s : float
        The longest wait between trims while the memory stays in use.

    Examples
    --------
    >>> trimmer = HeapTrimmer(interval_s=0.05, min_growth_mib=0.0).start()
    >>> trimmer.trimmed.wait(5)  # with no growth required, it trims at the first look (on glibc)
    True
    >>> trimmer.stop()
    """

    def __init__(
        self, interval_s: float = 1.0, min_growth_mib: float = 64.0, max_backoff_s: float = 30.0
    ) -> None:
        self.interval_s = interval_s
        self.min_growth_mib = min_growth_mib
        self.max_backoff_s = max_backoff_s
        self.trimmed = threading.Event()  # set after each trim (for tests and benchmarks)
        self._trim = _malloc_trim()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="voicelab-heap-trim", daemon=True)

    @property
    def available(self) -> bool:
        """Whether this C library has ``malloc_trim``."""
        return self._trim is not None

    def start(self) -> HeapTrimmer:
        """Start looking (a no-op where there is no ``malloc_trim``). Returns ``self``."""
        if self.available:
            self._thread.start()
        else:
            self.trimmed.set()
        return self

    def stop(self) -> None:
        """Stop the thread (it ends within one interval)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.interval_s + 5.0)

    def _run(self) -> None:
        assert self._trim is not None
        policy = TrimPolicy(resident_mib(), self.min_growth_mib, self.interval_s, self.max_backoff_s)
        while not self._stop.wait(self.interval_s):
            before = resident_mib()
            if policy.due(before, time.monotonic()):
                self._trim(0)
                policy.trimmed(before, resident_mib(), time.monotonic())
                self.trimmed.set()
