"""Spoken numbers to digits ("twelve times seven" → "12 times 7"), for arithmetic and tool arguments.

Examples
--------
>>> words_to_numbers("twenty one plus three hundred")
'21 plus 300'
"""

from __future__ import annotations

import re

__all__ = ["words_to_numbers"]


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
    if i > 1
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}


def words_to_numbers(text: str) -> str:
    """Replace spelled-out numbers ("twenty one", "three hundred") with digits."""
    tokens = re.split(r"(\s+|-)", text)
    out: list[str] = []
    current: int | None = None
    total = 0
    pending_space = ""

    def flush() -> None:
        nonlocal current, total
        if current is not None:
            out.append(str(total + current))
            current, total = None, 0

    for token in tokens:
        word = token.lower().strip(",.?!;:")
        if not token.strip() or token == "-":
            if current is None:
                out.append(token)
            else:
                pending_space = token
            continue
        if word in _NUMBER_WORDS or word in _TENS:
            value = _NUMBER_WORDS.get(word, _TENS.get(word, 0))
            current = (current or 0) + value
            trailing = token[len(token.rstrip(",.?!;:")) :]
            if trailing:
                flush()
                out.append(trailing)
            pending_space = ""
            continue
        if word in _SCALES and current is not None:
            scale = _SCALES[word]
            if scale >= 1000:
                total, current = (total + current) * scale, 0
            else:
                current *= scale
            continue
        if word == "and" and current is not None:
            continue
        flush()
        out.append(pending_space)
        pending_space = ""
        out.append(token)
    flush()
    return "".join(out)
