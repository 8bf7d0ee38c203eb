"""gpt-4o-transcribe-diarize through the official SDK: speaker turns that match who spoke, known speakers,
streaming segments, and every refused input with OpenAI's error shape."""

from __future__ import annotations

import base64

import numpy as np
import openai
import pytest
from openai.types.audio import TranscriptionDiarized, TranscriptionStreamEvent
from pydantic import TypeAdapter

from voicelab import audio
from voicelab.engines.tts import synthesize

DIARIZED = TypeAdapter(TranscriptionDiarized)
STREAM_EVENT = TypeAdapter(TranscriptionStreamEvent)
MODEL = "gpt-4o-transcribe-diarize"
LINES = [
    ("onyx", "Good morning, how can I help you today?"),
    ("nova", "I would like to book a table for two people tonight."),
    ("onyx", "Certainly, what time would you prefer?"),
    ("nova", "Around eight o'clock, if that is possible."),
]


def _clip(lines, gap_s: float = 0.5) -> bytes:
    gap = np.zeros(int(gap_s * 24000), np.float32)
    y = np.concatenate([part for voice, text in lines for part in (synthesize(text, voice=voice).y, gap)])
    return audio.encode(y, 24000, "wav")


def _data_url(voice: str, text: str) -> str:
    speech = synthesize(text, voice=voice)
    return "data:audio/wav;base64," + base64.b64encode(audio.encode(speech.y, speech.sr, "wav")).decode()


@pytest.fixture(scope="module")
def dialogue() -> bytes:
    return _clip(LINES)


def _words(text: str) -> set[str]:
    import re

    return set(re.findall(r"[a-z]+", text.lower()))


async def test_diarized_json_segments_alternate_with_the_right_text(sdk, dialogue):
    result = await sdk.audio.transcriptions.create(
        model=MODEL, file=("dialogue.wav", dialogue), response_format="diarized_json", language="en"
    )
    body = DIARIZED.validate_python(result.model_dump(exclude_unset=True), strict=True)
    assert [s.speaker for s in body.segments] == ["A", "B", "A", "B"]
    for segment, (_, line) in zip(body.segments, LINES, strict=True):
        assert len(_words(segment.text) & _words(line)) >= len(_words(line)) - 1, (segment.text, line)
    assert all(a.end <= b.start for a, b in zip(body.segments, body.segments[1:], strict=False))
    assert body.usage is not None and body.usage.type == "tokens"
    assert body.usage.input_token_details.audio_tokens == round(body.duration * 10)  # 1 token / 100 ms


async def test_known_speakers_get_their_names(sdk, dialogue):
    result = await sdk.audio.transcriptions.create(
        model=MODEL,
        file=("dialogue.wav", dialogue),
        response_format="diarized_json",
        chunking_strategy="auto",
        known_speaker_names=["customer"],
        known_speaker_references=[_data_url("nova", "Hello, this is a short sample of my own voice.")],
    )
    assert [s.speaker for s in result.segments] == ["A", "customer", "A", "customer"]


async def test_stream_emits_deltas_segments_and_done(sdk, dialogue):
    stream = await sdk.audio.transcriptions.create(
        model=MODEL, file=("dialogue.wav", dialogue), response_format="diarized_json", stream=True,
        chunking_strategy={"type": "server_vad", "threshold": 0.5, "silence_duration_ms": 300},
    )
    events = [STREAM_EVENT.validate_python(e.model_dump(exclude_unset=True), strict=True)
              async for e in stream]
    kinds = [e.type for e in events]
    assert kinds == ["transcript.text.delta", "transcript.text.segment"] * 4 + ["transcript.text.done"]
    segments = [e for e in events if e.type == "transcript.text.segment"]
    assert [s.speaker for s in segments] == ["A", "B", "A", "B"]
    deltas = [e for e in events if e.type == "transcript.text.delta"]
    assert [d.segment_id for d in deltas] == [s.id for s in segments]
    assert "".join(d.delta for d in deltas) == events[-1].text


async def test_json_and_text_formats(sdk, dialogue):
    file = ("d.wav", dialogue)
    as_json = await sdk.audio.transcriptions.create(model=MODEL, file=file, response_format="json")
    assert {"table", "morning"} <= _words(as_json.text)
    as_text = await sdk.audio.transcriptions.create(model=MODEL, file=file, response_format="text")
    assert as_text.strip() == as_json.text


