"""Approaches side by side, concurrency and the CLI's scenario (voicelab/pricing/estimate/compare.py)."""

from __future__ import annotations

import pytest

from voicelab.pricing.estimate import (
    Conversation,
    compare_approaches,
    concurrency,
    scenario,
    speech_to_speech,
)


def test_compare_approaches_for_a_thousand_calls():
    rows = compare_approaches(Conversation(minutes=5, turns=10), calls=1000)
    assert len(rows) == 5
    for row in rows:
        assert row.total == pytest.approx(float(row.per_call) * 1000)
        assert row.per_minute == pytest.approx(float(row.per_call) / 5)
        assert row.per_call == row.estimate.total_decimal
    by_label = {row.label: row for row in rows}
    assert by_label["gpt-realtime, no caching"].total > by_label["gpt-realtime"].total
    assert by_label["gpt-realtime-mini"].total < by_label["gpt-realtime"].total
    assert min(rows, key=lambda r: r.total).approach == "chained"


def test_concurrency():
    call = speech_to_speech(Conversation(minutes=5, turns=10))
    ten = concurrency(call, 10)
    assert ten.calls_per_hour == 120
    assert ten.per_hour == pytest.approx(call.total * 120)
    assert float(ten.average_per_minute) == pytest.approx(call.total * 10 / 5)
    assert float(ten.peak_per_minute) == pytest.approx(call.peak_per_minute * 10)
    assert ten.peak_per_minute >= ten.average_per_minute
    assert "10 calls at once" in repr(ten)


def test_scenario_matches_the_estimators():
    result = scenario("gpt-realtime-mini", minutes=5, turns=10, concurrent_calls=10, at="2026-03-01")
    direct = speech_to_speech(Conversation(minutes=5, turns=10), "gpt-realtime-mini", at="2026-03-01")
    assert result.estimate.total_decimal == direct.total_decimal
    assert result.lines.per_hour == pytest.approx(direct.total * 120)
    assert result.to_dict()["concurrent_calls"] == 10
    chained_result = scenario("chained", minutes=5, turns=10)
    assert chained_result.estimate.approach == "chained"
    truncated = scenario(minutes=30, turns=60, retention_ratio=0.5, token_limit=4_000, caching=False)
    assert any(turn.truncated for turn in truncated.estimate.turns)
    assert "truncated at 4,000" in truncated.estimate.label
