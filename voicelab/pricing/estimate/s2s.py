"""Speech-to-speech (Realtime) calls: :func:`speech_to_speech` turn by turn, :func:`speech_to_speech_minute`.

The model of a speech-to-speech call is described in :mod:`voicelab.pricing.estimate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from voicelab.errors import ParameterError
from voicelab.pricing.breakdown import price_usage
from voicelab.pricing.estimate._rules import (
    audio_rates,
    cached_tokens,
    group_parts,
    transcription_usage,
    with_prices,
)
from voicelab.pricing.estimate.inputs import Conversation, DateLike, check_positive
from voicelab.pricing.estimate.results import ConversationEstimate, MinuteEstimate, TurnCost
from voicelab.pricing.tables import Category, quote
from voicelab.pricing.usage import Usage, UsageKind

__all__ = ["speech_to_speech", "speech_to_speech_minute"]


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
    rate_in, rate_out = audio_rates(q)
    if output_tokens_per_second is not None:
        check_positive("output_tokens_per_second", output_tokens_per_second)
        rate_out = Decimal(str(output_tokens_per_second))
    for name, value in (("user_seconds", user_seconds), ("assistant_seconds", assistant_seconds)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ParameterError(name, expected="a non-negative number of seconds", got=repr(value))
    tokens_in = round(Decimal(str(user_seconds)) * rate_in)
    tokens_out = round(Decimal(str(assistant_seconds)) * rate_out)
    lines, _ = price_usage(Usage(UsageKind.REALTIME, audio_input=tokens_in, audio_output=tokens_out), q)
    parts = group_parts(lines, {"input": "input", "cached": "input", "output": "output"})
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
    prices: Mapping[str, float | str] | None = None,
    reasoning_tokens: int = 0,
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
    prices : mapping, optional
        Replace or fill in the model's rates (USD per 1M tokens), e.g. ``{"text_input": 4,
        "text_cached_input": 0.4, "text_output": 16}`` for the text rates OpenAI has not published for
        gpt-realtime-2; the estimate's assumptions list them.
    reasoning_tokens : int
        Reasoning tokens per response of a reasoning model (gpt-realtime-2…): output text tokens, billed at
        the text output rate; they are not kept in the conversation, so they are not re-billed as input.

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
    >>> thinking = speech_to_speech(Conversation(minutes=5, turns=10), "gpt-realtime-2", reasoning_tokens=500)
    >>> round(thinking.total - speech_to_speech(Conversation(minutes=5, turns=10), "gpt-realtime-2").total, 4)
    0.12
    """
    conversation = conversation or Conversation()
    q = with_prices(quote(model, at), prices)
    if q.model.category is not Category.REALTIME:
        raise ParameterError(
            "model",
            expected="a realtime model (gpt-realtime, gpt-realtime-mini, …)",
            got=q.model.name,
            fix="use chained() for transcribe + chat + TTS",
        )
    rate_in, rate_out = audio_rates(q)
    if isinstance(reasoning_tokens, bool) or not isinstance(reasoning_tokens, int) or reasoning_tokens < 0:
        raise ParameterError(
            "reasoning_tokens", expected="a non-negative integer", got=repr(reasoning_tokens)
        )
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
    transcript_tokens = conversation.assistant_text_tokens
    user_text_tokens = conversation.user_text_tokens

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
            cached_tokens(prefix, enabled=caching, minimum=cache_min_tokens, block=cache_block_tokens),
            instructions + audio_in,
        )
        cached_text = min(cached, instructions)
        usage = Usage(
            UsageKind.REALTIME,
            text_input=instructions,
            text_cached=cached_text,
            audio_input=audio_in,
            audio_cached=cached - cached_text,
            text_output=transcript_tokens + reasoning_tokens,
            audio_output=assistant_tokens,
            reasoning_output=reasoning_tokens,
        )
        lines, total = price_usage(usage, q)
        parts = group_parts(lines, {"input": "input", "cached": "cached input", "output": "output"})
        if stt is not None:
            _, stt_total = price_usage(transcription_usage(stt, user_seconds, user_text_tokens), stt)
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
        ("user_text_tokens_per_turn", user_text_tokens),
        ("transcript_tokens_per_turn", transcript_tokens),
        ("prices", dict(prices or {})),
        ("reasoning_tokens_per_turn", reasoning_tokens),
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
