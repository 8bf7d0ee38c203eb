"""Player, kernel side: chunks out as PCM16 buffers, played-ms reports in, interrupt bookkeeping."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import soundfile as sf

from voicelab.audio import Audio
from voicelab.errors import ParameterError
from voicelab.widgets import Player


def _chunks(fe):
    return [(c, b) for c, b in fe.received() if c.get("cmd") == "chunk"]


@pytest.mark.parametrize(
    ("chunk", "kwargs", "expect_sr", "expect_frames"),
    [
        (b"\x01\x00" * 480, {}, 24000, 480),
        (np.zeros(800, dtype=np.int16), {"sr": 16000}, 16000, 800),
        (np.zeros((441, 2), dtype=np.float32), {"sr": 44100}, 44100, 441),
        (Audio(np.zeros(4800, dtype=np.float32), 48000), {}, 48000, 4800),
    ],
    ids=["pcm16-bytes-24k", "int16-16k", "float-stereo-44k1", "audio-48k"],
)
def test_feed_sends_pcm16_buffers_with_their_rate(frontend, chunk, kwargs, expect_sr, expect_frames):
    player = Player()
    fe = frontend(player)
    player.feed(chunk, **kwargs)
    [(content, buffers)] = _chunks(fe)
    assert content["sr"] == expect_sr
    assert len(buffers[0]) == 2 * expect_frames * content["channels"]
    assert player.sent_ms_for(player.stream_id) == pytest.approx(1000 * expect_frames / expect_sr)


def test_feed_pcm_values_survive_the_trip(frontend, rng):
    player = Player()
    fe = frontend(player)
    pcm = rng.integers(-32768, 32767, 2400, dtype=np.int16)
    player.feed(pcm.tobytes(), stream="item_1")
    [(content, buffers)] = _chunks(fe)
    assert content["stream"] == "item_1"
    np.testing.assert_array_equal(np.frombuffer(buffers[0], dtype="<i2"), pcm)


def test_played_ms_bookkeeping_follows_browser_reports(frontend):
    player = Player()
    fe = frontend(player)
    for _ in range(10):  # 10 × 100 ms
        player.feed(b"\x00\x00" * 2400, stream="item_a")
    assert player.sent_ms_for("item_a") == pytest.approx(1000)
    assert player.played_ms == 0

    fe.send({"type": "played", "stream": "item_a", "ms": 250.0, "final": False})
    assert player.played_ms == 250.0
    assert player.finished("item_a") is None
    # A report can never exceed what was sent (truncate past the audio is a server error).
    fe.send({"type": "played", "stream": "item_a", "ms": 5000.0, "final": True, "reason": "finished"})
    assert player.played_ms_for("item_a") == pytest.approx(1000)
    assert player.finished("item_a") == "finished"


def test_on_played_callbacks_hear_each_report_until_detached(frontend):
    player = Player()
    fe = frontend(player)
    player.feed(b"\x00\x00" * 24000, stream="item_a")  # 1 s
    heard, once = [], []

    def first_report_only(stream, ms, reason):
        once.append((stream, ms, reason))
        player.on_played(first_report_only, remove=True)  # detaching itself while the reports are handed out

    player.on_played(lambda *report: heard.append(report))
    player.on_played(first_report_only)
    fe.send({"type": "played", "stream": "item_a", "ms": 400.0, "final": False})
    fe.send({"type": "played", "stream": "item_a", "ms": 1000.0, "final": True, "reason": "interrupted"})
    assert heard == [("item_a", 400.0, None), ("item_a", 1000.0, "interrupted")]
    assert once == [("item_a", 400.0, None)]


def test_an_underrun_is_not_the_end_of_the_stream(frontend):
    player = Player()
    fe = frontend(player)
    player.feed(b"\x00\x00" * 2400, stream="s")
    player.feed(b"\x00\x00" * 2400, stream="s")
    # The browser ran out after the first chunk (the second is still on its way).
    fe.send({"type": "played", "stream": "s", "ms": 100.0, "final": True, "reason": "finished"})
    assert player.finished("s") is None
    fe.send({"type": "played", "stream": "s", "ms": 200.0, "final": True, "reason": "finished"})
    assert player.finished("s") == "finished"


def test_streams_are_accounted_separately(frontend):
    player = Player()
    fe = frontend(player)
    player.feed(b"\x00\x00" * 24000, stream="first")
    fe.send({"type": "played", "stream": "first", "ms": 1000.0, "final": True, "reason": "finished"})
    player.feed(b"\x00\x00" * 12000, stream="second")
    assert player.stream_id == "second"
    assert player.played_ms == 0
    fe.send({"type": "played", "stream": "second", "ms": 120.5, "final": False})
    assert player.played_ms == 120.5
    assert player.played_ms_for("first") == 1000.0


async def test_interrupt_async_returns_the_ms_the_browser_played(frontend):
    player = Player()
    fe = frontend(player)
    player.feed(b"\x00\x00" * 48000, stream="resp")

    async def browser():
        while not [c for c, _ in fe.received() if c.get("cmd") == "interrupt"]:
            await asyncio.sleep(0.005)
        [seq] = [c["seq"] for c, _ in fe.received() if c.get("cmd") == "interrupt"]
        fe.send({"type": "interrupted", "seq": seq, "streams": {"resp": 730.0}, "reason": "interrupted"})

    fake = asyncio.create_task(browser())
    played = await player.interrupt_async(timeout=2)
    await fake
    assert played == 730.0
    assert player.played_ms == 730.0
    assert player.finished("resp") == "interrupted"


async def test_interrupt_async_without_a_browser_returns_the_last_report(frontend):
    player = Player()
    fe = frontend(player)
    player.feed(b"\x00\x00" * 4800, stream="resp")
    fe.send({"type": "played", "stream": "resp", "ms": 80.0, "final": False})
    assert await player.interrupt_async(timeout=0.05) == 80.0


def test_play_interrupts_then_sends_a_new_stream_in_pieces(frontend, tmp_path):
    player = Player()
    fe = frontend(player)
    y = np.zeros(int(1.2 * 22050), dtype=np.float32)
    path = tmp_path / "x.wav"
    sf.write(path, y, 22050, subtype="PCM_16")
    stream = player.play(path)
    cmds = [c["cmd"] for c, _ in fe.received()]
    assert cmds[0] == "interrupt"
    chunks = _chunks(fe)
    assert {c["stream"] for c, _ in chunks} == {stream}
    assert {c["sr"] for c, _ in chunks} == {22050}
    assert sum(len(b[0]) for _, b in chunks) == 2 * y.shape[0]
    assert len(chunks) == 3  # 0.5 s pieces
    assert player.sent_ms_for(stream) == pytest.approx(1200, abs=0.1)


def test_state_reports_update_traits(frontend):
    player = Player()
    fe = frontend(player)
    assert player.state == "locked" and not player.audio_enabled
    fe.send({"type": "state", "state": "playing", "audio_enabled": True})
    assert player.state == "playing" and player.audio_enabled


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda p: p.feed(b"\x00\x00\x00"), "chunk"),
        (lambda p: p.feed(np.zeros(10, dtype=np.int64)), "chunk"),
        (lambda p: p.feed(np.zeros(10, dtype=np.int16), sr=0), "sr"),
        (lambda p: p.play(np.zeros(10, dtype=np.float32)), "sr"),
        (lambda p: p.play(42), "source"),
    ],
    ids=["odd-bytes", "int64", "zero-rate", "array-without-sr", "number"],
)
def test_bad_input_names_the_parameter(call, param):
    with pytest.raises(ParameterError) as info:
        call(Player())
    assert info.value.param == param


def test_repr_is_stable():
    assert repr(Player()) == "Player()"
