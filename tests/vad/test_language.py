"""Japanese next to English: morae and syllables, phrase endings, where silence_duration_ms cuts a turn."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.vad.evaluation import prepare
from voicelab.vad.language import (
    ending,
    phrase_endings,
    speech_rate,
    split_turns,
    syllable_count,
    timing_units,
)
from voicelab.vad.server_vad import ServerVADParams


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("The weather is nice today.", 7),
        ("Walk two blocks.", 3),
        ("I would like a cup of coffee, please.", 9),
    ],
)
def test_english_syllables(text, count):
    assert syllable_count(text) == count


@pytest.mark.parametrize(
    ("text", "morae"),
    [
        ("こんにちは。", 5),
        ("明日の会議は、", 8),
        ("今日はいい天気ですね。", 11),
        ("コーヒーを一杯お願いします。", 16),
    ],
)
def test_japanese_morae_from_openjtalk(text, morae):
    # ア・シ・タ・ノ・カ・イ・ギ・ワ; キョ・ー・ワ・イ・イ・テ・ン・キ・デ・ス・ネ
    # (キョ is one, ー and ン one each); コ・ー・ヒ・ー・ヲ・イ・ッ・パ・イ・オ・ネ・ガ・イ・シ・マ・ス
    assert timing_units(text, "ja") == ("mora", morae)


@pytest.mark.parametrize(
    ("phrase", "kind"),
    [
        ("明日の会議は、", "読点 、"),
        ("そうですね。", "ね"),
        ("午後三時からですよ。", "よ"),
        ("駅はどこですか。", "か"),
        ("二ブロック歩きます。", "。"),
        ("Walk two blocks.", "."),
        ("coffee,", ","),
    ],
)
def test_phrase_endings(phrase, kind):
    assert ending(phrase) == kind


@pytest.fixture(scope="module")
def meeting():
    """A Japanese sentence paused 300 ms at its 読点, then 800 ms before the next sentence; and English."""
    return prepare(["ja_meeting", "en_directions", "ja_particles"], progress=False)


def test_a_short_silence_duration_splits_a_japanese_sentence_at_its_読点(meeting):
    sample = next(s for s in meeting.samples if s.name == "ja_meeting")
    assert split_turns(sample, ServerVADParams(silence_duration_ms=200)) == [
        "明日の会議は、", "午後三時からですよ。", "資料を忘れないでくださいね。"]
    assert split_turns(sample, ServerVADParams(silence_duration_ms=500)) == [
        "明日の会議は、午後三時からですよ。", "資料を忘れないでくださいね。"]


def test_phrase_endings_table_shows_which_setting_cuts_which_pause(meeting):
    table = phrase_endings(meeting, silence_durations_ms=[200, 500, 1000])
    rows = {(r["sample"], r["phrase"]): r for r in table}
    comma = rows[("ja_meeting", "明日の会議は、")]
    assert (comma["ending"], comma["pause_ms"]) == ("読点 、", 300)
    assert (comma["cut_200ms"], comma["cut_500ms"], comma["cut_1000ms"]) == (True, False, False)
    particle = rows[("ja_meeting", "午後三時からですよ。")]
    assert (particle["ending"], particle["pause_ms"], particle["cut_500ms"]) == ("よ", 800, True)
    ne = rows[("ja_particles", "そうですね。")]
    assert (ne["ending"], ne["pause_ms"], ne["cut_200ms"], ne["cut_1000ms"]) == ("ね", 500, True, False)
    # the detector hears each phrase's fading end for a few tens of ms past the labelled (−40 dB) end
    assert all(r["tail_ms"] is not None and -50 <= r["tail_ms"] <= 150 for r in table)
    assert len(table.where(language="en")) == 2


def test_japanese_runs_more_timing_units_per_second_than_english(meeting):
    rates = {r["sample"]: r for r in speech_rate(meeting)}
    assert rates["ja_meeting"]["unit"] == "mora" and rates["en_directions"]["unit"] == "syllable"
    assert 7 <= rates["ja_meeting"]["units_per_s"] <= 11
    assert 3 <= rates["en_directions"]["units_per_s"] <= 6
    assert rates["ja_meeting"]["pauses_ms"] == (300, 800)


def test_samples_without_phrases_are_refused(meeting):
    sample = meeting.samples[0]
    bare = type(sample)(sample.name, sample.segments, sample.condition, sample.language, sample.duration_ms,
                        sample.padded_ms, sample.probs, sample.levels_db, sample.truth, sample.frame_ms)
    with pytest.raises(ParameterError) as info:
        split_turns(bare, ServerVADParams())
    assert info.value.param == "evalset"


def test_turn_splits_plot_draws_a_row_per_setting_with_japanese_labels(meeting, recwarn):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from voicelab.vad.plots import turn_splits

    sample = next(s for s in meeting.samples if s.name == "ja_meeting")
    fig, ax = plt.subplots()
    labels = turn_splits(sample, [200, 500], ax=ax)
    fig.canvas.draw()
    assert labels == ["labelled", "200 ms", "500 ms"]
    assert [t.get_text() for t in ax.texts] == list(sample.phrases)
    bars = [c for c in ax.collections if len(c.get_paths())]
    assert len(bars) == 3 + 3 + 2  # phrases, turns at 200 ms, turns at 500 ms
    assert not [w for w in recwarn if "Glyph" in str(w.message)]
    plt.close(fig)
