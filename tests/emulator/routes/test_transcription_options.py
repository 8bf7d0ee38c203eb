"""``/v1/audio/transcriptions`` options of today's models, through the official SDK: ``keywords``,
``languages`` (in and out), per-token ``logprobs``, streaming, the per-model rules, and true word times.

Every body and stream event is validated with a strict ``TypeAdapter`` over the SDK's own types.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import numpy as np
import openai
import pytest
from openai.types.audio import Transcription, TranscriptionStreamEvent, TranscriptionVerbose
from pydantic import Field, TypeAdapter

from voicelab import audio
from voicelab.vad.regions import speech_regions

TRANSCRIPTION = TypeAdapter(Transcription)
VERBOSE = TypeAdapter(TranscriptionVerbose)
STREAM_EVENT: TypeAdapter[Any] = TypeAdapter(Annotated[TranscriptionStreamEvent, Field(discriminator="type")])
SENTENCE = "The quick brown fox jumps over the lazy dog."


def strict(adapter: TypeAdapter[Any], body: dict[str, Any]) -> Any:
    return adapter.validate_python(json.loads(json.dumps(body)), strict=True)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@pytest.fixture(scope="module")
def clips():
    from voicelab.engines import tts

    pangram = tts.synthesize(SENTENCE, voice="alloy", seed=1)
    qwen = tts.synthesize("We deployed the pods with Qwen.", voice="alloy", seed=1)
    lead = np.zeros(int(1.0 * pangram.sr), np.float32)
    padded = np.concatenate([lead, pangram.y.astype(np.float32), lead[: pangram.sr // 2]])
    return {
        "pangram": audio.encode(pangram.y, pangram.sr, "wav"),
        "qwen": audio.encode(qwen.y, qwen.sr, "wav"),
        "padded": audio.encode(padded, pangram.sr, "wav"),
        "padded_onset": speech_regions(padded, pangram.sr)[0][0],
    }


async def _raw(http, fields: dict[str, Any], clip: bytes) -> Any:
    return await http.post("/v1/audio/transcriptions", files={"file": ("a.wav", clip)}, data=fields)


@pytest.mark.slow
async def test_keywords_guide_gpt_transcribe(sdk, clips):
    file = ("a.wav", clips["qwen"])
    plain = await sdk.audio.transcriptions.create(model="gpt-transcribe", file=file)
    guided = await sdk.audio.transcriptions.create(model="gpt-transcribe", file=file, keywords=["Qwen"])
    assert "Qwen" not in plain.text  # Whisper base hears "Q1" without the hint
    assert "Qwen" in guided.text
    strict(TRANSCRIPTION, guided.model_dump(exclude_none=True))


@pytest.mark.slow
async def test_gpt_transcribe_reports_languages_and_limits_detection_to_them(http, clips):
    response = await _raw(http, {"model": "gpt-transcribe"}, clips["pangram"])
    body = strict(TRANSCRIPTION, response.json())
    assert [lang.code for lang in body.languages] == ["en"]
    assert words_of(body.text) == words_of(SENTENCE)
    both = await _raw(http, {"model": "gpt-transcribe", "languages[]": ["ja", "en"]}, clips["pangram"])
    assert [lang["code"] for lang in both.json()["languages"]] == ["en"]  # English is the likelier of the two
    only_ja = await _raw(http, {"model": "gpt-transcribe", "languages[]": ["ja"]}, clips["pangram"])
    assert [lang["code"] for lang in only_ja.json()["languages"]] == ["ja"]  # decoded as Japanese, as asked
    other = await _raw(http, {"model": "gpt-4o-transcribe"}, clips["pangram"])
    assert "languages" not in other.json()  # "Returned by `gpt-transcribe`" only


@pytest.mark.slow
async def test_logprobs_are_whispers_per_token_probabilities(sdk, clips):
    result = await sdk.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("a.wav", clips["pangram"]), include=["logprobs"]
    )
    strict(TRANSCRIPTION, result.model_dump(exclude_none=True))
    tokens = result.logprobs
    assert "".join(t.token for t in tokens).strip() == result.text  # the tokens spell the text
    assert all(bytes(int(b) for b in t.bytes).decode() == t.token for t in tokens)
    assert all(t.logprob <= 0 for t in tokens)
    assert len({round(t.logprob, 6) for t in tokens}) > 1  # measured per token, not one value for all
    assert len(tokens) > len(words_of(SENTENCE))  # tokens, not words: "dog" and "." are two


@pytest.mark.slow
async def test_stream_with_logprobs_and_languages(http, sdk, clips):
    fields = {"model": "gpt-transcribe", "stream": "true"}
    response = await _raw(http, fields, clips["pangram"])
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [
        strict(STREAM_EVENT, json.loads(line[len("data: ") :]))
        for line in response.text.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]
    types = [e.type for e in events]
    assert types == ["transcript.text.delta"] * (len(types) - 1) + ["transcript.text.done"]
    done = events[-1]
    assert "".join(e.delta for e in events[:-1]) == done.text
    assert [lang.code for lang in done.languages] == ["en"]
    assert done.usage.type == "tokens"
    # logprobs ride on each delta (its own tokens) and on done (all of them); the official SDK parses them
    stream = await sdk.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("a.wav", clips["pangram"]), stream=True, include=["logprobs"]
    )
    parsed = [event async for event in stream]
    deltas, last = parsed[:-1], parsed[-1]
    for delta in deltas:
        assert delta.logprobs and "".join(lp.token for lp in delta.logprobs).strip() == delta.delta.strip()
    assert [lp.token for d in deltas for lp in d.logprobs] == [lp.token for lp in last.logprobs]


@pytest.mark.slow
async def test_verbose_json_words_and_segments_start_at_the_speech(sdk, clips):
    result = await sdk.audio.transcriptions.create(
        model="whisper-1",
        file=("a.wav", clips["padded"]),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    strict(VERBOSE, result.model_dump(exclude_none=True))
    onset = clips["padded_onset"]
    assert abs(onset - 1.0) <= 0.15  # 1.0 s of silence, then Piper's speech
    assert abs(result.words[0].start - onset) <= 0.1
    assert abs(result.segments[0].start - onset) <= 0.1
    segments_only = await sdk.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", clips["padded"]), response_format="verbose_json"
    )
    assert abs(segments_only.segments[0].start - onset) <= 0.1


@pytest.mark.parametrize(
    ("fields", "status", "code", "param"),
    [
        ({"model": "whisper-1", "keywords[]": "Qwen"}, 400, "unsupported_parameter", "keywords"),
        ({"model": "gpt-4o-transcribe", "keywords[]": "Qwen"}, 400, "unsupported_parameter", "keywords"),
        ({"model": "gpt-4o-mini-transcribe", "languages[]": "en"}, 400, "unsupported_parameter", "languages"),
        ({"model": "gpt-transcribe", "languages[]": "klingon"}, 400, "invalid_value", "languages"),
        ({"model": "gpt-transcribe", "include[]": "logprobs"}, 400, "unsupported_value", "include"),
        ({"model": "gpt-4o-transcribe-diarize", "prompt": "Hi"}, 400, "unsupported_parameter", "prompt"),
        ({"model": "gpt-realtime-whisper"}, 404, "model_not_found", "model"),
        ({"model": "gpt-live-transcribe"}, 404, "model_not_found", "model"),
        ({"model": "bogus-stt"}, 404, "model_not_found", "model"),
    ],
    ids=[
        "keywords-whisper",
        "keywords-gpt4o",
        "languages-mini",
        "languages-code",
        "logprobs-gpt-transcribe",
        "prompt-diarize",
        "realtime-only-model",
        "live-only-model",
        "unknown-model",
    ],
)
async def test_options_the_model_does_not_take_are_refused(http, still_serves, fields, status, code, param):
    tone = (0.2 * np.sin(2 * np.pi * 220 * np.arange(8000) / 16000)).astype(np.float32)
    response = await _raw(http, fields, audio.encode(tone, 16000, "wav"))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"]) == (code, param, "invalid_request_error")
    await still_serves()


async def test_the_sdk_sends_keywords_and_languages_as_the_route_reads_them(sdk):
    tone = (0.2 * np.sin(2 * np.pi * 220 * np.arange(8000) / 16000)).astype(np.float32)
    with pytest.raises(openai.BadRequestError) as refused:  # refused by the rule, so the field arrived
        await sdk.audio.transcriptions.create(
            model="whisper-1", file=("a.wav", audio.encode(tone, 16000, "wav")), keywords=["Qwen"]
        )
    assert refused.value.param == "keywords"
    with pytest.raises(openai.BadRequestError) as refused:
        await sdk.audio.transcriptions.create(
            model="gpt-transcribe", file=("a.wav", audio.encode(tone, 16000, "wav")), languages=["xx"]
        )
    assert refused.value.param == "languages"


@pytest.mark.slow
async def test_japanese_stream_deltas_are_whole_characters_with_their_token_logprobs(http, sdk):
    from voicelab.engines import tts

    spoken = tts.synthesize("今日はとても良い天気ですね。", language="ja")
    clip = audio.encode(spoken.y, spoken.sr, "wav")
    response = await _raw(http, {"model": "gpt-transcribe", "stream": "true"}, clip)
    events = [
        strict(STREAM_EVENT, json.loads(line[len("data: ") :]))
        for line in response.text.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]
    done = events[-1]
    assert "天気" in done.text and [lang.code for lang in done.languages] == ["ja"]
    assert "".join(e.delta for e in events[:-1]) == done.text
    assert all("\ufffd" not in e.delta for e in events[:-1])  # no half characters
    result = await sdk.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("ja.wav", clip), include=["logprobs"], language="ja"
    )
    raw = b"".join(bytes(int(b) for b in lp.bytes) for lp in result.logprobs)
    assert raw.decode("utf-8").strip() == result.text  # the exact bytes of Whisper's tokens spell the text
