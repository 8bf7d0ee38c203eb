"""A custom voice, offline: measure a speaker's sample, then render the nearest built-in voice like it.

OpenAI builds a custom voice from a consented audio sample with a neural model. Offline there is no voice
cloning: :func:`measure` takes two things a listener hears first — the speaker's median pitch (F0, by
normalised autocorrelation over the voiced frames) and speaking rate (energy peaks per second of speech, a
syllable-rate proxy) — and :func:`derive` picks the built-in voice whose own pitch is nearest, then
shifts it by the remaining semitones (at most ±:data:`MAX_SHIFT_ST`) and scales its tempo (within
:data:`TEMPO_RANGE`). The result sounds like the built-in voice moved towards the speaker, not like the
speaker.

Examples
--------
>>> import numpy as np
>>> sr = 16000
>>> t = np.arange(sr) / sr
>>> hum = (0.5 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 4 * t) > 0)).astype(np.float32)
>>> round(measure(hum, sr).median_f0_hz)
180
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from voicelab.audio import resample, to_mono, validate
from voicelab.errors import ParameterError

__all__ = ["MAX_SHIFT_ST", "TEMPO_RANGE", "Rendering", "VoiceProfile", "base_profiles", "derive", "measure"]

MAX_SHIFT_ST = 4.0
"""The largest pitch shift applied to a built-in voice: beyond it formants sound unnatural."""
TEMPO_RANGE = (0.8, 1.25)
_SR = 16000
_FRAME = 640  # 40 ms
_HOP = 160  # 10 ms
_F0_RANGE = (60.0, 400.0)
_REFERENCE = "The quick brown fox jumps over the lazy dog. We will meet at the station at noon."
_lock = threading.Lock()


@dataclass(frozen=True)
class VoiceProfile:
    """What :func:`measure` heard: median pitch (Hz) and speaking rate (energy peaks per second of speech)."""

    median_f0_hz: float
    syllable_rate: float
    voiced_seconds: float


@dataclass(frozen=True)
class Rendering:
    """How a custom voice is spoken offline: a built-in voice, a pitch shift and a tempo factor."""

    base_voice: str
    semitones: float
    tempo: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(y: np.ndarray, sr: int) -> VoiceProfile:
    """The median F0 and speaking rate of a speech sample.

    Raises
    ------
    ParameterError
        The sample has under 0.5 s of voiced speech (names ``audio_sample``).
    """
    x = resample(to_mono(validate(y)), sr, _SR).astype(np.float64)
    if len(x) < _FRAME:
        raise ParameterError("audio_sample", expected="at least 0.5 s of speech", got=f"{len(x) / _SR:.2f} s")
    frames = np.lib.stride_tricks.sliding_window_view(x, _FRAME)[::_HOP]
    energy = np.sqrt(np.mean(frames**2, axis=1))
    loud = energy > max(1e-4, 0.1 * float(np.percentile(energy, 95)))
    f0s = [f for f in (_frame_f0(frame) for frame in frames[loud]) if f is not None]
    voiced_seconds = len(f0s) * _HOP / _SR
    if voiced_seconds < 0.5:
        raise ParameterError(
            "audio_sample", expected="at least 0.5 s of voiced speech", got=f"{voiced_seconds:.2f} s"
        )
    envelope = np.convolve(energy, np.ones(5) / 5, mode="same")
    peaks = (envelope[1:-1] > envelope[:-2]) & (envelope[1:-1] >= envelope[2:]) & loud[1:-1]
    peaks &= envelope[1:-1] > 0.3 * float(np.percentile(envelope, 95))
    speech_seconds = max(float(loud.sum()) * _HOP / _SR, 1e-3)
    return VoiceProfile(
        median_f0_hz=round(float(np.median(f0s)), 1),
        syllable_rate=round(float(peaks.sum()) / speech_seconds, 2),
        voiced_seconds=round(voiced_seconds, 2),
    )


def _frame_f0(frame: np.ndarray) -> float | None:
    frame = frame - frame.mean()
    corr = np.correlate(frame, frame, mode="full")[len(frame) - 1 :]
    if corr[0] <= 0:
        return None
    corr = corr / corr[0]
    lo, hi = int(_SR / _F0_RANGE[1]), int(_SR / _F0_RANGE[0])
    lag = lo + int(np.argmax(corr[lo:hi]))
    if corr[lag] < 0.5:  # not periodic enough: unvoiced or noise
        return None
    return _SR / lag


@functools.cache
def _base_profiles() -> dict[str, VoiceProfile]:
    from voicelab.engines import tts

    # One synthesis: the voice Piper speaks unshifted; every other voice is that one moved by its own
    # semitones and tempo (tts.VOICES), which is exactly how tts renders them.
    plain = next(spec for spec in tts.VOICES.values() if spec.semitones == 0 and spec.tempo == 1.0)
    speech = tts.synthesize(_REFERENCE, voice=plain.name, language="en")
    heard = measure(speech.y, speech.sr)
    return {
        name: VoiceProfile(
            median_f0_hz=round(heard.median_f0_hz * 2 ** (spec.semitones / 12), 1),
            syllable_rate=round(heard.syllable_rate * spec.tempo, 2),
            voiced_seconds=heard.voiced_seconds,
        )
        for name, spec in tts.VOICES.items()
    }


def base_profiles() -> dict[str, VoiceProfile]:
    """Each built-in English voice's pitch and rate (one reference synthesis per process, then derived)."""
    with _lock:
        return _base_profiles()


def derive(profile: VoiceProfile, bases: dict[str, VoiceProfile] | None = None) -> Rendering:
    """The built-in voice nearest in pitch, shifted and paced towards ``profile``.

    Examples
    --------
    >>> bases = {"low": VoiceProfile(110.0, 4.0, 3.0), "high": VoiceProfile(220.0, 4.0, 3.0)}
    >>> derive(VoiceProfile(200.0, 5.0, 2.0), bases)
    Rendering(base_voice='high', semitones=-1.65, tempo=1.25)
    """
    bases = bases if bases is not None else base_profiles()

    def distance(name: str) -> float:
        return abs(12 * math.log2(profile.median_f0_hz / bases[name].median_f0_hz))

    name = min(bases, key=distance)
    base = bases[name]
    shift = 12 * math.log2(profile.median_f0_hz / base.median_f0_hz)
    tempo = profile.syllable_rate / base.syllable_rate if base.syllable_rate > 0 else 1.0
    return Rendering(
        base_voice=name,
        semitones=round(max(-MAX_SHIFT_ST, min(MAX_SHIFT_ST, shift)), 2),
        tempo=round(max(TEMPO_RANGE[0], min(TEMPO_RANGE[1], tempo)), 2),
    )
