"""Shared signals for the VAD tests: one synthetic utterance (Piper), loaded once per session."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from voicelab.audio import Audio

SR = 24000


@pytest.fixture(scope="session")
def utterance() -> np.ndarray:
    """About 2 s of synthetic English speech at 24 kHz (Piper, via the emulator's TTS engine)."""
    from voicelab.engines.tts import synthesize

    y, sr = synthesize("Hello there, how are you today?", seed=5)  # seeded: the same audio every run
    assert sr == SR
    # trim to the voiced extent (10 ms frames within 40 dB of the loudest), so labels are exact
    hop = sr // 100
    n = len(y) // hop
    rms = np.sqrt(np.mean(y[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1))
    loud = np.nonzero(rms > rms.max() * 0.01)[0]
    return y[loud[0] * hop:(loud[-1] + 1) * hop].copy()


@pytest.fixture(scope="session")
def speech_in_silence(utterance) -> np.ndarray:
    """1 s silence, the utterance, 1 s silence."""
    pad = np.zeros(SR, dtype=np.float32)
    return np.concatenate([pad, utterance, pad])


@dataclass
class FakeInfo:
    """What prepare() reads from a manifest entry, built around the synthetic utterance."""

    name: str
    segments: tuple
    snr_db: float | None
    language: str
    audio: Audio


@pytest.fixture(scope="session")
def tiny_set(utterance):
    """Two 'utterances': the phrase, a 600 ms pause, the phrase again — clean and with noise."""
    lead, pause, tail = (np.zeros(int(s * SR), dtype=np.float32) for s in (0.5, 0.6, 0.5))
    y = np.concatenate([lead, utterance, pause, utterance, tail])
    d = len(utterance) / SR
    segments = ((0.5, 0.5 + d), (1.1 + d, 1.1 + 2 * d))
    noise = np.random.default_rng(7).normal(0, 0.003, y.size).astype(np.float32)
    infos = {"clean": FakeInfo("clean", segments, None, "en", Audio(y, SR)),
             "noisy": FakeInfo("noisy", segments, 20.0, "en", Audio(y + noise, SR))}
    from voicelab.vad.evaluation import prepare

    return prepare(["clean", "noisy"], loader=infos.__getitem__, progress=False,
                   detectors=None)
