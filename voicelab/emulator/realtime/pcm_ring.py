"""A preallocated ring buffer of int16 samples addressed by stream position.

The translation core (:mod:`.translation_core`) keeps the audio of the speech in progress: it appends every
chunk, cuts segments out by absolute stream position, and forgets what no segment can still need. A
:class:`PcmRing` does that without concatenating on each cut: appends copy into a preallocated array
(wrapping around its end), a slice copies out at most two runs, and forgetting only moves the start. It grows
(doubling, or to what one append needs) only when the retained audio outgrows it — a session without a VAD
keeps everything until it closes.

Examples
--------
>>> ring = PcmRing(4)
>>> ring.append(np.array([1, 2, 3], np.int16))
>>> ring.forget_before(2)
>>> ring.append(np.array([4, 5, 6], np.int16))  # wraps around the end of the 4-sample array
>>> ring.start, ring.end, ring.slice(0, 10).tolist()
(2, 6, [3, 4, 5, 6])
"""

from __future__ import annotations

import numpy as np

__all__ = ["PcmRing"]


class PcmRing:
    """int16 samples at stream positions ``[start, end)``, held in a ring of ``capacity`` samples.

    Parameters
    ----------
    capacity : int
        Samples preallocated; the ring grows when more must be retained.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1 sample")
        self._data = np.zeros(capacity, np.int16)
        self.start = 0
        """Stream position of the oldest retained sample."""
        self.end = 0
        """Stream position after the newest sample (all samples ever appended)."""

    @property
    def capacity(self) -> int:
        return len(self._data)

    def __len__(self) -> int:
        return self.end - self.start

    def append(self, pcm: np.ndarray) -> None:
        """Add samples at the end (growing the ring if they do not fit)."""
        n = len(pcm)
        if n == 0:
            return
        if len(self) + n > self.capacity:
            self._grow(max(2 * self.capacity, len(self) + n))
        self._write(self.end, pcm)
        self.end += n

    def slice(self, start: int, end: int) -> np.ndarray:
        """A copy of the samples at stream positions ``[start, end)``, clipped to what is retained.

        Examples
        --------
        >>> ring = PcmRing(8)
        >>> ring.append(np.arange(5, dtype=np.int16))
        >>> ring.slice(3, 99).tolist(), ring.slice(-5, 2).tolist(), ring.slice(4, 2).tolist()
        ([3, 4], [0, 1], [])
        """
        lo, hi = max(start, self.start), min(end, self.end)
        if hi <= lo:
            return np.zeros(0, np.int16)
        return self._read(lo, hi - lo)

    def forget_before(self, position: int) -> None:
        """Drop the samples before stream position ``position`` (never past the end)."""
        self.start = max(self.start, min(position, self.end))

    # ------------------------------------------------------------------------------------------ internals

    def _write(self, position: int, pcm: np.ndarray) -> None:
        at = position % self.capacity
        first = min(len(pcm), self.capacity - at)
        self._data[at : at + first] = pcm[:first]
        self._data[: len(pcm) - first] = pcm[first:]

    def _read(self, position: int, n: int) -> np.ndarray:
        at = position % self.capacity
        first = min(n, self.capacity - at)
        if first == n:
            return self._data[at : at + n].copy()
        return np.concatenate((self._data[at:], self._data[: n - first]))

    def _grow(self, capacity: int) -> None:
        kept = self._read(self.start, len(self)) if len(self) else np.zeros(0, np.int16)
        self._data = np.zeros(capacity, np.int16)
        self._write(self.start, kept)
