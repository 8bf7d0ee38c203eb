"""Running cost of a voice conversation, priced with :mod:`voicelab.pricing`, broken down by part and
modality.

Examples
--------
>>> usage = {"type": "duration", "seconds": 60}
>>> c = ConversationCost.from_usages({"transcription": (usage, "whisper-1")})
>>> c.total, c.by_modality()
(0.006, {'audio': 0.006})

A part whose model has no published price is listed in ``unpriced`` and left out of the total, never guessed:

>>> c = ConversationCost.from_usages({"stt": (usage, "gpt-transcribe"), "minutes": (usage, "whisper-1")})
>>> c.total, sorted(c.unpriced)
(0.006, ['stt'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["ConversationCost"]


@dataclass(frozen=True)
class ConversationCost:
    """Cost of a conversation as one :class:`~voicelab.pricing.CostBreakdown` per part.

    Parts are e.g. ``realtime`` and ``transcription`` for a Realtime session, or ``stt``, ``llm`` and ``tts``
    for a chained pipeline. ``total`` is exact to the cent (summed as decimals).
    """

    parts: dict[str, Any] = field(default_factory=dict)
    unpriced: dict[str, str] = field(default_factory=dict)
    """Part → why it has no cost: its model's price is not published by OpenAI (not included in the total)."""

    @classmethod
    def from_usages(cls, usages: dict[str, tuple[dict[str, Any], str]]) -> ConversationCost:
        """Price ``{part: (usage, model)}``; parts with empty usage are left out.

        A part whose model OpenAI publishes no price for goes to :attr:`unpriced` with the reason.
        """
        from voicelab.errors import UnknownModelError
        from voicelab.pricing import cost

        parts, unpriced = {}, {}
        for name, (usage, model) in usages.items():
            if not _has_usage(usage):
                continue
            try:
                parts[name] = cost(usage, model)
            except UnknownModelError as exc:
                if not exc.not_published:
                    raise
                unpriced[name] = f"{model}: price not published by OpenAI"
        return cls(parts, unpriced)

    @property
    def total_decimal(self) -> Decimal:
        return sum((b.total_decimal for b in self.parts.values()), Decimal(0))

    @property
    def total(self) -> float:
        """Total in USD."""
        return float(self.total_decimal)

    def by_modality(self) -> dict[str, float]:
        """USD per modality (text, audio, …) over all parts."""
        out: dict[str, Decimal] = {}
        for breakdown in self.parts.values():
            for line in breakdown.lines:
                out[line.modality] = out.get(line.modality, Decimal(0)) + line.amount
        return {k: float(v) for k, v in out.items()}

    def by_part(self) -> dict[str, float]:
        return {name: b.total for name, b in self.parts.items()}

    def __repr__(self) -> str:
        missing = "".join(f"\n[{name}] {why}: not in the total" for name, why in self.unpriced.items())
        if not self.parts:
            return f"ConversationCost(no usage yet: $0){missing}"
        body = "\n\n".join(f"[{name}] {b.table()}" for name, b in self.parts.items())
        modalities = ", ".join(f"{k} ${v:.6f}" for k, v in self.by_modality().items())
        return f"{body}\n\ntotal ${self.total:.6f} ({modalities}){missing}"


def _has_usage(usage: dict[str, Any] | None) -> bool:
    if not usage:
        return False
    if usage.get("type") == "duration":
        return bool(usage.get("seconds"))
    numbers = [v for k, v in usage.items() if isinstance(v, (int, float)) and k != "type"]
    return any(numbers)
