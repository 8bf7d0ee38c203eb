"""Scenario estimators: what a conversation, a call centre or an Audio API job will cost.

Every estimator prices the usage it predicts through the same tables and formula as :func:`cost`, and
states its assumptions as parameters. Results are tidy: dataclasses with ``.to_rows()`` (a list of dicts)
that a plot, a CSV writer or a DataFrame can take as they are.

The model of a speech-to-speech call (:func:`speech_to_speech`):

* a call of ``minutes`` has ``turns`` exchanges; in each the assistant speaks ``assistant_share`` of the
  time and the rest is the user's microphone, of which ``user_share`` of the turn is speech, the rest silence;
* user audio costs 1 token / 100 ms, assistant audio 1 token / 50 ms (the model's rates in the table); the
  assistant also emits its transcript as text tokens (``words_per_minute × tokens_per_word``);
* every response re-bills the whole conversation as input: instructions (text) + every earlier user and
  assistant audio item + the new user audio. Earlier items keep their audio token counts;
* with caching, the part of the input that repeats the previous request's input is cached, in 128-token
  blocks once it reaches 1 024 tokens (OpenAI prompt caching); truncation breaks the prefix, so that turn's
  cache covers only the instructions;
* truncation: ``"auto"`` drops the oldest items just enough to fit ``context_window − max_output_tokens``;
  a float is a ``retention_ratio``: once the post-instruction tokens exceed the limit, drop oldest items
  until only that fraction of the limit is used; ``"disabled"`` never drops (the API would then fail);
* with server VAD only speech plus padding (``prefix_padding_ms`` + ``silence_duration_ms``, 800 ms) is
  committed; without it the whole microphone stream, silence included, is billed.

A chained pipeline (:func:`chained`) transcribes the user's speech, sends text to a chat model (whose
context is re-billed too, but as cheap text tokens) and speaks the reply with a TTS model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from voicelab.errors import ParameterError
from voicelab.pricing._format import format_table, money
from voicelab.pricing.breakdown import CostLine, price_usage
from voicelab.pricing.tables import Category, Quote, quote
from voicelab.pricing.usage import Usage, UsageKind

__all__ = [
    "ApproachCost",
    "ConcurrencyEstimate",
    "Conversation",
    "ConversationEstimate",
    "MinuteEstimate",
    "OneShotCost",
    "ScenarioResult",
    "TurnCost",
    "chained",
    "compare_approaches",
    "concurrency",
    "default_approaches",
    "one_shot_costs",
    "scenario",
    "speech_to_speech",
    "speech_to_speech_minute",
    "to_table",
]

DateLike = date | datetime | str | None


# ---------------------------------------------------------------------------------------------- inputs


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
        Speech rate and text size, for transcripts, chat tokens and tts-1 characters.

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

    def __post_init__(self) -> None:
        _positive("minutes", self.minutes)
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
            _positive(name, getattr(self, name))

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


def _positive(name: str, value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ParameterError(name, expected="a positive number", got=repr(value))


# ---------------------------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class TurnCost:
    """One response of a conversation: tokens billed and what they cost."""

    turn: int
    minute: float
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    context_tokens: int
    truncated: bool
    parts: tuple[tuple[str, Decimal], ...]
    cost: Decimal
    cumulative: Decimal

    def to_dict(self) -> dict[str, Any]:
        """The turn as a flat dict; each part becomes a column."""
        row: dict[str, Any] = {
            "turn": self.turn,
            "minute": self.minute,
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens,
            "context_tokens": self.context_tokens,
            "truncated": self.truncated,
        }
        row.update({name: float(value) for name, value in self.parts})
        row.update({"cost": float(self.cost), "cumulative": float(self.cumulative)})
        return row


@dataclass(frozen=True)
class ConversationEstimate:
    """The cost of one call, turn by turn.

    ``total`` (float USD) and ``total_decimal``; ``per_minute``; ``part_totals()``; ``to_rows()`` (one dict
    per turn); prints as a summary, ``table()`` lists the turns.
    """

    label: str
    approach: str
    models: tuple[str, ...]
    conversation: Conversation
    turns: tuple[TurnCost, ...]
    assumptions: tuple[tuple[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def total_decimal(self) -> Decimal:
        """Exact total of the call."""
        return self.turns[-1].cumulative if self.turns else Decimal(0)

    @property
    def total(self) -> float:
        """Total of the call, USD."""
        return float(self.total_decimal)

    @property
    def per_minute(self) -> float:
        """Average cost per minute of call."""
        return float(self.total_decimal / Decimal(str(self.conversation.minutes)))

    @property
    def peak_per_minute(self) -> float:
        """Cost per minute of the most expensive turn (the last ones, as the context grows)."""
        turn_minutes = Decimal(str(self.conversation.minutes)) / self.conversation.turns
        return float(max(turn.cost for turn in self.turns) / turn_minutes)

    def part_totals(self) -> dict[str, float]:
        """Total per part (e.g. input, cached input, output) over the call."""
        totals: dict[str, Decimal] = {}
        for turn in self.turns:
            for name, value in turn.parts:
                totals[name] = totals.get(name, Decimal(0)) + value
        return {name: float(value) for name, value in totals.items()}

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per turn, labelled, for plots."""
        return [{"label": self.label, **turn.to_dict()} for turn in self.turns]

    def summary(self) -> dict[str, Any]:
        """Headline figures as a dict."""
        return {
            "label": self.label,
            "approach": self.approach,
            "models": " + ".join(self.models),
            "minutes": self.conversation.minutes,
            "turns": self.conversation.turns,
            "total": self.total,
            "per_minute": self.per_minute,
            "peak_per_minute": self.peak_per_minute,
        }

    def table(self, *, places: int = 5) -> str:
        """Per-turn table."""
        names = [name for name, _ in self.turns[0].parts] if self.turns else []
        columns: list[tuple[Any, ...]] = [
            ("turn", "turn", str),
            ("minute", "min", lambda v: f"{v:.1f}"),
            ("input_tokens", "input tok", lambda v: f"{v:,}"),
            ("cached_tokens", "cached tok", lambda v: f"{v:,}"),
            ("output_tokens", "output tok", lambda v: f"{v:,}"),
        ]
        columns += [(name, name, lambda v: money(v, places), ">") for name in names]
        columns += [
            ("cost", "turn cost", lambda v: money(v, places), ">"),
            ("cumulative", "cumulative", lambda v: money(v, places), ">"),
        ]
        rows = [
            {**turn.to_dict(), "turn": f"{turn.turn}{'*' if turn.truncated else ''}"} for turn in self.turns
        ]
        for row, turn in zip(rows, self.turns, strict=True):
            row.update({name: value for name, value in turn.parts})
            row["cost"], row["cumulative"] = turn.cost, turn.cumulative
        legend = (
            "\n(* = truncation dropped old items this turn)" if any(t.truncated for t in self.turns) else ""
        )
        return format_table(rows, columns) + legend

    def __repr__(self) -> str:
        head = (
            f"{self.label}: {self.conversation.minutes:g} min, {self.conversation.turns} turns → "
            f"{money(self.total_decimal, 4)} per call, "
            f"{money(Decimal(str(self.per_minute)), 4)}/min average, "
            f"{money(Decimal(str(self.peak_per_minute)), 4)}/min in the dearest turn"
        )
        parts = ", ".join(
            f"{name} {money(Decimal(str(value)), 4)}" for name, value in self.part_totals().items()
        )
        return f"{head}\n  {parts}"


