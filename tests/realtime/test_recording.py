"""Recording: WAV files valid after every write, JSONL event log, replay — also mid-session."""

from __future__ import annotations

import json
import struct
import wave

import numpy as np
import pytest
import soundfile

from voicelab.errors import ParameterError
from voicelab.realtime.recording import RecordingWriter, WavAppender, replay, strip_audio
from voicelab.realtime.session import RealtimeSession


def test_wav_is_valid_after_every_append(tmp_path, rng):
    path = tmp_path / "x.wav"
    wav = WavAppender(path, rate=24_000)
    written = []
    for n in (480, 0, 960, 17):
        pcm = rng.integers(-3000, 3000, n).astype("<i2")
        wav.append(pcm.tobytes())
        written.append(pcm)
        data, sr = soundfile.read(path, dtype="int16")  # a reader that trusts the header
        assert sr == 24_000 and np.array_equal(data, np.concatenate(written))
        with wave.open(str(path)) as w:  # the stdlib reader takes the frame count from the data chunk size
            assert w.getnframes() == sum(map(len, written)) and w.getframerate() == 24_000
    raw = path.read_bytes()
    assert struct.unpack("<I", raw[4:8])[0] == len(raw) - 8
    wav.close()
    with pytest.raises(ParameterError):
        wav.append(b"\0\0")


def test_odd_bytes_rejected(tmp_path):
    wav = WavAppender(tmp_path / "y.wav")
    with pytest.raises(ParameterError, match="pcm16"):
        wav.append(b"\0")
    wav.close()


def test_strip_audio_keeps_the_byte_count():
    slim, n = strip_audio({"type": "input_audio_buffer.append", "audio": "AAAA"})
    assert slim == {"type": "input_audio_buffer.append"} and n == 3
    event = {"type": "session.update", "session": {}}
    assert strip_audio(event) == (event, 0)


def test_replay_skips_a_torn_last_line_and_reads_an_unfinished_recording(tmp_path):
    writer = RecordingWriter(tmp_path / "rec")
    writer.input(b"\x01\x00" * 2400)
    writer.log({"type": "session.created"}, t=0.1, direction="server")
    with open(tmp_path / "rec" / "events.jsonl", "a") as f:  # what a kill mid-write could leave
        f.write('{"t": 0.2, "dir": "ser')
    rec = replay(tmp_path / "rec")  # writer not closed: the kernel "died"
    assert [e["type"] for e in rec.events] == ["session.created"]
    assert rec.input.duration == pytest.approx(0.1) and rec.output is None
    assert "complete" not in rec.meta
    writer.close(turns=0)
    assert replay(tmp_path / "rec").meta["complete"] is True


def test_replay_of_a_folder_without_a_log_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="folder"):
        replay(tmp_path)


@pytest.mark.slow
async def test_session_recording_contents(client, speech, tmp_path):
    pcm16, sr = speech
    folder = tmp_path / "conversation"
    async with RealtimeSession(client=client, voice="alloy", transcription="gpt-4o-mini-transcribe") as s:
        s.record(folder)
        sent = await s.send_audio(pcm16, sr, silence_ms=900)
        turn = await s.wait_turn(timeout=90)
        # mid-session (the kernel could die now): everything so far is on disk and readable
        live = replay(folder)
        assert live.input.duration * 1000 == pytest.approx(sent, abs=1)
        assert "response.done" in [e["type"] for e in live.events]
        received = sum(item.audio_received_ms for item in s.items.values())
    rec = replay(folder)
    assert rec.meta["complete"] is True and rec.meta["turns"] == 1
    assert rec.input.sr == rec.output.sr == 24_000
    assert rec.output.duration * 1000 == pytest.approx(received, abs=1)
    # input.wav holds what was sent: the 16 kHz speech resampled to 24 kHz, then the silence
    assert np.abs(rec.input.y[-int(0.8 * 24_000) :]).max() == 0
    assert np.abs(rec.input.y[: int(len(pcm16) / sr * 24_000)]).max() > 0.05
    ts = [e["t"] for e in rec.events]
    assert ts == sorted(ts)  # monotonic timestamps
    kinds = [e["type"] for e in rec.events]
    for kind in (
        "input_audio_buffer.speech_started",
        "response.created",
        "response.done",
        "voicelab.turn",
        "voicelab.response_audio",
    ):
        assert kind in kinds
    text = (folder / "events.jsonl").read_text()
    assert all(
        "audio" not in e["event"] for e in rec.of_type("input_audio_buffer.append")
    )  # no base64 copies
    assert all("delta" not in e["event"] for e in rec.of_type("response.output_audio.delta"))
    deltas = rec.of_type("response.output_audio.delta")
    assert deltas[0]["offset_ms"] == 0 and sum(d["audio_ms"] for d in deltas) == pytest.approx(
        received, abs=1
    )
    stored_turn = rec.of_type("voicelab.turn")[0]
    assert stored_turn["time_to_first_audio"] == pytest.approx(turn.time_to_first_audio, abs=1e-3)
    assert all(json.loads(line) for line in text.splitlines())
