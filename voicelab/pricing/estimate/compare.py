"""Comparing approaches and scaling up: :func:`compare_approaches`, :func:`concurrency`, :func:`scenario`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from voicelab.errors import ParameterError
from voicelab.pricing.estimate.chained import chained
from voicelab.pricing.estimate.inputs import Conversation, DateLike
from voicelab.pricing.estimate.results import (
    ApproachCost,
    ConcurrencyEstimate,
    ConversationEstimate,
    ScenarioResult,
)
from voicelab.pricing.estimate.s2s import speech_to_speech

__all__ = ["compare_approaches", "concurrency", "current_approaches", "default_approaches", "scenario"]


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


def current_approaches(
    *,
    stt_model: str = "gpt-realtime-whisper",
    chat_model: str = "gpt-5.4-mini",
    tts_model: str = "gpt-4o-mini-tts",
) -> dict[str, Callable[[Conversation, DateLike], ConversationEstimate]]:
    """gpt-realtime-2 against a chained pipeline of current models (label → estimator).

    gpt-realtime-2 is priced from its row (audio from OpenAI's announcement, text and image from its model
    page). The chained default: gpt-realtime-whisper (per minute) → gpt-5.4-mini → gpt-4o-mini-tts, the
    speech model that has an announced shutdown and no successor yet.

    Examples
    --------
    >>> for label in current_approaches():
    ...     print(label)
    gpt-realtime-2
    gpt-realtime-2, no caching
    chained gpt-realtime-whisper + gpt-5.4-mini + gpt-4o-mini-tts
    """

    def s2s(caching: bool) -> Callable[[Conversation, DateLike], ConversationEstimate]:
        return lambda c, at: speech_to_speech(c, "gpt-realtime-2", caching=caching, at=at)

    return {
        "gpt-realtime-2": s2s(True),
        "gpt-realtime-2, no caching": s2s(False),
        f"chained {stt_model} + {chat_model} + {tts_model}": lambda c, at: chained(
            c, stt_model=stt_model, chat_model=chat_model, tts_model=tts_model, at=at
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
