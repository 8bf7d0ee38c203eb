"""What ``reasoning.effort`` does in the emulator: a thinking budget, a bounded delay and reasoning tokens.

A real reasoning model thinks before it answers: higher effort means more latency before the first output and
more output tokens (OpenAI's model pages for gpt-realtime-2: "Higher reasoning effort can increase latency and
output token usage"). The scripted responder does not think, so the emulator shows the effect honestly and
deterministically: each effort has a fixed budget of *reasoning tokens* (reported in usage, billed as output
text tokens) and a small *thinking delay* before the first delta, both bounded by the table below. The reply
itself does not change with the effort.

Models that are not reasoning models (``reasoning = false`` in :mod:`voicelab.protocol.models`) think for
nothing: budget 0, no delay.

Examples
--------
>>> thinking_budget("gpt-realtime-2", "high")
Thinking(effort='high', tokens=256, delay_s=0.4)
>>> thinking_budget("gpt-realtime-2", None).effort       # the default effort of a reasoning model
'low'
>>> thinking_budget("gpt-realtime", None)
Thinking(effort=None, tokens=0, delay_s=0.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from voicelab.protocol.models import is_reasoning_model

__all__ = ["DEFAULT_EFFORT", "MAX_DELAY_S", "THINKING", "Thinking", "thinking_budget"]

THINKING: dict[str, tuple[int, float]] = {
    "none": (0, 0.0),
    "minimal": (8, 0.02),
    "low": (32, 0.05),
    "medium": (96, 0.15),
    "high": (256, 0.4),
    "xhigh": (512, 0.8),
    "max": (1024, 1.5),
}
"""Effort → (reasoning tokens, thinking delay in seconds): the emulator's budget, not OpenAI's figures."""

MAX_DELAY_S = max(delay for _, delay in THINKING.values())
"""The longest thinking delay (bounded before any work starts)."""

DEFAULT_EFFORT = "low"
"""The effort of a reasoning model when none is given (gpt-realtime-2 defaults to low effort)."""


@dataclass(frozen=True)
class Thinking:
    """The thinking of one response: the effort applied, its reasoning tokens and the delay before output."""

    effort: str | None
    tokens: int
    delay_s: float


def thinking_budget(model: str, effort: str | None) -> Thinking:
    """The thinking budget of a response of ``model`` at ``effort`` (None: the model's default).

    Parameters
    ----------
    model : str
        The model id (Realtime session model, or the Responses ``model``).
    effort : str or None
        ``reasoning.effort`` as validated against the SDK's ``Literal`` (none … max).
    """
    if not is_reasoning_model(model):
        return Thinking(None, 0, 0.0)
    chosen = effort or DEFAULT_EFFORT
    tokens, delay = THINKING[chosen]
    return Thinking(chosen, tokens, delay)
