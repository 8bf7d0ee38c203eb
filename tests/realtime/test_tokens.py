"""Ephemeral keys: mint through the SDK, the backend token endpoint (seed 001), and using a minted key."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import openai
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.settings import EmulatorSettings
from voicelab.errors import ParameterError
from voicelab.realtime.tokens import (
    TOKEN_PATH,
    ClientSecret,
    KeyProvider,
    amint,
    create_token_app,
    mint,
    secret_session,
)

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


# ---------------------------------------------------------------- the backend endpoint


@pytest.fixture
async def emulator_app_client():
    app = create_app(EmulatorSettings(api_key=API_KEY))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://emulator") as http:
        yield http, app


async def test_endpoint_in_the_emulator_mints_its_own_keys_without_the_real_key(emulator_app_client):
    http, app = emulator_app_client
    reply = await http.post(TOKEN_PATH, json={"model": "gpt-realtime", "voice": "verse"})  # no Authorization
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"success", "token", "expireTime"} and body["success"] is True
    assert body["token"].startswith("ek_") and API_KEY not in reply.text
    expire = dt.datetime.strptime(body["expireTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert expire.timestamp() == pytest.approx(time.time() + 600, abs=5)
    key = app.state.keys.lookup(body["token"])
    assert key.session["audio"]["output"]["voice"] == "verse"
    assert reply.headers["cache-control"] == "no-store"


async def test_endpoint_body_is_optional(emulator_app_client):
    http, _ = emulator_app_client
    reply = await http.post(TOKEN_PATH)
    assert reply.status_code == 200 and reply.json()["success"] is True


@pytest.mark.parametrize(
    "body, param",
    [
        ({"voice": "robot"}, "voice"),
        ({"model": 5}, "model"),
        ({"voice": "verse", "api_key": "x"}, "api_key"),
        ("[1, 2]", "body"),
        ("not json", "body"),
    ],
    ids=["bad-voice", "model-not-string", "unknown-field", "not-an-object", "not-json"],
)
async def test_endpoint_errors_name_the_parameter(emulator_app_client, body, param):
    http, _ = emulator_app_client
    if isinstance(body, str):
        reply = await http.post(TOKEN_PATH, content=body, headers={"content-type": "application/json"})
    else:
        reply = await http.post(TOKEN_PATH, json=body)
    assert reply.status_code == 400
    data = reply.json()
    assert data["success"] is False and data["param"] == param and param in data["error"]
    ok = await http.post(TOKEN_PATH, json={})  # and the endpoint keeps working
    assert ok.json()["success"] is True


async def test_standalone_backend_mints_through_the_sdk_and_the_token_opens_a_realtime_session(
    emulator, emulator_app
):
    real = openai.AsyncOpenAI(base_url=emulator.base_url, api_key=API_KEY, max_retries=0)
    app = create_token_app(real)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        body = (await http.post(TOKEN_PATH, json={"voice": "ash"})).json()
    assert body["success"] is True
    assert emulator_app.state.keys.lookup(body["token"]).session["audio"]["output"]["voice"] == "ash"
    # the browser's view: only the ek_ token, used as the bearer key
    browser = openai.AsyncOpenAI(base_url=emulator.base_url, websocket_base_url=emulator.websocket_base_url,
                                 api_key=body["token"], max_retries=0)
    async with browser, browser.realtime.connect(model="gpt-realtime") as conn:
        created = await conn.recv()
        assert created.type == "session.created" and created.session.model == "gpt-realtime"
        assert created.session.audio.output.voice == "ash"  # the session bound to the key applies
    await real.close()


async def test_standalone_backend_reports_upstream_errors_without_the_key(emulator):
    wrong = openai.AsyncOpenAI(base_url=emulator.base_url, api_key="sk-wrong-key-123456", max_retries=0)
    app = create_token_app(wrong)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://backend") as http:
        reply = await http.post(TOKEN_PATH, json={})
    assert reply.status_code == 502
    body = reply.json()
    assert body["success"] is False and "API key" in body["error"]
    assert "sk-wrong-key-123456" not in reply.text
    await wrong.close()


def test_emulator_app_serves_the_token_path():
    app = create_app(EmulatorSettings())
    assert TOKEN_PATH in app.openapi()["paths"]


@pytest.mark.parametrize("client_host", ["203.0.113.5", "192.168.1.20", "::ffff:8.8.8.8"])
async def test_endpoint_refuses_clients_on_other_machines(client_host):
    """The endpoint has no login: a server bound beyond loopback must not hand keys to the network."""
    app = create_app(EmulatorSettings(api_key=API_KEY))
    transport = httpx.ASGITransport(app, client=(client_host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        reply = await http.post(TOKEN_PATH, json={"voice": "verse"})
    assert reply.status_code == 403
    body = reply.json()
    assert body["success"] is False and "allow-remote-tokens" in body["error"] and "token" not in body
    assert API_KEY not in reply.text


@pytest.mark.parametrize("client_host", ["127.0.0.1", "127.8.9.10", "::1"])
async def test_endpoint_serves_loopback_clients(client_host):
    app = create_app(EmulatorSettings(api_key=API_KEY))
    transport = httpx.ASGITransport(app, client=(client_host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        reply = await http.post(TOKEN_PATH, json={})
    assert reply.status_code == 200 and reply.json()["token"].startswith("ek_")


async def test_remote_clients_are_served_when_the_server_allows_them():
    app = create_app(EmulatorSettings(token_endpoint_remote=True))
    transport = httpx.ASGITransport(app, client=("203.0.113.5", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        reply = await http.post(TOKEN_PATH, json={})
    assert reply.status_code == 200 and reply.json()["success"] is True


def test_serve_flag_allows_remote_tokens():
    import argparse

    from voicelab.emulator.cli import add_arguments, settings_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert settings_from_args(parser.parse_args([])).token_endpoint_remote is False
    assert settings_from_args(parser.parse_args(["--allow-remote-tokens"])).token_endpoint_remote is True
