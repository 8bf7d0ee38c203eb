"""A conversation as it is said: its lines, their o200k_base text tokens and their spoken durations.

The estimators' :class:`~voicelab.pricing.estimate.Conversation` describes an average turn. A
:class:`SpokenScript` measures one from real lines: every line's text tokens are counted with OpenAI's own
tokenizer (:func:`voicelab.protocol.billing.text_tokens`, o200k_base) and its duration is the length of the
audio the offline engines make of it (:func:`speak`: Piper for English, OpenJTalk for Japanese), so the same
conversation in two languages can be priced side by side.

Examples
--------
>>> script = SpokenScript("en", "Be brief.", (
...     ScriptLine("user", "What time is it?", 1.2), ScriptLine("assistant", "It is three fifteen.", 1.5)))
>>> [line.tokens for line in script.lines], script.instructions_tokens
([5, 5], 3)
>>> c = script.conversation(gap_seconds=0.8)
>>> c.turns, round(c.turn_seconds, 2), c.user_text_tokens, c.assistant_text_tokens, c.assistant_characters
(1, 3.5, 5, 5, 20)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from voicelab.errors import ParameterError
from voicelab.pricing.estimate.compare import compare_approaches
from voicelab.pricing.estimate.inputs import Conversation, DateLike, check_positive
from voicelab.pricing.estimate.results import ApproachCost, ConversationEstimate
from voicelab.protocol.billing import text_tokens

__all__ = ["RESERVATION_CALL", "ScriptLine", "SpokenScript", "compare_languages", "speak"]

#: One call, the same meaning in English and Japanese: (instructions, ((user, assistant), …)) per language.
#: The Japanese instructions are the source documents' (「あなたは親切な音声アシスタントです。…」).
RESERVATION_CALL: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "en": (
        "You are a kind voice assistant. Please talk in English.",
        (
            ("Hello. I'd like to make a reservation.",
             "Hello. A reservation, of course. What day and time would you like?"),
            ("Tomorrow at seven in the evening, for two people, please.",
             "Tomorrow at seven in the evening, for two. May I have your name, please?"),
            ("It's Tanaka.",
             "Thank you, Ms. Tanaka. We can give you a table by the window. Would you like that?"),
            ("Yes, please. Is there a parking lot?",
             "Yes, there is parking for ten cars behind the restaurant."),
            ("Great. Thank you very much.",
             "You're welcome. We look forward to seeing you tomorrow."),
        ),
    ),
    "ja": (
        "あなたは親切な音声アシスタントです。日本語で会話してください。",
        (
            ("こんにちは。予約をお願いしたいのですが。",
             "こんにちは。ご予約ですね。何日の何時がよろしいですか。"),
            ("明日の午後七時に、二人でお願いします。",
             "明日の午後七時、二名様ですね。お名前を教えていただけますか。"),
            ("田中です。",
             "田中様ですね。ありがとうございます。窓際の席をご用意できますが、いかがですか。"),
            ("はい、それでお願いします。駐車場はありますか。",
             "はい、お店の裏に十台分の駐車場がございます。"),
            ("わかりました。ありがとうございます。",
             "どういたしまして。明日のお越しをお待ちしております。"),
        ),
    ),
}


@dataclass(frozen=True)
class ScriptLine:
    """One line of a conversation: who says it, what, and how long it takes to say (seconds)."""

    role: Literal["user", "assistant"]
    text: str
    seconds: float

    def __post_init__(self) -> None:
        if self.role not in ("user", "assistant"):
            raise ParameterError("role", expected="'user' or 'assistant'", got=repr(self.role))
        check_positive("seconds", self.seconds)

    @property
    def tokens(self) -> int:
        """o200k_base text tokens of the line."""
        return text_tokens(self.text)

    @property
    def characters(self) -> int:
        """Characters of the line (what tts-1 bills)."""
        return len(self.text)


@dataclass(frozen=True)
class SpokenScript:
    """A conversation in one language: instructions and alternating user / assistant lines.

    Parameters
    ----------
    language : str
        ISO 639-1 code (``"en"``, ``"ja"``).
    instructions : str
        The session instructions (billed as text input on every response).
    lines : tuple of ScriptLine
        User and assistant lines in order; each user line opens a turn.
    """

    language: str
    instructions: str
    lines: tuple[ScriptLine, ...]

    def __post_init__(self) -> None:
        roles = [line.role for line in self.lines]
        expected = ["user", "assistant"] * (len(roles) // 2)
        if not roles or roles != expected:
            raise ParameterError(
                "lines", expected="user, assistant, user, assistant, … (one reply per user line)",
                got=", ".join(roles) or "no lines",
            )

    @property
    def instructions_tokens(self) -> int:
        return text_tokens(self.instructions)

    def _of(self, role: str) -> list[ScriptLine]:
        return [line for line in self.lines if line.role == role]

    def totals(self) -> dict[str, Any]:
        """Tokens, characters and seconds per side, and tokens per second of speech.

        Examples
        --------
        >>> SpokenScript("en", "", (ScriptLine("user", "Hello there.", 1.0),
        ...                         ScriptLine("assistant", "Hi!", 0.5))).totals()["assistant_tokens"]
        2
        """
        user, assistant = self._of("user"), self._of("assistant")
        seconds = sum(line.seconds for line in self.lines)
        tokens = sum(line.tokens for line in self.lines)
        return {
            "language": self.language,
            "turns": len(user),
            "instructions_tokens": self.instructions_tokens,
            "user_tokens": sum(line.tokens for line in user),
            "assistant_tokens": sum(line.tokens for line in assistant),
            "assistant_characters": sum(line.characters for line in assistant),
            "user_seconds": round(sum(line.seconds for line in user), 2),
            "assistant_seconds": round(sum(line.seconds for line in assistant), 2),
            "tokens_per_second": round(tokens / seconds, 2),
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per line: role, text, characters, tokens, seconds (a table for a notebook)."""
        return [
            {"role": line.role, "text": line.text, "characters": line.characters, "tokens": line.tokens,
             "seconds": round(line.seconds, 2)}
            for line in self.lines
        ]

    def conversation(self, *, gap_seconds: float = 1.0) -> Conversation:
        """The average turn of this script as a :class:`Conversation` for the estimators.

        Each turn lasts the mean user line + the mean reply + ``gap_seconds`` of silence on the user's
        microphone (the user thinking, the model answering); token and character counts are the means of
        the measured lines.
        """
        check_positive("gap_seconds", gap_seconds)
        user, assistant = self._of("user"), self._of("assistant")
        n = len(user)
        user_s = sum(line.seconds for line in user) / n
        assistant_s = sum(line.seconds for line in assistant) / n
        turn_s = user_s + assistant_s + gap_seconds
        return Conversation(
            minutes=turn_s * n / 60,
            turns=n,
            user_share=user_s / turn_s,
            assistant_share=assistant_s / turn_s,
            instructions_tokens=self.instructions_tokens,
            user_tokens_per_turn=sum(line.tokens for line in user) / n,
            assistant_tokens_per_turn=sum(line.tokens for line in assistant) / n,
            assistant_characters_per_turn=sum(line.characters for line in assistant) / n,
        )


