"""ConversationCost: parts priced with voicelab.pricing, exact totals, modality breakdown."""

from __future__ import annotations

from decimal import Decimal

import pytest

from voicelab.errors import UnknownModelError
from voicelab.pricing import cost
from voicelab.realtime.costs import ConversationCost
from voicelab.realtime.metrics import MetricsTable

REALTIME = {"total_tokens": 253, "input_tokens": 132, "output_tokens": 121,
            "input_token_details": {"text_tokens": 119, "audio_tokens": 13, "image_tokens": 0,
                                    "cached_tokens": 64,
                                    "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0,
                                                              "image_tokens": 0}},
            "output_token_details": {"text_tokens": 30, "audio_tokens": 91}}


def test_parts_are_priced_and_summed_exactly():
    c = ConversationCost.from_usages({"realtime": (REALTIME, "gpt-realtime"),
                                      "transcription": ({"type": "duration", "seconds": 30}, "whisper-1")})
    assert c.total_decimal == cost(REALTIME, "gpt-realtime").total_decimal + Decimal("0.003")
    assert c.by_part() == {"realtime": pytest.approx(0.0069656), "transcription": pytest.approx(0.003)}
    assert sum(c.by_modality().values()) == pytest.approx(c.total)
    assert "total $" in repr(c)


@pytest.mark.parametrize("usage", [{}, {"type": "duration", "seconds": 0},
                                   {"input_tokens": 0, "output_tokens": 0}],
                         ids=["empty", "zero-seconds", "zero-tokens"])
def test_empty_usage_is_left_out(usage):
    c = ConversationCost.from_usages({"transcription": (usage, "whisper-1")})
    assert c.parts == {} and c.total == 0 and "no usage yet" in repr(c)


def test_metrics_table_mean_and_html():
    table = MetricsTable([{"approach": "a", "turn": 0, "first_audio_s": 1.0, "total_s": 2.0},
                          {"approach": "a", "turn": 1, "first_audio_s": 3.0, "total_s": None},
                          {"approach": "b", "turn": 0, "first_audio_s": 5.0}])
    assert table.mean("first_audio_s", "a") == 2.0 and table.mean("total_s") == 2.0
    assert table.mean("cost_usd") is None
    assert table._repr_html_().count("<tr>") == 4


def test_a_part_without_a_published_price_is_named_and_left_out_of_the_total():
    minute = {"type": "duration", "seconds": 60}
    c = ConversationCost.from_usages({"stt": (minute, "gpt-transcribe"), "tts": (minute, "whisper-1")})
    assert c.total == 0.006 and c.unpriced == {"stt": "gpt-transcribe: price not published by OpenAI"}
    assert "[stt] gpt-transcribe: price not published by OpenAI: not in the total" in repr(c)
    with pytest.raises(UnknownModelError):  # a typo is still an error, not an unpublished price
        ConversationCost.from_usages({"stt": (minute, "gpt-transcrib")})
