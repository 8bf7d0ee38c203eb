"""Billing rules and the usage object shared by the emulator, the client and ``voicelab.pricing``."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.pricing import normalize_usage
from voicelab.protocol.billing import (
    InputSegment,
    TokenUsage,
    audio_tokens,
    cached_prefix,
    first_text_tokens,
    text_tokens,
)


@pytest.mark.parametrize(
    "ms, role, tokens",
    [
        (0, "user", 0),
        (1, "user", 1),
        (100, "user", 1),
        (100.5, "user", 2),
        (60_000, "user", 600),
        (50, "assistant", 1),
        (51, "assistant", 2),
        (60_000, "assistant", 1200),
        (-5, "user", 0),
    ],
)
def test_audio_tokens_per_role(ms, role, tokens):
    assert audio_tokens(ms, role) == tokens


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("", 0),
        ("Hello, world!", 4),
        ("Two plus two is 4.", 7),  # o200k_base splits " 4" into " " and "4"
        ("今日はいい天気ですね。", 6),
        ("Tokyo 東京", 2),
        ("あなたは親切な音声アシスタントです。日本語で会話してください。", 20),
    ],
    ids=["empty", "english", "number", "japanese", "mixed", "instructions_ja"],
)
def test_text_tokens_are_o200k_base_counts(text, tokens):
    """The billing count is OpenAI's tokenizer (tests/protocol/test_tokenizer.py checks it against tiktoken's
    own o200k_base), not a word estimate: a word count gives the Japanese instructions 1 "word"."""
    assert text_tokens(text) == tokens


def test_text_tokens_are_the_tokenizers(monkeypatch):
    from voicelab.protocol import billing

    monkeypatch.setattr(billing, "count_text_tokens", lambda text: 1000 + len(text))
    assert text_tokens("abc") == 1003


@pytest.mark.parametrize("text", ["Hello, world! Bye.", "今日はいい天気ですね。また明日。", "a  b"])
def test_first_tokens_agree_with_the_count(text):
    for n in range(1, text_tokens(text) + 2):
        prefix = first_text_tokens(text, n)
        assert text.startswith(prefix)
        assert text_tokens(prefix) == min(n, text_tokens(text))


def test_cached_prefix_stops_at_the_first_change():
    a = [
        InputSegment(("instructions", "x"), 10),
        InputSegment(("item", 1), 2, 30),
        InputSegment(("item", 2), 5),
    ]
    changed = [a[0], InputSegment(("item", 1, "truncated"), 2, 10), a[2]]
    assert cached_prefix(a, a) == (17, 30)
    assert cached_prefix(a, changed) == (10, 0)
    assert cached_prefix([], a) == (0, 0)


def test_usage_object_roundtrip_and_pricing_reads_it():
    usage = TokenUsage(text_input=119, audio_input=13, text_cached=64, text_output=30, audio_output=91)
    wire = usage.to_realtime()
    assert wire["total_tokens"] == 253 and wire["input_token_details"]["cached_tokens"] == 64
    assert TokenUsage.from_realtime(wire) == usage
    priced = normalize_usage({"type": "response.done", "response": {"usage": wire}})
    assert (priced.text_input, priced.text_cached, priced.audio_input, priced.audio_output) == (
        119,
        64,
        13,
        91,
    )


def test_sum_of_usages():
    one = TokenUsage(text_input=3, audio_input=10, audio_output=20)
    assert (one + one).to_realtime()["total_tokens"] == 66


@pytest.mark.parametrize(
    "usage, param",
    [
        ({"input_tokens": 5, "input_token_details": {"text_tokens": 4}}, "usage.input_tokens"),
        ({"input_tokens": 5}, "usage.input_token_details"),
        (
            {"input_token_details": {"text_tokens": 1, "cached_tokens_details": {"text_tokens": 2}}},
            "usage.input_token_details.cached_tokens_details.text_tokens",
        ),
        ({"output_token_details": {"audio_tokens": -1}}, "usage.output_token_details.audio_tokens"),
    ],
    ids=["sum", "no-details", "cached-over-input", "negative"],
)
def test_bad_usage_names_the_field(usage, param):
    with pytest.raises(ParameterError) as info:
        TokenUsage.from_realtime(usage)
    assert info.value.param == param


def test_cached_total_without_details_is_attributed_with_a_note():
    usage = TokenUsage.from_realtime(
        {
            "input_tokens": 30,
            "input_token_details": {"text_tokens": 10, "audio_tokens": 20, "cached_tokens": 15},
        }
    )
    assert (usage.text_cached, usage.audio_cached) == (10, 5) and usage.notes
