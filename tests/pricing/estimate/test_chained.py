"""Chained-pipeline and one-shot request estimates by hand (voicelab/pricing/estimate/chained.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from voicelab.errors import ParameterError
from voicelab.pricing.estimate import (
    Conversation,
    chained,
    one_shot_costs,
    speech_to_speech,
)


def test_chained_by_hand():
    shape = Conversation(
        minutes=1,
        turns=1,
        user_share=0.5,
        assistant_share=0.5,
        instructions_tokens=100,
        words_per_minute=150,
        tokens_per_word=1.0,
        characters_per_word=6.0,
    )
    call = chained(shape, stt_model="whisper-1", chat_model="gpt-4o-mini", tts_model="tts-1", vad=False)
    parts = dict(call.turns[0].parts)
    assert parts["speech-to-text"] == Decimal("0.003")  # 30 s × $0.006/min
    assert parts["chat input"] == Decimal("0.00002625")  # (100 + 75) × $0.15/M
    assert parts["chat output"] == Decimal("0.000045")  # 75 × $0.60/M
    assert parts["text-to-speech"] == Decimal("0.00675")  # 450 characters × $15/M
    assert call.total_decimal == Decimal("0.00982125")
    priced = chained(
        shape,
        stt_model="whisper-1",
        chat_model="gpt-4o-mini",
        tts_model="tts-1",
        vad=False,
        chat_prices={"text_input": 1, "text_output": 2},
    )
    assert dict(priced.turns[0].parts)["chat input"] == Decimal("0.000175")  # 175 × $1/M
    assert dict(priced.turns[0].parts)["chat output"] == Decimal("0.00015")  # 75 × $2/M


def test_chained_context_is_rebilled_as_text():
    call = chained(Conversation(minutes=10, turns=20))
    inputs = [turn.input_tokens for turn in call.turns]
    assert inputs == sorted(inputs) and inputs[-1] > inputs[0]
    assert call.total < speech_to_speech(Conversation(minutes=10, turns=20)).total / 3


def test_one_shot_costs_by_hand():
    rows = {r.model: r for r in one_shot_costs(1.0)}
    assert rows["whisper-1"].cost == Decimal("0.006")
    # 150 wpm × 6 characters = 900 characters × $15/M
    assert rows["tts-1"].cost == Decimal("0.0135")
    assert rows["tts-1-hd"].cost == Decimal("0.027")
    # gpt-4o-mini-tts: 195 text tokens × $0.60/M + 1 min × $0.015 (page estimate)
    assert rows["gpt-4o-mini-tts"].cost == Decimal("0.015117")
    # gpt-4o-transcribe: 1 min × $0.006 (estimate) + 195 transcript tokens × $10/M
    assert rows["gpt-4o-transcribe"].cost == Decimal("0.00795")
    # gpt-audio: 600 × $32 + 195 × $10 + 1 200 × $64 = 19 200 + 1 950 + 76 800 µ$
    assert rows["gpt-audio"].cost == Decimal("0.09795")
    assert [r.to_dict()["task"] for r in one_shot_costs()][:1] == ["transcription"]


def test_chat_prices_reject_unknown_rate_names():
    with pytest.raises(ParameterError) as info:
        chained(chat_prices={"text_inptu": 1.0})
    assert info.value.param == "text_inptu"