@dataclass(frozen=True)
class MinuteEstimate:
    """One response with ``user_seconds`` of user audio in and ``assistant_seconds`` out (no context)."""

    model: str
    user_seconds: float
    assistant_seconds: float
    input_tokens: int
    output_tokens: int
    input_cost: Decimal
    output_cost: Decimal

    @property
    def total_decimal(self) -> Decimal:
        """Exact total."""
        return self.input_cost + self.output_cost

    @property
    def total(self) -> float:
        """Total, USD."""
        return float(self.total_decimal)

    def to_dict(self) -> dict[str, Any]:
        """Flat dict."""
        return {
            "model": self.model,
            "user_seconds": self.user_seconds,
            "assistant_seconds": self.assistant_seconds,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "input_cost": float(self.input_cost),
            "output_cost": float(self.output_cost),
            "total": self.total,
        }

    def __repr__(self) -> str:
        return (
            f"{self.model}: {self.input_tokens:,} audio tokens in ({self.user_seconds:g} s) "
            f"{money(self.input_cost)} + {self.output_tokens:,} out ({self.assistant_seconds:g} s) "
            f"{money(self.output_cost)} = {money(self.total_decimal)}"
        )


@dataclass(frozen=True)
class OneShotCost:
    """An Audio API request priced for ``minutes`` of audio."""

    task: str
    model: str
    minutes: float
    billed_as: str
    cost: Decimal

    @property
    def per_minute(self) -> float:
        """Cost per minute of audio."""
        return float(self.cost / Decimal(str(self.minutes)))

    def to_dict(self) -> dict[str, Any]:
        """Flat dict."""
        return {
            "task": self.task,
            "model": self.model,
            "minutes": self.minutes,
            "billed_as": self.billed_as,
            "cost": float(self.cost),
            "per_minute": self.per_minute,
        }


