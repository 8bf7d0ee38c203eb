"""GET /v1/models: the names the emulator answers to."""

from __future__ import annotations

import openai
import pytest


async def test_list_and_retrieve(sdk):
    models = await sdk.models.list()
    ids = [m.id for m in models.data]
    for expected in (
        "whisper-1",
        "gpt-4o-mini-tts",
        "tts-1",
        "gpt-4o-transcribe",
        "gpt-4o-audio-preview",
        "gpt-realtime",
    ):
        assert expected in ids
    assert len(ids) == len(set(ids))
    model = await sdk.models.retrieve("whisper-1")
    assert (model.id, model.object, model.owned_by) == ("whisper-1", "model", "voicelab-emulator")


async def test_unknown_model_is_404(sdk, still_serves):
    with pytest.raises(openai.NotFoundError) as caught:
        await sdk.models.retrieve("gpt-9")
    assert (caught.value.code, caught.value.param) == ("model_not_found", "model")
    await still_serves()


async def test_serves_exactly_the_catalogue_with_shutdown_dates(sdk):
    from voicelab.protocol.models import CATALOGUE

    listed = {m.id: m.shutdown_date for m in (await sdk.models.list()).data}
    assert listed == {m.name: (m.shutdown.isoformat() if m.shutdown else None) for m in CATALOGUE}
    assert listed["tts-1"] == "2027-01-06" and listed["gpt-realtime-2"] is None
    for model_id in ("gpt-realtime-2", "gpt-realtime-whisper", "gpt-realtime-translate"):
        assert (await sdk.models.retrieve(model_id)).id == model_id


async def test_a_made_up_snapshot_is_404(sdk):
    with pytest.raises(openai.NotFoundError) as caught:
        await sdk.models.retrieve("gpt-realtime-2099-01-01")
    assert caught.value.code == "model_not_found"
