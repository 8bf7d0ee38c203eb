"""Billing rules of the OpenAI audio APIs and the token usage object both sides share.

* audio tokens: user (input) audio 1 token per 100 ms, assistant (output) audio 1 token per 50 ms (600 and
  1 200 per minute), rounded up per item (:func:`audio_tokens`);
* text tokens: :func:`text_tokens`, OpenAI's own o200k_base count (:mod:`voicelab.protocol.tokenizer`:
  tiktoken with the verified vocabulary), the one count used everywhere so that sums agree between the
  emulator, the client and the cost estimates;
* caching: a response's input is cached up to the first segment (instructions, tools, conversation item) that
  changed since the previous response (:func:`cached_prefix`); cached tokens are a subset of input tokens.
  OpenAI caches only prompts of :data:`MIN_CACHED_PROMPT_TOKENS`\\+ tokens; the emulator applies no minimum so
  that short teaching sessions show the effect;
* the usage object: :class:`TokenUsage` reads and writes the GA ``response.done`` ``usage`` shape.

Examples
--------
>>> audio_tokens(60_000, "user"), audio_tokens(60_000, "assistant")
(600, 1200)
>>> text_tokens("Hello, world!"), text_tokens("こんにちは")
(4, 1)
>>> TokenUsage(text_input=10, audio_input=20, audio_output=40).to_realtime()["total_tokens"]
70
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from voicelab.errors import ParameterError
from voicelab.protocol.tokenizer import count_text_tokens, o200k_base

__all__ = [
    "MIN_CACHED_PROMPT_TOKENS",
    "MS_PER_AUDIO_TOKEN",
    "InputSegment",
    "Role",
    "TokenTotals",
    "TokenUsage",
    "as_dict",
    "audio_tokens",
    "cached_prefix",
    "cached_segments",
    "count_field",
    "details_field",
    "first_text_tokens",
    "split_cached",
    "text_tokens",
]

Role = Literal["user", "assistant"]

MS_PER_AUDIO_TOKEN: dict[str, int] = {"user": 100, "assistant": 50}
"""Milliseconds of audio per token, by the role that spoke it."""

MIN_CACHED_PROMPT_TOKENS = 1024
"""OpenAI caches a prompt only from this many tokens on (the emulator does not apply it)."""


def audio_tokens(ms: float, role: Role) -> int:
    """Tokens billed for ``ms`` milliseconds of audio spoken by ``role`` (rounded up).

    Assistant audio that is input to a later response is billed at its own (assistant) rate again.

    Examples
    --------
    >>> audio_tokens(1, "user"), audio_tokens(100, "user"), audio_tokens(101, "user")
    (1, 1, 2)
    >>> audio_tokens(800, "assistant")
    16
    """
    return math.ceil(max(ms, 0) / MS_PER_AUDIO_TOKEN[role] - 1e-9)


def text_tokens(text: str | None) -> int:
    """Text tokens of ``text`` as OpenAI bills them: the o200k_base count (``None`` and ``""`` are 0).

    Examples
    --------
    >>> text_tokens("Two plus two is 4."), text_tokens(""), text_tokens(None)
    (7, 0, 0)
    >>> text_tokens("東京は晴れ。")
    5
    """
    return count_text_tokens(text or "")


def first_text_tokens(text: str, n: int) -> str:
    """The prefix of ``text`` holding its first ``n`` o200k_base tokens (whole characters only).

    A token that ends inside a multi-byte character (some Japanese characters span two tokens) is left out
    with that character, so the prefix never holds more than ``n`` tokens.

    Examples
    --------
    >>> first_text_tokens("Hello, world! Bye.", 3)
    'Hello, world'
    >>> first_text_tokens("こんにちは、今日はいい天気ですね。", 3)
    'こんにちは、今日は'
    """
    encoding = o200k_base()
    tokens = encoding.encode_ordinary(text)
    if n >= len(tokens):
        return text
    head = b"".join(encoding.decode_single_token_bytes(t) for t in tokens[: max(n, 0)])
    return head.decode("utf-8", errors="ignore")


@dataclass(frozen=True)
class InputSegment:
    """One billed piece of a response's input; ``key`` changes whenever its content changes."""

    key: tuple[Any, ...]
    text_tokens: int = 0
    audio_tokens: int = 0
    image_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.text_tokens + self.audio_tokens + self.image_tokens


