"""Speech-to-text and translation with faster-whisper (Whisper base, int8), on synthesised speech."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from voicelab.audio import resample
from voicelab.engines import stt, tts
from voicelab.errors import ParameterError

pytestmark = pytest.mark.slow

SENTENCE = "The quick brown fox jumps over the lazy dog."


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@pytest.fixture(scope="module")
def english():
    # seeded: unseeded Piper renders "quick" as "quit"/"quip" about once in 30 (Piper's sampling noise)
    return tts.synthesize(SENTENCE, voice="alloy", seed=1)


@pytest.fixture(scope="module")
def japanese():
    return tts.synthesize("ありがとう ございます。", language="ja")


def test_transcribes_piper_speech_word_for_word(english):
    result = stt.transcribe(english.y, english.sr)
    assert words(result.text) == words(SENTENCE)
    assert result.language == "en"
    assert result.duration == pytest.approx(english.duration, abs=1e-3)
    segment = result.segments[0]
    assert segment.id == 0 and 0.0 <= segment.start < segment.end <= english.duration + 0.5
    assert segment.avg_logprob < 0 and 0 <= segment.no_speech_prob < 0.5 and segment.tokens
    assert segment.temperature == 0.0 and segment.compression_ratio > 0


def test_word_timestamps_are_ordered_and_inside_the_audio(english):
    result = stt.transcribe(english.y, english.sr, language="en", word_timestamps=True)
    found = [w.word for w in result.words]
    assert words("".join(found)) == words(SENTENCE)
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    assert all(w.start <= w.end <= english.duration + 0.05 and 0 <= w.probability <= 1 for w in result.words)
    assert not stt.transcribe(english.y, english.sr, language="en").words  # only on request


def test_any_rate_and_stereo_input(english):
    y48 = resample(english.y, english.sr, 48_000)
    stereo = np.stack([y48, y48], axis=1)
    assert words(stt.transcribe(stereo, 48_000, language="en").text) == words(SENTENCE)


def test_translate_turns_japanese_speech_into_english(japanese):
    heard = stt.transcribe(japanese.y, japanese.sr, language="ja")
    assert re.search(r"[\u3040-\u30ff]", heard.text), heard.text  # transcribed as Japanese
    translated = stt.transcribe(japanese.y, japanese.sr, language="ja", task="translate")
    assert "thank" in translated.text.lower(), translated.text
    assert translated.text.isascii()


def test_prompt_steers_spelling():
    audio = tts.synthesize("My name is Kaylee.", seed=4)
    plain = stt.transcribe(audio.y, audio.sr, language="en").text
    prompted = stt.transcribe(audio.y, audio.sr, language="en", prompt="Names: Caleigh.").text
    assert "Caleigh" not in plain and "Caleigh" in prompted, (plain, prompted)


def test_positive_temperature_samples_and_is_reported(english):
    result = stt.transcribe(english.y, english.sr, language="en", temperature=0.4)
    assert all(segment.temperature == pytest.approx(0.4) for segment in result.segments)
    assert len(words(result.text)) >= 7


def test_concurrent_calls_are_serialised(english):
    texts: list[str] = []

    def work() -> None:
        texts.append(stt.transcribe(english.y, english.sr, language="en").text)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [words(t) for t in texts] == [words(SENTENCE)] * 2


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"task": "summarize"}, "task"),
    ({"language": "klingon"}, "language"),
    ({"temperature": 1.5}, "temperature"),
    ({"temperature": -0.1}, "temperature"),
    ({"prompt": 42}, "prompt"),
], ids=["task", "language", "temperature-high", "temperature-negative", "prompt-type"])
def test_bad_options_name_the_parameter(english, kwargs, param):
    with pytest.raises(ParameterError) as info:
        stt.transcribe(english.y, english.sr, **kwargs)
    assert info.value.param == param


@pytest.mark.parametrize(("y", "sr", "param"), [
    (np.zeros(0, dtype=np.float32), 24_000, "y"),
    (np.full(100, np.nan, dtype=np.float32), 24_000, "y"),
    (np.zeros(100, dtype=np.int16), 24_000, "y"),
    (np.zeros(100, dtype=np.float32), 0, "sr"),
], ids=["empty", "nan", "int16", "zero-rate"])
def test_bad_audio_names_the_parameter(y, sr, param):
    with pytest.raises(ParameterError) as info:
        stt.transcribe(y, sr)
    assert info.value.param == param
