"""Result rows and text tables (voicelab/pricing/estimate/results.py)."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.pricing.estimate import (
    Conversation,
    compare_approaches,
    concurrency,
    one_shot_costs,
    speech_to_speech,
    to_table,
)

from .conftest import TWO_TURNS


def test_rows_are_tidy():
    call = speech_to_speech(TWO_TURNS)
    rows = call.to_rows()
    assert [r["turn"] for r in rows] == [1, 2]
    assert {"label", "minute", "input", "cached input", "output", "cost", "cumulative"} <= set(rows[0])
    assert rows[-1]["cumulative"] == pytest.approx(call.total)
    assert call.summary()["turns"] == 2
    assert "turn cost" in call.table()
    assert repr(call).startswith("gpt-realtime: 1 min, 2 turns → $")


def test_to_table_of_each_result_kind_and_bad_input():
    call = speech_to_speech(Conversation(minutes=5, turns=10))
    assert to_table([call]).splitlines()[1].startswith("gpt-realtime")
    assert "1,000 calls" in to_table(compare_approaches(calls=1000)).splitlines()[0]
    assert "whisper-1" in to_table(one_shot_costs())
    assert "at once" in to_table([concurrency(call, 2)])
    with pytest.raises(ParameterError):
        to_table([])
    with pytest.raises(ParameterError):
        to_table([call, concurrency(call, 2)])
    with pytest.raises(ParameterError):
        to_table([1, 2])
