"""Token accounting for ``response.done`` usage and ``rate_limits.updated``, by OpenAI's rules as
:mod:`voicelab.protocol.billing` states them (audio tokens per ms per role, text tokens, cached prefixes, the
usage object).

Every response bills its whole input again: instructions, tools and every conversation item it sees; the
cached part is the run of those segments unchanged since the previous response's input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from voicelab.protocol.billing import InputSegment, TokenUsage, audio_tokens, cached_segments, text_tokens

__all__ = [
    "InputSegment",
    "RateLimiter",
    "UsageMeter",
    "assistant_audio_tokens",
    "count_text_tokens",
    "instructions_segment",
    "tools_segment",
    "user_audio_tokens",
]

count_text_tokens = text_tokens
"""The text-token count (:func:`voicelab.protocol.billing.text_tokens`)."""


def user_audio_tokens(ms: float) -> int:
    """Tokens of user audio (:func:`voicelab.protocol.billing.audio_tokens` for ``"user"``).

    Examples
    --------
    >>> user_audio_tokens(60_000), user_audio_tokens(1)
    (600, 1)
    """
    return audio_tokens(ms, "user")


def assistant_audio_tokens(ms: float) -> int:
    """Tokens of assistant audio (:func:`voicelab.protocol.billing.audio_tokens` for ``"assistant"``).

    Examples
    --------
    >>> assistant_audio_tokens(60_000)
    1200
    """
    return audio_tokens(ms, "assistant")


def tools_segment(tools: list[dict[str, Any]]) -> InputSegment:
    """The tools' definitions as one text segment."""
    text = json.dumps(tools, sort_keys=True)
    return InputSegment(("tools", text), text_tokens(text) if tools else 0)


def instructions_segment(instructions: str | None) -> InputSegment:
    """The instructions as one text segment."""
    return InputSegment(("instructions", instructions or ""), text_tokens(instructions))


@dataclass
class UsageMeter:
    """Remembers the previous response's input to compute cached tokens.

    Examples
    --------
    >>> meter = UsageMeter()
    >>> a = [InputSegment(("i", "x"), 10), InputSegment(("item", 1), 0, 20)]
    >>> meter.usage(a, output_text=3, output_audio=40)["input_token_details"]["cached_tokens"]
    0
    >>> usage = meter.usage(a + [InputSegment(("item", 2), 5)], output_text=1, output_audio=0)
    >>> usage["input_tokens"], usage["input_token_details"]["cached_tokens"]
    (35, 30)
    """

    previous: list[InputSegment] = field(default_factory=list)

    def usage(
        self, segments: list[InputSegment], *, output_text: int, output_audio: int, remember: bool = True
    ) -> dict[str, Any]:
        """The ``usage`` object of ``response.done`` for a response with this input and output."""
        cached = cached_segments(self.previous, segments)
        if remember:
            self.previous = list(segments)
        return TokenUsage(
            text_input=sum(s.text_tokens for s in segments),
            audio_input=sum(s.audio_tokens for s in segments),
            image_input=sum(s.image_tokens for s in segments),
            text_cached=sum(s.text_tokens for s in cached),
            audio_cached=sum(s.audio_tokens for s in cached),
            image_cached=sum(s.image_tokens for s in cached),
            text_output=output_text,
            audio_output=output_audio,
        ).to_realtime()


@dataclass
class RateLimiter:
    """Per-connection request and token budgets for ``rate_limits.updated`` (a one-minute window).

    Examples
    --------
    >>> limiter = RateLimiter(requests=100, tokens=1000)
    >>> [(r["name"], r["remaining"]) for r in limiter.spend(250)]
    [('requests', 99), ('tokens', 750)]
    """

    requests: int = 5_000
    tokens: int = 40_000
    used_requests: int = 0
    used_tokens: int = 0

    def spend(self, tokens: int) -> list[dict[str, Any]]:
        """Count one request of ``tokens`` tokens; return the ``rate_limits`` list."""
        self.used_requests += 1
        self.used_tokens += tokens
        remaining_requests = max(self.requests - self.used_requests, 0)
        remaining_tokens = max(self.tokens - self.used_tokens, 0)
        return [
            {
                "name": "requests",
                "limit": self.requests,
                "remaining": remaining_requests,
                "reset_seconds": round(60.0 * self.used_requests / self.requests, 3),
            },
            {
                "name": "tokens",
                "limit": self.tokens,
                "remaining": remaining_tokens,
                "reset_seconds": round(60.0 * min(self.used_tokens, self.tokens) / self.tokens, 3),
            },
        ]
