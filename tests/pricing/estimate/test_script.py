"""The same call in Japanese and English: o200k_base token counts, spoken durations, costs to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from voicelab.errors import ParameterError
from voicelab.pricing.estimate import (
    RESERVATION_CALL,
    ScriptLine,
    SpokenScript,
    compare_languages,
    current_approaches,
    speak,
    speech_to_speech,
)

AT = "2026-11-30"
JA = SpokenScript(
    "ja",
    "あなたは親切な音声アシスタントです。日本語で会話してください。",  # 20 tokens in o200k_base
    (ScriptLine("user", "今何時ですか？", 2.0), ScriptLine("assistant", "午後3時15分です。", 3.0)),  # 6, 7
)
EN = SpokenScript(
    "en",
    "You are a kind voice assistant. Please talk in English.",  # 12
    (
        ScriptLine("user", "What time is it?", 1.2),
        ScriptLine("assistant", "It is three fifteen in the afternoon.", 2.4),
    ),
)


def test_lines_are_counted_with_o200k_base():
    assert [line.tokens for line in JA.lines] == [6, 7]
    assert [line.tokens for line in EN.lines] == [5, 8]
    assert (JA.instructions_tokens, EN.instructions_tokens) == (20, 12)
    # a word-based estimate (150 words/min × 1.3 tokens/word) would give the 3 s Japanese reply 10 tokens
    assert JA.conversation(gap_seconds=1.0).assistant_text_tokens == 7


def test_a_script_becomes_its_average_turn():
    c = JA.conversation(gap_seconds=1.0)
    assert (c.turns, round(c.minutes * 60, 6), c.instructions_tokens) == (1, 6.0, 20)
    assert (round(c.user_speech_seconds, 6), round(c.assistant_seconds, 6)) == (2.0, 3.0)
    assert (c.user_text_tokens, c.assistant_text_tokens, c.assistant_characters) == (6, 7, 10)


def test_gpt_realtime_2_costs_to_the_cent_in_each_language():
    """Hand-computed (USD per 1M, gpt-realtime-2's row: text 4 in / 24 out, audio 32 in / 64 out).

    ja: 20 text in + 28 audio in (2.0 s speech + 0.8 s VAD padding) + 7 text out + 60 audio out (3.0 s)
        = 80 + 896 + 168 + 3 840 = 4 984 µ$;
    en: 12 text in + 20 audio in (1.2 s + 0.8 s) + 8 text out + 48 audio out (2.4 s) = 48 + 640 + 192 + 3 072.
    """
    estimate = current_approaches()["gpt-realtime-2"]
    ja, en = (estimate(script.conversation(gap_seconds=1.0), AT) for script in (JA, EN))
    assert ja.total_decimal == Decimal("0.004984")
    assert en.total_decimal == Decimal("0.003952")


def test_a_rate_filled_in_by_the_caller_is_listed_as_an_assumption():
    estimate = speech_to_speech(JA.conversation(), "gpt-realtime-2", prices={"text_output": 16}, at=AT)
    assert dict(estimate.assumptions)["prices"] == {"text_output": 16}
    assert estimate.total_decimal < speech_to_speech(JA.conversation(), "gpt-realtime-2", at=AT).total_decimal


def test_compare_languages_labels_and_orders_rows():
    rows = compare_languages([EN, JA], calls=1000, at=AT)
    labels = [row.label for row in rows]
    assert labels[0] == "en · gpt-realtime-2" and labels[-1].startswith("ja · chained gpt-realtime-whisper")
    by = {row.label: row for row in rows}
    assert by["ja · gpt-realtime-2"].per_call == Decimal("0.004984")
    assert by["ja · gpt-realtime-2"].total == pytest.approx(4.984)


@pytest.mark.parametrize(
    ("lines", "got"),
    [
        ((), "no lines"),
        ((ScriptLine("assistant", "Hi", 1.0),), "assistant"),
        ((ScriptLine("user", "Hi", 1.0),), "user"),
    ],
)
def test_lines_must_alternate_user_and_assistant(lines, got):
    with pytest.raises(ParameterError) as info:
        SpokenScript("en", "", lines)
    assert info.value.param == "lines" and got in str(info.value)


def test_a_line_needs_a_positive_duration():
    with pytest.raises(ParameterError) as info:
        ScriptLine("user", "Hi", 0)
    assert info.value.param == "seconds"


def test_speak_measures_durations_with_the_offline_engines():
    instructions, exchanges = RESERVATION_CALL["ja"]
    script = speak(instructions, exchanges[:1], language="ja")
    user, assistant = script.lines
    assert user.text == "こんにちは。予約をお願いしたいのですが。" and user.tokens == 10
    # OpenJTalk speaks about 8 morae a second: the 20-mora question takes 2–5 s, the 27-character reply longer
    assert 2.0 < user.seconds < 5.0 < assistant.seconds < 9.0
    en = speak(*RESERVATION_CALL["en"][:1], RESERVATION_CALL["en"][1][:1], language="en")
    assert en.lines[0].seconds < user.seconds  # the same meaning said faster in English by Piper


def test_the_bar_chart_does_not_claim_one_call_length_for_calls_of_different_lengths():
    from matplotlib.figure import Figure

    from voicelab.pricing.plots import plot_approaches

    ax = Figure().subplots()
    bars = plot_approaches(compare_languages([EN, JA], calls=1000, at=AT), ax=ax)
    assert len(bars) == 6
    assert ax.get_xlabel() == "cost of 1,000 calls (each call its own length) (USD)"
    ax = Figure().subplots()
    plot_approaches(compare_languages([JA], calls=1000, at=AT), ax=ax)
    assert ax.get_xlabel() == "cost of 1,000 calls of 0.1 min (USD)"
