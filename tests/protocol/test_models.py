"""The model catalogue: kinds, billing units, dated snapshots, OpenAI's 404."""

from __future__ import annotations

import pytest

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import CATALOGUE, check_model, lookup, models


@pytest.mark.parametrize(
    "name, kind, billing",
    [
        ("tts-1", "speech", "characters"),
        ("gpt-4o-mini-tts", "speech", "tokens"),
        ("whisper-1", "transcription", "seconds"),
        ("whisper-1", "translation", "seconds"),
        ("gpt-4o-transcribe", "transcription", "tokens"),
        ("gpt-realtime-2025-08-28", "realtime", "tokens"),
    ],
)
def test_lookup(name, kind, billing):
    assert lookup(name, kind).billing == billing


def test_unknown_model_is_openais_404():
    with pytest.raises(ProtocolError) as info:
        check_model("gpt-4o-transcribe", "translation", param="model")
    assert (info.value.code, info.value.http_status, info.value.param) == ("model_not_found", 404, "model")
    assert "whisper-1" in info.value.message


def test_catalogue_has_no_duplicate_rows_and_every_kind():
    rows = [(m.name, m.kind) for m in CATALOGUE]
    assert len(rows) == len(set(rows))
    assert all(models(kind) for kind in ("speech", "transcription", "translation", "chat", "realtime"))
