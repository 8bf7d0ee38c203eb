"""``voicelab.protocol.transcription``: the per-model option rules agree with the installed SDK and the
catalogue, and the effective-session check refuses exactly what the SDK's docstrings rule out."""

from __future__ import annotations

import typing

import pytest
from openai.types.realtime import audio_transcription_param

from voicelab.engines.stt import DELAY_BEAM_SIZES
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import lookup
from voicelab.protocol.session import apply_update, default_session, normalize_session
from voicelab.protocol.transcription import (
    DELAYS,
    NO_VAD_MODELS,
    OPTION_MODELS,
    PROMPTLESS_MODELS,
    check_options,
    check_session_transcription,
)


def test_delays_are_the_sdks_and_each_has_a_beam_size():
    hints = typing.get_type_hints(audio_transcription_param.AudioTranscriptionParam)
    assert typing.get_args(hints["delay"]) == DELAYS
    assert tuple(DELAY_BEAM_SIZES) == DELAYS
    assert list(DELAY_BEAM_SIZES.values()) == sorted(DELAY_BEAM_SIZES.values())  # more delay, wider beam


def test_every_model_named_by_a_rule_is_in_the_catalogue_for_that_surface():
    kinds = {"rest": "transcription", "realtime": "realtime_transcription"}
    for surface, rules in OPTION_MODELS.items():
        for models in (*rules.values(), PROMPTLESS_MODELS[surface]):
            assert all(lookup(m, kinds[surface]) is not None for m in models), (surface, models)
    assert all(lookup(m, "realtime_transcription") for m in NO_VAD_MODELS)


@pytest.mark.parametrize(
    ("surface", "model", "options", "param"),
    [
        ("rest", "gpt-transcribe", {"keywords": ["a"], "languages": ["en"]}, None),
        ("rest", "gpt-4o-transcribe", {"keywords": ["a"]}, "keywords"),
        ("rest", "gpt-4o-transcribe-diarize", {"prompt": "hi"}, "prompt"),
        ("rest", "gpt-4o-transcribe", {"prompt": "hi", "keywords": [], "languages": None}, None),
        ("realtime", "gpt-live-transcribe", {"keywords": ["a"], "languages": ["en"]}, None),
        ("realtime", "gpt-realtime-whisper", {"delay": "xhigh"}, None),
        ("realtime", "gpt-realtime-whisper", {"prompt": "tech"}, "prompt"),
        ("realtime", "gpt-realtime-whisper", {"prompt": ""}, None),  # the default empty prompt is "not set"
        ("realtime", "whisper-1", {"delay": "low"}, "delay"),
        ("realtime", "gpt-4o-mini-transcribe", {"languages": ["ja"]}, "languages"),
    ],
)
def test_check_options(surface, model, options, param):
    if param is None:
        check_options(surface, model, options)
        return
    with pytest.raises(ProtocolError) as refused:
        check_options(surface, model, options, prefix="x.")
    assert (refused.value.code, refused.value.param) == ("unsupported_parameter", "x." + param)
    assert model in refused.value.message


def test_whisper_transcription_session_needs_null_turn_detection_on_every_path():
    whisper = {"model": "gpt-realtime-whisper", "delay": "low"}
    body = {"type": "transcription", "audio": {"input": {"transcription": whisper}}}
    with pytest.raises(ProtocolError) as refused:  # client secrets / ephemeral key sessions
        normalize_session(body, session_id="s")
    assert refused.value.param == "session.audio.input.turn_detection"
    body["audio"]["input"]["turn_detection"] = None
    session = normalize_session(body, session_id="s")
    assert session["audio"]["input"]["transcription"]["delay"] == "low"
    # session.update: turning VAD back on later is refused too; the stored session is unchanged
    update = {"type": "transcription", "audio": {"input": {"turn_detection": {"type": "server_vad"}}}}
    with pytest.raises(ProtocolError):
        apply_update(session, update, voice_locked=False)
    assert session["audio"]["input"]["turn_detection"] is None
    # a realtime (conversation) session may transcribe with gpt-realtime-whisper under server VAD
    realtime = default_session("realtime", session_id="s", model="gpt-realtime-2", expires_at=0)
    update = {"type": "realtime", "audio": {"input": {"transcription": whisper}}}
    check_session_transcription(apply_update(realtime, update, voice_locked=False))