def cached_segments(previous: Sequence[InputSegment], segments: Sequence[InputSegment]) -> list[InputSegment]:
    """The segments of ``segments`` that are cached: the run unchanged and in the same order since the
    previous response's input.

    Examples
    --------
    >>> a = [InputSegment(("instructions", "x"), 10), InputSegment(("image", 1), image_tokens=765)]
    >>> [s.tokens for s in cached_segments(a, a + [InputSegment(("item", 2), 5)])]
    [10, 765]
    """
    cached = []
    for old, new in zip(previous, segments, strict=False):
        if old.key != new.key:
            break
        cached.append(new)
    return cached


def cached_prefix(previous: Sequence[InputSegment], segments: Sequence[InputSegment]) -> tuple[int, int]:
    """Cached (text, audio) tokens of ``segments``: the run of segments unchanged and in the same order since
    the previous response's input.

    Examples
    --------
    >>> a = [InputSegment(("instructions", "x"), 10), InputSegment(("item", 1), 0, 20)]
    >>> cached_prefix(a, a + [InputSegment(("item", 2), 5)])
    (10, 20)
    >>> cached_prefix(a, [InputSegment(("instructions", "y"), 10)] + a[1:])
    (0, 0)
    """
    cached = cached_segments(previous, segments)
    return sum(s.text_tokens for s in cached), sum(s.audio_tokens for s in cached)


# ------------------------------------------------------------------------------------ reading usage fields


def as_dict(obj: Any, param: str) -> dict[str, Any]:
    """A usage given as a dict or as an ``openai`` SDK pydantic object, as a dict."""
    if isinstance(obj, Mapping):
        return dict(obj)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump()
    raise ParameterError(param, expected="a usage dict or an openai SDK usage object", got=type(obj).__name__)


