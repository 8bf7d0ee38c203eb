"""POST /v1/audio/speech through the official SDK: formats, rates, lengths, streaming, SSE, errors."""

from __future__ import annotations

import base64
import json
import struct

import openai
import pytest

from voicelab import audio
from voicelab.errors import EngineError, ParameterError

SHORT = "Hello from the offline emulator."

MAGIC = {
    "mp3": lambda b: b[:3] == b"ID3" or (b[0] == 0xFF and b[1] & 0xE0 == 0xE0),
    "opus": lambda b: b[:4] == b"OggS" and b"OpusHead" in b[:64],
    "aac": lambda b: b[0] == 0xFF and b[1] & 0xF6 == 0xF0,
    "flac": lambda b: b[:4] == b"fLaC",
    "wav": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
async def test_every_format_has_its_container_rate_and_length(sdk, fmt):
    response = await sdk.audio.speech.create(
        model="gpt-4o-mini-tts", voice="alloy", input=SHORT, response_format=fmt
    )
    data = response.read()
    if fmt == "pcm":
        assert len(data) % 2 == 0
        seconds = len(data) / 2 / 24000
        assert 1.0 < seconds < 4.0  # five words of speech (Piper's length varies a little per run)
        return
    assert MAGIC[fmt](data), data[:16]
    decoded = audio.read(data)
    assert decoded.sr == (48000 if fmt == "opus" else 24000)  # Ogg Opus always decodes at 48 kHz
    assert 1.0 < decoded.duration < 4.0  # exact lengths per codec: tests/emulator/routes/test_encoding.py
    assert response.response.headers["content-type"].startswith("audio/")


async def test_streamed_wav_header_uses_unknown_sizes(sdk):
    response = await sdk.audio.speech.create(
        model="tts-1", voice="onyx", input="Short.", response_format="wav"
    )
    data = response.read()
    (riff_size,) = struct.unpack("<I", data[4:8])
    (data_size,) = struct.unpack("<I", data[40:44])
    assert riff_size == data_size == 0xFFFFFFFF
    assert struct.unpack("<HHI", data[20:28]) == (1, 1, 24000)  # PCM, mono, 24 kHz


@pytest.mark.slow
async def test_piper_speech_transcribes_back_word_for_word(sdk):
    text = "Please bring the red umbrella to the station."
    speech = await sdk.audio.speech.create(
        model="gpt-4o-mini-tts", voice="coral", input=text, response_format="flac"
    )
    transcript = await sdk.audio.transcriptions.create(model="whisper-1", file=("speech.flac", speech.read()))
    assert transcript.text.lower().strip(" .") == text.lower().strip(" .")


async def test_speed_changes_the_length(sdk):
    slow = (
        await sdk.audio.speech.create(
            model="gpt-4o-mini-tts", voice="alloy", input=SHORT, response_format="pcm", speed=1.0
        )
    ).read()
    fast = (
        await sdk.audio.speech.create(
            model="gpt-4o-mini-tts", voice="alloy", input=SHORT, response_format="pcm", speed=2.0
        )
    ).read()
    assert len(fast) < 0.7 * len(slow)


async def test_voices_sound_different(sdk):
    a = (
        await sdk.audio.speech.create(
            model="tts-1", voice="alloy", input="Good morning.", response_format="pcm"
        )
    ).read()
    b = (
        await sdk.audio.speech.create(
            model="tts-1", voice="onyx", input="Good morning.", response_format="pcm"
        )
    ).read()
    assert a != b


def _sse_events(body: bytes) -> list[dict]:
    events = []
    for block in body.decode().split("\n\n"):
        if block.startswith("data: "):
            events.append(json.loads(block[len("data: ") :]))
    return events


async def test_sse_stream_has_deltas_then_done_with_usage(sdk):
    async with sdk.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="alloy",
        input="One. Two. Three.",
        response_format="pcm",
        stream_format="sse",
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        body = await response.read()
    events = _sse_events(body)
    types = [e["type"] for e in events]
    assert types[-1] == "speech.audio.done" and set(types[:-1]) == {"speech.audio.delta"} and len(types) >= 2
    pcm = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    seconds = len(pcm) / 2 / 24000
    usage = events[-1]["usage"]
    assert usage["output_tokens"] == pytest.approx(seconds * 20, abs=1)  # 1 audio token per 50 ms
    assert usage["input_tokens"] == 6  # "One. Two. Three." in o200k_base
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize(
    ("overrides", "status", "code", "param"),
    [
        ({"voice": "robot"}, 400, "invalid_value", "voice"),
        ({"voice": {"id": "voice_123"}}, 400, "invalid_value", "voice"),
        ({"response_format": "ogg"}, 400, "invalid_value", "response_format"),
        ({"speed": 0.1}, 400, "decimal_below_min_value", "speed"),
        ({"speed": 4.5}, 400, "decimal_above_max_value", "speed"),
        ({"input": "x" * 4097}, 400, "string_above_max_length", "input"),
        ({"input": ""}, 400, "string_below_min_length", "input"),
        ({"input": "   "}, 400, "invalid_value", "input"),
        ({"model": "tts-9"}, 404, "model_not_found", "model"),
        ({"model": "tts-1", "stream_format": "sse"}, 400, "unsupported_value", "stream_format"),
        ({"model": "tts-1-hd", "instructions": "whisper"}, 400, "unsupported_parameter", "instructions"),
        ({"stream_format": "chunks"}, 400, "invalid_value", "stream_format"),
    ],
    ids=[
        "voice",
        "custom-voice",
        "format",
        "speed-low",
        "speed-high",
        "too-long",
        "empty",
        "blank",
        "model",
        "sse-tts-1",
        "instructions-tts-1",
        "stream-format",
    ],
)
async def test_bad_requests_are_openai_errors(sdk, still_serves, overrides, status, code, param):
    request = {"model": "gpt-4o-mini-tts", "voice": "alloy", "input": "Hi.", **overrides}
    with pytest.raises(openai.APIStatusError) as caught:
        await sdk.audio.speech.create(**request)
    assert caught.value.status_code == status
    assert (caught.value.code, caught.value.param) == (code, param)
    assert caught.value.body["type"] == "invalid_request_error"
    await still_serves()


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"voice": "alloy", "input": "Hi."}, "missing_required_parameter", "model"),
        ({"model": "tts-1", "voice": "alloy"}, "missing_required_parameter", "input"),
        ({"model": "tts-1", "input": "Hi."}, "missing_required_parameter", "voice"),
        ({"model": "tts-1", "voice": "alloy", "input": "Hi.", "pitch": 3}, "unknown_parameter", "pitch"),
        ({"model": "tts-1", "voice": "alloy", "input": "Hi.", "speed": "fast"}, "invalid_type", "speed"),
    ],
    ids=["no-model", "no-input", "no-voice", "unknown-field", "speed-type"],
)
async def test_missing_and_unknown_fields(http, still_serves, body, code, param):
    response = await http.post("/v1/audio/speech", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"]) == (code, param, "invalid_request_error")
    await still_serves()


@pytest.mark.parametrize(
    ("error", "status", "param", "kind"),
    [
        (ParameterError("text", expected="words", got="symbols"), 400, "input", "invalid_request_error"),
        (EngineError("piper voice file missing"), 500, None, "server_error"),
    ],
    ids=["engine-parameter-error", "engine-failure"],
)
async def test_engine_failures_become_openai_errors(
    sdk, still_serves, monkeypatch, error, status, param, kind
):
    from voicelab.engines import tts

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(tts, "synthesize_stream", failing)
    with pytest.raises(openai.APIStatusError) as caught:
        await sdk.audio.speech.create(model="tts-1", voice="alloy", input="Hi.")
    assert (caught.value.status_code, caught.value.param, caught.value.body["type"]) == (status, param, kind)
    monkeypatch.undo()
    await still_serves()
