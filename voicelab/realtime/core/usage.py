"""Token totals of a client session: the usage of every ``response.done`` and input transcription, summed.

Response usage is read and summed as :class:`voicelab.protocol.billing.TokenUsage`, the usage object the
emulator bills with and :mod:`voicelab.pricing` prices, so the three agree by construction. A usage object
whose sums do not agree is not added: it is kept in :attr:`UsageTotals.invalid` with the reason.

Examples
--------
>>> totals = UsageTotals()
>>> totals.add_transcription({"type": "duration", "seconds": 2.5})
>>> totals.as_transcription_usage()
{'type': 'duration', 'seconds': 2.5}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voicelab.errors import ParameterError
from voicelab.protocol.billing import TokenUsage

__all__ = ["UsageTotals"]


@dataclass
class UsageTotals:
    """Tokens summed over every ``response.done`` (and transcription) of a session.

    Examples
    --------
    >>> totals = UsageTotals()
    >>> totals.add_response({"input_tokens": 50, "output_tokens": 65,
    ...                      "input_token_details": {"text_tokens": 10, "audio_tokens": 40},
    ...                      "output_token_details": {"text_tokens": 5, "audio_tokens": 60}})
    >>> totals.add_response({"input_tokens": 12, "output_tokens": 7,
    ...                      "input_token_details": {"text_tokens": 12, "cached_tokens": 8},
    ...                      "output_token_details": {"text_tokens": 7}})
    >>> totals.responses, totals.input_tokens, totals.output_tokens, totals.cached_text_tokens
    (2, 62, 72, 8)
    >>> totals.as_response_usage()["total_tokens"]
    134
    """

    responses: int = 0
    tokens: TokenUsage = field(default_factory=TokenUsage)
    transcription_input_tokens: int = 0
    transcription_input_audio_tokens: int = 0
    transcription_output_tokens: int = 0
    transcription_seconds: float = 0.0
    invalid: list[str] = field(default_factory=list)

    # the response totals by modality (views of ``tokens``)
    @property
    def input_text_tokens(self) -> int:
        return self.tokens.text_input

    @property
    def input_audio_tokens(self) -> int:
        return self.tokens.audio_input

    @property
    def input_image_tokens(self) -> int:
        return self.tokens.image_input

    @property
    def cached_text_tokens(self) -> int:
        return self.tokens.text_cached

    @property
    def cached_audio_tokens(self) -> int:
        return self.tokens.audio_cached

    @property
    def output_text_tokens(self) -> int:
        return self.tokens.text_output

    @property
    def output_audio_tokens(self) -> int:
        return self.tokens.audio_output

    @property
    def input_tokens(self) -> int:
        return self.tokens.input_tokens

    @property
    def output_tokens(self) -> int:
        return self.tokens.output_tokens

    def add_response(self, usage: dict[str, Any]) -> None:
        """Add one ``response.done`` ``usage`` object (GA shape); one that does not add up is noted in
        :attr:`invalid` instead."""
        try:
            self.tokens = self.tokens + TokenUsage.from_realtime(usage)
        except ParameterError as exc:
            self.invalid.append(str(exc))
            return
        self.responses += 1

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
        return self.tokens.to_realtime()

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
