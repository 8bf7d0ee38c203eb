"""Scoring a transcript against the text that was spoken: word error rate and Japanese character error rate.

Word error rate (WER) and character error rate (CER) are the edit distance (substitutions + deletions +
insertions, Levenshtein) between the reference and the hypothesis, divided by the reference's length.

Japanese is written three ways for the same sound (今日 / きょう / キョウ), and Whisper chooses freely between
them, so comparing characters as written counts differences a listener never hears. :func:`kana_reading`
therefore turns both sides into hiragana first (readings by ``pykakasi``'s dictionary, katakana folded to
hiragana, width and compatibility forms folded by NFKC, Arabic numerals written as kanji numerals first so
3時 and 三時 read alike) and drops everything that is not kana (punctuation, spaces; the long-vowel mark ー is
kept). The particles は/へ stay as written: both sides get the same letter. pykakasi's readings are
dictionary readings, not always the ones a speaker uses (it reads 今日は as こんにちは, as the greeting);
the same reading is applied to both sides, so only a transcript that writes the word differently (きょうは)
is charged for it.

Examples
--------
>>> kana_reading("3時に、駅で会いましょう。")
'さんじにえきであいましょう'
>>> character_error_rate("駅はどこですか。", "エキはどこですか?")
0.0
>>> round(word_error_rate("the red book", "the read book"), 3)
0.333
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import Any

from voicelab.errors import EngineError

__all__ = ["character_error_rate", "edit_distance", "kana_reading", "word_error_rate", "words"]

_NOT_KANA = re.compile(r"[^\u3041-\u3096ー]")
_DIGITS = re.compile(r"\d+")
_KANJI_DIGITS = "〇一二三四五六七八九"
_kakasi: Any = None
_kakasi_lock = threading.Lock()


def edit_distance(reference: Sequence[Any], hypothesis: Sequence[Any]) -> int:
    """Levenshtein distance: the fewest substitutions, deletions and insertions turning one into the other.

    Examples
    --------
    >>> edit_distance("kitten", "sitting")
    3
    >>> edit_distance(["a", "b"], ["a", "b"])
    0
    """
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def words(text: str) -> list[str]:
    """Lower-case words (letters, digits, apostrophes) of English text.

    Examples
    --------
    >>> words("Let's go, NOW!")
    ["let's", 'go', 'now']
    """
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edit distance over the number of reference words (case and punctuation ignored).

    Examples
    --------
    >>> word_error_rate("Turn left at the corner.", "turn left at the corner")
    0.0
    """
    ref = words(reference)
    if not ref:
        raise ValueError("the reference has no words")
    return edit_distance(ref, words(hypothesis)) / len(ref)


def _kanji_numeral(number: int) -> str:
    """12 → 十二, 2025 → 二千二十五, 100000 → 十万 (below 10^16)."""
    if number == 0:
        return "〇"
    out = []
    for unit_value, unit in ((10**12, "兆"), (10**8, "億"), (10**4, "万"), (1, "")):
        group, number = divmod(number, unit_value)
        if not group:
            continue
        text = ""
        for place_value, place in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            digit, group = divmod(group, place_value)
            if digit:
                text += ("" if digit == 1 and place else _KANJI_DIGITS[digit]) + place
        out.append(text + unit)
    return "".join(out)


def kana_reading(text: str) -> str:
    """The hiragana reading of Japanese text, kana only (see the module docstring).

    Raises
    ------
    voicelab.errors.EngineError
        ``pykakasi`` is not installed.

    Examples
    --------
    >>> kana_reading("東京駅までの行き方を教えてください。")
    'とうきょうえきまでのいきかたをおしえてください'
    >>> kana_reading("コーヒーを１つ")
    'こーひーをひとつ'
    """
    global _kakasi
    text = unicodedata.normalize("NFKC", text)
    text = _DIGITS.sub(lambda m: _kanji_numeral(int(m.group())) if len(m.group()) < 16 else m.group(), text)
    with _kakasi_lock:
        if _kakasi is None:
            try:
                import pykakasi
            except ImportError as exc:
                raise EngineError("pykakasi is not installed — pip install pykakasi") from exc
            _kakasi = pykakasi.kakasi()
        items = _kakasi.convert(text)
    return _NOT_KANA.sub("", "".join(item["hira"] for item in items))


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance between the kana readings over the reference reading's length.

    Examples
    --------
    >>> character_error_rate("こんにちは", "こんにちわ")
    0.2
    """
    ref = kana_reading(reference)
    if not ref:
        raise ValueError("the reference has no Japanese characters")
    return edit_distance(ref, kana_reading(hypothesis)) / len(ref)