@dataclass(frozen=True)
class ApproachCost:
    """One approach's cost for a fleet of identical calls."""

    label: str
    approach: str
    models: str
    minutes: float
    calls: int
    per_call: Decimal
    estimate: ConversationEstimate = field(repr=False, compare=False)

    @property
    def total(self) -> float:
        """All calls, USD."""
        return float(self.per_call * self.calls)

    @property
    def per_minute(self) -> float:
        """Average cost per call minute."""
        return float(self.per_call / Decimal(str(self.minutes)))

    def to_dict(self) -> dict[str, Any]:
        """Flat dict."""
        return {
            "label": self.label,
            "approach": self.approach,
            "models": self.models,
            "minutes": self.minutes,
            "calls": self.calls,
            "per_call": float(self.per_call),
            "per_minute": self.per_minute,
            "total": self.total,
        }


@dataclass(frozen=True)
class ConcurrencyEstimate:
    """``calls`` conversations running at once, back to back, for an hour."""

    label: str
    concurrent_calls: int
    call_minutes: float
    per_call: Decimal
    average_per_minute: Decimal
    peak_per_minute: Decimal

    @property
    def calls_per_hour(self) -> float:
        """Calls completed per hour across all lines."""
        return self.concurrent_calls * 60 / self.call_minutes

    @property
    def per_hour(self) -> float:
        """Cost of one hour at this concurrency, USD."""
        return float(self.average_per_minute * 60)

    def to_dict(self) -> dict[str, Any]:
        """Flat dict."""
        return {
            "label": self.label,
            "concurrent_calls": self.concurrent_calls,
            "call_minutes": self.call_minutes,
            "calls_per_hour": self.calls_per_hour,
            "per_call": float(self.per_call),
            "average_per_minute": float(self.average_per_minute),
            "per_hour": self.per_hour,
            "peak_per_minute": float(self.peak_per_minute),
        }

    def __repr__(self) -> str:
        return (
            f"{self.label}: {self.concurrent_calls} calls at once → "
            f"{money(Decimal(str(self.per_hour)), 2)}/hour "
            f"({self.calls_per_hour:g} calls of {self.call_minutes:g} min), "
            f"{money(self.average_per_minute, 4)}/min average, {money(self.peak_per_minute, 4)}/min peak"
        )


def _money(places: int) -> Callable[[Any], str]:
    return lambda value: money(Decimal(str(value)), places)


def to_table(rows: Sequence[Any]) -> str:
    """A text table of estimator results of one type (for notebooks and the CLI).

    Accepts a list of :class:`ApproachCost`, :class:`OneShotCost`, :class:`ConcurrencyEstimate` or
    :class:`ConversationEstimate`.

    Examples
    --------
    >>> print(to_table([concurrency(speech_to_speech(), n) for n in (1, 10)]))
    call          at once  calls/hour  per hour  per minute (avg)  per minute (peak)
    gpt-realtime        1          12     $4.32           $0.0721            $0.0774
    gpt-realtime       10         120    $43.25           $0.7208            $0.7740
    """
    items = list(rows)
    if not items or len({type(item) for item in items}) != 1:
        raise ParameterError(
            "rows", expected="a non-empty list of one kind of estimate", got=repr(items)[:60]
        )
    first = items[0]
    if isinstance(first, ApproachCost):
        columns: list[tuple[Any, ...]] = [
            ("label", "approach", str),
            ("models", "models", str),
            ("per_call", "per call", _money(4)),
            ("per_minute", "per minute", _money(4)),
            ("total", f"{first.calls:,} calls", _money(2)),
        ]
        data = [item.to_dict() for item in items]
    elif isinstance(first, OneShotCost):
        columns = [
            ("task", "task", str),
            ("model", "model", str),
            ("billed_as", "billed as", str),
            ("cost", f"{first.minutes:g} min", _money(5)),
            ("per_minute", "per minute", _money(5)),
        ]
        data = [item.to_dict() for item in items]
    elif isinstance(first, ConcurrencyEstimate):
        columns = [
            ("label", "call", str),
            ("concurrent_calls", "at once", str, ">"),
            ("calls_per_hour", "calls/hour", lambda v: f"{v:,.0f}"),
            ("per_hour", "per hour", _money(2)),
            ("average_per_minute", "per minute (avg)", _money(4)),
            ("peak_per_minute", "per minute (peak)", _money(4)),
        ]
        data = [item.to_dict() for item in items]
    elif isinstance(first, ConversationEstimate):
        columns = [
            ("label", "call", str),
            ("total", "per call", _money(4)),
            ("per_minute", "per minute", _money(4)),
            ("peak_per_minute", "dearest turn /min", _money(4)),
            ("last_input", "last input tok", lambda v: f"{v:,}"),
        ]
        data = [{**item.summary(), "last_input": item.turns[-1].input_tokens} for item in items]
    else:
        raise ParameterError("rows", expected="estimator results", got=type(first).__name__)
    return format_table(
        data, [(c[0], c[1], c[2], c[3] if len(c) > 3 else ("<" if c[2] is str else ">")) for c in columns]
    )


