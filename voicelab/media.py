"""Real-time audio for WebRTC peers (aiortc): a paced outgoing track and a decoder for an incoming one.

Both ends of a voicelab WebRTC call use these: the emulator's call (its track plays the assistant's answer)
and the Python client (its track plays a WAV as the microphone would). :class:`PacedAudioTrack` asks a
``source(samples)`` callable for 20 ms of 24 kHz PCM16 at a time, at playback speed; aiortc's Opus encoder
resamples to the 48 kHz of the wire. :func:`read_track` decodes the remote track (Opus at 48 kHz, stereo)
back to 24 kHz mono PCM16 chunks.

Examples
--------
>>> import numpy as np
>>> track = PacedAudioTrack(lambda n: np.ones(n, np.int16))
>>> track.kind, FRAME_SAMPLES
('audio', 480)
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

__all__ = ["FRAME_SAMPLES", "RATE", "PacedAudioTrack", "PcmQueue", "read_track"]

RATE = 24000
"""The Realtime API's PCM rate, inside both ends (Opus runs at 48 kHz on the wire)."""

FRAME_SAMPLES = RATE // 50
"""20 ms at 24 kHz: one frame."""


class PcmQueue:
    """Outgoing audio for a :class:`PacedAudioTrack`: PCM queued with :meth:`say`, taken 20 ms at a time,
    silence when idle.

    Examples
    --------
    >>> mic = PcmQueue()
    >>> mic.say(np.ones(600, np.int16))
    >>> [int(mic.take(480).sum()), int(mic.take(480).sum()), mic.pending]
    [480, 120, 0]
    """

    def __init__(self) -> None:
        self._buffer = np.zeros(0, np.int16)

    @property
    def pending(self) -> int:
        """Samples still to be played."""
        return int(self._buffer.size)

    def say(self, pcm24k: np.ndarray) -> None:
        """Queue 24 kHz mono PCM16 behind what is still playing."""
        self._buffer = np.concatenate([self._buffer, np.asarray(pcm24k, np.int16).reshape(-1)])

    def clear(self) -> None:
        """Stop talking."""
        self._buffer = np.zeros(0, np.int16)

    def take(self, samples: int) -> np.ndarray:
        """The next ``samples`` (zero-padded)."""
        out = np.zeros(samples, np.int16)
        n = min(samples, self._buffer.size)
        out[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return out


class PacedAudioTrack(MediaStreamTrack):
    """An audio track sending ``source(FRAME_SAMPLES)`` every 20 ms of wall-clock time (24 kHz mono PCM16).

    Parameters
    ----------
    source : callable
        ``source(n) -> ndarray of int16, shape (n,)``: the next samples to send (silence when idle).
    """

    kind = "audio"

    def __init__(self, source: Callable[[int], np.ndarray]) -> None:
        super().__init__()
        self._source = source
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += FRAME_SAMPLES
            wait = self._start + self._pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        pcm = np.asarray(self._source(FRAME_SAMPLES), np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


async def read_track(track: Any, sink: Callable[[np.ndarray], None]) -> None:
    """Decode ``track`` to 24 kHz mono PCM16 and pass each chunk to ``sink`` until the track ends."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    try:
        while True:
            frame = await track.recv()
            for piece in resampler.resample(frame):
                sink(piece.to_ndarray().reshape(-1).astype(np.int16))
    except MediaStreamError:
        return
