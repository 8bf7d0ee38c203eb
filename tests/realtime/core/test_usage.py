"""Usage totals: every response.done usage summed as the shared TokenUsage, transcription usage."""

from __future__ import annotations

import pytest

from voicelab.realtime.core import (
    ResponseState,
    UsageTotals,
)

from .conftest import USAGE, ready_core, response_created, response_done


def test_usage_totals_sum_every_response():
    core = ready_core()
    for n in (1, 2):
        core.receive(response_created(f"resp_{n}"), t=n)
        core.receive(response_done(f"resp_{n}"), t=n)
    u = core.usage
    assert (u.responses, u.input_text_tokens, u.input_audio_tokens) == (2, 80, 120)
    assert (u.cached_text_tokens, u.output_text_tokens, u.output_audio_tokens) == (40, 20, 80)
    merged = u.as_response_usage()
    assert merged["input_tokens"] == 200 and merged["output_tokens"] == 100 and merged["total_tokens"] == 300
    assert merged["input_token_details"]["cached_tokens"] == 40


@pytest.mark.parametrize(
    "usage, field, value",
    [
        (
            {
                "type": "tokens",
                "input_tokens": 30,
                "output_tokens": 5,
                "total_tokens": 35,
                "input_token_details": {"audio_tokens": 25, "text_tokens": 5},
            },
            "transcription_input_audio_tokens",
            25,
        ),
        ({"type": "duration", "seconds": 2.5}, "transcription_seconds", 2.5),
    ],
    ids=["tokens", "duration"],
)
def test_transcription_usage_kinds(usage, field, value):
    totals = UsageTotals()
    totals.add_transcription(usage)
    assert getattr(totals, field) == value


def test_a_usage_that_does_not_add_up_is_noted_not_summed():
    core = ready_core()
    core.receive(response_created("resp_1"), t=1.0)
    bad = {**USAGE, "input_tokens": 99}  # text 40 + audio 60 is 100
    core.receive(response_done("resp_1", usage=bad), t=2.0)
    assert core.turns[0].response.state is ResponseState.COMPLETED
    assert core.usage.responses == 0 and core.usage.input_tokens == 0
    assert len(core.usage.invalid) == 1 and "input_tokens" in core.usage.invalid[0]
