"""Every pricing test starts from the built-in tables only: no registered tables, no VOICELAB_PRICING_DIR.

Also the usage OpenAI documents, that several test files price.
"""

from __future__ import annotations

import pytest

from voicelab.pricing import clear_registered_tables

# OpenAI's documented response.done usage (realtime cost guide).
DOC_USAGE = {
    "total_tokens": 253,
    "input_tokens": 132,
    "output_tokens": 121,
    "input_token_details": {
        "text_tokens": 119,
        "audio_tokens": 13,
        "image_tokens": 0,
        "cached_tokens": 64,
        "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0, "image_tokens": 0},
    },
    "output_token_details": {"text_tokens": 30, "audio_tokens": 91},
}


@pytest.fixture(autouse=True)
def _clean_tables(monkeypatch):
    monkeypatch.delenv("VOICELAB_PRICING_DIR", raising=False)
    clear_registered_tables()
    yield
    clear_registered_tables()
