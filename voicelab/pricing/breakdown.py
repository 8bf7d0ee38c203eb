"""Usage × price row → an exact, line-by-line cost (Decimal inside, float ``.total`` outside).

The published formula: for each modality, ``(input − cached) × input rate + cached × cached rate``; plus
``output × output rate``; audio billed by duration at ``seconds / 60 × per-minute rate``; characters at
``characters × rate / 1M``. Then any adjustment in force (a discount or an uplift) multiplies the subtotal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from voicelab.errors import ParameterError, PricingError
from voicelab.pricing._format import format_table, money
from voicelab.pricing.tables import CACHED_RATE, INPUT_RATE, OUTPUT_RATE, Quote, quote
from voicelab.pricing.usage import Usage, UsageKind, normalize_usage, unwrap_usage

__all__ = ["CostBreakdown", "CostLine", "cost", "price_usage"]

MILLION = Decimal(1_000_000)
SIXTY = Decimal(60)


@dataclass(frozen=True)
class CostLine:
    """One billed quantity: ``quantity`` ``unit`` at ``rate`` ``rate_unit`` = ``amount`` USD."""

    modality: str  # text | audio | image | adjustment
    direction: str  # input | cached | output | duration | characters | the adjustment's name
    quantity: Decimal
    unit: str  # tokens | seconds | characters | ×
    rate: Decimal
    rate_unit: str
    amount: Decimal
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The line as a plain dict (amount and rate as floats, for plots and JSON)."""
        return {
            "modality": self.modality,
            "direction": self.direction,
            "quantity": float(self.quantity),
            "unit": self.unit,
            "rate": float(self.rate),
            "rate_unit": self.rate_unit,
            "amount": float(self.amount),
            "source": self.source,
        }


