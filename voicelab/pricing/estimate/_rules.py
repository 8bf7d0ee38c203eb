"""What the two approaches share: prompt caching in blocks, cost lines grouped into parts, audio token
rates, and the usage of a transcription and of a speech request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from voicelab.errors import ParameterError
from voicelab.pricing.breakdown import CostLine
from voicelab.pricing.tables import Category, Quote
from voicelab.pricing.usage import Usage, UsageKind

__all__ = [
    "audio_rates",
    "cached_tokens",
    "group_parts",
    "speech_usage",
    "transcription_usage",
    "with_prices",
]


def with_prices(q: Quote, prices: Mapping[str, float | str] | None) -> Quote:
    """``q`` with some rates replaced or filled in (USD per 1M tokens; marked user-supplied in the row)."""
    if not prices:
        return q
    return Quote(q.requested, q.model, q.row.with_rates(**dict(prices)), q.adjustments, q.at)


def group_parts(lines: Iterable[CostLine], names: Mapping[str, str]) -> dict[str, Decimal]:
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


def cached_tokens(prefix_tokens: int, *, enabled: bool, minimum: int, block: int) -> int:
    if not enabled or prefix_tokens < minimum:
        return 0
    return prefix_tokens // block * block


def audio_rates(q: Quote) -> tuple[Decimal, Decimal]:
    info = q.model
    if info.input_audio_tokens_per_second is None or info.output_audio_tokens_per_second is None:
        raise ParameterError(
            "model", expected="a speech-to-speech model with audio token rates (gpt-realtime…)", got=info.name
        )
    return info.input_audio_tokens_per_second, info.output_audio_tokens_per_second


def transcription_usage(q: Quote, seconds: float, transcript_tokens: int) -> Usage:
    """Usage of transcribing ``seconds`` of speech: per-minute audio (rate or estimate) + transcript."""
    if q.model.category is not Category.TRANSCRIPTION:
        raise ParameterError(
            "stt_model", expected="a transcription model (whisper-1, gpt-4o-*-transcribe)", got=q.model.name
        )
    text_out = transcript_tokens if q.row.rate("text_output") is not None else 0
    return Usage(
        UsageKind.TRANSCRIPTION_TOKENS, seconds=Decimal(str(round(seconds, 3))), text_output=text_out
    )


def speech_usage(q: Quote, seconds: float, text_tokens: int, characters: int) -> Usage:
    if q.model.category is not Category.SPEECH:
        raise ParameterError(
            "tts_model", expected="a speech model (tts-1, tts-1-hd, gpt-4o-mini-tts)", got=q.model.name
        )
    if q.row.rate("per_million_characters") is not None:
        return Usage(UsageKind.CHARACTERS, characters=characters)
    return Usage(UsageKind.SPEECH_TOKENS, text_input=text_tokens, seconds=Decimal(str(round(seconds, 3))))
