"""Live speech translation per minute: a realtime translation session vs a chained STT → LLM → TTS pipeline.

A realtime translation session (``gpt-realtime-translate``) is billed per minute of input audio. The chained
alternative transcribes the speech, asks a text model to translate the transcript, and speaks the result:
three bills, each priced through the same tables and formula as :func:`voicelab.pricing.cost`.

Examples
--------
>>> rows = translation_costs(chained_models=("gpt-4o-mini-transcribe", "gpt-4o-mini", "gpt-4o-mini-tts"))
>>> [(r.model, round(r.per_minute, 4)) for r in rows]
[('gpt-realtime-translate', 0.034), ('gpt-4o-mini-transcribe + gpt-4o-mini + gpt-4o-mini-tts', 0.0192)]
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from voicelab.errors import ParameterError
from voicelab.pricing.breakdown import price_usage
from voicelab.pricing.estimate._rules import speech_usage, transcription_usage
from voicelab.pricing.estimate.inputs import DateLike, check_positive, one_shot_speech
from voicelab.pricing.estimate.results import OneShotCost
from voicelab.pricing.tables import quote
from voicelab.pricing.usage import Usage, UsageKind
from voicelab.protocol.models import recommended

__all__ = ["translation_costs"]

_INSTRUCTION_TOKENS = 30  # "Translate the user's words into English; answer with the translation only."


def translation_costs(
    minutes: float = 1.0,
    *,
    words_per_minute: float = 150.0,
    tokens_per_word: float = 1.3,
    characters_per_word: float = 6.0,
    at: DateLike = None,
    realtime_model: str = recommended("realtime_translation"),
    chained_models: Sequence[str] = ("gpt-4o-mini-transcribe", recommended("text"), recommended("speech")),
) -> list[OneShotCost]:
    """``minutes`` of speech translated live, priced both ways.

    Parameters
    ----------
    minutes : float
        Minutes of source speech (the session is billed for all audio sent, pauses included).
    words_per_minute, tokens_per_word, characters_per_word : float
        The speech's shape: the transcript and the translation have the same length (an assumption).
    at : date or str, optional
        Price as of this date.
    realtime_model : str
        The per-minute realtime translation model.
    chained_models : (stt, llm, tts)
        The chained pipeline's models. The default transcribes with gpt-4o-mini-transcribe (shutdown
        2027-02-26): OpenAI publishes no price for gpt-transcribe yet, and a model whose price is not
        published raises :class:`~voicelab.errors.UnknownModelError` naming it.

    Returns
    -------
    list of OneShotCost
        The realtime translation row, then the chained row (its ``model`` names the three models).
    """
    check_positive("minutes", minutes)
    if len(chained_models) != 3:
        raise ParameterError(
            "chained_models", expected="(stt, llm, tts) model names", got=repr(chained_models)
        )
    speech = one_shot_speech(
        minutes,
        words_per_minute=words_per_minute,
        tokens_per_word=tokens_per_word,
        characters_per_word=characters_per_word,
    )
    seconds, text = speech.seconds, speech.text_tokens
    live = quote(realtime_model, at)
    _, live_total = price_usage(Usage(UsageKind.DURATION, seconds=Decimal(str(seconds))), live)
    stt, llm, tts = (quote(name, at) for name in chained_models)
    _, stt_total = price_usage(transcription_usage(stt, seconds, text), stt)
    _, llm_total = price_usage(
        Usage(UsageKind.CHAT, text_input=_INSTRUCTION_TOKENS + text, text_output=text), llm
    )
    _, tts_total = price_usage(speech_usage(tts, seconds, text, speech.characters), tts)
    return [
        OneShotCost("realtime translation", live.model.name, minutes, "per minute of audio sent", live_total),
        OneShotCost(
            "chained translation",
            " + ".join(q.model.name for q in (stt, llm, tts)),
            minutes,
            "STT per minute + LLM text tokens + TTS",
            stt_total + llm_total + tts_total,
        ),
    ]
