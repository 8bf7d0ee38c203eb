"""Speech-to-speech estimates against hand-computed figures (voicelab/pricing/estimate/s2s.py)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from voicelab.pricing import register_table
from voicelab.pricing.estimate import (
    Conversation,
    speech_to_speech,
    speech_to_speech_minute,
)

from .conftest import TWO_TURNS


@pytest.mark.parametrize(
    ("model", "kwargs", "expected_in", "expected_out"),
    [
        # 60 s of user audio = 600 tokens × $32/M; 60 s of assistant audio = 1 200 tokens × $64/M
        ("gpt-realtime", {}, "0.0192", "0.0768"),
        # seed 002 assumed 600 output tokens per minute: 600 × $64/M
        ("gpt-realtime", {"output_tokens_per_second": 10}, "0.0192", "0.0384"),
        # mini: 600 × $10/M, 1 200 × $20/M
        ("gpt-realtime-mini", {}, "0.006", "0.024"),
        ("gpt-4o-realtime-preview", {"at": "2024-11-01"}, "0.06", "0.24"),
    ],
    ids=["gpt-realtime", "seed-002-assumption", "mini", "preview-2024-10"],
)
def test_speech_to_speech_minute(model, kwargs, expected_in, expected_out):
    minute = speech_to_speech_minute(model, **kwargs)
    assert minute.input_cost == Decimal(expected_in)
    assert minute.output_cost == Decimal(expected_out)
    assert minute.total_decimal == Decimal(expected_in) + Decimal(expected_out)


def test_seed_002_figure_versus_documented_rate():
    assert speech_to_speech_minute("gpt-realtime", output_tokens_per_second=10).total == pytest.approx(0.0576)
    assert speech_to_speech_minute("gpt-realtime").total == pytest.approx(0.096)
    assert speech_to_speech_minute("gpt-realtime").output_tokens == 1200


def test_context_is_rebilled_each_turn_by_hand():
    call = speech_to_speech(TWO_TURNS, vad=False)
    t1, t2 = call.turns
    assert (t1.input_tokens, t1.output_tokens) == (150, 349)
    assert (t2.input_tokens, t2.output_tokens) == (600, 349)  # 150 + 300 + 150
    # turn 1: 150 × $32 + 49 × $16 + 300 × $64 = 4 800 + 784 + 19 200 µ$
    assert t1.cost == Decimal("0.024784")
    # turn 2: 600 × $32 + 784 + 19 200 µ$
    assert t2.cost == Decimal("0.039184")
    assert call.total_decimal == Decimal("0.063968")
    assert call.per_minute == pytest.approx(0.063968)


def test_caching_by_hand():
    shape = Conversation(minutes=1, turns=2, user_share=0.5, assistant_share=0.5, instructions_tokens=1024)
    cached = speech_to_speech(shape, vad=False)
    uncached = speech_to_speech(shape, vad=False, caching=False)
    # turn 1 (nothing cached yet): 1 024 × $4 + 150 × $32 + 784 + 19 200 µ$ = 4 096 + 4 800 + 19 984
    assert cached.turns[0].cost == uncached.turns[0].cost == Decimal("0.02888")
    # turn 2: the previous input (1 024 + 150 = 1 174) is cached in 128-token blocks → 1 152:
    #   text 1 024 × $0.40 = 409.6; audio (600 − 128) × $32 = 15 104; audio cached 128 × $0.40 = 51.2;
    #   output 19 984 µ$
    assert cached.turns[1].cached_tokens == 1152
    assert cached.turns[1].cost == Decimal("0.0355488")
    # uncached turn 2: 1 024 × $4 + 600 × $32 + 19 984 = 4 096 + 19 200 + 19 984 µ$
    assert uncached.turns[1].cost == Decimal("0.04328")
    parts = dict(cached.turns[1].parts)
    assert parts["cached input"] == Decimal("0.0004608")  # 409.6 + 51.2 µ$


def test_cost_grows_with_turns_and_caching_mini_truncation_cut_it():
    shape = Conversation(minutes=15, turns=30)
    base = speech_to_speech(shape, caching=False)
    costs = [turn.cost for turn in base.turns]
    assert all(b > a for a, b in itertools.pairwise(costs))  # every response dearer than the last
    assert base.turns[-1].cost > 5 * base.turns[0].cost
    assert speech_to_speech(shape).total < base.total / 2
    assert speech_to_speech(shape, "gpt-realtime-mini", caching=False).total < base.total / 3
    truncated = speech_to_speech(shape, caching=False, truncation=0.5, post_instructions_token_limit=4_000)
    assert truncated.total < base.total


def test_vad_trims_silence():
    shape = Conversation(minutes=1, turns=2, user_share=0.25, assistant_share=0.5, instructions_tokens=0)
    # user buffer 15 s → 150 tokens; with VAD 7.5 s speech + 0.8 s padding = 8.3 s → 83 tokens
    assert speech_to_speech(shape, vad=False).turns[0].input_tokens == 150
    assert speech_to_speech(shape, vad=True).turns[0].input_tokens == 83
    assert speech_to_speech(shape, vad=True).total < speech_to_speech(shape, vad=False).total


def test_truncation_keeps_the_context_under_the_limit():
    shape = Conversation(minutes=20, turns=40, instructions_tokens=500)
    limit = 3_000
    auto = speech_to_speech(shape, truncation="auto", post_instructions_token_limit=limit)
    ratio = speech_to_speech(shape, truncation=0.6, post_instructions_token_limit=limit)
    for estimate in (auto, ratio):
        assert all(turn.input_tokens - 500 <= limit for turn in estimate.turns)
        assert any(turn.truncated for turn in estimate.turns)
    # retention_ratio truncates rarely (amortised), "auto" on every turn once full
    assert sum(t.truncated for t in ratio.turns) < sum(t.truncated for t in auto.turns) / 3
    # a truncation breaks the cached prefix; with 500 instruction tokens (< 1 024) nothing stays cached
    assert all(turn.cached_tokens == 0 for turn in auto.turns if turn.truncated)
    assert ratio.total < auto.total  # fewer cache misses
    disabled = speech_to_speech(shape, truncation="disabled", post_instructions_token_limit=limit)
    assert not any(t.truncated for t in disabled.turns)


def test_disabled_truncation_notes_an_overflow():
    call = speech_to_speech(Conversation(minutes=60, turns=60), truncation="disabled")
    assert call.notes and "would fail" in call.notes[0]


def test_input_transcription_is_billed_separately():
    shape = TWO_TURNS
    plain = speech_to_speech(shape, vad=False)
    with_stt = speech_to_speech(shape, vad=False, transcription_model="whisper-1")
    # whisper-1: 15 s per turn = 0.25 min × $0.006 = $0.0015 per turn
    assert dict(with_stt.turns[0].parts)["transcription"] == Decimal("0.0015")
    assert with_stt.total_decimal - plain.total_decimal == Decimal("0.003")
    assert with_stt.models == ("gpt-realtime", "whisper-1")


def test_adjustments_reach_the_estimators():
    before = speech_to_speech(TWO_TURNS, vad=False, at="2026-06-01").total_decimal
    register_table(
        {
            "name": "d",
            "adjustment": [
                {
                    "name": "discount",
                    "multiplier": 0.5,
                    "models": ["gpt-realtime"],
                    "effective": "2026-01-01",
                    "source": "s",
                }
            ],
        }
    )
    after = speech_to_speech(TWO_TURNS, vad=False, at="2026-06-01")
    assert after.total_decimal == before / 2
    assert "adjustment" in dict(after.turns[0].parts)
    assert speech_to_speech_minute("gpt-realtime", at="2026-06-01").total == pytest.approx(0.048)
