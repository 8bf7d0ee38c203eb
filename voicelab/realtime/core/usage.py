"""Token totals of a client session: the usage of every ``response.done`` and input transcription, summed.

Examples
--------
>>> totals = UsageTotals()
>>> totals.add_transcription({"type": "duration", "seconds": 2.5})
>>> totals.as_transcription_usage()
{'type': 'duration', 'seconds': 2.5}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["UsageTotals"]


@dataclass
class UsageTotals:
    """Tokens summed over every ``response.done`` (and transcription) of a session.

    Examples
    --------
    >>> totals = UsageTotals()
    >>> totals.add_response({"input_token_details": {"text_tokens": 10, "audio_tokens": 40},
    ...                      "output_token_details": {"text_tokens": 5, "audio_tokens": 60}})
    >>> totals.add_response({"input_token_details": {"text_tokens": 12, "cached_tokens": 8},
    ...                      "output_token_details": {"text_tokens": 7}})
    >>> totals.responses, totals.input_tokens, totals.output_tokens, totals.cached_text_tokens
    (2, 62, 72, 8)
    >>> totals.as_response_usage()["total_tokens"]
    134
    """

    responses: int = 0
    input_text_tokens: int = 0
    input_audio_tokens: int = 0
    input_image_tokens: int = 0
    cached_text_tokens: int = 0
    cached_audio_tokens: int = 0
    output_text_tokens: int = 0
    output_audio_tokens: int = 0
    transcription_input_tokens: int = 0
    transcription_input_audio_tokens: int = 0
    transcription_output_tokens: int = 0
    transcription_seconds: float = 0.0

    @property
    def input_tokens(self) -> int:
        return self.input_text_tokens + self.input_audio_tokens + self.input_image_tokens

    @property
    def output_tokens(self) -> int:
        return self.output_text_tokens + self.output_audio_tokens

    def add_response(self, usage: dict[str, Any]) -> None:
        """Add one ``response.done`` ``usage`` object (GA shape)."""
        inp = usage.get("input_token_details") or {}
        out = usage.get("output_token_details") or {}
        cached = inp.get("cached_tokens_details") or {}
        self.responses += 1
        self.input_text_tokens += int(inp.get("text_tokens") or 0)
        self.input_audio_tokens += int(inp.get("audio_tokens") or 0)
        self.input_image_tokens += int(inp.get("image_tokens") or 0)
        if cached:
            self.cached_text_tokens += int(cached.get("text_tokens") or 0)
            self.cached_audio_tokens += int(cached.get("audio_tokens") or 0)
        else:  # only a total: attribute it to text
            self.cached_text_tokens += int(inp.get("cached_tokens") or 0)
        self.output_text_tokens += int(out.get("text_tokens") or 0)
        self.output_audio_tokens += int(out.get("audio_tokens") or 0)

    def add_transcription(self, usage: dict[str, Any]) -> None:
        """Add the ``usage`` of an ``…input_audio_transcription.completed`` event (tokens or duration)."""
        if usage.get("type") == "duration":
            self.transcription_seconds += float(usage.get("seconds") or 0.0)
            return
        details = usage.get("input_token_details") or {}
        self.transcription_input_tokens += int(usage.get("input_tokens") or 0)
        self.transcription_input_audio_tokens += int(details.get("audio_tokens") or 0)
        self.transcription_output_tokens += int(usage.get("output_tokens") or 0)

    def as_response_usage(self) -> dict[str, Any]:
        """The totals as one GA ``response.done`` usage object (what :func:`voicelab.pricing.cost` prices)."""
        return {
            "total_tokens": self.input_tokens + self.output_tokens,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "input_token_details": {
                "text_tokens": self.input_text_tokens,
                "audio_tokens": self.input_audio_tokens,
                "image_tokens": self.input_image_tokens,
                "cached_tokens": self.cached_text_tokens + self.cached_audio_tokens,
                "cached_tokens_details": {
                    "text_tokens": self.cached_text_tokens,
                    "audio_tokens": self.cached_audio_tokens,
                    "image_tokens": 0,
                },
            },
            "output_token_details": {
                "text_tokens": self.output_text_tokens,
                "audio_tokens": self.output_audio_tokens,
            },
        }

    def as_transcription_usage(self) -> dict[str, Any]:
        """Transcription totals as a transcription usage object (tokens, or duration when only that is
        known)."""
        if self.transcription_input_tokens == 0 and self.transcription_seconds:
            return {"type": "duration", "seconds": self.transcription_seconds}
        return {
            "type": "tokens",
            "input_tokens": self.transcription_input_tokens,
            "output_tokens": self.transcription_output_tokens,
            "total_tokens": self.transcription_input_tokens + self.transcription_output_tokens,
            "input_token_details": {
                "audio_tokens": self.transcription_input_audio_tokens,
                "text_tokens": self.transcription_input_tokens - self.transcription_input_audio_tokens,
            },
        }
