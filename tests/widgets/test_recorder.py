"""Recorder, kernel side: browser chunks in (binary buffers at the device rate) → 24 kHz Audio out."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from voicelab.audio import Audio, from_pcm16, resample, to_pcm16
from voicelab.errors import ParameterError, WidgetError
from voicelab.widgets import Recorder


def _tone(sr: int, seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _send_recording(fe, y: np.ndarray, sr: int, chunk_ms: int = 20) -> int:
    """Send ``y`` the way recorder.js does: start, float32 chunks, stop."""
    fe.send({"type": "start", "sr": sr, "channels": 1})
    n = int(sr * chunk_ms / 1000)
    seq = 0
    for i in range(0, len(y), n):
        fe.send({"type": "chunk", "sr": sr, "seq": seq, "t": 0.0, "level": 0.1},
                [y[i:i + n].astype("<f4").tobytes()])
        seq += 1
    fe.send({"type": "stop", "seq": seq})
    return seq


@pytest.mark.parametrize("sr", [44100, 48000, 16000, 24000], ids=["44k1", "48k", "16k", "24k"])
def test_chunks_are_resampled_to_24k_with_the_right_length(frontend, sr):
    rec = Recorder()
    fe = frontend(rec)
    y = _tone(sr, 1.5)
    _send_recording(fe, y, sr)

    audio = rec.audio
    assert isinstance(audio, Audio)
    assert audio.sr == 24000
    assert audio.channels == 1
    # Streaming output + flush has exactly the length of a one-shot resample.
    assert audio.y.shape[0] == pytest.approx(1.5 * 24000, abs=2)
    assert rec.device_rate == sr
    assert rec.duration == pytest.approx(1.5, abs=1e-3)
    # The content is the tone, not just the right number of samples.
    reference = resample(y, sr, 24000)
    n = min(len(reference), len(audio.y))
    assert np.max(np.abs(reference[:n] - audio.y[:n])) < 2e-3


def test_chunks_are_pcm16_exact_and_stream_in_order(frontend, rng):
    rec = Recorder()
    fe = frontend(rec)
    got: list[Audio] = []
    rec.on_chunk(got.append)
    y = (0.3 * rng.standard_normal(48000)).astype(np.float32).clip(-1, 1)
    _send_recording(fe, y, 48000)

    assert len(got) >= 20  # soxr hands out uneven pieces, but many of them
    assert all(c.sr == 24000 for c in got)
    joined = np.concatenate([c.y for c in got])
    np.testing.assert_array_equal(joined, rec.audio.y)
    # Every sample is exactly representable in PCM16 (what the Realtime API will receive).
    np.testing.assert_array_equal(from_pcm16(to_pcm16(joined)), joined)
    assert len(rec.pcm16()) == 2 * joined.shape[0]


def test_callbacks_can_be_removed(frontend):
    rec = Recorder()
    fe = frontend(rec)
    got: list[Audio] = []
    rec.on_chunk(got.append)
    rec.on_chunk(got.append, remove=True)
    _send_recording(fe, _tone(48000, 0.2), 48000)
    assert got == []


async def test_async_iterator_yields_chunks_until_stop(frontend):
    rec = Recorder()
    fe = frontend(rec)
    stream = rec.stream()
    _send_recording(fe, _tone(44100, 0.5), 44100)
    chunks = [c async for c in stream]
    assert sum(c.y.shape[0] for c in chunks) == pytest.approx(12000, abs=2)
    assert rec.audio.duration == pytest.approx(0.5, abs=1e-3)


async def test_async_iterator_receives_chunks_sent_later_from_another_thread(frontend):
    rec = Recorder()
    fe = frontend(rec)

    async def consume() -> float:
        total = 0.0
        async for chunk in rec:
            total += chunk.duration
        return total

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    await asyncio.to_thread(_send_recording, fe, _tone(48000, 0.4), 48000)
    assert await asyncio.wait_for(task, 2) == pytest.approx(0.4, abs=1e-3)


async def test_wait_stopped_returns_the_recording(frontend):
    rec = Recorder()
    fe = frontend(rec)
    waiter = asyncio.create_task(rec.wait_stopped(timeout=2))
    await asyncio.sleep(0)
    assert not waiter.done()
    await asyncio.to_thread(_send_recording, fe, _tone(48000, 0.3), 48000)
    audio = await waiter
    assert audio.duration == pytest.approx(0.3, abs=1e-3)


@pytest.mark.parametrize(
    ("name", "message"),
    [("NotAllowedError", "Microphone permission denied: allow microphone access"),
     ("NotFoundError", "No microphone found: connect an input device")],
    ids=["permission-denied", "no-device"],
)
async def test_browser_errors_raise_widget_error_on_next_access(frontend, name, message):
    rec = Recorder()
    fe = frontend(rec)
    stream = rec.stream()
    fe.send({"type": "error", "name": name, "message": message + ", then click record again."})
    assert rec.state == "error"
    assert rec.error.startswith(message)
    with pytest.raises(WidgetError, match=message):
        _ = rec.audio
    with pytest.raises(WidgetError, match=name):
        await anext(stream)
    with pytest.raises(WidgetError):
        rec.stream()
    # A new recording clears the error.
    _send_recording(fe, _tone(48000, 0.1), 48000)
    assert rec.audio.duration == pytest.approx(0.1, abs=1e-3)


def test_no_recording_yet_is_a_clear_error():
    with pytest.raises(WidgetError, match="nothing recorded yet"):
        _ = Recorder().audio


def test_start_and_stop_are_sent_to_the_browser(frontend):
    rec = Recorder()
    fe = frontend(rec)
    rec.start()
    rec.stop()
    assert [c for c, _ in fe.received()] == [{"cmd": "start"}, {"cmd": "stop"}]


def test_chunk_ms_is_validated():
    with pytest.raises(ParameterError, match="chunk_ms"):
        Recorder(chunk_ms=0)


def test_repr_is_stable():
    assert repr(Recorder()) == repr(Recorder()) == "Recorder(rate=24000, chunk_ms=20)"
