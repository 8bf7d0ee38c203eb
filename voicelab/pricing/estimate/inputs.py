"""The inputs of the estimators: :class:`Conversation`, the shape of one call, with its assumptions, and
:func:`one_shot_speech`, the size of ``minutes`` of continuous speech sent in one request.

Examples
--------
>>> Conversation(minutes=5, turns=10).turn_seconds
30.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from voicelab.errors import ParameterError

__all__ = ["Conversation", "DateLike", "OneShotSpeech", "check_positive", "one_shot_speech"]


DateLike = date | datetime | str | None


@dataclass(frozen=True)
class Conversation:
    """The shape of one call (assumptions as parameters).

    Parameters
    ----------
    minutes : float
        Call length.
    turns : int
        User → assistant exchanges (one response each).
    user_share, assistant_share : float
        Fractions of each turn the user and the assistant speak; the rest is silence on the user's microphone.
    instructions_tokens : int
        Instructions and tool definitions, billed as text input on every response.
    words_per_minute, tokens_per_word, characters_per_word : float
        Speech rate and text size, for transcripts, chat tokens and tts-1 characters, when no measured
        counts are given (an English rule of thumb; Japanese differs a lot).
    user_tokens_per_turn, assistant_tokens_per_turn, assistant_characters_per_turn : float, optional
        Measured o200k_base text tokens of what each side says per turn and the characters of the reply
        (:meth:`voicelab.pricing.estimate.SpokenScript.conversation` sets them); they replace the rule of
        thumb.

    Examples
    --------
    >>> c = Conversation(minutes=5, turns=10)
    >>> c.turn_seconds, c.assistant_seconds, c.user_speech_seconds
    (30.0, 15.0, 12.0)
    """

    minutes: float = 5.0
    turns: int = 10
    user_share: float = 0.4
    assistant_share: float = 0.5
    instructions_tokens: int = 1_000
    words_per_minute: float = 150.0
    tokens_per_word: float = 1.3
    characters_per_word: float = 6.0
    user_tokens_per_turn: float | None = None
    assistant_tokens_per_turn: float | None = None
    assistant_characters_per_turn: float | None = None

    def __post_init__(self) -> None:
        check_positive("minutes", self.minutes)
        if isinstance(self.turns, bool) or not isinstance(self.turns, int) or self.turns < 1:
            raise ParameterError("turns", expected="an integer ≥ 1", got=repr(self.turns))
        for name in ("user_share", "assistant_share"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ParameterError(name, expected="a fraction between 0 and 1", got=repr(value))
        if self.user_share + self.assistant_share > 1 + 1e-9:
            raise ParameterError(
                "user_share",
                expected=f"≤ 1 − assistant_share ({1 - self.assistant_share:g})",
                got=repr(self.user_share),
                fix="the two shares split each turn's time",
            )
        if (
            isinstance(self.instructions_tokens, bool)
            or not isinstance(self.instructions_tokens, int)
            or self.instructions_tokens < 0
        ):
            raise ParameterError(
                "instructions_tokens", expected="a non-negative integer", got=repr(self.instructions_tokens)
            )
        for name in ("words_per_minute", "tokens_per_word", "characters_per_word"):
            check_positive(name, getattr(self, name))
        for name in ("user_tokens_per_turn", "assistant_tokens_per_turn", "assistant_characters_per_turn"):
            if getattr(self, name) is not None:
                check_positive(name, getattr(self, name))

    @property
    def turn_seconds(self) -> float:
        """Length of one turn."""
        return self.minutes * 60 / self.turns

    @property
    def assistant_seconds(self) -> float:
        """Assistant speech per turn."""
        return self.turn_seconds * self.assistant_share

    @property
    def user_speech_seconds(self) -> float:
        """User speech per turn."""
        return self.turn_seconds * self.user_share

    @property
    def user_buffer_seconds(self) -> float:
        """Microphone audio per turn (speech + silence): everything while the assistant is not speaking."""
        return self.turn_seconds - self.assistant_seconds

    def text_tokens(self, seconds: float) -> int:
        """Text tokens of ``seconds`` of speech."""
        return round(seconds / 60 * self.words_per_minute * self.tokens_per_word)

    def characters(self, seconds: float) -> int:
        """Characters of ``seconds`` of speech."""
        return round(seconds / 60 * self.words_per_minute * self.characters_per_word)

    @property
    def user_text_tokens(self) -> int:
        """Text tokens of what the user says in a turn (measured, else the rule of thumb).

        Examples
        --------
        >>> Conversation().user_text_tokens, Conversation(user_tokens_per_turn=7.4).user_text_tokens
        (39, 7)
        """
        if self.user_tokens_per_turn is not None:
            return round(self.user_tokens_per_turn)
        return self.text_tokens(self.user_speech_seconds)

    @property
    def assistant_text_tokens(self) -> int:
        """Text tokens of the assistant's reply in a turn (measured, else the rule of thumb)."""
        if self.assistant_tokens_per_turn is not None:
            return round(self.assistant_tokens_per_turn)
        return self.text_tokens(self.assistant_seconds)

    @property
    def assistant_characters(self) -> int:
        """Characters of the assistant's reply in a turn (measured, else the rule of thumb)."""
        if self.assistant_characters_per_turn is not None:
            return round(self.assistant_characters_per_turn)
        return self.characters(self.assistant_seconds)


@dataclass(frozen=True)
class OneShotSpeech:
    """``seconds`` of continuous speech with its text size by the rule of thumb (one request, one turn).

    Attributes
    ----------
    seconds : float
        Length of the speech.
    text_tokens : int
        Text tokens of its transcript (``words_per_minute × tokens_per_word``).
    characters : int
        Characters of its transcript (``words_per_minute × characters_per_word``).
    """

    seconds: float
    text_tokens: int
    characters: int


def one_shot_speech(
    minutes: float,
    *,
    words_per_minute: float,
    tokens_per_word: float,
    characters_per_word: float,
) -> OneShotSpeech:
    """``minutes`` of speech in one turn, sized by a one-turn :class:`Conversation`'s rule of thumb.

    The inputs are validated as :class:`Conversation` validates them: a bad one raises
    :class:`~voicelab.errors.ParameterError` naming ``minutes``, ``words_per_minute``, ``tokens_per_word``
    or ``characters_per_word``.

    Examples
    --------
    >>> one_shot_speech(1.0, words_per_minute=150, tokens_per_word=1.3, characters_per_word=6)
    OneShotSpeech(seconds=60.0, text_tokens=195, characters=900)
    """
    shape = Conversation(
        minutes=minutes,
        turns=1,
        user_share=1.0,
        assistant_share=0.0,
        words_per_minute=words_per_minute,
        tokens_per_word=tokens_per_word,
        characters_per_word=characters_per_word,
    )
    seconds = minutes * 60
    return OneShotSpeech(seconds, shape.text_tokens(seconds), shape.characters(seconds))


def check_positive(name: str, value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ParameterError(name, expected="a positive number", got=repr(value))