# ---------------------------------------------------------------------------------------------- helpers


def _group(lines: Iterable[CostLine], names: Mapping[str, str]) -> dict[str, Decimal]:
    parts = {name: Decimal(0) for name in dict.fromkeys(names.values())}
    adjustment = Decimal(0)
    for line in lines:
        if line.modality == "adjustment":
            adjustment += line.amount
        else:
            parts[names[line.direction]] += line.amount
    if adjustment:
        parts["adjustment"] = adjustment
    return parts


def _cached(prefix_tokens: int, *, enabled: bool, minimum: int, block: int) -> int:
    if not enabled or prefix_tokens < minimum:
        return 0
    return prefix_tokens // block * block


def _transcription_usage(q: Quote, seconds: float, transcript_tokens: int) -> Usage:
    """Usage of transcribing ``seconds`` of speech: per-minute audio (rate or estimate) + transcript."""
    if q.model.category is not Category.TRANSCRIPTION:
        raise ParameterError(
            "stt_model", expected="a transcription model (whisper-1, gpt-4o-*-transcribe)", got=q.model.name
        )
    text_out = transcript_tokens if q.row.rate("text_output") is not None else 0
    return Usage(
        UsageKind.TRANSCRIPTION_TOKENS, seconds=Decimal(str(round(seconds, 3))), text_output=text_out
    )


def _speech_usage(q: Quote, seconds: float, text_tokens: int, characters: int) -> Usage:
    if q.model.category is not Category.SPEECH:
        raise ParameterError(
            "tts_model", expected="a speech model (tts-1, tts-1-hd, gpt-4o-mini-tts)", got=q.model.name
        )
    if q.row.rate("per_million_characters") is not None:
        return Usage(UsageKind.CHARACTERS, characters=characters)
    return Usage(UsageKind.SPEECH_TOKENS, text_input=text_tokens, seconds=Decimal(str(round(seconds, 3))))


def _audio_rates(q: Quote) -> tuple[Decimal, Decimal]:
    info = q.model
    if info.input_audio_tokens_per_second is None or info.output_audio_tokens_per_second is None:
        raise ParameterError(
            "model", expected="a speech-to-speech model with audio token rates (gpt-realtime…)", got=info.name
        )
    return info.input_audio_tokens_per_second, info.output_audio_tokens_per_second


# ---------------------------------------------------------------------------------------------- estimators


