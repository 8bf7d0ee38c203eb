"""Small text helpers of the server core: word deltas, fixed-size chunks, a token-count prefix.

Examples
--------
>>> "".join(split_words("Hello there."))
'Hello there.'
"""

from __future__ import annotations

import re
from typing import Any

from voicelab.protocol.billing import first_text_tokens

__all__ = ["field_of", "first_tokens", "speech_units", "split_words", "text_chunks"]

_SENTENCE = re.compile(r"[^.!?。！？]+[.!?。！？]*\s*|[.!?。！？]+\s*")
_CLAUSE_END = re.compile(r"[,;:、，：；]\s*")
_SHORT_FIRST = 20  # characters: a first sentence this short is spoken whole


def split_words(text: str) -> list[str]:
    """Split into word-sized deltas that concatenate back to ``text``.

    Examples
    --------
    >>> split_words("Two plus two is 4.")
    ['Two ', 'plus ', 'two ', 'is ', '4.']
    """
    return re.findall(r"\S+\s*|\s+", text) or ([text] if text else [])


def field_of(obj: Any, name: str) -> Any:
    """``obj[name]`` for a dict, ``obj.name`` otherwise (tool calls come as either).

    Examples
    --------
    >>> field_of({"name": "f"}, "name"), field_of(object(), "name")
    ('f', None)
    """
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def text_chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of ``size`` characters (at least one piece).

    Examples
    --------
    >>> text_chunks('{"city": "Paris"}', 8)
    ['{"city":', ' "Paris"', '}']
    """
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def first_tokens(text: str, n: int) -> str:
    """The prefix of ``text`` holding its first ``n`` tokens
    (:func:`voicelab.protocol.billing.first_text_tokens`).

    Examples
    --------
    >>> first_tokens("Hello, world! Bye.", 3)
    'Hello, world'
    """
    return first_text_tokens(text, n)


def speech_units(text: str) -> list[str]:
    """The pieces to synthesise one after another: sentences, the first one split after its first clause
    when it is long, so that the first audio of an answer is ready sooner.

    Examples
    --------
    >>> speech_units("You said: what is two plus two? Nice!")
    ['You said: ', 'what is two plus two? ', 'Nice!']
    >>> speech_units("2 plus 2 is 4. Anything else?")
    ['2 plus 2 is 4. ', 'Anything else?']
    >>> speech_units("はい、駅はこの道をまっすぐ行って右側にあります。どうぞ。")
    ['はい、', '駅はこの道をまっすぐ行って右側にあります。', 'どうぞ。']
    """
    units = _SENTENCE.findall(text) or [text]
    first = units[0]
    clause = _CLAUSE_END.search(first)
    if len(first.strip()) > _SHORT_FIRST and clause and first[clause.end() :].strip():
        units[:1] = [first[: clause.end()], first[clause.end() :]]
    return units
