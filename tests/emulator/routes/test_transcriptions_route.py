"""POST /v1/audio/transcriptions and /translations through the official SDK: formats, containers, streaming,
usage, errors."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np
import openai
import pytest
from openai.types.audio import TranscriptionTextDeltaEvent, TranscriptionTextDoneEvent, TranscriptionVerbose

from voicelab import audio
from voicelab.emulator.app import create_app
from voicelab.emulator.settings import EmulatorSettings

TEXT = "The quick brown fox jumps over the lazy dog."
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"]


def words_of(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z0-9']+", text.lower())


def _pyav(y: np.ndarray, sr: int, muxer: str, codec: str, rate: int) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=muxer) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        samples = audio.resample(y, sr, rate)
        frame = av.AudioFrame.from_ndarray(
            audio.to_pcm16(samples).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def containers(spoken_sentence):
    """The Piper sentence in every container the endpoint lists."""
    _, speech = spoken_sentence
    y, sr = speech
    mp3 = audio.encode(y, sr, "mp3")
    return {
        "flac": audio.encode(y, sr, "flac"),
        "mp3": mp3,
        "mpeg": mp3,
        "mpga": mp3,
        "mp4": _pyav(y, sr, "mp4", "aac", 24000),
        "m4a": _pyav(y, sr, "ipod", "aac", 24000),
        "ogg": audio.encode(y, sr, "opus"),
        "wav": audio.encode(y, sr, "wav"),
        "webm": _pyav(y, sr, "webm", "libopus", 48000),
    }


@pytest.mark.slow
@pytest.mark.parametrize("container", ["flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm"])
async def test_every_listed_container_transcribes(sdk, containers, container):
    result = await sdk.audio.transcriptions.create(
        model="whisper-1", file=(f"speech.{container}", containers[container])
    )
    assert words_of(result.text) == WORDS
    assert result.usage.type == "duration" and 2 <= result.usage.seconds <= 5


@pytest.mark.slow
async def test_json_text_srt_vtt(sdk, containers):
    file = ("speech.wav", containers["wav"])
    as_json = await sdk.audio.transcriptions.create(
        model="whisper-1", file=file, language="en", temperature=0
    )
    assert words_of(as_json.text) == WORDS
    as_text = await sdk.audio.transcriptions.create(model="whisper-1", file=file, response_format="text")
    assert isinstance(as_text, str) and as_text.endswith("\n") and words_of(as_text) == WORDS
    srt = await sdk.audio.transcriptions.create(model="whisper-1", file=file, response_format="srt")
    lines = srt.strip().splitlines()
    assert lines[0] == "1" and lines[1].startswith("00:00:0") and " --> 00:00:0" in lines[1]
    assert lines[1][8] == "," and words_of(" ".join(lines[2:])) == WORDS
    vtt = await sdk.audio.transcriptions.create(model="whisper-1", file=file, response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:0") and "." in vtt.splitlines()[2][:12]


@pytest.mark.slow
async def test_verbose_json_segments_and_words(sdk, containers, spoken_sentence):
    _, speech = spoken_sentence
    result = await sdk.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.flac", containers["flac"]),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    TranscriptionVerbose.model_validate(result.model_dump())
    assert result.language == "english"
    assert result.duration == pytest.approx(speech.duration, abs=0.05)
    assert [w.word.lower().strip(".") for w in result.words] == WORDS
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in result.words)
    assert result.words[-1].end <= result.duration + 0.05
    assert result.segments and result.segments[0].id == 0
    assert words_of(" ".join(s.text for s in result.segments)) == WORDS


@pytest.mark.slow
async def test_gpt4o_transcribe_usage_is_tokens(sdk, containers, spoken_sentence):
    _, speech = spoken_sentence
    result = await sdk.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe", file=("a.wav", containers["wav"]), prompt="A pangram."
    )
    assert words_of(result.text) == WORDS
    usage = result.usage
    assert usage.type == "tokens"
    assert usage.input_token_details.audio_tokens == int(np.ceil(speech.duration * 10))
    assert usage.input_token_details.text_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


@pytest.mark.slow
async def test_stream_sends_deltas_then_done(sdk, containers):
    stream = await sdk.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("a.wav", containers["wav"]), stream=True
    )
    events = [event async for event in stream]
    assert isinstance(events[-1], TranscriptionTextDoneEvent)
    assert all(isinstance(e, TranscriptionTextDeltaEvent) for e in events[:-1]) and len(events) > 2
    assert "".join(e.delta for e in events[:-1]) == events[-1].text
    assert words_of(events[-1].text) == WORDS
    assert events[-1].usage.type == "tokens" and events[-1].usage.output_tokens > 0


@pytest.mark.slow
async def test_whisper_ignores_stream(http, containers):
    response = await http.post(
        "/v1/audio/transcriptions",
        files={"file": ("a.wav", containers["wav"])},
        data={"model": "whisper-1", "stream": "true"},
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert words_of(response.json()["text"]) == WORDS


@pytest.mark.slow
async def test_logprobs_with_gpt4o(sdk, containers):
    result = await sdk.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("a.wav", containers["wav"]), include=["logprobs"]
    )
    # one entry per Whisper token (tests/emulator/routes/test_transcription_options.py checks them in depth)
    assert "".join(lp.token for lp in result.logprobs).strip() == result.text
    assert len(result.logprobs) >= len(WORDS) and all(lp.logprob <= 0 for lp in result.logprobs)


@pytest.mark.slow
async def test_translation_gives_english(sdk):
    from voicelab.engines import tts

    spanish = tts.synthesize("Hola. Me llamo María. Me gusta mucho la música.", voice="nova")
    data = audio.encode(spanish.y, spanish.sr, "wav")
    with pytest.warns(DeprecationWarning, match="deprecated"):  # the SDK marks translations deprecated
        result = await sdk.audio.translations.create(model="whisper-1", file=("es.wav", data))
    words = set(words_of(result.text))
    # Whisper's translate task outputs English (base hears eSpeak's robotic Spanish roughly: words vary)
    assert result.text.isascii() and words & {"music", "name", "my", "is", "i", "like", "let's", "the", "now"}
    with pytest.warns(DeprecationWarning, match="deprecated"):
        verbose = await sdk.audio.translations.create(
            model="whisper-1", file=("es.wav", data), response_format="verbose_json"
        )
    assert verbose.language == "english" and verbose.task == "translate" and verbose.segments
    assert verbose.text.isascii()


def _tone(seconds: float) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    return audio.encode((0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000, "wav")


@pytest.mark.parametrize(
    ("file", "fields", "status", "code", "param"),
    [
        (("empty.wav", b""), {}, 400, "empty_file", "file"),
        (("notes.wav", b"this is not audio at all, just text" * 10), {}, 400, "invalid_file_format", "file"),
        (("notes.txt", b"plain text"), {}, 400, "invalid_file_format", "file"),
        (("sound.aiff", b"FORM0000AIFF"), {}, 400, "invalid_file_format", "file"),
        (("blob", b"\x00\x01\x02\x03" * 100), {}, 400, "invalid_file_format", "file"),
        (("short.wav", _tone(0.05)), {}, 400, "audio_too_short", "file"),
        (("a.wav", _tone(0.5)), {"language": "klingon"}, 400, "invalid_value", "language"),
        (("a.wav", _tone(0.5)), {"temperature": "1.5"}, 400, "decimal_above_max_value", "temperature"),
        (("a.wav", _tone(0.5)), {"response_format": "xml"}, 400, "invalid_value", "response_format"),
        (
            ("a.wav", _tone(0.5)),
            {"timestamp_granularities[]": "word"},
            400,
            "invalid_value",
            "timestamp_granularities",
        ),
        (
            ("a.wav", _tone(0.5)),
            {"timestamp_granularities[]": "token", "response_format": "verbose_json"},
            400,
            "invalid_value",
            "timestamp_granularities[][0]",
        ),
        (
            ("a.wav", _tone(0.5)),
            {"model": "gpt-4o-transcribe", "response_format": "srt"},
            400,
            "unsupported_value",
            "response_format",
        ),
        (
            ("a.wav", _tone(0.5)),
            {"model": "whisper-1", "include[]": "logprobs"},
            400,
            "unsupported_value",
            "include",
        ),
        (("a.wav", _tone(0.5)), {"model": "whisper-2"}, 404, "model_not_found", "model"),
        (
            ("a.wav", _tone(0.5)),
            {"chunking_strategy": "sometimes"},
            400,
            "invalid_value",
            "chunking_strategy",
        ),
    ],
    ids=[
        "empty",
        "not-audio",
        "txt",
        "aiff",
        "no-name-not-audio",
        "too-short",
        "language",
        "temperature",
        "format",
        "granularity-needs-verbose",
        "granularity-enum",
        "gpt4o-srt",
        "logprobs-whisper",
        "model",
        "chunking",
    ],
)
async def test_bad_uploads_and_fields(http, still_serves, file, fields, status, code, param):
    data = {"model": "whisper-1", **fields}
    response = await http.post("/v1/audio/transcriptions", files={"file": file}, data=data)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"]) == (code, param, "invalid_request_error")
    await still_serves()


@pytest.mark.parametrize(
    ("files", "data", "param"),
    [({}, {"model": "whisper-1"}, "file"), ({"file": ("a.wav", b"RIFF")}, {}, "model")],
    ids=["no-file", "no-model"],
)
async def test_missing_fields(http, files, data, param):
    response = await http.post("/v1/audio/transcriptions", files=files or {"x": ("x", b"")}, data=data)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["code"] == "missing_required_parameter"


async def test_too_large_and_too_long_uploads(sdk_for):
    app = create_app(EmulatorSettings(max_upload_bytes=20_000, max_audio_seconds=1.0))
    async with sdk_for(app) as client:
        with pytest.raises(openai.APIStatusError) as caught:
            await client.audio.transcriptions.create(model="whisper-1", file=("big.wav", _tone(2.0)))
        assert (caught.value.status_code, caught.value.code, caught.value.param) == (
            413,
            "file_too_large",
            "file",
        )
    app = create_app(EmulatorSettings(max_audio_seconds=1.0))
    async with sdk_for(app) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            await client.audio.transcriptions.create(model="whisper-1", file=("long.wav", _tone(2.0)))
        assert (caught.value.code, caught.value.param) == ("audio_too_long", "file")
        assert (await client.models.list()).data


async def test_translation_errors(http, still_serves):
    response = await http.post(
        "/v1/audio/translations", files={"file": ("a.wav", _tone(0.5))}, data={"model": "gpt-4o-transcribe"}
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "model_not_found"
    response = await http.post(
        "/v1/audio/translations", files={"file": ("a.txt", b"hello")}, data={"model": "whisper-1"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_file_format"
    await still_serves()


def test_verbose_body_keeps_segments_or_words_on_request():
    from types import SimpleNamespace as NS

    from voicelab.emulator.routes import _formats

    word = NS(word=" Hi", start=0.0, end=0.4, probability=0.9)
    segment = NS(
        id=0,
        start=0.0,
        end=0.5,
        text=" Hi.",
        words=[word],
        tokens=[1, 2],
        temperature=0.0,
        avg_logprob=-0.2,
        compression_ratio=1.0,
        no_speech_prob=0.01,
    )
    transcript = NS(text=" Hi.", language="ja", duration=0.5, segments=[segment])
    body = _formats.verbose(transcript, task="transcribe", segments=False, words=True)
    assert "segments" not in body and body["words"] == [{"word": "Hi", "start": 0.0, "end": 0.4}]
    assert body["language"] == "japanese" and body["usage"] == {"type": "duration", "seconds": 1}
    TranscriptionVerbose.model_validate(_formats.verbose(transcript, task="transcribe"), strict=True)
