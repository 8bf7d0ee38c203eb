"""The labelled speech set: manifest consistent with the audio, speech inside the segments, SNRs as stated."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from voicelab import samples
from voicelab.errors import ParameterError

ALL = samples.manifest()
NAMES = [info.name for info in ALL]


def _power(y: np.ndarray, spans, sr: int) -> float:
    parts = [y[round(s * sr):round(e * sr)] for s, e in spans]
    return float(np.mean(np.concatenate(parts).astype(np.float64) ** 2))


def _outside(info: samples.SampleInfo) -> list[tuple[float, float]]:
    edges = [0.0, *[t for seg in info.segments for t in seg], info.duration]
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]


def test_the_set_covers_languages_pauses_and_noise_levels():
    assert {info.language for info in ALL} == {"en", "ja"}
    assert {info.engine for info in ALL} == {"piper", "openjtalk"}
    assert {info.name for info in ALL if info.language == "ja" and info.snr_db is None} == {
        "ja_greeting", "ja_station", "ja_weather", "ja_directions", "ja_order", "ja_particles",
        "ja_meeting", "ja_route", "ja_reservation"}
    assert {info.snr_db for info in ALL} == {None, 20.0, 10.0, 5.0}
    assert {info.noise for info in ALL} == {None, "white", "pink"}
    pause_ms = {round((e - s) * 1000) for info in ALL for s, e in info.pauses}
    assert {300, 600, 900} <= pause_ms
    assert len(NAMES) == len(set(NAMES))


def test_japanese_sentences_pause_at_their_読点_for_a_known_time():
    """Phrases ending in 、 are followed by the short pauses of natural Japanese (200–400 ms), at known
    offsets."""
    comma_pauses = {}
    for info in ALL:
        if info.language == "ja" and info.snr_db is None:
            for phrase, (start, end) in zip(info.phrases, info.pauses, strict=False):
                if phrase.endswith("、"):
                    comma_pauses[(info.name, phrase)] = round((end - start) * 1000)
    assert comma_pauses == {
        ("ja_meeting", "明日の会議は、"): 300,
        ("ja_route", "この道をまっすぐ行って、"): 250,
        ("ja_route", "二つ目の信号を右に曲がると、"): 400,
        ("ja_reservation", "すみません、"): 350,
        ("ja_reservation", "今夜七時に、"): 200,
    }
    meeting = next(info for info in ALL if info.name == "ja_meeting_snr10")
    assert meeting.text == "明日の会議は、午後三時からですよ。資料を忘れないでくださいね。"
    assert meeting.pauses[0][0] == meeting.segments[0][1] and meeting.noise == "white"


@pytest.mark.parametrize("name", NAMES)
def test_manifest_matches_the_audio(name):
    info = next(i for i in ALL if i.name == name)
    y, sr = samples.load(name)
    assert sr == info.sr == 24_000 and y.ndim == 1 and y.dtype == np.float32
    assert abs(len(y) / sr - info.duration) < 1 / sr
    assert np.max(np.abs(y)) <= 1.0
    starts_ends = [t for seg in info.segments for t in seg]
    assert starts_ends == sorted(starts_ends) and starts_ends[0] > 0 and starts_ends[-1] < info.duration
    assert len(info.segments) == len(info.phrases) and len(info.pauses) == len(info.segments) - 1
    assert all(e - s > 0.3 for s, e in info.segments)
    inside, outside = _power(y, info.segments, sr), _power(y, _outside(info), sr)
    if info.snr_db is None:
        assert outside < 1e-8 < inside  # digital silence between phrases
    else:
        # outside the segments there is only noise: inside/outside = (S + N) / N = 1 + 10^(snr/10)
        assert inside / outside == pytest.approx(1 + 10 ** (info.snr_db / 10), rel=0.2)


@pytest.mark.parametrize("name", [n for n in NAMES if "_snr" not in n])
def test_every_segment_is_speech_and_starts_and_ends_loud(name):
    y, sr = samples.load(name)
    for s, e in samples.labels(name):
        seg = y[round(s * sr):round(e * sr)]
        assert np.sqrt(np.mean(seg**2)) > 0.02
        edge = sr // 100  # the first and last 10 ms frames carry sound (trimmed at -40 dB of the peak)
        assert np.max(np.abs(seg[:edge])) > 1e-3 and np.max(np.abs(seg[-edge:])) > 1e-3


def test_noise_is_seeded_and_differs_by_level():
    a = samples.load("en_weather_snr10").y
    np.testing.assert_array_equal(a, samples.load("en_weather_snr10").y)
    clean = samples.load("en_weather").y
    residual = {snr: np.mean((samples.load(f"en_weather_snr{snr}").y - clean) ** 2) for snr in (20, 10, 5)}
    assert residual[20] < residual[10] < residual[5]


def test_pink_noise_has_more_low_than_high_frequency_power():
    info = next(i for i in ALL if i.noise == "pink" and i.snr_db == 5.0)
    y, sr = samples.load(info.name)
    s, e = _outside(info)[0]
    noise = y[round(s * sr):round(e * sr)]
    spectrum = np.abs(np.fft.rfft(noise)) ** 2
    freqs = np.fft.rfftfreq(len(noise), 1 / sr)
    low = spectrum[(freqs > 100) & (freqs < 1000)].mean()
    assert low > 5 * spectrum[(freqs > 5000) & (freqs < 10000)].mean()


def test_frame_labels_follow_the_segments():
    truth = samples.frame_labels("en_directions", frame_ms=20)
    info = next(i for i in ALL if i.name == "en_directions")
    assert len(truth) == int(info.duration // 0.02)
    speech = sum(e - s for s, e in info.segments)
    assert truth.mean() == pytest.approx(speech / info.duration, abs=0.02)
    assert not truth[: int(info.segments[0][0] / 0.02) - 1].any()


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ParameterError, match="en_weather") as info:
        samples.load("nope")
    assert info.value.param == "name"


def test_committed_manifest_is_valid_json_with_the_documented_fields():
    data = json.loads((samples.samples_dir() / "manifest.json").read_text(encoding="utf-8"))
    assert data["sr"] == 24_000
    fields = {"name", "file", "text", "language", "sr", "duration", "segments", "pauses", "snr_db", "noise",
              "noise_seed", "engine", "voice", "phrases"}
    assert set(data["samples"][0]) == fields
    total = sum(p.stat().st_size for p in samples.samples_dir().glob("*.flac"))
    assert total < 5_000_000


@pytest.mark.slow
def test_clean_english_sample_says_its_text():
    from voicelab.engines import stt

    y, sr = samples.load("en_order")
    heard = re.findall(r"[a-z']+", stt.transcribe(y, sr, language="en").text.lower())
    said = re.findall(r"[a-z']+", next(i for i in ALL if i.name == "en_order").text.lower())
    assert heard == said


@pytest.mark.slow
def test_build_reproduces_the_committed_set(tmp_path):
    rebuilt_path = samples.build(tmp_path, specs=[s for s in samples.SPECS if s.name == "en_weather"])
    rebuilt = json.loads(rebuilt_path.read_text(encoding="utf-8"))["samples"]
    committed = [i for i in ALL if i.name.startswith("en_weather")]
    assert [r["name"] for r in rebuilt] == [c.name for c in committed]
    for r, c in zip(rebuilt, committed, strict=True):
        assert r["duration"] == c.duration
        assert [tuple(seg) for seg in r["segments"]] == list(c.segments)


JAPANESE_CLEAN = [info for info in ALL if info.language == "ja" and info.snr_db is None]


@pytest.mark.slow
@pytest.mark.parametrize("info", JAPANESE_CLEAN, ids=[info.name for info in JAPANESE_CLEAN])
def test_japanese_samples_are_natural_speech_whisper_understands(info):
    from voicelab.engines import stt
    from voicelab.engines.scoring import character_error_rate

    y, sr = samples.load(info.name)
    text = stt.transcribe(y, sr, language="ja").text
    assert character_error_rate(info.text, text) <= 0.15, text


@pytest.mark.slow
def test_japanese_samples_rebuild_bit_for_bit(tmp_path):
    spec = next(s for s in samples.SPECS if s.name == "ja_station")
    samples.build(tmp_path, specs=[spec])
    committed_dir = samples.samples_dir()
    assert (tmp_path / "ja_station.flac").read_bytes() == (committed_dir / "ja_station.flac").read_bytes()
    rebuilt = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["samples"]
    everything = json.loads((committed_dir / "manifest.json").read_text(encoding="utf-8"))["samples"]
    committed = [entry for entry in everything if entry["file"] == "ja_station.flac"]
    assert rebuilt == committed
