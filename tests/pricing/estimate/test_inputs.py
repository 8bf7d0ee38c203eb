"""Bad conversation shapes and estimator arguments name the parameter (pricing/estimate/inputs.py)."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.pricing.estimate import (
    Conversation,
    chained,
    compare_approaches,
    concurrency,
    one_shot_costs,
    speech_to_speech,
    speech_to_speech_minute,
    translation_costs,
)
from voicelab.pricing.estimate.inputs import one_shot_speech


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -1}, "minutes"),
        ({"turns": 0}, "turns"),
        ({"turns": 2.5}, "turns"),
        ({"user_share": 1.5}, "user_share"),
        ({"user_share": 0.6, "assistant_share": 0.6}, "user_share"),
        ({"instructions_tokens": -1}, "instructions_tokens"),
        ({"words_per_minute": 0}, "words_per_minute"),
    ],
    ids=[
        "zero-minutes",
        "negative-minutes",
        "zero-turns",
        "fractional-turns",
        "share",
        "shares-sum",
        "instructions",
        "wpm",
    ],
)
def test_bad_conversation(kwargs, param):
    with pytest.raises(ParameterError) as info:
        Conversation(**kwargs)
    assert info.value.param == param


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: speech_to_speech(model="tts-1"), "model"),
        (lambda: speech_to_speech(truncation=1.5), "truncation"),
        (lambda: speech_to_speech(truncation="sometimes"), "truncation"),
        (lambda: speech_to_speech(post_instructions_token_limit=0), "post_instructions_token_limit"),
        (lambda: chained(stt_model="tts-1"), "stt_model"),
        (lambda: chained(tts_model="whisper-1"), "tts_model"),
        (lambda: chained(chat_model="tts-1"), "chat_model"),
        (lambda: compare_approaches(calls=0), "calls"),
        (lambda: concurrency(speech_to_speech(), 0), "calls"),
        (lambda: speech_to_speech_minute("whisper-1"), "model"),
        (lambda: speech_to_speech_minute(user_seconds=-1), "user_seconds"),
        (lambda: one_shot_costs(0), "minutes"),
        (lambda: one_shot_costs(characters_per_word=0), "characters_per_word"),
        (lambda: translation_costs(0), "minutes"),
        (lambda: translation_costs(tokens_per_word=-1), "tokens_per_word"),
        (lambda: translation_costs(chained_models=("whisper-1", "gpt-4o-mini")), "chained_models"),
        (
            lambda: one_shot_speech(1, words_per_minute=0, tokens_per_word=1.3, characters_per_word=6),
            "words_per_minute",
        ),
    ],
    ids=[
        "s2s-not-realtime",
        "ratio-above-1",
        "truncation-word",
        "limit-zero",
        "stt-not-transcription",
        "tts-not-speech",
        "chat-without-text-prices",
        "calls-zero",
        "concurrency-zero",
        "minute-not-realtime",
        "minute-negative",
        "one-shot-zero",
        "one-shot-characters",
        "translation-zero",
        "translation-tokens-per-word",
        "translation-two-models",
        "speech-wpm",
    ],
)
def test_bad_estimator_arguments(call, param):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.param == param


def test_one_shot_speech_sizes_half_a_minute_of_fast_speech() -> None:
    speech = one_shot_speech(0.5, words_per_minute=200, tokens_per_word=1.5, characters_per_word=5.0)
    assert (speech.seconds, speech.text_tokens, speech.characters) == (30.0, 150, 500)
