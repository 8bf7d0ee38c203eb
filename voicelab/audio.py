"""Audio arrays and bytes: conversions, resampling, chunking, decoding, encoding, loudness.

Conventions (as librosa): data first, keyword-only options after ``*``; ``y`` is samples
(float32 in [-1, 1], shape ``(n,)`` mono or ``(n, channels)``), ``sr`` is the sample rate in Hz.
Audio never travels without its rate: functions that return audio return an :class:`Audio`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import soxr

from voicelab.errors import ParameterError

__all__ = [
    "Audio",
    "ResampleStream",
    "from_base64",
    "from_pcm16",
    "resample",
    "to_base64",
    "to_mono",
    "to_pcm16",
    "validate",
]


def validate(y: np.ndarray, *, param: str = "y") -> np.ndarray:
    """Check that ``y`` is a finite, non-empty float array of shape (n,) or (n, channels).

    Returns ``y`` as float32. Raises :class:`~voicelab.errors.ParameterError` otherwise.
    """
    if not isinstance(y, np.ndarray):
        raise ParameterError(param, expected="a numpy array", got=type(y).__name__,
                             fix="pass np.asarray(samples, dtype=np.float32)")
    if y.dtype.kind != "f":
        raise ParameterError(param, expected="floating-point samples in [-1, 1]", got=f"dtype {y.dtype}",
                             fix="convert PCM16 with voicelab.audio.from_pcm16")
    if y.ndim not in (1, 2):
        raise ParameterError(param, expected="shape (n,) or (n, channels)", got=f"shape {y.shape}",
                             fix="pass one signal at a time")
    if y.size == 0:
        raise ParameterError(param, expected="at least one sample", got="an empty array")
    if not np.all(np.isfinite(y)):
        raise ParameterError(param, expected="finite samples", got="NaN or inf values",
                             fix="clean the signal with np.nan_to_num")
    return y.astype(np.float32, copy=False)


def _check_sr(sr: object, *, param: str = "sr") -> int:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ParameterError(param, expected="a positive integer sample rate in Hz", got=repr(sr),
                             fix=f"pass {param}=24000 (or the rate the audio was recorded at)")
    return int(sr)


def to_pcm16(y: np.ndarray) -> np.ndarray:
    """Float samples → int16, clipping (never wrapping) values outside [-1, 1]."""
    y = validate(y)
    return np.round(np.clip(y, -1.0, 1.0) * 32767.0).astype(np.int16)


def from_pcm16(data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """PCM16 little-endian bytes (or an int16 array) → float32 samples in [-1, 1]."""
    if isinstance(data, np.ndarray):
        if data.dtype != np.int16:
            raise ParameterError("data", expected="int16 samples", got=f"dtype {data.dtype}")
        pcm = data
    else:
        raw = bytes(data)
        if len(raw) % 2:
            raise ParameterError("data", expected="an even number of bytes (16-bit samples)",
                                 got=f"{len(raw)} bytes")
        pcm = np.frombuffer(raw, dtype="<i2")
    return (pcm.astype(np.float32) / 32767.0)


def to_base64(pcm: np.ndarray | bytes) -> str:
    """int16 samples (or raw bytes) → base64 text, as the Realtime API expects."""
    raw = pcm.astype("<i2").tobytes() if isinstance(pcm, np.ndarray) else bytes(pcm)
    return base64.b64encode(raw).decode("ascii")


def from_base64(text: str) -> np.ndarray:
    """base64 text of PCM16 → int16 samples."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise ParameterError("audio", expected="base64-encoded PCM16", got="text that is not valid base64") from exc
    if len(raw) % 2:
        raise ParameterError("audio", expected="an even number of bytes (16-bit samples)", got=f"{len(raw)} bytes")
    return np.frombuffer(raw, dtype="<i2")


def to_mono(y: np.ndarray) -> np.ndarray:
    """Down-mix (n, channels) to (n,) by averaging channels; mono passes through."""
    y = validate(y)
    return y if y.ndim == 1 else y.mean(axis=1, dtype=np.float32)


def resample(y: np.ndarray, sr: int, target_sr: int, *, quality: str = "HQ") -> np.ndarray:
    """Resample with libsoxr. Shape (n,) or (n, channels) is kept."""
    y = validate(y)
    sr = _check_sr(sr)
    target_sr = _check_sr(target_sr, param="target_sr")
    if sr == target_sr:
        return y
    return soxr.resample(y, sr, target_sr, quality=quality).astype(np.float32, copy=False)


class ResampleStream:
    """Streaming resampler: feed chunks, get resampled chunks; ``flush()`` at the end.

    The concatenated output equals :func:`resample` on the whole signal.
    """

    def __init__(self, sr: int, target_sr: int, *, channels: int = 1, quality: str = "HQ") -> None:
        self.sr = _check_sr(sr)
        self.target_sr = _check_sr(target_sr, param="target_sr")
        self.channels = channels
        self._stream = soxr.ResampleStream(self.sr, self.target_sr, channels, dtype="float32", quality=quality)

    def process(self, chunk: np.ndarray) -> np.ndarray:
        return self._stream.resample_chunk(validate(chunk, param="chunk"), last=False)

    def flush(self) -> np.ndarray:
        shape = (0,) if self.channels == 1 else (0, self.channels)
        return self._stream.resample_chunk(np.zeros(shape, dtype=np.float32), last=True)


@dataclass(frozen=True, eq=False)
class Audio:
    """Samples with their rate. Unpacks as ``y, sr = audio``."""

    y: np.ndarray
    sr: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "y", validate(self.y))
        object.__setattr__(self, "sr", _check_sr(self.sr))

    def __iter__(self) -> Iterator[object]:
        return iter((self.y, self.sr))

    @property
    def channels(self) -> int:
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])

    @property
    def duration(self) -> float:
        return self.y.shape[0] / self.sr
