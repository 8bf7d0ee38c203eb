"""Speech regions: where Silero VAD hears speech in a whole clip, as ``(start_s, end_s)`` pairs.

Frames of 32 ms; a region starts at a frame scoring ``>= start_threshold`` (0.5, Silero's and ``server_vad``'s
default) and ends after ``min_silence_s`` (0.25 s) of frames below ``end_threshold`` (0.35: hysteresis, as
Silero's own ``get_speech_timestamps`` uses ``threshold - 0.15``), so gaps between words do not split it.
:func:`voicelab.engines.stt.transcribe` takes :func:`speech_regions` as ``speech=`` to make word times true.

Examples
--------
>>> import numpy as np
>>> speech_regions(np.zeros(16000, np.float32), 16000)
[]
"""

from __future__ import annotations

import numpy as np

from voicelab.vad.detectors import SileroDetector

__all__ = [
    "END_THRESHOLD",
    "MIN_SILENCE_S",
    "START_THRESHOLD",
    "regions_from_probabilities",
    "speech_regions",
]

START_THRESHOLD = 0.5
"""Speech probability at which a region starts."""
END_THRESHOLD = 0.35
"""Probability below which a frame counts as silence once speech started."""
MIN_SILENCE_S = 0.25
"""Silence shorter than this does not end a region."""


def speech_regions(
    y: np.ndarray,
    sr: int,
    *,
    start_threshold: float = START_THRESHOLD,
    end_threshold: float = END_THRESHOLD,
    min_silence_s: float = MIN_SILENCE_S,
) -> list[tuple[float, float]]:
    """Where speech is in ``y``, as ``(start_s, end_s)`` pairs measured by Silero VAD.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Mono float samples in [-1, 1].
    sr : int
        Sample rate of ``y`` in Hz (any; the detector resamples to 16 kHz).
    start_threshold, end_threshold : float
        Speech starts at a frame scoring ``>= start_threshold`` and ends after ``min_silence_s`` of frames
        scoring ``< end_threshold``.
    min_silence_s : float
        Shortest silence that ends a region.

    Returns
    -------
    list of (float, float)
        Start and end of each speech region in seconds, in order (frame-accurate: 32 ms).

    Examples
    --------
    >>> speech_regions(np.zeros(16000, np.float32), 16000)
    []
    """
    detector = SileroDetector()
    probs = detector.probabilities(np.asarray(y, dtype=np.float32), sr)
    return regions_from_probabilities(
        probs,
        detector.frame_ms / 1000.0,
        start_threshold=start_threshold,
        end_threshold=end_threshold,
        min_silence_s=min_silence_s,
        duration_s=len(y) / sr,
    )


def regions_from_probabilities(
    probs: np.ndarray,
    frame_s: float,
    *,
    start_threshold: float = START_THRESHOLD,
    end_threshold: float = END_THRESHOLD,
    min_silence_s: float = MIN_SILENCE_S,
    duration_s: float | None = None,
) -> list[tuple[float, float]]:
    """Speech regions from per-frame speech probabilities (frame ``i`` covers ``[i, i+1) * frame_s``).

    Examples
    --------
    >>> p = np.array([0, 0, .9, .9, .2, .9, 0, 0, 0, 0, 0, 0, .8, 0])
    >>> regions_from_probabilities(p, 0.1, min_silence_s=0.3)
    [(0.2, 0.6), (1.2, 1.3)]
    """
    regions: list[tuple[float, float]] = []
    start: int | None = None
    last_speech = 0
    quiet_frames = max(1, round(min_silence_s / frame_s))
    for i, p in enumerate(np.asarray(probs, dtype=np.float64)):
        if start is None:
            if p >= start_threshold:
                start, last_speech = i, i
        elif p >= end_threshold:
            last_speech = i
        elif i - last_speech >= quiet_frames:
            regions.append((start, last_speech + 1))
            start = None
    if start is not None:
        regions.append((start, last_speech + 1))
    end_cap = duration_s if duration_s is not None else float("inf")
    return [(round(a * frame_s, 3), round(min(b * frame_s, end_cap), 3)) for a, b in regions]
