"""Usage normalisation: any usage object the OpenAI audio APIs return → one :class:`Usage` record.

Accepted, as dicts or as the ``openai`` SDK's pydantic objects (or wrapped in the event/response that carries
them — ``response.done``, a ``ChatCompletion``, a ``Transcription``, …):

* ``realtime``: ``input_tokens``, ``output_tokens``, ``input_token_details{text_tokens, audio_tokens,
  image_tokens, cached_tokens, cached_tokens_details{…}}``,
  ``output_token_details{text_tokens, audio_tokens}``
* ``chat``: ``prompt_tokens``, ``completion_tokens``,
  ``prompt_tokens_details{audio_tokens, cached_tokens, …}``, ``completion_tokens_details{audio_tokens, …}``
* ``responses`` (the Responses API, text): ``input_tokens``, ``output_tokens``,
  ``input_tokens_details{cached_tokens}``, ``output_tokens_details{reasoning_tokens}``
* ``transcription_tokens``: ``{"type": "tokens", input_tokens, output_tokens,
  input_token_details{audio_tokens, text_tokens}}``
* ``duration``: ``{"type": "duration", "seconds": …}`` (whisper-1)
* ``speech_tokens``: ``speech.audio.done`` usage: ``input_tokens`` (text), ``output_tokens`` (audio)
* ``characters``: ``{"characters": n}`` or a speech request ``{"input": "text…"}`` (tts-1, tts-1-hd)

Cached tokens are a subset of input tokens, as the API reports them. Reasoning tokens are a subset of output
tokens and are billed as output text tokens (chat ``completion_tokens_details.reasoning_tokens``, Responses
``output_tokens_details.reasoning_tokens``; Realtime usage has no reasoning field: they are in
``output_token_details.text_tokens``); :attr:`Usage.reasoning_output` keeps the count for display.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from typing import Any

from voicelab.errors import ParameterError
from voicelab.pricing.tables import Category
from voicelab.protocol.billing import (
    TokenTotals,
    TokenUsage,
    as_dict,
    count_field,
    details_field,
    split_cached,
)

__all__ = ["Usage", "UsageKind", "detect_kind", "normalize_usage", "unwrap_usage"]


class UsageKind(StrEnum):
    """The shape of a usage object, which decides how it is billed."""

    REALTIME = "realtime"
    CHAT = "chat"
    RESPONSES = "responses"
    TRANSCRIPTION_TOKENS = "transcription_tokens"
    DURATION = "duration"
    SPEECH_TOKENS = "speech_tokens"
    CHARACTERS = "characters"


#: The integer quantities of a :class:`Usage` (``seconds`` is a Decimal), checked and summed field by field.
_COUNTS = (
    "text_input",
    "text_cached",
    "audio_input",
    "audio_cached",
    "image_input",
    "image_cached",
    "text_output",
    "audio_output",
    "reasoning_output",
    "characters",
)


@dataclass(frozen=True)
class Usage(TokenTotals):
    """Billable quantities, whatever API reported them. Input counts include their cached part.

    Examples
    --------
    >>> u = normalize_usage({"type": "duration", "seconds": 90})
    >>> u.kind, u.seconds
    (<UsageKind.DURATION: 'duration'>, Decimal('90'))
    """

    kind: UsageKind
    text_input: int = 0
    text_cached: int = 0
    audio_input: int = 0
    audio_cached: int = 0
    image_input: int = 0
    image_cached: int = 0
    text_output: int = 0
    audio_output: int = 0
    reasoning_output: int = 0  # the part of text_output the model spent reasoning (billed as text output)
    seconds: Decimal = Decimal(0)
    characters: int = 0
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for modality in ("text", "audio", "image"):
            total, cached = getattr(self, f"{modality}_input"), getattr(self, f"{modality}_cached")
            if cached > total:
                raise ParameterError(
                    f"{modality}_cached",
                    expected=f"≤ {modality}_input ({total})",
                    got=str(cached),
                    fix="cached tokens are a subset of input tokens",
                )
        for name in _COUNTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ParameterError(name, expected="a non-negative integer", got=repr(value))
        if self.reasoning_output > self.text_output:
            raise ParameterError(
                "reasoning_output",
                expected=f"≤ text_output ({self.text_output})",
                got=str(self.reasoning_output),
                fix="reasoning tokens are a subset of the output text tokens",
            )
        if not isinstance(self.seconds, Decimal) or not self.seconds.is_finite() or self.seconds < 0:
            raise ParameterError(
                "seconds", expected="a non-negative number of seconds", got=repr(self.seconds)
            )

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        if other.kind != self.kind:
            raise ParameterError("usage", expected=f"another {self.kind.value} usage", got=other.kind.value)
        values = {name: getattr(self, name) + getattr(other, name) for name in (*_COUNTS, "seconds")}
        return Usage(kind=self.kind, notes=tuple(dict.fromkeys(self.notes + other.notes)), **values)


# ------------------------------------------------------------------------------------------- reading fields


def unwrap_usage(obj: Any) -> tuple[dict[str, Any], str | None]:
    """The usage inside ``obj`` (an event, response, completion or the usage itself) and any model name.

    Examples
    --------
    >>> unwrap_usage({"type": "response.done", "response": {"usage": {"input_tokens": 0}}})
    ({'input_tokens': 0}, None)
    >>> unwrap_usage({"model": "gpt-audio", "usage": {"prompt_tokens": 3}})
    ({'prompt_tokens': 3}, 'gpt-audio')
    """
    data = as_dict(obj, "usage")
    model = None
    for _ in range(3):  # event -> response -> usage
        if isinstance(data.get("model"), str):
            model = data["model"]
        if isinstance(data.get("response"), Mapping) or hasattr(data.get("response"), "model_dump"):
            data = as_dict(data["response"], "usage.response")
            continue
        inner = data.get("usage")
        if inner is not None and not isinstance(inner, int | float):
            data = as_dict(inner, "usage.usage")
            continue
        break
    return data, model


def detect_kind(data: Mapping[str, Any], category: Category | None = None) -> UsageKind:
    """Guess the usage kind from its fields (and, for bare token counts, from the model's category).

    Examples
    --------
    >>> detect_kind({"prompt_tokens": 10, "completion_tokens": 2}).value
    'chat'
    >>> detect_kind({"input_tokens": 14, "output_tokens": 101}, Category.SPEECH).value
    'speech_tokens'
    """
    kind = data.get("type")
    if "prompt_tokens" in data or "completion_tokens" in data:
        return UsageKind.CHAT
    if "input_tokens_details" in data or "output_tokens_details" in data:
        return UsageKind.RESPONSES
    if kind == "duration" or ("seconds" in data and kind is None):
        return UsageKind.DURATION
    if kind == "tokens":
        return UsageKind.TRANSCRIPTION_TOKENS
    if "characters" in data or isinstance(data.get("input"), str):
        return UsageKind.CHARACTERS
    if "input_token_details" in data or "output_token_details" in data:
        return (
            UsageKind.REALTIME if category is not Category.TRANSCRIPTION else UsageKind.TRANSCRIPTION_TOKENS
        )
    if "input_tokens" in data or "output_tokens" in data:
        by_category = {
            Category.SPEECH: UsageKind.SPEECH_TOKENS,
            Category.TRANSCRIPTION: UsageKind.TRANSCRIPTION_TOKENS,
            Category.REALTIME: UsageKind.REALTIME,
        }
        if category in by_category:
            return by_category[category]
    raise ParameterError(
        "usage",
        expected="a usage object (realtime, chat, transcription, speech or characters)",
        got=f"fields {sorted(data)[:8]}",
        fix="pass kind='realtime'|'chat'|'transcription_tokens'|'duration'|'speech_tokens'|'characters'",
    )


# ---------------------------------------------------------------------------------------------- per kind


def _realtime(data: Mapping[str, Any], where: str) -> Usage:
    tokens = TokenUsage.from_realtime(data, where)  # the usage object the emulator writes and the client sums
    counts = {f.name: getattr(tokens, f.name) for f in fields(tokens) if f.name != "notes"}
    return Usage(UsageKind.REALTIME, **counts, notes=tokens.notes)


def _chat(data: Mapping[str, Any], where: str) -> Usage:
    prompt = count_field(data, "prompt_tokens", where, required=True)
    completion = count_field(data, "completion_tokens", where, required=True)
    w_p, w_c = f"{where}.prompt_tokens_details", f"{where}.completion_tokens_details"
    p = details_field(data, "prompt_tokens_details", where) or {}
    c = details_field(data, "completion_tokens_details", where) or {}
    audio_in, image_in = count_field(p, "audio_tokens", w_p), count_field(p, "image_tokens", w_p)
    if audio_in + image_in > prompt:
        raise ParameterError(
            f"{w_p}.audio_tokens",
            expected=f"audio + image tokens ≤ prompt_tokens ({prompt})",
            got=str(audio_in + image_in),
        )
    audio_out = count_field(c, "audio_tokens", w_c)
    if audio_out > completion:
        raise ParameterError(
            f"{w_c}.audio_tokens", expected=f"≤ completion_tokens ({completion})", got=str(audio_out)
        )
    inputs = {"text": prompt - audio_in - image_in, "audio": audio_in, "image": image_in}
    cached, note = split_cached(count_field(p, "cached_tokens", w_p), inputs, f"{w_p}.cached_tokens")
    # reasoning and rejected-prediction tokens are part of completion_tokens and billed as text output
    reasoning = min(count_field(c, "reasoning_tokens", w_c), completion - audio_out)
    return Usage(
        UsageKind.CHAT,
        text_input=inputs["text"],
        text_cached=cached["text"],
        audio_input=audio_in,
        audio_cached=cached["audio"],
        image_input=image_in,
        image_cached=cached["image"],
        text_output=completion - audio_out,
        audio_output=audio_out,
        reasoning_output=reasoning,
        notes=tuple(n for n in (note, _reasoning_note(reasoning, completion) if reasoning else None) if n),
    )


def _responses(data: Mapping[str, Any], where: str) -> Usage:
    """The Responses API's ``ResponseUsage``: text in (cached part), text out (reasoning part)."""
    total_in = count_field(data, "input_tokens", where, required=True)
    total_out = count_field(data, "output_tokens", where, required=True)
    w_in, w_out = f"{where}.input_tokens_details", f"{where}.output_tokens_details"
    cached = count_field(details_field(data, "input_tokens_details", where) or {}, "cached_tokens", w_in)
    reasoning = count_field(
        details_field(data, "output_tokens_details", where) or {}, "reasoning_tokens", w_out
    )
    if cached > total_in:
        raise ParameterError(
            f"{w_in}.cached_tokens", expected=f"≤ input_tokens ({total_in})", got=str(cached)
        )
    if reasoning > total_out:
        raise ParameterError(
            f"{w_out}.reasoning_tokens", expected=f"≤ output_tokens ({total_out})", got=str(reasoning)
        )
    return Usage(
        UsageKind.RESPONSES,
        text_input=total_in,
        text_cached=cached,
        text_output=total_out,
        reasoning_output=reasoning,
        notes=(_reasoning_note(reasoning, total_out),) if reasoning else (),
    )


def _reasoning_note(reasoning: int, output: int) -> str:
    return f"{reasoning} of the {output} output tokens are reasoning tokens, billed as output text"


def _transcription_tokens(data: Mapping[str, Any], where: str) -> Usage:
    total_in = count_field(data, "input_tokens", where, required=True)
    total_out = count_field(data, "output_tokens", where, required=True)
    details = details_field(data, "input_token_details", where)
    if details is None:
        return Usage(
            UsageKind.TRANSCRIPTION_TOKENS,
            audio_input=total_in,
            text_output=total_out,
            notes=(f"{where}.input_token_details missing: all input tokens billed as audio",),
        )
    w = f"{where}.input_token_details"
    audio, text = count_field(details, "audio_tokens", w), count_field(details, "text_tokens", w)
    if audio + text != total_in:
        raise ParameterError(
            f"{where}.input_tokens",
            expected=f"audio_tokens + text_tokens = {audio + text}",
            got=str(total_in),
        )
    return Usage(UsageKind.TRANSCRIPTION_TOKENS, text_input=text, audio_input=audio, text_output=total_out)


def _duration(data: Mapping[str, Any], where: str) -> Usage:
    seconds = data.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | Decimal | str):
        raise ParameterError(
            f"{where}.seconds",
            expected="a non-negative number of seconds",
            got="missing" if seconds is None else type(seconds).__name__,
        )
    try:
        value = Decimal(str(seconds))
    except ArithmeticError:
        raise ParameterError(
            f"{where}.seconds", expected="a non-negative number", got=repr(seconds)
        ) from None
    if not value.is_finite() or value < 0 or (isinstance(seconds, float) and math.isnan(seconds)):
        raise ParameterError(
            f"{where}.seconds", expected="a non-negative number of seconds", got=str(seconds)
        )
    return Usage(UsageKind.DURATION, seconds=value)


