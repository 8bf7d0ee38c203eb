"""Recorder, kernel side: browser chunks in (binary buffers at the device rate) → 24 kHz Audio out."""

from __future__ import annotations

import asyncio
import doctest

import numpy as np
import pytest

from voicelab import samples
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


# ------------------------------------------------------------------ recording_or: wait, else fall back


async def test_recording_or_falls_back_at_once_without_a_browser(capsys):
    rec = Recorder()
    started = asyncio.get_running_loop().time()
    audio = await rec.recording_or("en_weather", timeout=30, browser_timeout=0.2)
    assert asyncio.get_running_loop().time() - started < 5  # did not wait for the 30 s timeout
    assert audio.y.shape == samples.load("en_weather").y.shape
    assert "No browser shows the recorder" in capsys.readouterr().out


async def test_recording_or_returns_what_the_user_records_while_it_waits(frontend):
    rec = Recorder()
    fe = frontend(rec)
    fe.send({"type": "ready"})
    waiter = asyncio.create_task(rec.recording_or("en_weather", timeout=10, browser_timeout=0.1))
    await asyncio.sleep(0.3)
    assert not waiter.done()
    assert any("waiting" in (m.get("state") or {}).get("note", "") for m in fe.state_messages())
    await asyncio.to_thread(_send_recording, fe, _tone(48000, 0.5), 48000)
    audio = await asyncio.wait_for(waiter, 5)
    assert audio.duration == pytest.approx(0.5, abs=1e-3)
    assert rec.note == ""


async def test_recording_or_waits_for_a_recording_in_progress_to_stop(frontend):
    rec = Recorder()
    fe = frontend(rec)
    fe.send({"type": "ready"})
    fe.send({"type": "start", "sr": 48000, "channels": 1})
    fe.send({"type": "chunk", "sr": 48000, "seq": 0, "t": 0.0}, [_tone(48000, 0.2).astype("<f4").tobytes()])
    waiter = asyncio.create_task(rec.recording_or("en_weather", timeout=0.2, browser_timeout=0.1))
    await asyncio.sleep(0.5)  # past the timeout, but the user is still speaking
    assert not waiter.done()
    fe.send({"type": "stop", "seq": 1})
    assert (await asyncio.wait_for(waiter, 5)).duration == pytest.approx(0.2, abs=1e-3)


async def test_recording_or_falls_back_with_a_note_when_nobody_records(frontend, capsys):
    rec = Recorder()
    frontend(rec).send({"type": "ready"})
    fallback = Audio(_tone(24000, 1.0), 24000)
    assert await rec.recording_or(fallback, timeout=0.3, browser_timeout=0.1) is fallback
    assert "Nothing was recorded in 0.3 s" in capsys.readouterr().out


async def test_recording_or_falls_back_when_the_microphone_fails(frontend, capsys):
    rec = Recorder()
    fe = frontend(rec)
    fe.send({"type": "ready"})
    fe.send({"type": "error", "name": "NotAllowedError", "message": "Microphone permission denied"})
    audio = await rec.recording_or("en_weather", timeout=10, browser_timeout=0.1)
    assert audio.sr == samples.load("en_weather").sr
    assert "Microphone permission denied" in capsys.readouterr().out


async def test_recording_or_returns_an_existing_recording_without_a_browser(frontend):
    rec = Recorder()
    _send_recording(frontend(rec), _tone(48000, 0.3), 48000)
    assert (await rec.recording_or("en_weather", browser_timeout=0)).duration == pytest.approx(0.3, abs=1e-3)


@pytest.mark.parametrize("kwargs", [{"timeout": -1}, {"browser_timeout": float("nan")}, {"timeout": True}],
                         ids=repr)
async def test_recording_or_validates_its_timeouts(kwargs):
    with pytest.raises(ParameterError, match=next(iter(kwargs))):
        await Recorder().recording_or("en_weather", **kwargs)


def test_recording_or_docstring_example_runs():
    finder = doctest.DocTestFinder()
    tests = [t for t in finder.find(Recorder.recording_or, "Recorder.recording_or",
                                    globs={"Recorder": Recorder, "asyncio": asyncio})]
    runner = doctest.DocTestRunner()
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).attempted >= 2 and runner.summarize(verbose=False).failed == 0
