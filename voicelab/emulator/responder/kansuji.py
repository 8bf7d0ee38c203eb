"""Japanese numbers to integers: 漢数字 (「三百二十一」) and full-width digits (「３２１」).

Examples
--------
>>> kansuji_to_int("三百二十一"), kansuji_to_int("二千二十六"), kansuji_to_int("十"), kansuji_to_int("１２")
(321, 2026, 10, 12)
>>> japanese_numbers_to_digits("三たす四は？")
'3たす4は？'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["KANSUJI_PATTERN", "japanese_numbers_to_digits", "kansuji_to_int"]

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_LARGE_UNITS = {"万": 10_000, "億": 100_000_000}

#: One run of kanji numerals (digits and units).
KANSUJI_PATTERN = "[〇零一二三四五六七八九十百千万億]+"


def kansuji_to_int(text: str) -> int | None:
    """The integer written by ``text`` (漢数字 with units, or digits, full-width or not); ``None`` otherwise.

    Examples
    --------
    >>> kansuji_to_int("百"), kansuji_to_int("一万二千"), kansuji_to_int("二〇二六"), kansuji_to_int("たす")
    (100, 12000, 2026, None)
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        return int(text)
    if not text or not re.fullmatch(KANSUJI_PATTERN, text):
        return None
    if not any(ch in _SMALL_UNITS or ch in _LARGE_UNITS for ch in text):  # 二〇二六: digit by digit
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total = section = digit = 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (digit or 1) * _SMALL_UNITS[ch]
            digit = 0
        else:
            total += (section + digit or 1) * _LARGE_UNITS[ch]
            section = digit = 0
    return total + section + digit


def japanese_numbers_to_digits(text: str) -> str:
    """Replace each run of 漢数字 and each full-width number in ``text`` with ASCII digits."""
    text = re.sub(r"[０-９]+", lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    return re.sub(KANSUJI_PATTERN, lambda m: str(kansuji_to_int(m.group(0))), text)
