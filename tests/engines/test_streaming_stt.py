"""Streaming speech-to-text: committed text only grows, final transcripts are right, work is bounded."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicelab import samples
from voicelab.audio import chunks
from voicelab.engines.streaming_stt import (
    ENGINES,
    Hypothesis,
    LocalAgreement,
    StreamingTranscriber,
    TranscriberState,
    load_decoder,
    split_units,
)
from voicelab.engines.streaming_stt import weights as tiny_weights
from voicelab.errors import EngineError, ModelIntegrityError, ParameterError

SR16 = 16_000


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


# ------------------------------------------------------------------------------------------ LocalAgreement
def test_words_are_committed_when_two_passes_agree_except_the_newest_last_word():
    agreement = LocalAgreement()
    assert agreement.insert(split_units(" Turn left at", "en")) == ""  # one pass: nothing agrees yet
    assert agreement.insert(split_units(" Turn left at the next", "en")) == "Turn left at"
    # "the next" is only in one pass; then two passes agree on it, and "corner." (last) is held back
    assert agreement.insert(split_units(" the next corner.", "en")) == " the next"
    assert agreement.committed_text == "Turn left at the next"
    assert agreement.tail_text == " corner."
    assert agreement.insert(split_units(" corner.", "en")) == ""  # agreed, but still the last word


def test_a_contradicting_pass_never_rewrites_committed_text():
    agreement = LocalAgreement()
    agreement.insert(split_units(" The weather is nice", "en"))
    agreement.insert(split_units(" The weather is nice today", "en"))
    before = agreement.committed_text
    assert before == "The weather is nice"
    assert agreement.insert(split_units(" and warm today.", "en")) == ""  # disagrees with "today"
    assert agreement.committed_text == before


def test_japanese_is_agreed_character_by_character():
    agreement = LocalAgreement()
    agreement.insert(split_units("えきは どこ", "ja"))
    assert agreement.insert(split_units("えきは どこですか", "ja")) == "えきは どこ"
    assert split_units("こんにちは", "ja") == list("こんにちは")


def test_commit_latest_makes_the_newest_pass_final():
    agreement = LocalAgreement()
    agreement.insert(split_units(" Thank you", "en"))
    agreement.insert(split_units(" Thank you very much.", "en"))
    assert agreement.committed_text + agreement.commit_latest() == "Thank you very much."


@pytest.mark.parametrize("n, holdback", [(0, 1), (2, -1), (True, 1)], ids=["n=0", "holdback<0", "n=bool"])
def test_bad_agreement_parameters_are_refused(n, holdback):
    with pytest.raises(ParameterError):
        LocalAgreement(n, holdback=holdback)


VOCABULARY = [" the", " weather", " is", " nice", " today.", " a", " walk", " park"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(VOCABULARY), max_size=8), min_size=1, max_size=12))
def test_committed_text_only_grows_and_deltas_add_up_to_it(passes):
    agreement = LocalAgreement()
    sent = ""
    for continuation in passes:
        before = agreement.committed_text
        sent += agreement.insert(continuation)
        assert agreement.committed_text.startswith(before)
        assert sent == agreement.committed_text
    sent += agreement.commit_latest()
    assert sent == agreement.committed_text


# ----------------------------------------------------------------- the transcriber over a scripted decoder
@dataclass
class ScriptedDecoder:
    """A stand-in engine: word ``i`` of ``script`` ends at ``(i + 1) * word_s`` seconds of the stream.

    The audio is a ramp (sample ``n`` of the stream is ``n * RAMP``), so each window tells where it starts.
    """

    script: list[str]
    word_s: float = 0.4
    name: str = "scripted"
    max_window_s: float = 30.0
    calls: list[tuple[float, str]] = field(default_factory=list)

    def languages(self) -> tuple[str, ...]:
        return ("en",)

    beams: list[int] = field(default_factory=list)
    prompts: list[str | None] = field(default_factory=list)

    def detect_language(self, y16: np.ndarray, candidates=()) -> str:
        return "en"

    def decode(self, y16, *, language=None, prefix="", prompt=None, languages=(), beam_size=1) -> Hypothesis:
        seconds = len(y16) / SR16
        assert seconds <= self.max_window_s
        self.calls.append((seconds, prefix))
        self.beams.append(beam_size)
        self.prompts.append(prompt)
        start = round(float(y16[0]) / RAMP) / SR16
        heard = "".join(word for i, word in enumerate(self.script)
                        if start < (i + 1) * self.word_s <= start + seconds)
        assert heard.startswith(prefix), (heard, prefix)
        return Hypothesis(heard[len(prefix):], "en", seconds, 0.001, 1, 0.0)


RAMP = 1e-7  # 300 s at 16 kHz stays below 0.5


def ramp(seconds: float) -> np.ndarray:
    return (np.arange(int(seconds * SR16), dtype=np.float64) * RAMP).astype(np.float32)


SCRIPT = [" The", " weather", " is", " nice", " today.", " Let's", " go", " for", " a", " walk."]


def _stream(transcriber: StreamingTranscriber, y: np.ndarray, sr: int) -> list[str]:
    committed = []
    for chunk in chunks(y, sr, ms=20):
        transcriber.feed(chunk)
        if transcriber.pass_due:
            partial = transcriber.step()
            assert partial.committed.endswith(partial.delta)
            committed.append(partial.committed)
    return committed


def test_partials_only_grow_and_the_final_delta_completes_them():
    decoder = ScriptedDecoder(SCRIPT)
    transcriber = StreamingTranscriber(decoder, sr=SR16, language="en")  # type: ignore[arg-type]
    committed = _stream(transcriber, ramp(4.4), SR16)
    final = transcriber.finalize()
    assert final.text == "The weather is nice today. Let's go for a walk."
    assert all(b.startswith(a) for a, b in itertools.pairwise(committed))
    assert committed[-1] and final.text == committed[-1] + final.delta
    assert transcriber.state is TranscriberState.FINAL


def test_the_closing_pass_is_reused_when_speech_ended():
    decoder = ScriptedDecoder(SCRIPT[:5])
    transcriber = StreamingTranscriber(decoder, sr=SR16, language="en")  # type: ignore[arg-type]
    y = ramp(2.6)  # "today." ends at 2.0 s, then silence
    for i, chunk in enumerate(chunks(y, SR16, ms=20)):
        transcriber.feed(chunk)
        if (i + 1) * 20 >= 2000:
            transcriber.pause(2000)  # what the VAD reports while STOPPING
        if transcriber.pass_due:
            transcriber.step()
    # regular passes every 300 ms until the pause; then only the closing pass, once 250 ms of it arrived
    assert [round(seconds, 2) for seconds, _ in decoder.calls][-3:] == [1.4, 1.7, 2.26]
    passes = len(decoder.calls)
    final = transcriber.finalize(speech_end_ms=2000)
    assert final.reused and len(decoder.calls) == passes
    assert final.text == "The weather is nice today."


def test_speech_resuming_after_the_closing_pass_discards_it():
    """The closing pass is speculative: the user pauses (the VAD is STOPPING), the pass runs, then speech
    resumes before the turn ends. The pass is not final: regular passes go on, and the end of the turn
    decodes the words said after the pause."""
    decoder = ScriptedDecoder(SCRIPT)
    transcriber = StreamingTranscriber(decoder, sr=SR16, language="en")  # type: ignore[arg-type]
    for i, chunk in enumerate(chunks(ramp(4.4), SR16, ms=20)):
        transcriber.feed(chunk)
        t_ms = (i + 1) * 20
        transcriber.pause(2000 if 2000 <= t_ms < 2400 else None)  # silence 2.0–2.4 s, then speech again
        if transcriber.pass_due:
            transcriber.step()
    closing = [seconds for seconds, _ in decoder.calls if 2.2 <= seconds < 2.4]
    assert closing, decoder.calls  # the closing pass ran in the pause …
    assert max(seconds for seconds, _ in decoder.calls) > 3.5  # … and regular passes went on after it
    final = transcriber.finalize(speech_end_ms=4400)
    assert final.text == "The weather is nice today. Let's go for a walk."


def test_without_the_closing_pass_finalize_decodes_once_more():
    decoder = ScriptedDecoder(SCRIPT[:5])
    transcriber = StreamingTranscriber(decoder, sr=SR16, language="en")  # type: ignore[arg-type]
    _stream(transcriber, ramp(2.1), SR16)
    passes = len(decoder.calls)
    final = transcriber.finalize()
    assert not final.reused and len(decoder.calls) == passes + 1
    assert final.text == "The weather is nice today."


def test_work_per_pass_and_per_turn_is_bounded_on_a_very_long_input():
    decoder = ScriptedDecoder([f" w{i}" for i in range(1000)], word_s=0.5)
    transcriber = StreamingTranscriber(decoder, sr=SR16, language="en", step_ms=1000,  # type: ignore[arg-type]
                                       max_window_s=10.0, max_utterance_s=60.0)
    committed = _stream(transcriber, ramp(300), SR16)  # five minutes without a pause
    final = transcriber.finalize()
    assert max(seconds for seconds, _ in decoder.calls) <= 10.0
    assert final.truncated and final.audio_ms == 60_000 and transcriber.audio_ms == 300_000
    assert len(decoder.calls) <= 60 + 6 + 1  # ≤ one pass per step_ms of kept audio, plus window closes
    assert len(transcriber._audio) == 60 * SR16  # audio after max_utterance_s was dropped, not kept
    # windows were closed and their text committed: every word of the first 60 s, once, in order
    assert final.text == "".join(decoder.script[:120]).strip()
    assert all(b.startswith(a) for a, b in itertools.pairwise(committed))


def test_finalize_alone_is_bounded_when_step_was_never_called():
    decoder = ScriptedDecoder([f" w{i}" for i in range(1000)], word_s=0.5)
    transcriber = StreamingTranscriber(decoder, sr=SR16, language="en",  # type: ignore[arg-type]
                                       max_window_s=20.0, max_utterance_s=60.0)
    for chunk in chunks(ramp(200), SR16, ms=1000):
        transcriber.feed(chunk)
    final = transcriber.finalize()
    assert len(decoder.calls) <= 4 and max(seconds for seconds, _ in decoder.calls) <= 20.0
    assert final.text == "".join(decoder.script[:120]).strip()


def test_audio_fed_while_a_pass_runs_in_a_worker_thread_is_not_lost():
    decoder = ScriptedDecoder(SCRIPT)
    transcriber = StreamingTranscriber(decoder, sr=SR16, language="en")  # type: ignore[arg-type]
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            if transcriber.pass_due:
                transcriber.step()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        for chunk in chunks(ramp(4.4), SR16, ms=5):
            transcriber.feed(chunk)
    finally:
        stop.set()
        thread.join()
    final = transcriber.finalize()
    assert final.audio_ms == 4400
    assert final.text == "The weather is nice today. Let's go for a walk."


def test_step_without_audio_decodes_nothing():
    decoder = ScriptedDecoder(SCRIPT)
    transcriber = StreamingTranscriber(decoder, sr=SR16)  # type: ignore[arg-type]
    assert not transcriber.pass_due
    assert transcriber.step().delta == "" and decoder.calls == []
    assert transcriber.finalize().text == "" and decoder.calls == []


def test_a_final_transcriber_refuses_more_audio():
    transcriber = StreamingTranscriber(ScriptedDecoder(SCRIPT), sr=SR16)  # type: ignore[arg-type]
    transcriber.feed(np.zeros(SR16, np.float32))
    transcriber.finalize()
    with pytest.raises(EngineError, match="final"):
        transcriber.feed(np.zeros(320, np.float32))
    with pytest.raises(EngineError, match="final"):
        transcriber.step()


@pytest.mark.parametrize("kwargs, param", [
    ({"step_ms": -1}, "step_ms"),
    ({"settle_ms": 1.5}, "settle_ms"),
    ({"max_window_s": 45.0}, "max_window_s"),
    ({"max_window_s": 20.0, "max_utterance_s": 10.0}, "max_utterance_s"),
    ({"language": "ja"}, "language"),  # the scripted engine, like Whisper tiny.en, is English only
], ids=["step", "settle", "window", "utterance", "language"])
def test_bad_transcriber_parameters_name_the_parameter(kwargs, param):
    with pytest.raises(ParameterError, match=param):
        StreamingTranscriber(ScriptedDecoder(SCRIPT), **kwargs)  # type: ignore[arg-type]


def test_pcm16_and_stereo_chunks_are_refused_with_the_fix():
    transcriber = StreamingTranscriber(ScriptedDecoder(SCRIPT))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="from_pcm16"):
        transcriber.feed(np.zeros(480, np.int16))
    with pytest.raises(ParameterError, match="mono"):
        transcriber.feed(np.zeros((480, 2), np.float32))


def test_unknown_engine_names_the_choices():
    with pytest.raises(ParameterError, match=r"whisper-tiny\.en"):
        load_decoder("moonshine")


# ------------------------------------------------------------------------------ weights of Whisper tiny.en
def _tiny_copy(tmp_path: Path, corrupt: str | None) -> Path:
    source = tiny_weights.whisper_tiny_en_dir(cache_dir=tmp_path / "cache0")
    target = tmp_path / "tiny"
    target.mkdir()
    for name in tiny_weights.WHISPER_TINY_EN_SHA256:
        shutil.copyfile(source / name, target / name)
    if corrupt:
        with open(target / corrupt, "r+b") as handle:
            handle.seek(-1, os.SEEK_END)
            last = handle.read(1)
            handle.seek(-1, os.SEEK_END)
            handle.write(bytes([last[0] ^ 0xFF]))
    return target


def test_genuine_tiny_en_files_pass_their_check(tmp_path):
    assert tiny_weights.whisper_tiny_en_dir(_tiny_copy(tmp_path, None), cache_dir=tmp_path / "c",
                                            trust_stamp=False) == tmp_path / "tiny"


@pytest.mark.parametrize("name", ["model.bin", "config.json"])
def test_a_corrupted_tiny_en_file_is_refused(tmp_path, name):
    with pytest.raises(ModelIntegrityError, match=name):
        tiny_weights.whisper_tiny_en_dir(_tiny_copy(tmp_path, name), cache_dir=tmp_path / "c")


# ------------------------------------------------------------------------------- real engines (slow)
def _stream_sample(engine: str, name: str, *, pause_at_ms: int | None = None):
    y, sr = samples.load(name)
    transcriber = StreamingTranscriber(load_decoder(engine), sr=sr, language="en")
    deltas = []
    for chunk in chunks(y, sr, ms=20):
        transcriber.feed(chunk)
        if pause_at_ms is not None and transcriber.audio_ms >= pause_at_ms:
            transcriber.pause(pause_at_ms)
        if transcriber.pass_due:
            deltas.append(transcriber.step().delta)
    final = transcriber.finalize(speech_end_ms=pause_at_ms)
    return deltas, final


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_streamed_sample_gives_the_expected_words(engine):
    deltas, final = _stream_sample(engine, "en_order")
    assert words(final.text) == words("I would like a cup of coffee, please. Make it a large one. "
                                      "Thank you very much.")
    assert "".join(deltas) + final.delta == final.text
    assert len("".join(deltas)) > len(final.text) // 2  # most words were delivered before the end


@pytest.mark.slow
def test_speech_end_reuses_the_closing_pass_with_the_same_words():
    info = next(i for i in samples.manifest() if i.name == "en_weather")
    speech_end_ms = round(info.segments[-1][1] * 1000)
    _, final = _stream_sample("whisper-base", "en_weather", pause_at_ms=speech_end_ms)
    assert final.reused
    assert words(final.text) == words(info.text)


def test_the_final_pass_uses_the_delay_beam_and_every_pass_the_keywords():
    """A session's ``delay`` widens the beam of the pass that makes the transcript final only (the passes
    while the user speaks stay greedy); its ``keywords`` are hotwords before the prompt of every pass."""
    decoder = ScriptedDecoder(SCRIPT)
    transcriber = StreamingTranscriber(decoder, sr=SR16, language="en", prompt="Weather talk.",
                                       keywords=["Qwen", " pods "], beam_size=3)
    _stream(transcriber, ramp(4.4), SR16)
    regular = len(decoder.beams)
    final = transcriber.finalize()
    assert regular >= 2 and set(decoder.beams[:regular]) == {1} and decoder.beams[regular:] == [3]
    assert set(decoder.prompts) == {"Qwen, pods Weather talk."}
    assert final.text == "".join(SCRIPT).strip() and final.tokens == ()


def test_unknown_languages_are_refused_by_name():
    with pytest.raises(ParameterError, match="languages"):
        StreamingTranscriber(ScriptedDecoder(SCRIPT), sr=SR16, languages=["en", "xx"])
    with pytest.raises(ParameterError, match="beam_size"):
        StreamingTranscriber(ScriptedDecoder(SCRIPT), sr=SR16, beam_size=0)
