"""The model catalogue: kinds, billing units, exact ids only, OpenAI's 404."""

from __future__ import annotations

import pytest

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import CATALOGUE, KINDS, check_model, lookup, model_info, models


@pytest.mark.parametrize(
    "name, kind, billing",
    [
        ("tts-1", "speech", "characters"),
        ("gpt-4o-mini-tts", "speech", "tokens"),
        ("whisper-1", "transcription", "minutes"),
        ("whisper-1", "translation", "minutes"),
        ("gpt-4o-transcribe", "transcription", "tokens"),
        ("gpt-realtime-2025-08-28", "realtime", "tokens"),
        ("gpt-realtime-2", "realtime", "tokens"),
        ("gpt-realtime-whisper", "realtime_transcription", "minutes"),
        ("gpt-realtime-translate", "realtime_translation", "minutes"),
        ("gpt-transcribe", "transcription", None),  # not published
    ],
)
def test_lookup(name, kind, billing):
    assert lookup(name, kind).billing == billing


def test_only_listed_ids_not_any_dated_snapshot():
    assert lookup("gpt-realtime-2025-08-28", "realtime") is not None
    assert lookup("gpt-realtime-2099-01-01", "realtime") is None
    assert lookup("gpt-realtime-whisper", "transcription") is None  # realtime only


def test_unknown_model_is_openais_404():
    with pytest.raises(ProtocolError) as info:
        check_model("gpt-4o-transcribe", "translation", param="model")
    assert (info.value.code, info.value.http_status, info.value.param) == ("model_not_found", 404, "model")
    assert "whisper-1" in info.value.message
    assert info.value.message.startswith(
        "The model `gpt-4o-transcribe` does not exist or you do not have access to it."
    )


def test_catalogue_has_unique_ids_and_every_kind():
    ids = [m.name for m in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert all(models(kind) for kind in KINDS)
    assert model_info("gpt-audio-mini").kinds == ("realtime", "chat")


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"type": "realtime", "model": "gpt-9"}, "session.model"),
        (
            {"type": "realtime", "audio": {"input": {"transcription": {"model": "bogus-stt"}}}},
            "session.audio.input.transcription.model",
        ),
        (
            {"type": "transcription", "audio": {"input": {"transcription": {"model": "bogus-stt"}}}},
            "session.audio.input.transcription.model",
        ),
    ],
)
def test_sessions_naming_an_unknown_model_are_refused(session, param):
    from voicelab.protocol.validate import validate_session

    with pytest.raises(ProtocolError) as info:
        validate_session(session)
    assert (info.value.code, info.value.param) == ("model_not_found", param)


def test_sessions_with_current_models_pass():
    from voicelab.protocol.validate import validate_session

    session = {
        "type": "realtime",
        "model": "gpt-realtime-2",
        "audio": {"input": {"transcription": {"model": "gpt-realtime-whisper"}}},
    }
    assert validate_session(session) is session
