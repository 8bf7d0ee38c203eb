"""Pitch-preserving time stretch with FFmpeg's ``atempo`` filter (through PyAV, already a dependency).

``atempo`` is a WSOLA time-scale modifier: it changes duration without changing pitch. One instance takes
factors 0.5–100; smaller factors are chained (0.25 = 0.5 × 0.5).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from voicelab.audio import validate
from voicelab.errors import ParameterError

__all__ = ["time_stretch"]

_MIN_STAGE, _MAX_STAGE = 0.5, 100.0


def _stages(rate: float) -> list[float]:
    stages = []
    while rate < _MIN_STAGE:
        stages.append(_MIN_STAGE)
        rate /= _MIN_STAGE
    while rate > _MAX_STAGE:
        stages.append(_MAX_STAGE)
        rate /= _MAX_STAGE
    return [*stages, rate]


def time_stretch(y: np.ndarray, sr: int, rate: float) -> np.ndarray:
    """Play ``y`` ``rate`` times faster (``rate`` > 1 shortens) at the same pitch.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Mono float samples.
    sr : int
        Sample rate in Hz (unchanged).
    rate : float
        Tempo factor, > 0. The output lasts about ``len(y) / rate`` samples.

    Returns
    -------
    ndarray, shape (m,)
        float32 samples.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(2 * np.pi * 220 * np.arange(24000) / 24000).astype(np.float32)
    >>> round(len(time_stretch(y, 24000, 2.0)) / 24000, 1)
    0.5
    """
    import av
    import av.filter

    y = validate(y)
    if y.ndim != 1:
        raise ParameterError("y", expected="mono samples of shape (n,)", got=f"shape {y.shape}")
    if not rate > 0:
        raise ParameterError("rate", expected="a positive tempo factor", got=repr(rate))
    if rate == 1.0:
        return y
    graph = av.filter.Graph()
    nodes = [graph.add_abuffer(format="flt", sample_rate=sr, layout="mono")]
    nodes += [graph.add("atempo", f"{stage:.6f}") for stage in _stages(rate)]
    nodes.append(graph.add("abuffersink"))
    for source, target in itertools.pairwise(nodes):
        source.link_to(target)
    graph.configure()
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(y).reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = sr
    frame.pts = 0
    frame.time_base = Fraction(1, sr)
    graph.push(frame)
    graph.push(None)
    pieces = []
    while True:
        try:
            out = graph.pull()
        except (av.error.EOFError, av.error.BlockingIOError):
            break
        pieces.append(out.to_ndarray().reshape(-1))
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(pieces).astype(np.float32, copy=False)
