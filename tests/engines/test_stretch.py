"""Pitch-preserving time stretch (FFmpeg atempo through PyAV)."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab.engines.stretch import time_stretch
from voicelab.errors import ParameterError

SR = 24_000


def _peak_frequency(y: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / SR)[np.argmax(spectrum)])


@pytest.mark.parametrize("rate", [0.25, 0.5, 0.8, 1.5, 2.0, 4.0], ids=lambda r: f"x{r}")
def test_duration_scales_and_pitch_stays(rate):
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(2 * SR) / SR)).astype(np.float32)
    out = time_stretch(tone, SR, rate)
    assert out.dtype == np.float32
    assert len(out) / SR == pytest.approx(2.0 / rate, rel=0.05)
    assert _peak_frequency(out) == pytest.approx(220, abs=5)


def test_rate_one_is_identity(rng):
    y = rng.standard_normal(1000).astype(np.float32) * 0.1
    np.testing.assert_array_equal(time_stretch(y, SR, 1.0), y)


@pytest.mark.parametrize(("y", "rate", "param"), [
    (np.zeros(100, dtype=np.float32), 0.0, "rate"),
    (np.zeros((100, 2), dtype=np.float32), 2.0, "y"),
    (np.zeros(0, dtype=np.float32), 2.0, "y"),
], ids=["zero-rate", "stereo", "empty"])
def test_bad_input(y, rate, param):
    with pytest.raises(ParameterError) as info:
        time_stretch(y, SR, rate)
    assert info.value.param == param