def count_field(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> int:
    """``data[key]`` as a non-negative integer count (0 when absent unless ``required``)."""
    value = data.get(key)
    if value is None:
        if required:
            raise ParameterError(f"{where}.{key}", expected="a non-negative integer", got="missing")
        return 0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise ParameterError(f"{where}.{key}", expected="a non-negative integer", got=repr(value)[:40])
    if value < 0:
        raise ParameterError(f"{where}.{key}", expected="a non-negative integer", got=str(value))
    return int(value)


def details_field(data: Mapping[str, Any], key: str, where: str) -> dict[str, Any] | None:
    """``data[key]`` (a details object) as a dict, or ``None``."""
    value = data.get(key)
    return None if value is None else as_dict(value, f"{where}.{key}")


def split_cached(cached: int, inputs: dict[str, int], where: str) -> tuple[dict[str, int], str | None]:
    """Attribute a cached total with no per-modality detail: prefix order text → audio → image; also a note
    when the attribution was a guess."""
    if cached > sum(inputs.values()):
        raise ParameterError(
            where,
            expected=f"≤ the input tokens ({sum(inputs.values())})",
            got=str(cached),
            fix="cached tokens are a subset of input tokens",
        )
    split, left = {}, cached
    for modality in ("text", "audio", "image"):
        split[modality] = min(left, inputs[modality])
        left -= split[modality]
    ambiguous = cached > 0 and sum(1 for v in inputs.values() if v) > 1
    note = f"{where} without per-modality detail: attributed text → audio → image" if ambiguous else None
    return split, note


# ----------------------------------------------------------------------------------------- the usage object


class TokenTotals:
    """Totals over the per-modality token fields, for any usage object that has them (a mixin).

    Examples
    --------
    >>> TokenUsage(text_input=3, audio_input=7, audio_cached=5, audio_output=20).input_tokens
    10
    """

    __slots__ = ()
    text_input: int
    audio_input: int
    image_input: int
    text_cached: int
    audio_cached: int
    image_cached: int
    text_output: int
    audio_output: int

    @property
    def input_tokens(self) -> int:
        """All input tokens (cached included)."""
        return self.text_input + self.audio_input + self.image_input

    @property
    def cached_tokens(self) -> int:
        """Cached input tokens, all modalities."""
        return self.text_cached + self.audio_cached + self.image_cached

    @property
    def output_tokens(self) -> int:
        """All output tokens."""
        return self.text_output + self.audio_output


@dataclass(frozen=True)
class TokenUsage(TokenTotals):
    """Token counts of a Realtime response (or a sum of them); input counts include their cached part.

    Examples
    --------
    >>> u = TokenUsage.from_realtime({"input_tokens": 30, "output_tokens": 5,
    ...     "input_token_details": {"text_tokens": 10, "audio_tokens": 20, "cached_tokens": 10,
    ...                             "cached_tokens_details": {"text_tokens": 10, "audio_tokens": 0}},
    ...     "output_token_details": {"text_tokens": 5, "audio_tokens": 0}})
    >>> u.text_cached, (u + u).input_tokens
    (10, 60)
    >>> TokenUsage.from_realtime(u.to_realtime()) == u
    True
    """

    text_input: int = 0
    audio_input: int = 0
    image_input: int = 0
    text_cached: int = 0
    audio_cached: int = 0
    image_cached: int = 0
    text_output: int = 0
    audio_output: int = 0
    notes: tuple[str, ...] = ()


    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        if not isinstance(other, TokenUsage):
            return NotImplemented
        counts = {
            f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self) if f.name != "notes"
        }
        return TokenUsage(**counts, notes=tuple(dict.fromkeys(self.notes + other.notes)))

    def to_realtime(self) -> dict[str, Any]:
        """The GA ``response.done`` ``usage`` object.

        Examples
        --------
        >>> TokenUsage(text_output=3).to_realtime()["output_token_details"]
        {'text_tokens': 3, 'audio_tokens': 0}
        """
        return {
            "total_tokens": self.total_tokens,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "input_token_details": {
                "text_tokens": self.text_input,
                "audio_tokens": self.audio_input,
                "image_tokens": self.image_input,
                "cached_tokens": self.cached_tokens,
                "cached_tokens_details": {
                    "text_tokens": self.text_cached,
                    "audio_tokens": self.audio_cached,
                    "image_tokens": self.image_cached,
                },
            },
            "output_token_details": {"text_tokens": self.text_output, "audio_tokens": self.audio_output},
        }

    @classmethod
    def from_realtime(cls, usage: Any, where: str = "usage") -> TokenUsage:
        """Read a GA ``usage`` object (dict or SDK object), checking that its sums agree.

        Raises
        ------
        voicelab.errors.ParameterError
            Naming the field: negative or non-integer counts, missing details, cached > input, sums that
            disagree.
        """
        data = as_dict(usage, where)
        input_total = count_field(data, "input_tokens", where)
        output_total = count_field(data, "output_tokens", where)
        inp = details_field(data, "input_token_details", where)
        out = details_field(data, "output_token_details", where)
        if inp is None and input_total:
            raise ParameterError(
                f"{where}.input_token_details",
                expected="the text/audio/image split of input_tokens",
                got="missing",
            )
        if out is None and output_total:
            raise ParameterError(
                f"{where}.output_token_details",
                expected="the text/audio split of output_tokens",
                got="missing",
            )
        inp, out = inp or {}, out or {}
        w_in, w_out = f"{where}.input_token_details", f"{where}.output_token_details"
        inputs = {m: count_field(inp, f"{m}_tokens", w_in) for m in ("text", "audio", "image")}
        if data.get("input_tokens") is not None and sum(inputs.values()) != input_total:
            raise ParameterError(
                f"{where}.input_tokens",
                expected=f"text + audio + image tokens = {sum(inputs.values())}",
                got=str(input_total),
            )
        outputs = {m: count_field(out, f"{m}_tokens", w_out) for m in ("text", "audio")}
        if data.get("output_tokens") is not None and sum(outputs.values()) != output_total:
            raise ParameterError(
                f"{where}.output_tokens",
                expected=f"text + audio tokens = {sum(outputs.values())}",
                got=str(output_total),
            )
        cached_total = count_field(inp, "cached_tokens", w_in)
        cached_details = details_field(inp, "cached_tokens_details", w_in)
        notes: list[str] = []
        if cached_details is not None:
            w_cached = f"{w_in}.cached_tokens_details"
            cached = {
                m: count_field(cached_details, f"{m}_tokens", w_cached) for m in ("text", "audio", "image")
            }
            for modality, value in cached.items():
                if value > inputs[modality]:
                    raise ParameterError(
                        f"{w_cached}.{modality}_tokens",
                        expected=f"≤ {modality}_tokens ({inputs[modality]})",
                        got=str(value),
                        fix="cached tokens are a subset of input tokens",
                    )
            if inp.get("cached_tokens") is not None and sum(cached.values()) != cached_total:
                raise ParameterError(
                    f"{w_in}.cached_tokens",
                    expected=f"the sum of cached_tokens_details ({sum(cached.values())})",
                    got=str(cached_total),
                )
        else:
            cached, note = split_cached(cached_total, inputs, f"{w_in}.cached_tokens")
            notes += [note] if note else []
        return cls(
            text_input=inputs["text"],
            audio_input=inputs["audio"],
            image_input=inputs["image"],
            text_cached=cached["text"],
            audio_cached=cached["audio"],
            image_cached=cached["image"],
            text_output=outputs["text"],
            audio_output=outputs["audio"],
            notes=tuple(notes),
        )