def speak(
    instructions: str,
    exchanges: Sequence[tuple[str, str]],
    *,
    language: str,
    user_voice: str = "alloy",
    assistant_voice: str = "marin",
) -> SpokenScript:
    """Measure a conversation by saying it: each line's duration is the offline engines' audio of it.

    Parameters
    ----------
    instructions : str
    exchanges : sequence of (user line, assistant line)
    language : str
        ``"en"`` (Piper) or ``"ja"`` (OpenJTalk), or any language :func:`voicelab.engines.tts.synthesize`
        speaks.
    user_voice, assistant_voice : str
        OpenAI voice names.

    Examples
    --------
    >>> script = speak("Be brief.", [("Hello.", "Hi!")], language="en")  # doctest: +SKIP
    >>> [line.role for line in script.lines]  # doctest: +SKIP
    ['user', 'assistant']
    """
    from voicelab.engines import tts

    if not exchanges:
        raise ParameterError("exchanges", expected="at least one (user, assistant) pair", got="none")
    lines = []
    for user, assistant in exchanges:
        heard = tts.synthesize(user, voice=user_voice, language=language)
        said = tts.synthesize(assistant, voice=assistant_voice, language=language)
        lines.append(ScriptLine("user", user, round(heard.duration, 3)))
        lines.append(ScriptLine("assistant", assistant, round(said.duration, 3)))
    return SpokenScript(language, instructions, tuple(lines))


def compare_languages(
    scripts: Sequence[SpokenScript],
    *,
    approaches: Mapping[str, Callable[[Conversation, DateLike], ConversationEstimate]] | None = None,
    calls: int = 1,
    gap_seconds: float = 1.0,
    at: DateLike = None,
) -> list[ApproachCost]:
    """The same call in several languages, priced with each approach (labels ``"<language> · <approach>"``).

    Each script becomes its own :class:`Conversation` (:meth:`SpokenScript.conversation`): its measured
    durations and o200k_base token counts, so a language that takes longer to say or more tokens to write
    costs more. ``approaches`` defaults to :func:`~voicelab.pricing.estimate.compare.current_approaches`.

    Examples
    --------
    >>> lines = (ScriptLine("user", "Hi.", 1.0), ScriptLine("assistant", "Hello!", 1.0))
    >>> en = SpokenScript("en", "Be brief.", lines)
    >>> [row.label for row in compare_languages([en], at="2026-11-30")][:1]
    ['en · gpt-realtime-2']
    """
    from voicelab.pricing.estimate.compare import current_approaches

    rows: list[ApproachCost] = []
    for script in scripts:
        costs = compare_approaches(
            script.conversation(gap_seconds=gap_seconds),
            calls=calls,
            approaches=approaches if approaches is not None else current_approaches(),
            at=at,
        )
        rows.extend(replace(cost, label=f"{script.language} · {cost.label}") for cost in costs)
    return rows
