"""The scripted responder in Japanese: greetings, the time and date, arithmetic, who it is, and an echo.

Used when the user's words are Japanese, or the instructions are (「日本語で会話してください。」) — then even
an English question gets a Japanese answer. Answers are natural spoken Japanese, written the way the
OpenJTalk voice reads them well (digits for numbers, 「午後3時15分」 for the time).

Examples
--------
>>> from datetime import UTC, datetime
>>> clock = lambda: datetime(2026, 11, 30, 15, 15, tzinfo=UTC)
>>> japanese_answer("今何時？", clock)
'午後3時15分です。'
>>> japanese_answer("三たす四は？", clock)
'3たす4は7です。'
>>> japanese_echo("東京駅に行きたいです")
'『東京駅に行きたいです』とおっしゃいましたね。'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime

from .builtins import arithmetic_value, builtin_intent, evaluate_arithmetic, format_number
from .kansuji import japanese_numbers_to_digits

__all__ = [
    "SELF_DESCRIPTION_JA",
    "is_japanese",
    "japanese_answer",
    "japanese_echo",
    "japanese_time",
    "speaks_japanese",
]

SELF_DESCRIPTION_JA = (
    "私はボイスラボのオフライン・エミュレーターです。このパソコンの中だけで動く、オープンエーアイのモデルの"
    "代役です。あいさつ、時刻、計算にお答えできます。それ以外は、おっしゃったことを繰り返します。"
)

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

#: (pattern searched in the user's words, reply), first match wins. Greetings must be the whole message.
_PHRASES: tuple[tuple[str, str], ...] = (
    (
        r"^(こんにちは|こんにちわ)$",
        "こんにちは！ボイスラボのエミュレーターです。今の時刻や簡単な計算を聞いてみてください。",
    ),
    (r"^(おはよう(ございます)?)$", "おはようございます！今日もよろしくお願いします。"),
    (r"^(こんばんは|こんばんわ)$", "こんばんは！何かお手伝いできることはありますか。"),
    (
        r"^(はじめまして|初めまして)(よろしく(お願いします)?)?$",
        "はじめまして。ボイスラボのエミュレーターです。よろしくお願いします。",
    ),
    (r"^(もしもし)$", "はい、聞こえていますよ。どうぞお話しください。"),
    (
        r"お元気ですか|元気(ですか)?$|調子はどう",
        "はい、元気です。このパソコンの中で、オフラインで動いています。",
    ),
    (r"^(ありがとう|ありがとうございます|どうも(ありがとう)?)", "どういたしまして。"),
    (r"^(さようなら|さよなら|またね|それでは|失礼します|バイバイ)", "さようなら。またお話ししましょう。"),
    (
        r"天気|雨|晴れ|気温|暑い|寒い",
        "ごめんなさい、私はネットにつながっていないので、本当の天気は分かりません。"
        "外の様子を見てみてくださいね。",
    ),
)
_ENGLISH_GREETING = re.compile(r"^\W*(hello|hi|hey|good (morning|afternoon|evening))\b\W*$", re.IGNORECASE)
_SELF = re.compile(
    r"(あなた|君|きみ)は(誰|だれ|何|なに)|自己紹介|何ができ|なにができ|お名前は|名前は(何|なん)"
)
_TIME = re.compile(r"(今|いま)?(何時|なんじ)|時刻|時間を教え")
_DATE = re.compile(r"(今日|きょう)は(何日|なんにち|何曜日|なんようび)|日付|何月何日|曜日")
_WEEKDAYS = "月火水木金土日"
_OPERATORS = (
    (r"たす|足す|プラス|\+|＋", "+"),
    (r"ひく|引く|マイナス|−|－", "-"),
    (r"かける|掛ける|×|\*|＊", "*"),
    (r"わる|割る|÷|/|／", "/"),
)
_NUMBER = r"\d+(?:\.\d+)?"
_OPERATOR = "|".join(pattern for pattern, _ in _OPERATORS)
_ARITHMETIC = re.compile(rf"({_NUMBER})\s*((?:(?:{_OPERATOR})\s*{_NUMBER}\s*)+)")


def is_japanese(text: str | None) -> bool:
    """Whether ``text`` is Japanese: it has kana, or kanji and no Latin words.

    Examples
    --------
    >>> is_japanese("今日は"), is_japanese("東京"), is_japanese("Tokyo"), is_japanese(None)
    (True, True, False, False)
    """
    if not text:
        return False
    return bool(_KANA.search(text)) or (bool(_HAN.search(text)) and not _LATIN_WORD.search(text))


def speaks_japanese(text: str | None, instructions: str | None) -> bool:
    """Whether to answer in Japanese: the user's words are Japanese, or the instructions are.

    Examples
    --------
    >>> speaks_japanese("What time is it?", "あなたは親切な音声アシスタントです。日本語で会話してください。")
    True
    >>> speaks_japanese("What time is it?", "You are helpful.")
    False
    """
    return is_japanese(text) or is_japanese(instructions)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    return re.sub(r"[\s、。．，,.!！?？「」『』…]+", "", text) if len(text) < 40 else text


def japanese_time(now: datetime) -> str:
    """The time in spoken Japanese, 12-hour with 午前/午後.

    Examples
    --------
    >>> from datetime import datetime
    >>> japanese_time(datetime(2026, 1, 1, 15, 15)), japanese_time(datetime(2026, 1, 1, 0, 5))
    ('午後3時15分', '午前0時5分')
    >>> japanese_time(datetime(2026, 1, 1, 12, 0))
    '午後0時'
    """
    half = "午前" if now.hour < 12 else "午後"
    minutes = f"{now.minute}分" if now.minute else ""
    return f"{half}{now.hour % 12}時{minutes}"


def _arithmetic(text: str) -> str | None:
    spoken = japanese_numbers_to_digits(unicodedata.normalize("NFKC", text))
    match = _ARITHMETIC.search(spoken)
    if match is None:
        return None
    shown = re.sub(r"\s+", "", match.group(0))
    expression = shown
    for pattern, symbol in _OPERATORS:
        expression = re.sub(pattern, f" {symbol} ", expression)
    try:
        value = evaluate_arithmetic(expression)
    except ZeroDivisionError:
        return "0で割ることはできません。"
    except (SyntaxError, ValueError, OverflowError, TypeError):
        return None
    return f"{shown}は{format_number(value)}です。"


def _from_intent(text: str, clock: Callable[[], datetime]) -> str | None:
    """Japanese answers to the English built-ins' questions (English words, Japanese instructions)."""
    intent = builtin_intent(text)
    if intent == "self":
        return SELF_DESCRIPTION_JA
    if intent == "time":
        return f"{japanese_time(clock())}です。"
    if intent == "date":
        now = clock()
        return f"今日は{now.year}年{now.month}月{now.day}日、{_WEEKDAYS[now.weekday()]}曜日です。"
    if intent == "arithmetic":
        value = arithmetic_value(text)
        return None if value is None else f"答えは{format_number(value)}です。"
    if _ENGLISH_GREETING.search(text):
        return _PHRASES[0][1]
    return None


