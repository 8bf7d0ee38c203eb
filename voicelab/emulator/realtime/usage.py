"""Token accounting for ``response.done`` usage and ``rate_limits.updated``, by OpenAI's documented rules.

* user (input) audio: 1 token per 100 ms, rounded up per item;
* * assistant (output) audio: 1 token per 50 ms, rounded up per item, billed again at that count when it is
  input;
* * text: :func:`count_text_tokens` — one token per word or punctuation mark (an approximation of a BPE
  tokenizer, applied the same way everywhere so that sums are consistent);
* every response bills its whole input again: instructions, tools and every conversation item it sees;
* * cached tokens: the longest run of input segments (instructions, tools, items) unchanged and in the same
  order since the previous response's input; a truncated or deleted item breaks the run. (OpenAI caches only
  prompts of 1024+ tokens; the emulator applies no minimum so that short teaching sessions show the effect.)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "InputSegment",
    "RateLimiter",
    "UsageMeter",
    "assistant_audio_tokens",
    "count_text_tokens",
    "user_audio_tokens",
]

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def count_text_tokens(text: str | None) -> int:
    """Approximate tokens of ``text``: words and punctuation marks.

    Examples
    --------
    >>> count_text_tokens("Hello, world!")
    4
    >>> count_text_tokens("")
    0
    """
    return len(_TOKEN.findall(text or ""))


def user_audio_tokens(ms: float) -> int:
    """Tokens of user audio: 1 per 100 ms, rounded up.

    Examples
    --------
    >>> user_audio_tokens(60_000), user_audio_tokens(1)
    (600, 1)
    """
    return math.ceil(max(ms, 0) / 100 - 1e-9)


def assistant_audio_tokens(ms: float) -> int:
    """Tokens of assistant audio: 1 per 50 ms, rounded up.

    Examples
    --------
    >>> assistant_audio_tokens(60_000)
    1200
    """
    return math.ceil(max(ms, 0) / 50 - 1e-9)


@dataclass(frozen=True)
class InputSegment:
    """One billed piece of a response's input; ``key`` changes whenever its content changes."""

    key: tuple[Any, ...]
    text_tokens: int = 0
    audio_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.text_tokens + self.audio_tokens


def tools_segment(tools: list[dict[str, Any]]) -> InputSegment:
    """The tools' definitions as one text segment."""
    text = json.dumps(tools, sort_keys=True)
    return InputSegment(("tools", text), count_text_tokens(text) if tools else 0)


def instructions_segment(instructions: str | None) -> InputSegment:
    """The instructions as one text segment."""
    return InputSegment(("instructions", instructions or ""), count_text_tokens(instructions))


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
        cached_text = cached_audio = 0
        for old, new in zip(self.previous, segments, strict=False):
            if old.key != new.key:
                break
            cached_text += new.text_tokens
            cached_audio += new.audio_tokens
        if remember:
            self.previous = list(segments)
        text = sum(s.text_tokens for s in segments)
        audio = sum(s.audio_tokens for s in segments)
        input_tokens = text + audio
        output_tokens = output_text + output_audio
        return {
            "total_tokens": input_tokens + output_tokens,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "input_token_details": {
                "text_tokens": text,
                "audio_tokens": audio,
                "image_tokens": 0,
                "cached_tokens": cached_text + cached_audio,
                "cached_tokens_details": {
                    "text_tokens": cached_text,
                    "audio_tokens": cached_audio,
                    "image_tokens": 0,
                },
            },
            "output_token_details": {"text_tokens": output_text, "audio_tokens": output_audio},
        }


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
