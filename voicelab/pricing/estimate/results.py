"""What the estimators return: tidy dataclasses with ``to_dict()``/``to_rows()``, and :func:`to_table`.

:class:`TurnCost` and :class:`ConversationEstimate` (one call, turn by turn), :class:`MinuteEstimate` (the
back-of-envelope minute), :class:`OneShotCost` (one Audio API request), :class:`ApproachCost` (many calls
with one approach), :class:`ConcurrencyEstimate` (calls at once), :class:`ScenarioResult` (a call and its
concurrency).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from voicelab.errors import ParameterError
from voicelab.pricing._format import format_table, money
from voicelab.pricing.estimate.inputs import Conversation

__all__ = [
    "ApproachCost",
    "ConcurrencyEstimate",
    "ConversationEstimate",
    "MinuteEstimate",
    "OneShotCost",
    "ScenarioResult",
    "TurnCost",
    "to_table",
]


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
    >>> from voicelab.pricing.estimate import concurrency, speech_to_speech
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
