"""The scripted responder in Japanese: chosen by the words or the instructions, natural answers, an echo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from voicelab.emulator.responder import ScriptedResponder
from voicelab.emulator.responder.japanese import is_japanese, japanese_time
from voicelab.emulator.responder.kansuji import japanese_numbers_to_digits, kansuji_to_int

from .conftest import user

INSTRUCTIONS_JA = "あなたは親切な音声アシスタントです。日本語で会話してください。"
JST = timezone(timedelta(hours=9))


@pytest.fixture
def clock_315pm() -> ScriptedResponder:
    return ScriptedResponder(clock=lambda: datetime(2026, 11, 30, 15, 15, tzinfo=JST))


def reply(responder: ScriptedResponder, text: str, instructions: str | None = None) -> str:
    return responder.respond_sync(user(text), instructions=instructions).text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今何時？", "午後3時15分です。"),
        ("今、何時ですか。", "午後3時15分です。"),
        ("3たす4は？", "3たす4は7です。"),
        ("三たす四は？", "3たす4は7です。"),
        ("3足す4は?", "3足す4は7です。"),
        ("十二かける七は？", "12かける7は84です。"),
        ("百ひく三十五は", "100ひく35は65です。"),
        ("１０わる４は？", "10わる4は2.5です。"),
        ("5わる0は？", "0で割ることはできません。"),
        ("今日は何日ですか", "今日は2026年11月30日、月曜日です。"),
        ("ありがとうございます。", "どういたしまして。"),
        ("さようなら", "さようなら。またお話ししましょう。"),
        ("東京駅に行きたいです。", "『東京駅に行きたいです』とおっしゃいましたね。"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 12 else None,
)
def test_japanese_words_get_japanese_answers(clock_315pm, text, expected):
    assert reply(clock_315pm, text) == expected


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("こんにちは", "こんにちは！"),
        ("こんにちは。", "こんにちは！"),
        ("おはようございます", "おはようございます！"),
        ("こんばんは", "こんばんは！"),
        ("はじめまして", "はじめまして。"),
        ("あなたは誰ですか？", "私はボイスラボのオフライン・エミュレーターです。"),
        ("何ができますか", "私はボイスラボのオフライン・エミュレーターです。"),
    ],
)
def test_greetings_and_self_description(clock_315pm, text, starts):
    assert reply(clock_315pm, text).startswith(starts)


def test_weather_is_answered_honestly(clock_315pm):
    answer = reply(clock_315pm, "今日の天気はどうですか？")
    assert "分かりません" in answer and "晴れ" not in answer and "雨" not in answer


def test_japanese_instructions_make_english_questions_answered_in_japanese(clock_315pm):
    assert reply(clock_315pm, "What time is it?", INSTRUCTIONS_JA) == "午後3時15分です。"
    assert reply(clock_315pm, "what is six times seven", INSTRUCTIONS_JA) == "答えは42です。"
    assert reply(clock_315pm, "Hello!", INSTRUCTIONS_JA).startswith("こんにちは！")
    echoed = reply(clock_315pm, "The rain in Spain.", INSTRUCTIONS_JA)
    assert echoed == "『The rain in Spain.』とおっしゃいましたね。"
    # without Japanese instructions the same words stay English
    assert reply(clock_315pm, "What time is it?") == "It is 15:15 UTC+09:00."


def test_nothing_heard_asks_again_in_japanese(clock_315pm):
    assert reply(clock_315pm, "", INSTRUCTIONS_JA).startswith("すみません、よく聞き取れませんでした。")


def test_japanese_rules_of_a_custom_table_still_come_first(tmp_path):
    rules = tmp_path / "rules.toml"
    table = '[[rules]]\nname = "station"\npattern = "駅"\nreply = "駅はあちらです。"\n'
    rules.write_text(table, encoding="utf-8")
    responder = ScriptedResponder(rules_path=rules)
    assert reply(responder, "駅はどこですか") == "駅はあちらです。"


def test_numbers_and_detection():
    assert kansuji_to_int("一万二千三百四十五") == 12345
    assert kansuji_to_int("二〇二六") == 2026
    assert japanese_numbers_to_digits("２たす三") == "2たす3"
    assert is_japanese("ラーメン") and is_japanese("東京") and not is_japanese("Tokyo 2026")
    assert japanese_time(datetime(2026, 1, 1, 23, 59, tzinfo=UTC)) == "午後11時59分"
    assert japanese_time(datetime(2026, 1, 1, 9, 0, tzinfo=UTC)) == "午前9時"
