"""Reasoning tokens in pricing: billed as output text tokens (Responses ``output_tokens_details``, chat
``completion_tokens_details``, Realtime ``output_token_details.text_tokens``), in ``cost``, the estimators and
``voicelab cost``; amounts to the cent (exact decimals)."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal

import pytest
from openai.types.responses import ResponseUsage

from voicelab.emulator.responder.reasoning import THINKING
from voicelab.errors import ParameterError
from voicelab.pricing import cli
from voicelab.pricing.breakdown import cost
from voicelab.pricing.estimate import Conversation, speech_to_speech
from voicelab.pricing.usage import UsageKind, normalize_usage

RESPONSES_USAGE = {
    "input_tokens": 1_000,
    "input_tokens_details": {"cached_tokens": 200, "cache_write_tokens": 0},
    "output_tokens": 500,
    "output_tokens_details": {"reasoning_tokens": 300},
    "total_tokens": 1_500,
}
# gpt-4.1-mini: text $0.40 in, $0.10 cached, $1.60 out per 1M tokens
RESPONSES_COST = (
    Decimal(800) * Decimal("0.40") / 10**6
    + Decimal(200) * Decimal("0.10") / 10**6
    + Decimal(500) * Decimal("1.60") / 10**6
)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="voicelab cost")
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(list(argv)))


def test_responses_usage_is_read_with_its_reasoning_part():
    usage = normalize_usage(ResponseUsage.model_validate(RESPONSES_USAGE))
    assert usage.kind is UsageKind.RESPONSES
    assert (usage.text_input, usage.text_cached, usage.text_output, usage.reasoning_output) == (
        1000,
        200,
        500,
        300,
    )
    assert usage.notes == ("300 of the 500 output tokens are reasoning tokens, billed as output text",)


def test_responses_usage_priced_to_the_cent():
    breakdown = cost(RESPONSES_USAGE, "gpt-4.1-mini")
    assert breakdown.total_decimal == RESPONSES_COST == Decimal("0.00114")


def test_reasoning_tokens_cannot_exceed_the_output():
    bad = {**RESPONSES_USAGE, "output_tokens_details": {"reasoning_tokens": 501}}
    with pytest.raises(ParameterError, match=r"usage\.output_tokens_details\.reasoning_tokens"):
        normalize_usage(bad)


def test_chat_usage_keeps_its_reasoning_count():
    usage = normalize_usage(
        {
            "prompt_tokens": 10,
            "completion_tokens": 40,
            "completion_tokens_details": {"reasoning_tokens": 32, "audio_tokens": 0},
        }
    )
    assert (usage.text_output, usage.reasoning_output) == (40, 32)


async def test_emulator_realtime_usage_prices_its_reasoning_tokens():
    """A gpt-realtime-2 response at high effort: its reasoning tokens cost $24/M as output text."""
    from voicelab.emulator.realtime.core import ServerCore

    core = ServerCore(model="gpt-realtime-2", seed=1, vad_factory=None)
    core.start()
    created = core.handle(
        {
            "type": "response.create",
            "response": {"output_modalities": ["text"], "reasoning": {"effort": "high"}},
        }
    )
    done = next(
        e
        for e in core.reply_ready(created[0]["response"]["id"], "Hi.", [])
        if isinstance(e, dict) and e["type"] == "response.done"
    )
    usage = done["response"]["usage"]
    text_in, text_out = (
        usage["input_token_details"]["text_tokens"],
        usage["output_token_details"]["text_tokens"],
    )
    assert text_out == THINKING["high"][0] + 2  # "Hi" and "."
    expected = Decimal(text_in) * 4 / 10**6 + Decimal(text_out) * 24 / 10**6
    assert cost(done, "gpt-realtime-2").total_decimal == expected


def test_speech_to_speech_estimate_adds_reasoning_as_output_text():
    call = Conversation(minutes=5, turns=10)
    plain = speech_to_speech(call, "gpt-realtime-2")
    thinking = speech_to_speech(call, "gpt-realtime-2", reasoning_tokens=300)
    # 10 responses × 300 reasoning tokens × $24/M = $0.072; the input is unchanged (not kept in context)
    assert round(thinking.total - plain.total, 9) == 0.072
    assert [t.input_tokens for t in thinking.turns] == [t.input_tokens for t in plain.turns]
    assert dict(thinking.assumptions)["reasoning_tokens_per_turn"] == 300
    with pytest.raises(ParameterError, match="reasoning_tokens"):
        speech_to_speech(call, "gpt-realtime-2", reasoning_tokens=-1)


def test_cli_prices_a_responses_usage(tmp_path, capsys):
    path = tmp_path / "usage.json"
    path.write_text(json.dumps({"object": "response", "model": "gpt-4.1-mini", "usage": RESPONSES_USAGE}))
    assert run(str(path)) == 0
    out = capsys.readouterr().out
    assert "responses usage" in out and "reasoning tokens, billed as output text" in out
    assert "$0.0011400\n  note: 300 of the 500 output tokens are reasoning tokens" in out


def test_cli_scenario_with_reasoning_tokens(capsys):
    base = ["--model", "gpt-realtime-2", "--minutes", "5", "--turns", "10", "--json"]
    assert run(*base) == 0
    plain = json.loads(capsys.readouterr().out)["summary"]["total"]
    assert run(*base, "--reasoning-tokens", "300") == 0
    thinking = json.loads(capsys.readouterr().out)["summary"]["total"]
    assert round(thinking - plain, 6) == 0.072
