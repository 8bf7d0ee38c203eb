"""Live translation per minute: gpt-realtime-translate vs a chained STT → LLM → TTS pipeline, to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from voicelab.errors import ParameterError, UnknownModelError
from voicelab.pricing import translation_costs


def test_a_minute_of_live_translation_both_ways():
    live, chained = translation_costs()
    assert (live.model, live.cost) == ("gpt-realtime-translate", Decimal("0.034"))
    assert chained.model == "gpt-4o-mini-transcribe + gpt-5.4-mini + gpt-4o-mini-tts"
    # 150 words/min × 1.3 = 195 text tokens each way:
    stt = Decimal("0.003") + 195 * Decimal("5") / 10**6  # est. $0.003/min audio + transcript tokens
    llm = (30 + 195) * Decimal("0.75") / 10**6 + 195 * Decimal("4.50") / 10**6  # gpt-5.4-mini
    tts = 195 * Decimal("0.60") / 10**6 + Decimal("0.015")  # text in + est. $0.015/min audio out
    assert chained.cost == stt + llm + tts == Decimal("0.02013825")


def test_minutes_scale_the_per_minute_bill():
    live, _ = translation_costs(minutes=2.5)
    assert live.cost == Decimal("0.085") and live.per_minute == 0.034


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ParameterError, match="chained_models"):
        translation_costs(chained_models=("gpt-4o-mini-transcribe",))
    with pytest.raises(ParameterError, match="minutes"):
        translation_costs(minutes=0)
    with pytest.raises(UnknownModelError, match=r"gpt-transcribe.*not published"):
        translation_costs(chained_models=("gpt-transcribe", "gpt-5.4-mini", "gpt-4o-mini-tts"))
