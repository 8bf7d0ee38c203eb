"""The two-turn call the hand computations of the estimator tests use."""

from __future__ import annotations

from voicelab.pricing.estimate import Conversation

TWO_TURNS = Conversation(minutes=1, turns=2, user_share=0.5, assistant_share=0.5, instructions_tokens=0)
