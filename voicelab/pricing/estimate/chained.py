"""Chained pipelines (speech-to-text → chat model → text-to-speech) per call, and one-shot Audio API
requests.

A chained pipeline (:func:`chained`) transcribes the user's speech, sends text to a chat model (whose
context is re-billed too, but as cheap text tokens) and speaks the reply with a TTS model.
:func:`one_shot_costs` prices single transcription, speech and chat-with-audio requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from voicelab.errors import ParameterError
from voicelab.pricing.breakdown import price_usage
from voicelab.pricing.estimate._rules import (
    cached_tokens,
    group_parts,
    speech_usage,
    transcription_usage,
    with_prices,
)
from voicelab.pricing.estimate.inputs import Conversation, DateLike, one_shot_speech
from voicelab.pricing.estimate.results import ConversationEstimate, OneShotCost, TurnCost
from voicelab.pricing.tables import quote
from voicelab.pricing.usage import Usage, UsageKind
from voicelab.protocol.billing import audio_tokens

__all__ = ["chained", "one_shot_costs"]


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
    stt, tts = quote(stt_model, at), quote(tts_model, at)
    llm = with_prices(quote(chat_model, at), chat_prices)
    if llm.row.rate("text_input") is None or llm.row.rate("text_output") is None:
        raise ParameterError(
            "chat_model", expected="a model with text input/output prices", got=llm.model.name
        )
    user_seconds = conversation.user_buffer_seconds
    if vad:
        user_seconds = min(conversation.user_speech_seconds + vad_padding_ms / 1000, user_seconds)
    user_text = conversation.user_text_tokens
    reply_text = conversation.assistant_text_tokens
    reply_chars = conversation.assistant_characters
    instructions = conversation.instructions_tokens
    history = 0
    previous_input = 0
    cumulative = Decimal(0)
    turns: list[TurnCost] = []
    for k in range(1, conversation.turns + 1):
        _, stt_cost = price_usage(transcription_usage(stt, user_seconds, user_text), stt)
        prompt = instructions + history + user_text
        cached = min(
            cached_tokens(
                previous_input, enabled=caching, minimum=cache_min_tokens, block=cache_block_tokens
            ),
            prompt,
        )
        chat_lines, chat_cost = price_usage(
            Usage(UsageKind.CHAT, text_input=prompt, text_cached=cached, text_output=reply_text), llm
        )
        _, tts_cost = price_usage(
            speech_usage(tts, conversation.assistant_seconds, reply_text, reply_chars), tts
        )
        chat_parts = group_parts(
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
    speech = one_shot_speech(
        minutes,
        words_per_minute=words_per_minute,
        tokens_per_word=tokens_per_word,
        characters_per_word=characters_per_word,
    )
    seconds, text = speech.seconds, speech.text_tokens
    rows = []
    for name in transcription_models:
        q = quote(name, at)
        usage = transcription_usage(q, seconds, text)
        _, total = price_usage(usage, q)
        billed = (
            "per minute" if q.row.rate("per_minute") is not None else "est. per minute + transcript tokens"
        )
        rows.append(OneShotCost("transcription", q.model.name, minutes, billed, total))
    for name in speech_models:
        q = quote(name, at)
        usage = speech_usage(q, seconds, text, speech.characters)
        _, total = price_usage(usage, q)
        billed = "characters" if usage.kind is UsageKind.CHARACTERS else "text tokens + est. per minute"
        rows.append(OneShotCost("speech", q.model.name, minutes, billed, total))
    for name in audio_chat_models:
        q = quote(name, at)
        usage = Usage(
            UsageKind.CHAT,
            audio_input=audio_tokens(seconds * 1000, "user"),
            text_output=text,
            audio_output=audio_tokens(seconds * 1000, "assistant"),
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