def speech_to_speech_minute(
    model: str = "gpt-realtime",
    *,
    user_seconds: float = 60.0,
    assistant_seconds: float = 60.0,
    output_tokens_per_second: float | None = None,
    at: DateLike = None,
) -> MinuteEstimate:
    """One response: ``user_seconds`` of audio in, ``assistant_seconds`` out, nothing re-billed.

    This is the back-of-envelope figure articles quote. ``output_tokens_per_second`` overrides the documented
    assistant rate (20/s), e.g. to reproduce an estimate that assumed 10/s.

    Examples
    --------
    >>> speech_to_speech_minute("gpt-realtime").total   # 600 tokens × $32/M + 1 200 × $64/M
    0.096
    >>> speech_to_speech_minute("gpt-realtime", output_tokens_per_second=10).total  # seed 002's figure
    0.0576
    """
    q = quote(model, at)
    rate_in, rate_out = _audio_rates(q)
    if output_tokens_per_second is not None:
        _positive("output_tokens_per_second", output_tokens_per_second)
        rate_out = Decimal(str(output_tokens_per_second))
    for name, value in (("user_seconds", user_seconds), ("assistant_seconds", assistant_seconds)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ParameterError(name, expected="a non-negative number of seconds", got=repr(value))
    tokens_in = round(Decimal(str(user_seconds)) * rate_in)
    tokens_out = round(Decimal(str(assistant_seconds)) * rate_out)
    lines, _ = price_usage(Usage(UsageKind.REALTIME, audio_input=tokens_in, audio_output=tokens_out), q)
    parts = _group(lines, {"input": "input", "cached": "input", "output": "output"})
    adjust = parts.get("adjustment", Decimal(0))
    base = parts["input"] + parts["output"]
    factor = (base + adjust) / base if base else Decimal(1)
    return MinuteEstimate(
        model=q.model.name,
        user_seconds=user_seconds,
        assistant_seconds=assistant_seconds,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        input_cost=parts["input"] * factor,
        output_cost=parts["output"] * factor,
    )


def speech_to_speech(
    conversation: Conversation | None = None,
    model: str = "gpt-realtime",
    *,
    caching: bool = True,
    vad: bool = True,
    vad_padding_ms: int = 800,
    truncation: str | float = "auto",
    post_instructions_token_limit: int | None = None,
    context_window: int = 32_000,
    max_output_tokens: int = 4_096,
    cache_min_tokens: int = 1_024,
    cache_block_tokens: int = 128,
    transcription_model: str | None = None,
    at: DateLike = None,
    label: str | None = None,
) -> ConversationEstimate:
    """A Realtime speech-to-speech call, response by response, with the whole context re-billed each turn.

    Parameters
    ----------
    conversation : Conversation
        The call's shape (default ``Conversation()``: 5 min, 10 turns).
    model : str
        A realtime model (gpt-realtime, gpt-realtime-mini, gpt-4o-realtime-preview…).
    caching : bool
        Whether the repeated prefix is billed at the cached rate (a stable prefix; no per-turn changes).
    vad : bool
        Server VAD trims silence: only speech + ``vad_padding_ms`` per turn is committed and billed.
    truncation : "auto", "disabled" or float
        A float is the session's ``truncation.retention_ratio``.
    post_instructions_token_limit : int, optional
        ``truncation.token_limits.post_instructions``; default ``context_window − max_output_tokens −
        instructions``.
    transcription_model : str, optional
        Input audio transcription (billed separately), e.g. ``"gpt-4o-mini-transcribe"``.

    Returns
    -------
    ConversationEstimate
        Parts per turn: ``input``, ``cached input``, ``output`` (and ``transcription``).

    Examples
    --------
    >>> call = speech_to_speech(Conversation(minutes=5, turns=10))
    >>> round(call.total, 4), round(call.per_minute, 4)
    (0.3604, 0.0721)
    >>> round(speech_to_speech(Conversation(minutes=5, turns=10), caching=False).total, 4)
    0.8971
    """
    conversation = conversation or Conversation()
    q = quote(model, at)
    if q.model.category is not Category.REALTIME:
        raise ParameterError(
            "model",
            expected="a realtime model (gpt-realtime, gpt-realtime-mini, …)",
            got=q.model.name,
            fix="use chained() for transcribe + chat + TTS",
        )
    rate_in, rate_out = _audio_rates(q)
    stt = quote(transcription_model, at) if transcription_model else None
    instructions = conversation.instructions_tokens
    if post_instructions_token_limit is not None:
        limit = post_instructions_token_limit
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ParameterError(
                "post_instructions_token_limit", expected="a positive integer", got=repr(limit)
            )
    else:
        limit = context_window - max_output_tokens - instructions
    if isinstance(truncation, str):
        if truncation not in {"auto", "disabled"}:
            raise ParameterError(
                "truncation",
                expected="'auto', 'disabled' or a retention ratio in (0, 1]",
                got=repr(truncation),
            )
        keep_to = None if truncation == "disabled" else limit
    else:
        if isinstance(truncation, bool) or not isinstance(truncation, int | float) or not 0 < truncation <= 1:
            raise ParameterError("truncation", expected="a retention_ratio in (0, 1]", got=repr(truncation))
        keep_to = int(limit * truncation)
    user_seconds = conversation.user_buffer_seconds
    if vad:
        user_seconds = min(conversation.user_speech_seconds + vad_padding_ms / 1000, user_seconds)
    user_tokens = round(Decimal(str(user_seconds)) * rate_in)
    assistant_tokens = round(Decimal(str(conversation.assistant_seconds)) * rate_out)
    transcript_tokens = conversation.text_tokens(conversation.assistant_seconds)
    user_text_tokens = conversation.text_tokens(conversation.user_speech_seconds)

    items: list[tuple[int, int]] = []  # (item id, audio tokens) kept in the conversation
    previous_input: list[int] = []
    cumulative = Decimal(0)
    turns: list[TurnCost] = []
    notes: list[str] = []
    next_id = 0
    for k in range(1, conversation.turns + 1):
        items.append((next_id, user_tokens))
        next_id += 1
        truncated = False
        if keep_to is not None and sum(t for _, t in items) > limit:
            while len(items) > 1 and sum(t for _, t in items) > keep_to:
                items.pop(0)
            truncated = True
        elif keep_to is None and instructions + sum(t for _, t in items) > context_window - max_output_tokens:
            notes.append(
                f"turn {k}: context exceeds {context_window - max_output_tokens} tokens; with "
                "truncation disabled the API would fail"
            )
        ids = [item_id for item_id, _ in items]
        prefix = instructions  # the previous request's input that this one repeats, item by item
        for position, (item_id, tokens) in enumerate(items):
            if position >= len(previous_input) or previous_input[position] != item_id:
                break
            prefix += tokens
        if k == 1:
            prefix = 0  # first request of the call: nothing cached yet
        audio_in = sum(t for _, t in items)
        cached = min(
            _cached(prefix, enabled=caching, minimum=cache_min_tokens, block=cache_block_tokens),
            instructions + audio_in,
        )
        cached_text = min(cached, instructions)
        usage = Usage(
            UsageKind.REALTIME,
            text_input=instructions,
            text_cached=cached_text,
            audio_input=audio_in,
            audio_cached=cached - cached_text,
            text_output=transcript_tokens,
            audio_output=assistant_tokens,
        )
        lines, total = price_usage(usage, q)
        parts = _group(lines, {"input": "input", "cached": "cached input", "output": "output"})
        if stt is not None:
            _, stt_total = price_usage(_transcription_usage(stt, user_seconds, user_text_tokens), stt)
            parts["transcription"] = stt_total
            total += stt_total
        cumulative += total
        previous_input = ids
        items.append((next_id, assistant_tokens))
        next_id += 1
        turns.append(
            TurnCost(
                turn=k,
                minute=round(k * conversation.turn_seconds / 60, 6),
                input_tokens=usage.input_tokens,
                cached_tokens=usage.cached_tokens,
                output_tokens=usage.output_tokens,
                context_tokens=sum(t for _, t in items),
                truncated=truncated,
                parts=tuple(parts.items()),
                cost=total,
                cumulative=cumulative,
            )
        )
    models = (q.model.name,) + ((stt.model.name,) if stt else ())
    assumptions = (
        ("caching", caching),
        ("vad", vad),
        ("truncation", truncation),
        ("limit", limit),
        ("user_audio_tokens_per_turn", user_tokens),
        ("assistant_audio_tokens_per_turn", assistant_tokens),
    )
    default_label = f"{q.model.name}{'' if caching else ', no caching'}"
    if not isinstance(truncation, str) and truncation < 1:
        default_label += f", retention {truncation:g}"
    if any(turn.truncated for turn in turns):
        default_label += f", truncated at {limit:,}"
    return ConversationEstimate(
        label=label or default_label,
        approach="speech-to-speech",
        models=models,
        conversation=conversation,
        turns=tuple(turns),
        assumptions=assumptions,
        notes=tuple(notes),
    )


def chained(
    conversation: Conversation | None = None,
    *,
    stt_model: str = "gpt-4o-mini-transcribe",
    chat_model: str = "gpt-4.1-mini",
    tts_model: str = "gpt-4o-mini-tts",
    chat_prices: Mapping[str, float | str] | None = None,
    caching: bool = True,
    vad: bool = True,
    vad_padding_ms: int = 800,
    cache_min_tokens: int = 1_024,
    cache_block_tokens: int = 128,
    at: DateLike = None,
    label: str | None = None,
) -> ConversationEstimate:
    """A chained voice agent: transcribe the user, answer with a text chat model, speak it with TTS.

    Per turn: speech-to-text on the committed user audio (``per_minute`` or OpenAI's per-minute estimate,
    plus transcript tokens); a chat request whose context (instructions + every earlier transcript and reply,
    as text tokens) is re-billed, with caching; text-to-speech of the reply (characters for tts-1, else text
    tokens in + per-minute estimate of audio out).

    Parameters
    ----------
    chat_prices : mapping, optional
        Override the chat model's rates, e.g. ``{"text_input": 0.4, "text_cached_input": 0.1,
        "text_output": 1.6}`` (USD per 1M tokens), for a model not in the tables.

    Examples
    --------
    >>> round(chained(Conversation(minutes=5, turns=10)).total, 4)
    0.0491
    """
    conversation = conversation or Conversation()
    stt, llm, tts = quote(stt_model, at), quote(chat_model, at), quote(tts_model, at)
    if chat_prices:
        llm = Quote(
            llm.requested, llm.model, llm.row.with_rates(**dict(chat_prices)), llm.adjustments, llm.at
        )
    if llm.row.rate("text_input") is None or llm.row.rate("text_output") is None:
        raise ParameterError(
            "chat_model", expected="a model with text input/output prices", got=llm.model.name
        )
    user_seconds = conversation.user_buffer_seconds
    if vad:
        user_seconds = min(conversation.user_speech_seconds + vad_padding_ms / 1000, user_seconds)
    user_text = conversation.text_tokens(conversation.user_speech_seconds)
    reply_text = conversation.text_tokens(conversation.assistant_seconds)
    reply_chars = conversation.characters(conversation.assistant_seconds)
    instructions = conversation.instructions_tokens
    history = 0
    previous_input = 0
    cumulative = Decimal(0)
    turns: list[TurnCost] = []
    for k in range(1, conversation.turns + 1):
        _, stt_cost = price_usage(_transcription_usage(stt, user_seconds, user_text), stt)
        prompt = instructions + history + user_text
        cached = min(
            _cached(previous_input, enabled=caching, minimum=cache_min_tokens, block=cache_block_tokens),
            prompt,
        )
        chat_lines, chat_cost = price_usage(
            Usage(UsageKind.CHAT, text_input=prompt, text_cached=cached, text_output=reply_text), llm
        )
        _, tts_cost = price_usage(
            _speech_usage(tts, conversation.assistant_seconds, reply_text, reply_chars), tts
        )
        chat_parts = _group(
            chat_lines, {"input": "chat input", "cached": "chat cached input", "output": "chat output"}
        )
        parts = {
            "speech-to-text": stt_cost,
            **{k_: v for k_, v in chat_parts.items() if k_ != "adjustment"},
            "text-to-speech": tts_cost,
        }
        if "adjustment" in chat_parts:
            parts["chat input"] += chat_parts["adjustment"]  # keep the columns stable; adjustments are rare
        total = stt_cost + chat_cost + tts_cost
        cumulative += total
        previous_input = prompt
        history += user_text + reply_text
        turns.append(
            TurnCost(
                turn=k,
                minute=round(k * conversation.turn_seconds / 60, 6),
                input_tokens=prompt,
                cached_tokens=cached,
                output_tokens=reply_text,
                context_tokens=history,
                truncated=False,
                parts=tuple(parts.items()),
                cost=total,
                cumulative=cumulative,
            )
        )
    models = (stt.model.name, llm.model.name, tts.model.name)
    assumptions = (
        ("caching", caching),
        ("vad", vad),
        ("user_text_tokens_per_turn", user_text),
        ("reply_text_tokens_per_turn", reply_text),
        ("chat_prices", dict(chat_prices or {})),
    )
    return ConversationEstimate(
        label=label or f"chained {' + '.join(models)}",
        approach="chained",
        models=models,
        conversation=conversation,
        turns=tuple(turns),
        assumptions=assumptions,
    )


def one_shot_costs(
    minutes: float = 1.0,
    *,
    words_per_minute: float = 150.0,
    tokens_per_word: float = 1.3,
    characters_per_word: float = 6.0,
    at: DateLike = None,
    transcription_models: Sequence[str] = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"),
    speech_models: Sequence[str] = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts"),
    audio_chat_models: Sequence[str] = ("gpt-audio", "gpt-audio-mini"),
) -> list[OneShotCost]:
    """Audio API requests priced for ``minutes`` of audio: transcription, speech, chat with audio.

    Transcription of ``minutes`` of speech; speech synthesis of the text spoken in ``minutes``; a chat
    completion that hears ``minutes`` of audio and answers with ``minutes`` of audio (1 token / 100 ms in,
    1 / 50 ms out — assumed equal to the Realtime rates).

    Examples
    --------
    >>> [(r.model, round(r.per_minute, 5)) for r in one_shot_costs()[:2]]
    [('whisper-1', 0.006), ('gpt-4o-transcribe', 0.00795)]
    """
    _positive("minutes", minutes)
    shape = Conversation(
        minutes=minutes,
        turns=1,
        user_share=0.5,
        assistant_share=0.5,
        words_per_minute=words_per_minute,
        tokens_per_word=tokens_per_word,
        characters_per_word=characters_per_word,
    )
    seconds = minutes * 60
    text = shape.text_tokens(seconds)
    rows = []
    for name in transcription_models:
        q = quote(name, at)
        usage = _transcription_usage(q, seconds, text)
        _, total = price_usage(usage, q)
        billed = (
            "per minute" if q.row.rate("per_minute") is not None else "est. per minute + transcript tokens"
        )
        rows.append(OneShotCost("transcription", q.model.name, minutes, billed, total))
    for name in speech_models:
        q = quote(name, at)
        usage = _speech_usage(q, seconds, text, shape.characters(seconds))
        _, total = price_usage(usage, q)
        billed = "characters" if usage.kind is UsageKind.CHARACTERS else "text tokens + est. per minute"
        rows.append(OneShotCost("speech", q.model.name, minutes, billed, total))
    for name in audio_chat_models:
        q = quote(name, at)
        usage = Usage(
            UsageKind.CHAT,
            audio_input=round(seconds * 10),
            text_output=text,
            audio_output=round(seconds * 20),
        )
        _, total = price_usage(usage, q)
        rows.append(
            OneShotCost(
                "chat audio in → audio out",
                q.model.name,
                minutes,
                "audio tokens (10/s in, 20/s out) + transcript",
                total,
            )
        )
    return rows


def default_approaches() -> dict[str, Callable[[Conversation, DateLike], ConversationEstimate]]:
    """The approaches :func:`compare_approaches` prices by default (label → estimator)."""
    return {
        "gpt-realtime": lambda c, at: speech_to_speech(c, "gpt-realtime", at=at),
        "gpt-realtime, no caching": lambda c, at: speech_to_speech(c, "gpt-realtime", caching=False, at=at),
        "gpt-realtime-mini": lambda c, at: speech_to_speech(c, "gpt-realtime-mini", at=at),
        "chained mini-transcribe + gpt-4.1-mini + mini-tts": lambda c, at: chained(c, at=at),
        "chained whisper-1 + gpt-4o-mini + tts-1": lambda c, at: chained(
            c, stt_model="whisper-1", chat_model="gpt-4o-mini", tts_model="tts-1", at=at
        ),
    }


def compare_approaches(
    conversation: Conversation | None = None,
    *,
    calls: int = 1_000,
    approaches: Mapping[str, Callable[[Conversation, DateLike], ConversationEstimate]] | None = None,
    at: DateLike = None,
) -> list[ApproachCost]:
    """What ``calls`` identical calls cost with each approach.

    Examples
    --------
    >>> rows = compare_approaches(Conversation(minutes=5, turns=10), calls=1000)
    >>> [(r.label, round(r.total, 2)) for r in rows][:1]
    [('gpt-realtime', 360.38)]
    """
    conversation = conversation or Conversation()
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
        raise ParameterError("calls", expected="an integer ≥ 1", got=repr(calls))
    result = []
    for label, estimator in (approaches or default_approaches()).items():
        estimate = estimator(conversation, at)
        result.append(
            ApproachCost(
                label=label,
                approach=estimate.approach,
                models=" + ".join(estimate.models),
                minutes=conversation.minutes,
                calls=calls,
                per_call=estimate.total_decimal,
                estimate=estimate,
            )
        )
    return result


def concurrency(estimate: ConversationEstimate, calls: int) -> ConcurrencyEstimate:
    """``calls`` conversations like ``estimate`` running at once, each line starting a new call when one ends.

    The peak assumes the calls are in step (worst case): every line is in its dearest turn at once.

    Examples
    --------
    >>> c = concurrency(speech_to_speech(Conversation(minutes=5, turns=10)), 10)
    >>> round(c.per_hour, 2), c.calls_per_hour
    (43.25, 120.0)
    """
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
        raise ParameterError("calls", expected="an integer ≥ 1", got=repr(calls))
    minutes = Decimal(str(estimate.conversation.minutes))
    turn_minutes = minutes / estimate.conversation.turns
    peak = max(turn.cost for turn in estimate.turns) / turn_minutes
    return ConcurrencyEstimate(
        label=estimate.label,
        concurrent_calls=calls,
        call_minutes=estimate.conversation.minutes,
        per_call=estimate.total_decimal,
        average_per_minute=calls * estimate.total_decimal / minutes,
        peak_per_minute=calls * peak,
    )


@dataclass(frozen=True)
class ScenarioResult:
    """One call (``estimate``) and ``concurrent_calls`` of them running at once (``lines``)."""

    estimate: ConversationEstimate
    lines: ConcurrencyEstimate

    def to_dict(self) -> dict[str, Any]:
        """Headline figures of the call and of the concurrency as one flat dict."""
        return {**self.estimate.summary(), **self.lines.to_dict()}

    def __repr__(self) -> str:
        return f"{self.estimate!r}\n{self.lines!r}"


def scenario(
    model: str = "gpt-realtime",
    *,
    minutes: float = 5.0,
    turns: int = 10,
    concurrent_calls: int = 1,
    caching: bool = True,
    vad: bool = True,
    retention_ratio: float | None = None,
    token_limit: int | None = None,
    transcription_model: str | None = None,
    at: DateLike = None,
    **conversation: Any,
) -> ScenarioResult:
    """The scenario behind ``voicelab cost --model --minutes --turns --concurrency`` and the notebook sliders.

    ``model`` may be a realtime model (speech-to-speech) or ``"chained"`` (mini-transcribe + gpt-4.1-mini +
    mini-tts); extra keyword arguments go to :class:`Conversation` (``user_share``, ``instructions_tokens``…).

    Examples
    --------
    >>> scenario("gpt-realtime-mini", minutes=5, turns=10, concurrent_calls=10)  # doctest: +ELLIPSIS
    gpt-realtime-mini: 5 min, 10 turns → $0.1129 per call, ...
    gpt-realtime-mini: 10 calls at once → $13.55/hour ...
    """
    shape = Conversation(minutes=minutes, turns=turns, **conversation)
    if model == "chained":
        estimate = chained(shape, caching=caching, vad=vad, at=at)
    else:
        estimate = speech_to_speech(
            shape,
            model,
            caching=caching,
            vad=vad,
            truncation="auto" if retention_ratio is None else retention_ratio,
            post_instructions_token_limit=token_limit,
            transcription_model=transcription_model,
            at=at,
        )
    return ScenarioResult(estimate=estimate, lines=concurrency(estimate, concurrent_calls))