def _speech_tokens(data: Mapping[str, Any], where: str) -> Usage:
    return Usage(
        UsageKind.SPEECH_TOKENS,
        text_input=count_field(data, "input_tokens", where, required=True),
        audio_output=count_field(data, "output_tokens", where, required=True),
    )


def _characters(data: Mapping[str, Any], where: str) -> Usage:
    if "characters" in data:
        return Usage(UsageKind.CHARACTERS, characters=count_field(data, "characters", where, required=True))
    text = data.get("input")
    if not isinstance(text, str):
        raise ParameterError(
            f"{where}.characters", expected="a character count (or the speech request's input)", got="missing"
        )
    return Usage(UsageKind.CHARACTERS, characters=len(text))


_READERS = {
    UsageKind.REALTIME: _realtime,
    UsageKind.CHAT: _chat,
    UsageKind.RESPONSES: _responses,
    UsageKind.TRANSCRIPTION_TOKENS: _transcription_tokens,
    UsageKind.DURATION: _duration,
    UsageKind.SPEECH_TOKENS: _speech_tokens,
    UsageKind.CHARACTERS: _characters,
}


def normalize_usage(
    usage: Any, *, kind: UsageKind | str | None = None, category: Category | None = None
) -> Usage:
    """Read any supported usage object into a :class:`Usage`.

    Parameters
    ----------
    usage : dict or openai SDK object
        A usage, or something carrying one (``response.done`` event, ``ChatCompletion``, ``Transcription``…).
        A :class:`Usage` passes through unchanged.
    kind : UsageKind or str, optional
        Skip auto-detection.
    category : Category, optional
        The model's category; lets bare ``input_tokens``/``output_tokens`` be read as speech or transcription.

    Raises
    ------
    ParameterError
        Naming the field: negative or non-integer counts, missing fields, cached > input, sums that disagree.

    Examples
    --------
    >>> u = normalize_usage({"input_tokens": 132, "output_tokens": 121,
    ...     "input_token_details": {"text_tokens": 119, "audio_tokens": 13, "cached_tokens": 64,
    ...                             "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0}},
    ...     "output_token_details": {"text_tokens": 30, "audio_tokens": 91}})
    >>> (u.kind.value, u.text_input, u.text_cached, u.audio_output)
    ('realtime', 119, 64, 91)
    """
    if isinstance(usage, Usage):
        return usage
    data, _ = unwrap_usage(usage)
    if kind is None:
        resolved = detect_kind(data, category)
    else:
        try:
            resolved = UsageKind(kind)
        except ValueError:
            raise ParameterError(
                "kind", expected=f"one of {', '.join(k.value for k in UsageKind)}", got=repr(kind)
            ) from None
    return _READERS[resolved](data, "usage")
