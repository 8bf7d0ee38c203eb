"""Every pricing test starts from the built-in tables only: no registered tables, no VOICELAB_PRICING_DIR."""

from __future__ import annotations

import pytest

from voicelab.pricing import clear_registered_tables


@pytest.fixture(autouse=True)
def _clean_tables(monkeypatch):
    monkeypatch.delenv("VOICELAB_PRICING_DIR", raising=False)
    clear_registered_tables()
    yield
    clear_registered_tables()