@dataclass(frozen=True)
class CostBreakdown:
    """The cost of one usage: lines, the price row used, and the exact total.

    Examples
    --------
    >>> b = cost({"type": "duration", "seconds": 90}, "whisper-1")
    >>> b.total
    0.009
    >>> print(b)
    whisper-1 · duration usage · prices effective 2023-03-01
      modality  billed      quantity  rate                     cost
      audio     duration  90 seconds  $0.006 per minute  $0.0090000
      total                                              $0.0090000
    """

    requested_model: str
    model: str
    kind: UsageKind
    effective: date
    at: date
    usage: Usage
    lines: tuple[CostLine, ...]
    total_decimal: Decimal
    notes: tuple[str, ...] = ()
    unpriced: tuple[str, ...] = ()
    """What the usage contains that OpenAI publishes no price for (left out of the total, never guessed)."""

    @property
    def total(self) -> float:
        """Total cost in USD."""
        return float(self.total_decimal)

    def amount(self, *, modality: str | None = None, direction: str | None = None) -> Decimal:
        """Sum of the lines matching ``modality`` and/or ``direction`` (exact)."""
        return sum(
            (
                line.amount
                for line in self.lines
                if (modality is None or line.modality == modality)
                and (direction is None or line.direction == direction)
            ),
            Decimal(0),
        )

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per line, for plots, CSV or JSON."""
        return [line.to_dict() for line in self.lines]

    def to_dict(self) -> dict[str, Any]:
        """The whole breakdown as JSON-ready data."""
        return {
            "model": self.model,
            "requested_model": self.requested_model,
            "kind": self.kind.value,
            "effective": self.effective.isoformat(),
            "at": self.at.isoformat(),
            "total": self.total,
            "total_exact": str(self.total_decimal),
            "lines": self.to_rows(),
            "notes": list(self.notes),
            "unpriced": list(self.unpriced),
        }

    def table(self) -> str:
        """The aligned text table shown by ``print`` and the notebook repr."""
        head = f"{self.model} · {self.kind.value} usage · prices effective {self.effective.isoformat()}"
        if self.requested_model.lower() != self.model:
            head += f" (asked for {self.requested_model})"
        rows: list[dict[str, Any]] = [
            {
                "modality": line.modality,
                "billed": line.direction,
                "quantity": _quantity(line.quantity, line.unit),
                "rate": _rate(line.rate, line.rate_unit),
                "cost": money(line.amount),
            }
            for line in self.lines
        ]
        rows.append(
            {"modality": "total", "billed": "", "quantity": "", "rate": "", "cost": money(self.total_decimal)}
        )
        body = format_table(
            rows,
            [
                ("modality", "modality", str, "<"),
                ("billed", "billed", str, "<"),
                ("quantity", "quantity", str, ">"),
                ("rate", "rate", str, "<"),
                ("cost", "cost", str, ">"),
            ],
            indent="  ",
        )
        notes = "".join(f"\n  note: {note}" for note in self.notes)
        missing = "".join(f"\n  not in the total: {what}" for what in self.unpriced)
        return f"{head}\n{body}{notes}{missing}"

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()


def _quantity(value: Decimal, unit: str) -> str:
    if unit == "×":
        return f"×{value.normalize():f}"
    number = f"{value.normalize():f}" if unit == "seconds" else f"{int(value):,}"
    return f"{number} {unit}"


def _rate(rate: Decimal, unit: str) -> str:
    if unit == "×":
        return ""
    text = f"{rate.normalize():f}"
    decimals = len(text.partition(".")[2])
    return f"${rate:.{max(2, decimals)}f} {unit}"


# ---------------------------------------------------------------------------------------------- pricing


def _rate_or_error(priced: Quote, name: str, usage_field: str, kind: UsageKind) -> Decimal:
    row, model = priced.row, priced.model.name
    rate = row.rate(name)
    if rate is None:
        if priced.model.not_published:
            raise PricingError(
                f"{model} has no {name} price: not published by OpenAI ({priced.model.not_published}); "
                f"the {kind.value} usage has {usage_field}"
            )
        raise PricingError(
            f"{model} has no {name} price (row effective {row.effective}, table {row.table!r}) "
            f"but the {kind.value} usage has {usage_field}; is {model!r} the right model?"
        )
    return rate


def price_usage(
    usage: Usage, priced: Quote, *, unpriced: list[str] | None = None
) -> tuple[tuple[CostLine, ...], Decimal]:
    """Lines and exact total for a normalised usage at a resolved price (adjustments included).

    A quantity whose rate OpenAI does not publish raises :class:`~voicelab.errors.PricingError`, unless a list
    is passed as ``unpriced``: then it is described there and left out of the lines and the total.

    Examples
    --------
    >>> lines, total = price_usage(Usage(UsageKind.CHARACTERS, characters=1000), quote("tts-1"))
    >>> total
    Decimal('0.015')
    >>> missing = []
    >>> _, total = price_usage(Usage(UsageKind.REALTIME, text_input=1000, audio_output=1000),
    ...                        quote("gpt-realtime-2"), unpriced=missing)
    >>> total, missing            # every rate this usage needs is published
    (Decimal('0.068'), [])
    """
    row, kind = priced.row, usage.kind
    lines: list[CostLine] = []

    def _need(priced: Quote, name: str, what: str, kind: UsageKind) -> Decimal | None:
        try:
            return _rate_or_error(priced, name, what, kind)
        except PricingError:
            if unpriced is None or not priced.model.not_published:
                raise
            unpriced.append(f"{what} ({priced.model.name} {name} price not published by OpenAI)")
            return None

    def token_line(modality: str, direction: str, count: int, rate_name: str, rate: Decimal | None) -> None:
        if count and rate is not None:
            lines.append(
                CostLine(
                    modality,
                    direction,
                    Decimal(count),
                    "tokens",
                    rate,
                    "per 1M tokens",
                    Decimal(count) * rate / MILLION,
                    row.source_of(rate_name),
                )
            )

    for modality, input_name in INPUT_RATE.items():
        total, cached = getattr(usage, f"{modality}_input"), getattr(usage, f"{modality}_cached")
        if not total:
            continue
        input_rate = _need(priced, input_name, f"{modality} input: {total:,} tokens", kind)
        token_line(modality, "input", total - cached, input_name, input_rate)
        if cached and input_rate is not None:
            has_cached_rate = row.rate(CACHED_RATE[modality]) is not None
            rate = row.cached_rate(modality)
            token_line(
                modality, "cached", cached, CACHED_RATE[modality] if has_cached_rate else input_name, rate
            )
    for modality, output_name in OUTPUT_RATE.items():
        count = getattr(usage, f"{modality}_output")
        if count:
            rate = _need(priced, output_name, f"{modality} output: {count:,} tokens", kind)
            token_line(modality, "output", count, output_name, rate)
    if usage.seconds:
        name = "per_minute" if row.rate("per_minute") is not None else "estimated_per_minute"
        rate = _need(priced, name, f"audio: {usage.seconds.normalize():f} seconds", kind)
        if rate is not None:
            lines.append(
                CostLine(
                    "audio",
                    "duration",
                    usage.seconds,
                    "seconds",
                    rate,
                    "per minute" if name == "per_minute" else "per minute (estimate)",
                    usage.seconds / SIXTY * rate,
                    row.source_of(name),
                )
            )
    if usage.characters:
        rate = _need(priced, "per_million_characters", f"text: {usage.characters:,} characters", kind)
        if rate is not None:
            lines.append(
                CostLine(
                    "text",
                    "characters",
                    Decimal(usage.characters),
                    "characters",
                    rate,
                    "per 1M characters",
                    usage.characters * rate / MILLION,
                    row.source_of("per_million_characters"),
                )
            )
    total = sum((line.amount for line in lines), Decimal(0))
    for adjustment in priced.adjustments:
        delta = total * (adjustment.multiplier - 1)
        lines.append(
            CostLine(
                "adjustment",
                adjustment.name,
                adjustment.multiplier,
                "×",
                adjustment.multiplier,
                "×",
                delta,
                adjustment.source,
            )
        )
        total += delta
    return tuple(lines), total


def cost(
    usage: Any,
    model: str | None = None,
    *,
    at: date | datetime | str | None = None,
    kind: UsageKind | str | None = None,
) -> CostBreakdown:
    """Exact cost of a usage object, with its breakdown.

    Parameters
    ----------
    usage : dict or openai SDK object, or a list of them
        Any usage the audio APIs return (Realtime ``response.done`` usage, chat completions usage,
        transcription usage ``{"type": "tokens"|"duration", …}``, ``speech.audio.done`` usage,
        ``{"characters": n}`` for tts-1), or the event/response/completion carrying it. A list (e.g. every
        ``response.done`` of a session) is priced as the sum of its usages, which must be of one kind.
    model : str, optional
        Model name, alias or dated snapshot. Taken from the object (e.g. a ``ChatCompletion``) when omitted.
    at : date or 'YYYY-MM-DD', optional
        Price the usage as of this date (default today): picks the row in force then.
    kind : UsageKind or str, optional
        Skip auto-detection of the usage kind.

    Returns
    -------
    CostBreakdown
        ``.total`` (float USD), ``.total_decimal``, ``.lines``; prints as a table.

    Raises
    ------
    UnknownModelError
        Unknown model (lists close names) or no prices on that date.
    ParameterError
        Malformed usage (names the field).
    PricingError
        The model has no price for something the usage contains.

    Examples
    --------
    OpenAI's documented ``response.done`` usage, priced for gpt-realtime:

    >>> usage = {"total_tokens": 253, "input_tokens": 132, "output_tokens": 121,
    ...          "input_token_details": {"text_tokens": 119, "audio_tokens": 13, "image_tokens": 0,
    ...              "cached_tokens": 64,
    ...              "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0, "image_tokens": 0}},
    ...          "output_token_details": {"text_tokens": 30, "audio_tokens": 91}}
    >>> cost(usage, "gpt-realtime").total
    0.0069656
    """
    items = list(usage) if isinstance(usage, list | tuple) else [usage]
    if not items:
        raise ParameterError("usage", expected="a usage object or a non-empty list of them", got="[]")
    unwrapped = [unwrap_usage(item) if not isinstance(item, Usage) else ({}, None) for item in items]
    name = model or next((carried for _, carried in unwrapped if carried), None)
    if not name:
        raise ParameterError(
            "model",
            expected="a model name such as 'gpt-realtime'",
            got="None",
            fix="pass model=..., the usage object does not say which model produced it",
        )
    priced = quote(name, at)
    normalised_items = [
        item if isinstance(item, Usage) else normalize_usage(data, kind=kind, category=priced.model.category)
        for item, (data, _) in zip(items, unwrapped, strict=True)
    ]
    normalised = normalised_items[0]
    for more in normalised_items[1:]:
        normalised = normalised + more  # a whole session: the sum of its responses' usage
    unpriced: list[str] = []
    lines, total = price_usage(normalised, priced, unpriced=unpriced)
    return CostBreakdown(
        requested_model=name,
        model=priced.model.name,
        kind=normalised.kind,
        effective=priced.row.effective,
        at=priced.at,
        usage=normalised,
        lines=lines,
        total_decimal=total,
        notes=normalised.notes,
        unpriced=tuple(unpriced),
    )
