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
