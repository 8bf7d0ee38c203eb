"""Ephemeral keys: mint through the SDK, a standalone token backend minting through it, using a minted key."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from voicelab.backend import create_token_app
from voicelab.emulator.routes.token_backend import TOKEN_PATH
from voicelab.errors import ParameterError
from voicelab.realtime.tokens import ClientSecret, KeyProvider, amint, mint, secret_session

from .conftest import API_KEY


def test_mint_calls_client_secrets_with_the_default_lifetime(sync_client):
    before = time.time()
    secret = mint(sync_client, voice="verse")
    assert secret.value.startswith("ek_")
    assert before + 595 <= secret.expires_at <= time.time() + 601
    assert secret.session["audio"]["output"]["voice"] == "verse"
    assert "ek_" not in repr(secret)  # the key never shows in a notebook output


async def test_amint_with_custom_lifetime_and_model(client):
    secret = await amint(client, model="gpt-realtime", seconds=60)
    assert secret.seconds_left() == pytest.approx(60, abs=2)
    assert secret.session["model"] == "gpt-realtime"


@pytest.mark.parametrize(
    "kwargs, param",
    [
        ({"seconds": 5}, "seconds"),
        ({"seconds": 9000}, "seconds"),
        ({"voice": "robot"}, "voice"),
        ({"model": ""}, "model"),
    ],
    ids=["too-short", "too-long", "bad-voice", "empty-model"],
)
def test_mint_rejects_bad_arguments_before_calling(kwargs, param):
    with pytest.raises(ParameterError) as info:
        mint(object(), **kwargs)
    assert info.value.param == param


def test_secret_session_shape():
    assert secret_session(model="gpt-realtime-mini", voice="ash") == {
        "type": "realtime",
        "model": "gpt-realtime-mini",
        "audio": {"output": {"voice": "ash"}},
    }


async def test_key_provider_mints_again_only_after_expiry_or_invalidate():
    now = [1000.0]
    minted = []

    async def fake_mint():
        minted.append(now[0])
        return ClientSecret(f"ek_{len(minted)}", int(now[0]) + 60)

    provider = KeyProvider(fake_mint, margin=5, clock=lambda: now[0])
    assert await provider() == "ek_1"
    now[0] += 30
    assert await provider() == "ek_1"
    now[0] += 26  # within the 5 s margin of expiry
    assert await provider() == "ek_2"
    provider.invalidate()
    assert await provider() == "ek_3" and provider.minted == 3


# ---------------------------------------------------------------- the standalone token backend


async def test_standalone_backend_mints_through_the_sdk_and_the_token_opens_a_realtime_session(
    emulator, emulator_app
):
    real = openai.AsyncOpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0)
    app = create_token_app(real)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://localhost") as http:
        body = (await http.post(TOKEN_PATH, json={"voice": "ash"})).json()
    assert body["success"] is True
    assert emulator_app.state.keys.lookup(body["token"]).session["audio"]["output"]["voice"] == "ash"
    # the browser's view: only the ek_ token, used as the bearer key
    browser = openai.AsyncOpenAI(
        base_url=emulator.base_url,
        websocket_base_url=emulator.websocket_base_url,
        api_key=body["token"],
        max_retries=0,
    )
    async with browser, browser.realtime.connect(model="gpt-realtime-2") as conn:
        created = await conn.recv()
        assert created.type == "session.created" and created.session.model == "gpt-realtime-2"
        assert created.session.audio.output.voice == "ash"  # the session bound to the key applies
    await real.close()


async def test_standalone_backend_reports_upstream_errors_without_the_key(emulator):
    wrong = openai.AsyncOpenAI(base_url=emulator.base_url, api_key="sk-wrong-key-123456", max_retries=0)
    app = create_token_app(wrong)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://localhost") as http:
        reply = await http.post(TOKEN_PATH, json={})
    assert reply.status_code == 502
    body = reply.json()
    assert body["success"] is False and "API key" in body["error"]
    assert "sk-wrong-key-123456" not in reply.text
    await wrong.close()
