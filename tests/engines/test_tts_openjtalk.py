"""Japanese speech with OpenJTalk: routed from tts.synthesize, understood by Whisper, 13 distinct voices,
speed, sentence streaming, verified model files, no network."""

from __future__ import annotations

import itertools
import math
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from voicelab.engines import models, stt, tts, tts_openjtalk
from voicelab.engines.scoring import character_error_rate
from voicelab.errors import ModelIntegrityError, ParameterError

from .test_tts import median_f0

SOURCE_SENTENCE = "こんにちは、今日はいい天気ですね。東京駅までの行き方を教えてください。"
SHORT = "すみません、駅はどこですか。まっすぐ行ってください。"


def semitones(a: float, b: float) -> float:
    return 12.0 * math.log2(a / b)


@pytest.fixture(scope="module")
def voices() -> dict[str, tuple[float, float]]:
    """(median F0 in Hz, duration in s) of SHORT in every voice."""
    out = {}
    for name in tts.VOICES:
        audio = tts.synthesize(SHORT, voice=name)
        out[name] = (median_f0(audio.y, audio.sr, fmax=800.0), audio.duration)
    return out


@pytest.mark.slow
def test_source_documents_sentence_comes_back_from_whisper():
    audio = tts.synthesize(SOURCE_SENTENCE)  # Japanese detected from the kana → OpenJTalk
    assert audio.sr == 24_000 and audio.y.dtype == np.float32 and audio.y.ndim == 1
    assert 4.5 < audio.duration < 8.0
    assert np.max(np.abs(audio.y)) <= 1.0
    text = stt.transcribe(audio.y, audio.sr, language="ja").text
    assert character_error_rate(SOURCE_SENTENCE, text) <= 0.05, text


@pytest.mark.slow
def test_espeak_japanese_is_what_openjtalk_replaces():
    """The same sentence through eSpeak NG (the old path) is far less intelligible: the engine matters."""
    espeak = tts.synthesize(SOURCE_SENTENCE, engine="espeak")
    text = stt.transcribe(espeak.y, espeak.sr, language="ja").text
    assert character_error_rate(SOURCE_SENTENCE, text) > 0.2, text


def test_japanese_routes_to_openjtalk():
    assert tts.engine_for(tts.detect_language(SOURCE_SENTENCE)) == "openjtalk"
    assert tts.engine_for(tts.detect_language("カタカナだけ")) == "openjtalk"
    openjtalk = tts.synthesize("えきは どこ ですか。")
    espeak = tts.synthesize("えきは どこ ですか。", engine="espeak")
    assert openjtalk.sr == espeak.sr == 24_000
    assert not np.array_equal(openjtalk.y[:1000], espeak.y[:1000])


def test_every_voice_name_has_a_japanese_rendering():
    assert set(tts_openjtalk.JAPANESE_VOICES) == set(tts.VOICES)


def test_voices_differ_measurably(voices):
    """Each pair of voices differs by ≥ 0.5 semitone of median F0 or ≥ 4 % of duration; the F0 order follows
    the table's total shift (half_tone + formant)."""
    for a, b in itertools.combinations(voices, 2):
        (fa, da), (fb, db) = voices[a], voices[b]
        assert abs(semitones(fa, fb)) >= 0.5 or abs(da / db - 1) >= 0.04, (a, b, voices[a], voices[b])
    shift = {name: v.half_tone + v.formant for name, v in tts_openjtalk.JAPANESE_VOICES.items()}
    by_shift = sorted(voices, key=lambda n: shift[n])
    by_f0 = sorted(voices, key=lambda n: voices[n][0])
    rank = {name: i for i, name in enumerate(by_f0)}
    spearman = 1 - 6 * sum((i - rank[n]) ** 2 for i, n in enumerate(by_shift)) / (13 * (13**2 - 1))
    assert spearman > 0.9, by_f0
    for name, total in shift.items():  # each voice lands within 1.5 semitones of where its shift puts it
        assert semitones(voices[name][0], voices["alloy"][0]) == pytest.approx(total, abs=1.5), name
    assert semitones(voices["shimmer"][0], voices["onyx"][0]) > 15  # a male range and a female one


@pytest.mark.slow
@pytest.mark.parametrize("voice", ["onyx", "shimmer"])
def test_extreme_voices_stay_intelligible(voice):
    audio = tts.synthesize(SOURCE_SENTENCE, voice=voice)
    text = stt.transcribe(audio.y, audio.sr, language="ja").text
    assert character_error_rate(SOURCE_SENTENCE, text) <= 0.10, text


