"""Audio into a session: any rate, dtype and channel count → the 24 kHz mono PCM16 the Realtime API takes.

Examples
--------
>>> import numpy as np
>>> pcm = session_pcm(np.zeros(16_000, np.float32), 16_000, silence_ms=500)  # 1 s at 16 kHz + 0.5 s
>>> len(pcm) / 2 / RATE
1.5
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import numpy as np

from voicelab import audio as vaudio
from voicelab.errors import ParameterError
from voicelab.realtime.audio_queue import RATE

__all__ = ["as_float_audio", "pcm_blocks", "session_pcm"]


def as_float_audio(y: Any, sr: int | None) -> tuple[np.ndarray, int]:
    """Float samples and their rate from an Audio, a ``(y, sr)`` pair, 24 kHz PCM16 bytes, or an array at
    ``sr`` (float in [-1, 1] or int16)."""
    if isinstance(y, vaudio.Audio):
        return y.y, y.sr
    if isinstance(y, tuple) and len(y) == 2:
        y, sr = y
    if isinstance(y, (bytes, bytearray, memoryview)):
        return vaudio.from_pcm16(bytes(y)), sr or RATE
    arr = np.asarray(y)
    if sr is None:
        raise ParameterError(
            "sr",
            expected="the sample rate of the samples",
            got="None",
            fix="pass sr=48000 (or whatever rate the audio was recorded at)",
        )
    if arr.dtype == np.int16:
        arr = vaudio.from_pcm16(arr)
    elif arr.dtype.kind == "i":
        raise ParameterError(
            "y",
            expected="float samples in [-1, 1] or int16 PCM",
            got=f"dtype {arr.dtype}",
            fix="convert with y.astype(np.int16) or divide by the full scale",
        )
    return arr.astype(np.float32, copy=False), int(sr)


def session_pcm(y: Any, sr: int | None = None, *, silence_ms: float = 0.0) -> bytes:
    """``y`` (see :func:`as_float_audio`) as 24 kHz mono PCM16 bytes, with ``silence_ms`` of silence after."""
    samples, rate = as_float_audio(y, sr)
    samples = vaudio.to_mono(vaudio.validate(samples))
    if rate != RATE:
        samples = vaudio.resample(samples, rate, RATE)
    if silence_ms:
        samples = np.concatenate([samples, np.zeros(int(RATE * silence_ms / 1000), np.float32)])
    return vaudio.to_pcm16(samples).tobytes()


async def pcm_blocks(source: AsyncIterable[Any], sr: int | None, *, block_bytes: int) -> AsyncIterator[bytes]:
    """A live source (Audio chunks, ``(y, sr)`` pairs, or arrays at ``sr``) as 24 kHz PCM16 in whole
    multiples of ``block_bytes`` (the rest at the end), resampled on the fly with a streaming resampler."""
    resampler: vaudio.ResampleStream | None = None
    pending = b""
    async for piece in source:
        samples, rate = as_float_audio(piece, sr)
        samples = vaudio.to_mono(vaudio.validate(samples))
        if rate != RATE:
            if resampler is None or resampler.sr != rate:
                resampler = vaudio.ResampleStream(rate, RATE)
            samples = resampler.process(samples)
        if samples.size == 0:
            continue
        pending += vaudio.to_pcm16(samples).tobytes()
        whole = len(pending) // block_bytes * block_bytes
        if whole:
            yield pending[:whole]
            pending = pending[whole:]
    if resampler is not None:
        tail = resampler.flush()
        if tail.size:
            pending += vaudio.to_pcm16(tail).tobytes()
    if pending:
        yield pending
