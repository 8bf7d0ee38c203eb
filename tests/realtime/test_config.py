"""Session configuration from keyword arguments."""

from __future__ import annotations

import pytest

from voicelab.errors import ParameterError
from voicelab.protocol.errors import ProtocolError
from voicelab.realtime.config import session_config


def test_defaults_are_pcm_24k_and_server_vad():
    cfg = session_config()
    assert cfg["type"] == "realtime"
    assert (
        cfg["audio"]["input"]["format"]
        == cfg["audio"]["output"]["format"]
        == {"type": "audio/pcm", "rate": 24000}
    )
    assert cfg["audio"]["input"]["turn_detection"] == {"type": "server_vad"}


@pytest.mark.parametrize(
    "kwargs, path, value",
    [
        (
            {"vad": "semantic_vad", "eagerness": "high"},
            ("audio", "input", "turn_detection"),
            {"type": "semantic_vad", "eagerness": "high"},
        ),
        (
            {"threshold": 0.6, "prefix_padding_ms": 200},
            ("audio", "input", "turn_detection"),
            {"type": "server_vad", "threshold": 0.6, "prefix_padding_ms": 200},
        ),
        ({"vad": None}, ("audio", "input", "turn_detection"), None),
        ({"transcription": "whisper-1"}, ("audio", "input", "transcription"), {"model": "whisper-1"}),
        ({"speed": 1.2}, ("audio", "output", "speed"), 1.2),
        ({"output_modalities": ["text"]}, ("output_modalities",), ["text"]),
        ({"noise_reduction": "near_field"}, ("audio", "input", "noise_reduction"), {"type": "near_field"}),
    ],
    ids=["semantic", "server-params", "manual", "transcription", "speed", "text-only", "noise"],
)
def test_keywords_land_in_the_ga_shape(kwargs, path, value):
    cfg = session_config(**kwargs)
    for key in path:
        cfg = cfg[key]
    assert cfg == value


def test_dict_and_keywords_merge():
    cfg = session_config({"instructions": "A", "audio": {"output": {"voice": "ash"}}}, instructions="B")
    assert cfg["instructions"] == "B" and cfg["audio"]["output"]["voice"] == "ash"


def test_partial_only_has_what_was_given():
    assert session_config(partial=True, voice="ash") == {
        "type": "realtime",
        "audio": {"output": {"voice": "ash"}},
    }


@pytest.mark.parametrize(
    "kwargs, param",
    [
        ({"voice": "robot"}, "session.audio.output.voice"),
        ({"speed": 3.0}, "session.audio.output.speed"),
        ({"vad": "push_to_talk"}, "vad"),
        ({"vad": None, "threshold": 0.5}, "threshold"),
        ({"vad": "semantic_vad", "threshold": 0.5}, "threshold"),
        ({"output_modalities": ["video"]}, "output_modalities"),
    ],
    ids=["voice", "speed", "vad-type", "params-without-vad", "wrong-vad-param", "modalities"],
)
def test_bad_values_name_the_parameter(kwargs, param):
    with pytest.raises(ParameterError) as info:
        session_config(**kwargs)
    assert info.value.param == param


@pytest.mark.parametrize(
    "kwargs, sent",
    [
        ({"voice": "nova"}, {"audio": {"output": {"voice": "nova"}}}),  # a speech voice, not a Realtime one
        ({"speed": 1.6}, {"audio": {"output": {"speed": 1.6}}}),
        (
            {"silence_duration_ms": -1},
            {"audio": {"input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": -1}}}},
        ),
        ({"session": {"audio": {"output": {"volume": 2}}}}, {"audio": {"output": {"volume": 2}}}),
    ],
    ids=["speech-only-voice", "speed", "vad-range", "unknown-field"],
)
def test_client_refuses_what_the_emulator_refuses_with_its_words(kwargs, sent):
    from voicelab.emulator.realtime.core import ServerCore

    with pytest.raises(ProtocolError) as info:
        session_config(**kwargs)
    core = ServerCore(now=0, seed=1)
    core.start()
    [event] = core.handle({"type": "session.update", "session": {"type": "realtime", **sent}})
    assert event["type"] == "error"
    error = event["error"]
    refused = info.value
    assert (error["code"], error["param"], error["message"]) == (refused.code, refused.param, str(refused))


def test_every_realtime_voice_is_accepted_and_speech_only_ones_are_not():
    from voicelab.protocol.voices import voices

    for voice in voices("realtime"):
        assert session_config(voice=voice)["audio"]["output"]["voice"] == voice
    for voice in set(voices("speech")) - set(voices("realtime")):
        with pytest.raises(ProtocolError, match=f"Invalid value: '{voice}'"):
            session_config(voice=voice)


def test_realtime_session_refuses_a_speech_voice_before_connecting():
    from voicelab.realtime.session import RealtimeSession

    with pytest.raises(ProtocolError) as info:
        RealtimeSession(voice="nova")  # never opens a socket: the config is refused in the constructor
    assert info.value.param == "session.audio.output.voice" and info.value.code == "invalid_value"