def japanese_answer(text: str, clock: Callable[[], datetime]) -> str | None:
    """A Japanese answer to ``text`` (Japanese or English words), or ``None`` when no rule applies.

    Parameters
    ----------
    text : str
        The user's last words.
    clock : callable
        Returns "now" (an aware datetime) for the time and date.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> clock = lambda: datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    >>> japanese_answer("おはようございます。", clock)
    'おはようございます！今日もよろしくお願いします。'
    >>> japanese_answer("今日は何日ですか", clock)
    '今日は2026年11月30日、月曜日です。'
    >>> japanese_answer("十二かける七は？", clock), japanese_answer("What time is it?", clock)
    ('12かける7は84です。', '午前9時5分です。')
    >>> japanese_answer("東京駅に行きたいです", clock) is None
    True
    """
    compact = _normalise(text)
    if not compact:
        return None
    arithmetic = _arithmetic(compact)
    if arithmetic is not None:
        return arithmetic
    if _SELF.search(compact):
        return SELF_DESCRIPTION_JA
    if _DATE.search(compact):
        return _from_intent("what is the date", clock)
    if _TIME.search(compact):
        return _from_intent("what time is it", clock)
    for pattern, reply in _PHRASES:
        if re.search(pattern, compact):
            return reply
    return _from_intent(text, clock)


def japanese_echo(text: str) -> str:
    """The echo fallback in Japanese: 『…』とおっしゃいましたね。, or a request to repeat.

    Examples
    --------
    >>> japanese_echo("  ")
    'すみません、よく聞き取れませんでした。もう一度おっしゃっていただけますか。'
    """
    spoken = text.strip().rstrip("。")
    if not spoken:
        return "すみません、よく聞き取れませんでした。もう一度おっしゃっていただけますか。"
    return f"『{spoken}』とおっしゃいましたね。"
