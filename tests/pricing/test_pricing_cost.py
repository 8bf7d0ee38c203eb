"""Exact costs of every usage kind and model family, hand-computed (voicelab/pricing/breakdown.py)."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from openai.types import CompletionUsage
from openai.types.audio.transcription import Transcription, UsageDuration, UsageTokens
from openai.types.chat import ChatCompletion
from openai.types.realtime import RealtimeResponseUsage
from openai.types.realtime.conversation_item_input_audio_transcription_completed_event import (
    ConversationItemInputAudioTranscriptionCompletedEvent,
)
from openai.types.realtime.response_done_event import ResponseDoneEvent

from voicelab.errors import ParameterError, PricingError, UnknownModelError
from voicelab.pricing import (
    Usage,
    UsageKind,
    cost,
    detect_kind,
    normalize_usage,
    price_usage,
    quote,
    register_table,
)

from .conftest import DOC_USAGE

# gpt-realtime, per 1M tokens: text 4 / 0.40 / 16, audio 32 / 0.40 / 64
#   text input uncached (119 − 64) = 55 × $4    = $0.000220
#   text input cached            64 × $0.40    = $0.0000256
#   audio input                  13 × $32      = $0.000416
#   text output                  30 × $16      = $0.000480
#   audio output                 91 × $64      = $0.005824
#                                        total = $0.0069656
GPT_REALTIME_DOC_TOTAL = Decimal("0.0069656")



def test_documented_example_on_gpt_realtime_is_0_0069656():
    breakdown = cost(DOC_USAGE, "gpt-realtime")
    assert breakdown.total_decimal == GPT_REALTIME_DOC_TOTAL
    assert breakdown.total == pytest.approx(0.0069656, abs=1e-12)
    amounts = {(line.modality, line.direction): line.amount for line in breakdown.lines}
    assert amounts == {
        ("text", "input"): Decimal("0.000220"),
        ("text", "cached"): Decimal("0.0000256"),
        ("audio", "input"): Decimal("0.000416"),
        ("text", "output"): Decimal("0.000480"),
        ("audio", "output"): Decimal("0.005824"),
    }
    assert breakdown.kind is UsageKind.REALTIME


@pytest.mark.parametrize(
    ("model", "at", "expected"),
    [
        # mini: 55×0.60 + 64×0.06 + 13×10 + 30×2.40 + 91×20 = 33 + 3.84 + 130 + 72 + 1820 = 2058.84 µ$
        ("gpt-realtime-mini", None, "0.00205884"),
        # 2024-10-01 prices: 55×5 + 64×2.5 + 13×100 + 30×20 + 91×200
        #   = 275 + 160 + 1300 + 600 + 18200 = 20535 µ$
        ("gpt-4o-realtime-preview", "2024-11-01", "0.020535"),
        # after the 2024-12-17 cut: 275 + 160 + 13×40 + 600 + 91×80 = 275 + 160 + 520 + 600 + 7280 = 8835 µ$
        ("gpt-4o-realtime-preview", "2025-01-01", "0.008835"),
        ("gpt-4o-realtime-preview-2024-12-17", "2025-01-01", "0.008835"),
        ("gpt-4o-realtime-preview-2024-10-01", "2025-06-01", "0.020535"),
        # mini preview: 55×0.60 + 64×0.30 + 13×10 + 30×2.40 + 91×20 = 33 + 19.2 + 130 + 72 + 1820 = 2074.2 µ$
        ("gpt-4o-mini-realtime-preview", None, "0.0020742"),
        ("gpt-realtime-2025-08-28", None, "0.0069656"),
    ],
    ids=[
        "mini",
        "preview-2024-10",
        "preview-after-cut",
        "snapshot-2024-12-17",
        "snapshot-2024-10-01",
        "mini-preview",
        "dated-gpt-realtime",
    ],
)
def test_documented_example_on_each_realtime_family(model, at, expected):
    assert cost(DOC_USAGE, model, at=at).total_decimal == Decimal(expected)


def test_repr_is_a_stable_table():
    assert repr(cost(DOC_USAGE, "gpt-realtime")) == "\n".join(
        [
            "gpt-realtime · realtime usage · prices effective 2025-08-28",
            "  modality  billed   quantity  rate                        cost",
            "  text      input   55 tokens  $4.00 per 1M tokens   $0.0002200",
            "  text      cached  64 tokens  $0.40 per 1M tokens   $0.0000256",
            "  audio     input   13 tokens  $32.00 per 1M tokens  $0.0004160",
            "  text      output  30 tokens  $16.00 per 1M tokens  $0.0004800",
            "  audio     output  91 tokens  $64.00 per 1M tokens  $0.0058240",
            "  total                                              $0.0069656",
        ]
    )


def test_breakdown_rows_and_dict():
    breakdown = cost(DOC_USAGE, "gpt-realtime")
    rows = breakdown.to_rows()
    assert [r["amount"] for r in rows] == pytest.approx([0.00022, 0.0000256, 0.000416, 0.00048, 0.005824])
    data = breakdown.to_dict()
    assert data["total_exact"] == "0.0069656" and data["effective"] == "2025-08-28"
    assert breakdown.amount(direction="output") == Decimal("0.006304")
    assert breakdown.amount(modality="text") == Decimal("0.0007256")


# ---------------------------------------------------------------------------------------------- SDK objects


def test_sdk_realtime_usage_object():
    usage = RealtimeResponseUsage.model_validate(DOC_USAGE)
    assert cost(usage, "gpt-realtime").total_decimal == GPT_REALTIME_DOC_TOTAL


def test_sdk_response_done_event():
    event = ResponseDoneEvent.model_validate(
        {
            "type": "response.done",
            "event_id": "event_1",
            "response": {
                "id": "resp_1",
                "object": "realtime.response",
                "status": "completed",
                "output": [],
                "usage": DOC_USAGE,
            },
        }
    )
    assert cost(event, "gpt-realtime").total_decimal == GPT_REALTIME_DOC_TOTAL
    assert cost(event.model_dump(), "gpt-realtime").total_decimal == GPT_REALTIME_DOC_TOTAL


CHAT_AUDIO = {
    "prompt_tokens": 1000,
    "completion_tokens": 500,
    "total_tokens": 1500,
    "prompt_tokens_details": {"audio_tokens": 800, "cached_tokens": 0},
    "completion_tokens_details": {"audio_tokens": 400, "reasoning_tokens": 0},
}
# gpt-audio: text in 200 × $2.50 = 500 µ$; audio in 800 × $32 = 25 600 µ$; text out 100 × $10 = 1 000 µ$;
# audio out 400 × $64 = 25 600 µ$ → $0.0527
GPT_AUDIO_TOTAL = Decimal("0.0527")


def test_chat_completions_audio_usage():
    breakdown = cost(CHAT_AUDIO, "gpt-audio")
    assert breakdown.total_decimal == GPT_AUDIO_TOTAL
    assert breakdown.kind is UsageKind.CHAT


def test_sdk_completion_usage_and_chat_completion_carrying_the_model():
    usage = CompletionUsage.model_validate(CHAT_AUDIO)
    assert cost(usage, "gpt-audio").total_decimal == GPT_AUDIO_TOTAL
    completion = ChatCompletion.model_validate(
        {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o-mini-audio-preview-2024-12-17",
            "choices": [],
            "usage": CHAT_AUDIO,
        }
    )
    breakdown = cost(completion)  # model read from the completion
    # mini audio preview: 200 × 0.15 + 800 × 10 + 100 × 0.60 + 400 × 20 = 30 + 8000 + 60 + 8000 µ$
    assert breakdown.total_decimal == Decimal("0.01609")
    assert breakdown.model == "gpt-4o-mini-audio-preview"


def test_chat_cached_tokens_on_a_text_model():
    usage = {
        "prompt_tokens": 2000,
        "completion_tokens": 300,
        "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    }
    # gpt-4o-mini: 976 × 0.15 + 1024 × 0.075 + 300 × 0.60 = 146.4 + 76.8 + 180 = 403.2 µ$
    assert cost(usage, "gpt-4o-mini").total_decimal == Decimal("0.0004032")


def test_cached_tokens_without_a_cached_rate_bill_at_input_rate():
    usage = copy.deepcopy(CHAT_AUDIO)
    usage["prompt_tokens_details"]["cached_tokens"] = 128
    breakdown = cost(usage, "gpt-audio")
    assert breakdown.total_decimal == GPT_AUDIO_TOTAL
    [cached] = [line for line in breakdown.lines if line.direction == "cached"]
    assert cached.rate == Decimal("2.5") and cached.quantity == 128
    assert any("attributed text" in note for note in breakdown.notes)  # audio was present too: said so


def test_reasoning_tokens_are_billed_as_text_output():
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 50,
        "completion_tokens_details": {"reasoning_tokens": 40, "text_tokens": 10, "audio_tokens": 0},
    }
    # gpt-4.1-mini: 10 × 0.40 + 50 × 1.60 = 4 + 80 µ$
    assert cost(usage, "gpt-4.1-mini").total_decimal == Decimal("0.000084")


TRANSCRIPTION_TOKENS = {
    "type": "tokens",
    "input_tokens": 1000,
    "output_tokens": 200,
    "total_tokens": 1200,
    "input_token_details": {"audio_tokens": 950, "text_tokens": 50},
}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 950 × $6 + 50 × $2.50 + 200 × $10 = 5700 + 125 + 2000 µ$
        ("gpt-4o-transcribe", "0.007825"),
        # 950 × $3 + 50 × $1.25 + 200 × $5 = 2850 + 62.5 + 1000 µ$
        ("gpt-4o-mini-transcribe", "0.0039125"),
    ],
    ids=["transcribe", "mini-transcribe"],
)
def test_transcription_token_usage(model, expected):
    assert cost(TRANSCRIPTION_TOKENS, model).total_decimal == Decimal(expected)
    sdk = UsageTokens.model_validate(TRANSCRIPTION_TOKENS)
    assert cost(sdk, model).total_decimal == Decimal(expected)
    wrapped = Transcription.model_validate({"text": "hi", "usage": TRANSCRIPTION_TOKENS})
    assert cost(wrapped, model).total_decimal == Decimal(expected)


def test_realtime_input_transcription_completed_event():
    event = ConversationItemInputAudioTranscriptionCompletedEvent.model_validate(
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "event_id": "e",
            "item_id": "i",
            "content_index": 0,
            "transcript": "hello",
            "usage": TRANSCRIPTION_TOKENS,
        }
    )
    assert cost(event, "gpt-4o-mini-transcribe").total_decimal == Decimal("0.0039125")


@pytest.mark.parametrize(
    "usage",
    [
        {"type": "duration", "seconds": 90},
        {"seconds": 90.0},
        UsageDuration(type="duration", seconds=90),
    ],
    ids=["dict", "untyped", "sdk"],
)
def test_whisper_duration_usage(usage):
    # 90 s = 1.5 min × $0.006
    assert cost(usage, "whisper-1").total_decimal == Decimal("0.009")


def test_duration_on_a_token_model_uses_the_per_minute_estimate():
    # realtime input transcription may report duration; gpt-4o-transcribe's page estimate is $0.006/min
    assert cost({"type": "duration", "seconds": 30}, "gpt-4o-transcribe").total_decimal == Decimal("0.003")


@pytest.mark.parametrize(
    ("usage", "model", "expected"),
    [
        # speech.audio.done: 14 × $0.60 + 101 × $12 = 8.4 + 1212 µ$
        ({"input_tokens": 14, "output_tokens": 101, "total_tokens": 115}, "gpt-4o-mini-tts", "0.0012204"),
        (
            {
                "type": "speech.audio.done",
                "usage": {"input_tokens": 14, "output_tokens": 101, "total_tokens": 115},
            },
            "gpt-4o-mini-tts",
            "0.0012204",
        ),
        ({"characters": 1000}, "tts-1", "0.015"),
        ({"characters": 1000}, "tts-1-hd", "0.03"),
        (
            {"model": "tts-1", "input": "Hello", "voice": "alloy"},
            None,
            "0.000075",
        ),  # a speech request: 5 characters
    ],
    ids=["speech-usage", "speech-event", "tts-1", "tts-1-hd", "request"],
)
def test_speech_usage(usage, model, expected):
    assert cost(usage, model).total_decimal == Decimal(expected)


def test_negotiated_discount_is_a_line_and_multiplies_the_total():
    register_table(
        {
            "name": "acme",
            "adjustment": [
                {
                    "name": "negotiated discount",
                    "multiplier": 0.8,
                    "models": ["gpt-realtime"],
                    "effective": "2026-01-01",
                    "source": "contract 42",
                }
            ],
        }
    )
    discounted = cost(DOC_USAGE, "gpt-realtime", at="2026-02-01")
    assert discounted.total_decimal == GPT_REALTIME_DOC_TOTAL * Decimal("0.8")  # 0.00557248
    assert discounted.lines[-1].direction == "negotiated discount"
    assert discounted.lines[-1].amount == Decimal("-0.00139312")
    assert "×0.8" in repr(discounted)
    assert cost(DOC_USAGE, "gpt-realtime", at="2025-12-31").total_decimal == GPT_REALTIME_DOC_TOTAL


def test_explicit_kind_overrides_detection():
    bare = {"input_tokens": 14, "output_tokens": 101}
    assert cost(bare, "gpt-4o-mini-tts").kind is UsageKind.SPEECH_TOKENS
    assert cost(bare, "gpt-4o-mini-tts", kind="speech_tokens").total_decimal == Decimal("0.0012204")
    with pytest.raises(ParameterError) as info:
        cost(bare, "gpt-realtime", kind=UsageKind.REALTIME)
    assert info.value.param == "usage.input_token_details"


def test_cached_tokens_without_details_are_attributed_text_first():
    usage = copy.deepcopy(DOC_USAGE)
    del usage["input_token_details"]["cached_tokens_details"]
    breakdown = cost(usage, "gpt-realtime")
    assert breakdown.total_decimal == GPT_REALTIME_DOC_TOTAL
    assert breakdown.notes


def test_usage_objects_add_up():
    a = normalize_usage(DOC_USAGE)
    total = a + a
    assert total.text_cached == 128 and total.audio_output == 182
    assert cost(total, "gpt-realtime").total_decimal == 2 * GPT_REALTIME_DOC_TOTAL


@pytest.mark.parametrize(
    ("usage", "kind"),
    [
        (DOC_USAGE, "realtime"),
        (CHAT_AUDIO, "chat"),
        (TRANSCRIPTION_TOKENS, "transcription_tokens"),
        ({"type": "duration", "seconds": 1}, "duration"),
        ({"characters": 3}, "characters"),
    ],
    ids=["realtime", "chat", "transcription", "duration", "characters"],
)
def test_detect_kind(usage, kind):
    assert detect_kind(usage).value == kind


# ---------------------------------------------------------------------------------------------- bad input


def _with(path, value):
    usage = copy.deepcopy(DOC_USAGE)
    target = usage
    *parents, leaf = path
    for key in parents:
        target = target[key]
    if value is ...:
        del target[leaf]
    else:
        target[leaf] = value
    return usage


@pytest.mark.parametrize(
    ("usage", "param"),
    [
        (_with(["input_token_details", "audio_tokens"], -1), "usage.input_token_details.audio_tokens"),
        (_with(["output_token_details", "audio_tokens"], -91), "usage.output_token_details.audio_tokens"),
        (_with(["input_tokens"], -5), "usage.input_tokens"),
        (_with(["input_token_details", "text_tokens"], 1.5), "usage.input_token_details.text_tokens"),
        (_with(["input_token_details", "text_tokens"], "119"), "usage.input_token_details.text_tokens"),
        (_with(["input_token_details", "text_tokens"], True), "usage.input_token_details.text_tokens"),
        (
            _with(["input_token_details", "text_tokens"], float("inf")),
            "usage.input_token_details.text_tokens",
        ),
        (
            _with(["input_token_details", "text_tokens"], float("nan")),
            "usage.input_token_details.text_tokens",
        ),
        (_with(["input_token_details"], ...), "usage.input_token_details"),
        (_with(["output_token_details"], ...), "usage.output_token_details"),
        (_with(["input_tokens"], 100), "usage.input_tokens"),
        (_with(["output_tokens"], 1), "usage.output_tokens"),
        (
            _with(["input_token_details", "cached_tokens_details", "text_tokens"], 200),
            "usage.input_token_details.cached_tokens_details.text_tokens",
        ),
        (
            _with(["input_token_details", "cached_tokens_details", "audio_tokens"], 14),
            "usage.input_token_details.cached_tokens_details.audio_tokens",
        ),
        (_with(["input_token_details", "cached_tokens"], 65), "usage.input_token_details.cached_tokens"),
    ],
    ids=[
        "negative-audio-in",
        "negative-audio-out",
        "negative-total",
        "fractional",
        "string",
        "bool",
        "inf",
        "nan",
        "no-input-details",
        "no-output-details",
        "input-sum",
        "output-sum",
        "cached-text-above-input",
        "cached-audio-above-input",
        "cached-total-disagrees",
    ],
)
def test_bad_realtime_usage_names_the_field(usage, param):
    with pytest.raises(ParameterError) as info:
        cost(usage, "gpt-realtime")
    assert info.value.param == param


@pytest.mark.parametrize(
    ("usage", "model", "param"),
    [
        ({"prompt_tokens": 10}, "gpt-4o-mini", "usage.completion_tokens"),
        ({"completion_tokens": 10}, "gpt-4o-mini", "usage.prompt_tokens"),
        ({"prompt_tokens": -1, "completion_tokens": 0}, "gpt-4o-mini", "usage.prompt_tokens"),
        (
            {"prompt_tokens": 10, "completion_tokens": 0, "prompt_tokens_details": {"cached_tokens": 11}},
            "gpt-4o-mini",
            "usage.prompt_tokens_details.cached_tokens",
        ),
        (
            {"prompt_tokens": 10, "completion_tokens": 0, "prompt_tokens_details": {"audio_tokens": 11}},
            "gpt-audio",
            "usage.prompt_tokens_details.audio_tokens",
        ),
        (
            {"prompt_tokens": 10, "completion_tokens": 5, "completion_tokens_details": {"audio_tokens": 6}},
            "gpt-audio",
            "usage.completion_tokens_details.audio_tokens",
        ),
        ({"type": "duration"}, "whisper-1", "usage.seconds"),
        ({"type": "duration", "seconds": -3}, "whisper-1", "usage.seconds"),
        ({"type": "duration", "seconds": float("nan")}, "whisper-1", "usage.seconds"),
        ({"type": "duration", "seconds": "long"}, "whisper-1", "usage.seconds"),
        ({"type": "tokens", "input_tokens": 5}, "gpt-4o-transcribe", "usage.output_tokens"),
        (
            {
                "type": "tokens",
                "input_tokens": 5,
                "output_tokens": 1,
                "input_token_details": {"audio_tokens": 4},
            },
            "gpt-4o-transcribe",
            "usage.input_tokens",
        ),
        ({"input_tokens": 5}, "gpt-4o-mini-tts", "usage.output_tokens"),
        ({"characters": -1}, "tts-1", "usage.characters"),
        ({"foo": 1}, "gpt-realtime", "usage"),
        (
            {"input_tokens": 3, "output_tokens": 1},
            "gpt-audio",
            "usage",
        ),  # bare tokens on a chat model: ambiguous
    ],
    ids=[
        "chat-no-completion",
        "chat-no-prompt",
        "chat-negative",
        "chat-cached-above-prompt",
        "chat-audio-above-prompt",
        "chat-audio-above-completion",
        "duration-missing",
        "duration-negative",
        "duration-nan",
        "duration-string",
        "transcription-missing-output",
        "transcription-details-sum",
        "speech-missing-output",
        "characters-negative",
        "unknown-shape",
        "ambiguous",
    ],
)
def test_bad_usage_of_each_kind_names_the_field(usage, model, param):
    with pytest.raises(ParameterError) as info:
        cost(usage, model)
    assert info.value.param == param
    assert "expected" in str(info.value)


@pytest.mark.parametrize("usage", [42, "usage", None, [1, 2]], ids=["int", "str", "none", "list"])
def test_not_a_usage_object(usage):
    with pytest.raises(ParameterError) as info:
        cost(usage, "gpt-realtime")
    assert info.value.param == "usage"


def test_unknown_model_lists_close_names():
    with pytest.raises(UnknownModelError, match="did you mean: gpt-realtime"):
        cost(DOC_USAGE, "gpt-realtme")
    with pytest.raises(UnknownModelError, match="whisper-1"):
        cost({"seconds": 3}, "whisper1")


def test_model_required_when_the_object_does_not_say():
    with pytest.raises(ParameterError) as info:
        cost(DOC_USAGE)
    assert info.value.param == "model"


def test_bad_kind_and_date():
    with pytest.raises(ParameterError) as info:
        cost(DOC_USAGE, "gpt-realtime", kind="video")
    assert info.value.param == "kind"
    with pytest.raises(ParameterError) as info:
        cost(DOC_USAGE, "gpt-realtime", at="next tuesday")
    assert info.value.param == "at"


def test_historical_date_before_model_existed():
    with pytest.raises(UnknownModelError, match="on 2024-06-01"):
        cost(DOC_USAGE, "gpt-4o-realtime-preview", at="2024-06-01")


@pytest.mark.parametrize(
    ("usage", "model", "missing"),
    [
        ({"characters": 100}, "gpt-realtime", "per_million_characters"),
        (
            {
                "input_tokens": 5,
                "output_tokens": 0,
                "input_token_details": {"image_tokens": 5},
                "output_token_details": {},
            },
            "gpt-4o-realtime-preview",
            "image_input",
        ),
        ({"type": "duration", "seconds": 5}, "tts-1", "estimated_per_minute"),
    ],
    ids=["characters-on-realtime", "image-on-preview", "duration-on-tts"],
)
def test_usage_the_model_has_no_price_for(usage, model, missing):
    with pytest.raises(PricingError, match=missing):
        cost(usage, model)


def test_usage_record_validates_itself():
    with pytest.raises(ParameterError) as info:
        Usage(UsageKind.REALTIME, text_input=1, text_cached=2)
    assert info.value.param == "text_cached"
    with pytest.raises(ParameterError) as info:
        Usage(UsageKind.CHAT, audio_output=-1)
    assert info.value.param == "audio_output"


def test_estimated_per_minute_is_labelled_as_an_estimate():
    [line] = cost({"type": "duration", "seconds": 30}, "gpt-4o-transcribe").lines
    assert line.rate_unit == "per minute (estimate)"
    [line] = cost({"type": "duration", "seconds": 30}, "whisper-1").lines
    assert line.rate_unit == "per minute"


def test_a_session_list_is_priced_as_the_sum():
    event = {"type": "response.done", "response": {"usage": DOC_USAGE}}
    breakdown = cost([event, DOC_USAGE, RealtimeResponseUsage.model_validate(DOC_USAGE)], "gpt-realtime")
    assert breakdown.total_decimal == 3 * GPT_REALTIME_DOC_TOTAL
    assert breakdown.usage.audio_output == 273
    with pytest.raises(ParameterError) as info:
        cost([], "gpt-realtime")
    assert info.value.param == "usage"
    with pytest.raises(ParameterError) as info:
        cost([DOC_USAGE, {"type": "duration", "seconds": 3}], "gpt-realtime")
    assert info.value.param == "usage"


# ---------------------------------------------------------------------------------------------- issue 13 rows


@pytest.mark.parametrize(
    ("model", "seconds", "expected"),
    [
        ("gpt-realtime-whisper", 90, "0.0255"),  # $0.017 per minute × 1.5 min
        ("gpt-realtime-whisper", "0.6", "0.00017"),  # sub-cent, exact
        ("gpt-realtime-translate", 90, "0.051"),  # $0.034 per minute × 1.5 min
        ("gpt-realtime-translate", 3600, "2.04"),
    ],
)
def test_per_minute_models_bill_by_duration_exactly(model, seconds, expected):
    breakdown = cost({"type": "duration", "seconds": seconds}, model)
    assert breakdown.total_decimal == Decimal(expected)
    assert [(line.direction, line.unit) for line in breakdown.lines] == [("duration", "seconds")]


def _realtime_usage(*, text_in=0, audio_in=0, cached_audio=0, text_out=0, audio_out=0) -> dict:
    details = {"text_tokens": text_in, "audio_tokens": audio_in, "image_tokens": 0}
    return {
        "total_tokens": text_in + audio_in + text_out + audio_out,
        "input_tokens": text_in + audio_in,
        "output_tokens": text_out + audio_out,
        "input_token_details": {
            **details,
            "cached_tokens": cached_audio,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": cached_audio, "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
    }


def test_gpt_realtime_2_audio_rates():
    breakdown = cost(_realtime_usage(audio_in=1000, cached_audio=400, audio_out=2000), "gpt-realtime-2")
    # 600 × $32/M + 400 × $0.40/M + 2000 × $64/M
    assert breakdown.total_decimal == Decimal("0.0192") + Decimal("0.00016") + Decimal("0.128")
    assert breakdown.effective.isoformat() == "2026-05-07"


def test_unpublished_rates_say_so():
    """A model whose rates OpenAI has not published is refused with that reason, not guessed."""
    with pytest.raises(UnknownModelError, match="not published by OpenAI"):
        cost(_realtime_usage(text_in=10, text_out=20), "gpt-audio-1.5")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 10 000 text in × $4/M + 2 000 text out (reasoning included) × $24/M + 1 000 audio out × $64/M
        ("gpt-realtime-2", Decimal("0.04") + Decimal("0.048") + Decimal("0.064")),
        ("gpt-realtime-2.1", Decimal("0.04") + Decimal("0.048") + Decimal("0.064")),
        # $0.60/M, $2.40/M, $20/M
        ("gpt-realtime-2.1-mini", Decimal("0.006") + Decimal("0.0048") + Decimal("0.02")),
    ],
)
def test_reasoning_models_bill_reasoning_tokens_as_output_text(model, expected):
    """Realtime usage has no reasoning field: reasoning tokens are in output text tokens, at the text rate."""
    breakdown = cost(_realtime_usage(text_in=10_000, text_out=2_000, audio_out=1_000), model)
    assert breakdown.total_decimal == expected
    assert round(breakdown.total, 2) == round(float(expected), 2)


@pytest.fixture
def partly_published():
    """A model whose audio rates are published and whose text rates are not (as gpt-realtime-2 was in May)."""
    from voicelab.pricing import unregister_table

    table = register_table(
        {
            "name": "partly-published",
            "model": [{"name": "acme-voice", "category": "realtime", "not_published": "text rates (test)"}],
            "price": [
                {"model": "acme-voice", "effective": "2026-01-01", "source": "test", "audio_input": 32.0,
                 "audio_output": 64.0}
            ],
        }
    )
    yield "acme-voice"
    unregister_table(table[0])


def test_unpublished_quantities_stay_out_of_the_total_and_are_named(partly_published):
    breakdown = cost(_realtime_usage(text_in=10, text_out=20, audio_out=2000), partly_published)
    assert breakdown.total_decimal == Decimal("0.128")  # only the 2000 audio output tokens at $64/M
    assert breakdown.unpriced == (
        "text input: 10 tokens (acme-voice text_input price not published by OpenAI)",
        "text output: 20 tokens (acme-voice text_output price not published by OpenAI)",
    )
    assert "not in the total: text input: 10 tokens" in breakdown.table()
    assert breakdown.to_dict()["unpriced"] == list(breakdown.unpriced)


def test_price_usage_still_raises_for_an_unpublished_rate_unless_asked_to_collect(partly_published):
    with pytest.raises(PricingError, match=r"text_input price: not published by OpenAI"):
        price_usage(Usage(UsageKind.REALTIME, text_input=10), quote(partly_published))


@pytest.mark.parametrize(
    "model",
    [
        "gpt-audio-1.5",
        "gpt-transcribe",
        "gpt-live-transcribe",
        "gpt-4o-transcribe-diarize",
    ],
)
def test_models_without_a_published_price_say_so(model):
    with pytest.raises(UnknownModelError, match="not published by OpenAI") as caught:
        cost({"type": "duration", "seconds": 60}, model)
    assert caught.value.not_published and caught.value.close == []
