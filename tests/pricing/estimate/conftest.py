"""Clean price tables for every estimator test, and the two-turn call the hand computations use."""

from __future__ import annotations

import pytest

from voicelab.pricing import clear_registered_tables
from voicelab.pricing.estimate import (
    Conversation,
)


@pytest.fixture(autouse=True)
def _clean_tables(monkeypatch):
    monkeypatch.delenv("VOICELAB_PRICING_DIR", raising=False)
    clear_registered_tables()
    yield
    clear_registered_tables()


TWO_TURNS = Conversation(minutes=1, turns=2, user_share=0.5, assistant_share=0.5, instructions_tokens=0)