def test_speed_scales_duration_at_the_same_pitch():
    normal = tts.synthesize(SHORT)
    for speed in (0.5, 2.0, 4.0):
        audio = tts.synthesize(SHORT, speed=speed)
        assert audio.duration == pytest.approx(normal.duration / speed, rel=0.1), speed
    fast = tts.synthesize(SHORT, speed=2.0)
    assert abs(semitones(median_f0(fast.y, 24_000, fmax=800.0), median_f0(normal.y, 24_000, fmax=800.0))) < 1


def test_instruction_keywords_apply_to_japanese():
    plain = tts.synthesize(SHORT)
    slow = tts.synthesize(SHORT, instructions="Speak slowly.")
    high = tts.synthesize(SHORT, instructions="a high voice")
    quiet = tts.synthesize(SHORT, instructions="whisper")
    assert slow.duration > 1.25 * plain.duration
    assert semitones(median_f0(high.y, 24_000, fmax=800.0), median_f0(plain.y, 24_000, fmax=800.0)) > 1.2
    assert np.max(np.abs(quiet.y)) < 0.3 * np.max(np.abs(plain.y))


def test_stream_yields_one_piece_per_sentence():
    text = "こんにちは。今日はいい天気ですね！東京駅はどこですか？"
    pieces = list(tts.synthesize_stream(text, voice="marin"))
    assert len(pieces) == 3
    assert all(p.sr == 24_000 for p in pieces)
    whole = tts.synthesize(text, voice="marin")
    assert len(whole.y) == sum(len(p.y) for p in pieces)
    assert pieces[0].duration < pieces[1].duration  # こんにちは is the shortest


def test_output_is_deterministic():
    first, second = (tts.synthesize(SHORT, voice="verse").y for _ in range(2))
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"engine": "piper"}, "engine"),
    ({"engine": "festival"}, "engine"),
    ({"voice": "mei"}, "voice"),
    ({"speed": 5.0}, "speed"),
], ids=["piper-for-japanese", "unknown-engine", "unknown-voice", "too-fast"])
def test_bad_input_names_the_parameter(kwargs, param):
    with pytest.raises(ParameterError) as info:
        tts.synthesize_stream(SHORT, **kwargs)
    assert info.value.param == param


def test_openjtalk_is_not_offered_for_english():
    with pytest.raises(ParameterError) as info:
        tts.synthesize("Hello there.", engine="openjtalk")
    assert info.value.param == "engine"


# ------------------------------------------------------------------ model files


def test_model_files_are_verified_by_sha256(tmp_path):
    files = models.openjtalk_files(tmp_path, trust_stamp=False)
    assert files.voice.name == "mei_normal.htsvoice" and (files.dictionary / "sys.dic").is_file()
    assert (tmp_path / "openjtalk.verified.json").is_file()


def test_a_tampered_voice_is_refused_and_never_loaded(tmp_path, monkeypatch):
    real = models._site_file
    voice = "pyopenjtalk/htsvoice/mei_normal.htsvoice"
    tampered = tmp_path / "mei_normal.htsvoice"
    shutil.copyfile(real(voice), tampered)
    with open(tampered, "r+b") as handle:
        handle.seek(-100, os.SEEK_END)
        handle.write(b"\0" * 10)
    monkeypatch.setattr(models, "_site_file", lambda name: tampered if name == voice else real(name))
    monkeypatch.setattr(tts_openjtalk, "_engines", None)
    monkeypatch.setenv("VOICELAB_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ModelIntegrityError) as info:
        tts.synthesize(SHORT)
    assert info.value.path == str(tampered)
    assert tts_openjtalk._engines is None  # nothing loaded


@pytest.mark.slow
def test_japanese_speech_needs_no_network(tmp_path):
    """A fresh process with every socket refused and an empty cache still speaks Japanese."""
    code = textwrap.dedent("""
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network is off in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from voicelab.engines import tts
        audio = tts.synthesize("東京駅までの行き方を教えてください。", voice="nova")
        print(audio.sr, round(audio.duration, 1))
    """)
    env = {**os.environ, "VOICELAB_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path)}
    env.pop("OPEN_JTALK_DICT_DIR", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    sr, duration = done.stdout.split()
    assert sr == "24000" and float(duration) > 1.5


def test_concurrent_synthesis_gives_the_serial_result():
    import threading

    texts = ["いち、に、さん。", "駅はどこですか。", "ありがとうございます。", "今日は晴れです。"]
    voices = ["alloy", "onyx", "nova", "sage"]  # different voices: the engine's settings must not leak
    expected = [tts.synthesize(text, voice=voice).y for text, voice in zip(texts, voices, strict=True)]
    results: dict[int, list[np.ndarray]] = {i: [] for i in range(4)}

    def work(i: int) -> None:
        for _ in range(2):
            results[i].append(tts.synthesize(texts[i], voice=voices[i]).y)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(4):
        for y in results[i]:
            np.testing.assert_array_equal(y, expected[i])
