"""LocalAgreement: commit the words that consecutive decoding passes agree on (pure, no model).

The policy of Macháček, Dabre and Bojar, *Turning Whisper into Real-Time Transcription System* (2023,
https://github.com/ufal/whisper_streaming): the growing utterance is decoded again and again; a word is
*committed* once ``n`` consecutive hypotheses (default 2, "LocalAgreement-2") agree on it and on every word
before it. Committed words never change, so they can be sent as incremental ``delta`` events. voicelab also
holds back the last word of the newest hypothesis (the audio may end inside it).

A hypothesis is split into *units*: words with their leading whitespace for languages written with spaces,
single characters for Japanese, Chinese, Thai and the other languages written without them.

Examples
--------
>>> agreement = LocalAgreement()
>>> agreement.insert(split_units(" The weather is", "en"))
''
>>> agreement.insert(split_units(" The weather is nice to", "en"))
'The weather is'
>>> agreement.insert(split_units(" nice today.", "en"))   # the decoder continued the committed text
' nice'
>>> agreement.committed_text, agreement.tail_text
('The weather is nice', ' today.')
>>> agreement.commit_latest()   # or commit_all(units) for a final pass's own continuation
' today.'
"""

from __future__ import annotations

import re
from collections import deque

from voicelab.errors import ParameterError

__all__ = [
    "SPACELESS_LANGUAGES",
    "LocalAgreement",
    "split_units",
]

#: Whisper languages written without spaces between words: agreement works on characters.
SPACELESS_LANGUAGES = frozenset({"ja", "zh", "yue", "th", "lo", "km", "my", "bo"})
_WORD = re.compile(r"\s*\S+")
_CHAR = re.compile(r"\s*\S")


def split_units(text: str, language: str | None) -> list[str]:
    """Split ``text`` into agreement units: words with their leading space, or characters (spaceless).

    Examples
    --------
    >>> split_units(" Turn left.", "en")
    [' Turn', ' left.']
    >>> split_units("えきは どこ", "ja")
    ['え', 'き', 'は', ' ど', 'こ']
    """
    pattern = _CHAR if language in SPACELESS_LANGUAGES else _WORD
    return pattern.findall(text)


def _key(unit: str) -> str:
    return unit.strip()


class LocalAgreement:
    """Commit the longest prefix that the last ``n`` hypotheses share.

    Parameters
    ----------
    n : int
        Hypotheses that must agree (2 = LocalAgreement-2).
    holdback : int
        Units at the end of the newest hypothesis never committed by :meth:`insert` (default 1).

    Notes
    -----
    Each hypothesis passed to :meth:`insert` continues the committed text (the decoder is forced to start
    with it), so only the continuation is passed. The committed text starts without whitespace; the
    deltas returned by :meth:`insert` and :meth:`commit_all` concatenate to :attr:`committed_text`.
    """

    def __init__(self, n: int = 2, *, holdback: int = 1) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ParameterError("n", expected="an integer ≥ 1", got=repr(n))
        if not isinstance(holdback, int) or isinstance(holdback, bool) or holdback < 0:
            raise ParameterError("holdback", expected="an integer ≥ 0", got=repr(holdback))
        self.n = n
        self.holdback = holdback
        self.committed: list[str] = []
        self._history: deque[list[str]] = deque(maxlen=max(1, n - 1))
        self._last: list[str] = []

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n={self.n}, committed={self.committed_text!r}, "
                f"tail={self.tail_text!r})")

    @property
    def committed_text(self) -> str:
        """The committed units joined, leading whitespace removed."""
        return "".join(self.committed).lstrip()

    @property
    def tail_text(self) -> str:
        """The newest hypothesis after the committed text (may still change)."""
        return "".join(self._last[len(self.committed):])

    def insert(self, continuation: list[str]) -> str:
        """Add a hypothesis (units after the committed text); return the newly committed text (the delta)."""
        full = self.committed + list(continuation)
        agreed = len(full) - self.holdback
        if len(self._history) < self._history.maxlen and self.n > 1:  # type: ignore[operator]
            agreed = len(self.committed)
        for other in self._history if self.n > 1 else ():
            common = 0
            for a, b in zip(full, other, strict=False):
                if _key(a) != _key(b):
                    break
                common += 1
            agreed = min(agreed, common)
        self._history.append(full)
        self._last = full
        return self._commit(full, agreed)

    def observe(self, continuation: list[str]) -> None:
        """Record a hypothesis as the newest without committing from it (the transcriber's closing phase)."""
        self._last = self.committed + list(continuation)
        self._history.append(self._last)

    def commit_all(self, continuation: list[str]) -> str:
        """Commit a final hypothesis entirely; return the newly committed text."""
        full = self.committed + list(continuation)
        self._last = full
        return self._commit(full, len(full))

    def commit_latest(self) -> str:
        """Commit the newest hypothesis entirely (it becomes final); return the newly committed text."""
        return self._commit(self._last, len(self._last))

    def _commit(self, full: list[str], upto: int) -> str:
        if upto <= len(self.committed):
            return ""
        before = self.committed_text
        self.committed = full[:upto]
        after = self.committed_text
        return after[len(before):]
