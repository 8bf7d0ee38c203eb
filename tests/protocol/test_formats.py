"""Audio formats, rates and sizes, read from the SDK where it lists them."""

from __future__ import annotations

import typing

import pytest
from openai.types.audio.speech_create_params import SpeechCreateParams

from voicelab.protocol import formats


def test_realtime_formats_are_the_sdk_union_members():
    assert formats.REALTIME_FORMAT_TYPES == ("audio/pcm", "audio/pcmu", "audio/pcma")
    assert set(formats.REALTIME_RATES) == set(formats.REALTIME_FORMAT_TYPES)


@pytest.mark.parametrize(
    "fmt, rate, ms_per_4800_bytes",
    [
        ({"type": "audio/pcm", "rate": 24000}, 24000, 100.0),
        ({"type": "audio/pcmu"}, 8000, 600.0),
        ("audio/pcma", 8000, 600.0),
        (None, 24000, 100.0),
    ],
)
def test_rate_and_bytes_per_ms(fmt, rate, ms_per_4800_bytes):
    assert formats.format_rate(fmt) == rate
    assert 4800 / formats.bytes_per_ms(fmt) == ms_per_4800_bytes


def test_normalised_format_and_fresh_copies():
    assert formats.realtime_format({"rate": 24000}) == {"type": "audio/pcm", "rate": 24000}
    a, b = formats.pcm_format(), formats.pcm_format()
    a["rate"] = 1
    assert b["rate"] == 24000


def test_unknown_format_is_a_clear_error():
    with pytest.raises(KeyError, match="audio/opus"):
        formats.format_rate({"type": "audio/opus"})


def test_speech_formats_follow_the_sdk_and_each_has_a_content_type():
    literal = typing.get_args(typing.get_type_hints(SpeechCreateParams)["response_format"])
    assert literal == formats.SPEECH_FORMATS
    assert set(formats.SPEECH_FORMATS) | set(formats.CHAT_AUDIO_FORMATS) <= set(formats.SPEECH_CONTENT_TYPES)