def _tone(seconds: float) -> bytes:
    t = np.arange(int(seconds * 24000)) / 24000
    return audio.encode((0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 24000, "wav")


BAD = "data:audio/wav;base64,"


@pytest.mark.parametrize(
    ("kwargs", "code", "param"),
    [
        ({"model": "gpt-4o-transcribe", "response_format": "diarized_json"}, "unsupported_value",
         "response_format"),
        ({"model": "whisper-1", "response_format": "diarized_json"}, "unsupported_value", "response_format"),
        ({"model": "gpt-4o-transcribe", "known_speaker_names": ["a"], "known_speaker_references": [BAD]},
         "unsupported_parameter", "known_speaker_names"),
        ({"prompt": "a meeting"}, "unsupported_parameter", "prompt"),
        ({"response_format": "verbose_json", "timestamp_granularities": ["word"]}, "unsupported_value",
         "response_format"),
        ({"timestamp_granularities": ["segment"]}, "unsupported_parameter", "timestamp_granularities"),
        ({"include": ["logprobs"]}, "unsupported_parameter", "include"),
        ({"response_format": "srt"}, "unsupported_value", "response_format"),
        ({"known_speaker_names": ["a", "b", "c", "d", "e"], "known_speaker_references": [BAD] * 5},
         "invalid_value", "known_speaker_names"),
        ({"known_speaker_names": ["a", "b"], "known_speaker_references": [BAD]}, "invalid_value",
         "known_speaker_references"),
        ({"known_speaker_names": ["a"], "known_speaker_references": ["https://example.com/a.wav"]},
         "invalid_value", "known_speaker_references[0]"),
        ({"known_speaker_names": ["a"], "known_speaker_references": ["data:image/png;base64,iVBORw0KGgo="]},
         "invalid_value", "known_speaker_references[0]"),
        ({"known_speaker_names": ["a"], "known_speaker_references": ["data:audio/wav;base64,!!!"]},
         "invalid_value", "known_speaker_references[0]"),
        ({"known_speaker_names": ["a"],
          "known_speaker_references": ["data:audio/wav;base64," + base64.b64encode(_tone(1.0)).decode()]},
         "invalid_value", "known_speaker_references[0]"),
        ({"known_speaker_names": ["a"],
          "known_speaker_references": ["data:audio/wav;base64," + base64.b64encode(b"not audio").decode()]},
         "invalid_file_format", "known_speaker_references[0]"),
        ({"chunking_strategy": {"type": "server_vad", "threshold": 3}}, "invalid_value", "chunking_strategy"),
    ],
    ids=["gpt4o-diarized-json", "whisper-diarized-json", "names-on-gpt4o", "prompt", "verbose-json",
         "granularities", "logprobs", "srt", "five-speakers", "length-mismatch", "not-data-url", "image-url",
         "bad-base64", "reference-too-short", "reference-not-audio", "vad-threshold"],
)
async def test_refused_inputs_name_the_parameter(sdk, still_serves, kwargs, code, param):
    request = {"model": MODEL, "file": ("a.wav", _tone(0.5)), **kwargs}
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.audio.transcriptions.create(**request)
    error = caught.value.body
    assert (error["code"], error["param"], error["type"]) == (code, param, "invalid_request_error"), error
    await still_serves()


async def test_long_audio_needs_chunking_strategy(sdk, still_serves):
    long_clip = audio.encode(np.zeros(31 * 16000, np.float32), 16000, "wav")
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.audio.transcriptions.create(model=MODEL, file=("long.wav", long_clip),
                                              response_format="diarized_json")
    assert (caught.value.body["code"], caught.value.body["param"]) == ("missing_required_parameter",
                                                                      "chunking_strategy")
    ok = await sdk.audio.transcriptions.create(model=MODEL, file=("long.wav", long_clip),
                                               response_format="diarized_json", chunking_strategy="auto")
    assert ok.segments == [] and ok.duration == 31.0
    await still_serves()


async def test_a_reference_of_someone_absent_names_nobody(sdk, dialogue):
    result = await sdk.audio.transcriptions.create(
        model=MODEL,
        file=("dialogue.wav", dialogue),
        response_format="diarized_json",
        known_speaker_names=["someone else"],
        known_speaker_references=[_data_url("alloy", "Hello, this is a short sample of my own voice.")],
    )
    assert [s.speaker for s in result.segments] == ["A", "B", "A", "B"]


async def test_stream_with_json_format_has_no_segment_events(sdk, dialogue):
    stream = await sdk.audio.transcriptions.create(
        model=MODEL, file=("dialogue.wav", dialogue), response_format="json", stream=True
    )
    events = [STREAM_EVENT.validate_python(e.model_dump(exclude_unset=True), strict=True)
              async for e in stream]
    assert {e.type for e in events} == {"transcript.text.delta", "transcript.text.done"}
    assert all(e.segment_id is None for e in events if e.type == "transcript.text.delta")
    assert events[-1].type == "transcript.text.done" and "table" in events[-1].text


async def test_japanese_dialogue_from_two_voices(sdk):
    lines = [("onyx", "おはようございます。ご用件をお伺いします。"),
             ("shimmer", "今夜、二人で予約をお願いしたいのですが。"),
             ("onyx", "かしこまりました。何時がよろしいですか。")]
    result = await sdk.audio.transcriptions.create(
        model=MODEL, file=("ja.wav", _clip(lines)), response_format="diarized_json", language="ja"
    )
    assert [s.speaker for s in result.segments] == ["A", "B", "A"]
    assert "予約" in result.segments[1].text
