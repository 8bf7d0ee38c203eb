"""Voices per surface come from the installed SDK's ``Literal`` types, so an SDK upgrade moves both sides."""

from __future__ import annotations

import typing
from typing import Literal, Union

import pytest
from openai.types.audio import speech_create_params
from openai.types.chat import chat_completion_audio_param
from openai.types.realtime import realtime_audio_config_output

from voicelab.protocol import voices
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.validate import validate_client_event, validate_session
from voicelab.realtime.config import session_config

SDK_MODULES = {
    "speech": speech_create_params,
    "realtime": realtime_audio_config_output,
    "chat": chat_completion_audio_param,
}


def _literal(alias) -> tuple[str, ...]:
    return next(typing.get_args(a) for a in typing.get_args(alias) if typing.get_origin(a) is Literal)


@pytest.mark.parametrize("surface", sorted(SDK_MODULES))
def test_lists_are_the_sdk_literals(surface):
    assert voices.voices(surface) == _literal(SDK_MODULES[surface].Voice)


def test_counts_and_the_drift_that_was():
    assert (len(voices.SPEECH_VOICES), len(voices.REALTIME_VOICES), len(voices.CHAT_VOICES)) == (13, 10, 10)
    assert {"fable", "onyx", "nova"} == set(voices.SPEECH_VOICES) - set(voices.REALTIME_VOICES)


@pytest.mark.parametrize("surface", sorted(SDK_MODULES))
def test_a_voice_the_sdk_adds_is_accepted(monkeypatch, surface):
    module = SDK_MODULES[surface]
    before = _literal(module.Voice)
    with pytest.raises(ProtocolError):
        voices.check_voice("juniper", surface)
    grown = Union[str, Literal[(*before, "juniper")], module.VoiceID]  # noqa: UP007 — as the SDK spells it
    monkeypatch.setattr(module, "Voice", grown)
    assert voices.check_voice("juniper", surface) == "juniper"
    assert voices.voices(surface)[-1] == "juniper"
    if surface == "realtime":  # the emulator's event validation and the client's config follow
        validate_session({"type": "realtime", "audio": {"output": {"voice": "juniper"}}})
        assert session_config(voice="juniper")["audio"]["output"]["voice"] == "juniper"
        event = {"type": "response.create", "response": {"audio": {"output": {"voice": "juniper"}}}}
        assert validate_client_event(event) is event


@pytest.mark.parametrize(
    "voice, code, param",
    [
        ("nova", "invalid_value", "voice"),
        (5, "invalid_type", "voice"),
        ({"id": "voice_1", "x": 1}, "unknown_parameter", "voice.x"),
        ({}, "missing_required_parameter", "voice.id"),
        ({"id": 7}, "invalid_type", "voice.id"),
    ],
    ids=["speech-voice", "number", "custom-extra", "custom-no-id", "custom-id-type"],
)
def test_bad_realtime_voices(voice, code, param):
    with pytest.raises(ProtocolError) as info:
        voices.check_voice(voice, "realtime")
    assert (info.value.code, info.value.param) == (code, param)


def test_custom_voice_passes_everywhere():
    for surface in SDK_MODULES:
        assert voices.check_voice({"id": "voice_123"}, surface) == {"id": "voice_123"}
