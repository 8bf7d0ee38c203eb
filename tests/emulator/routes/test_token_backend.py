"""The browser token endpoint (seed 001's ``POST /api/openai/realtime/session``) inside the emulator.

Without a mint passed in, the emulator's key store mints; clients on other machines are refused unless the
server allows them; every bad body is a 400 naming the parameter, and the endpoint keeps working.
"""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.routes.token_backend import TOKEN_PATH, token_router
from voicelab.emulator.settings import EmulatorSettings

API_KEY = "fake-voicelab-test"


@pytest.fixture
async def emulator_app_client():
    """A server with a key, and a client sending it (the route must not get around ``--api-key``)."""
    app = create_app(EmulatorSettings(api_key=API_KEY))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app),
        base_url="http://127.0.0.1",
        headers={"Authorization": f"Bearer {API_KEY}"},
    ) as http:
        yield http, app


async def test_endpoint_in_the_emulator_mints_its_own_keys_and_never_returns_the_server_key(
    emulator_app_client,
):
    http, app = emulator_app_client
    reply = await http.post(TOKEN_PATH, json={"model": "gpt-realtime", "voice": "verse"})
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


async def test_endpoint_is_keyless_when_the_server_has_no_key():
    app = create_app(EmulatorSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1") as http:
        reply = await http.post(TOKEN_PATH)  # no Authorization: the server accepts any caller anyway
    assert reply.status_code == 200 and reply.json()["token"].startswith("ek_")


def test_emulator_app_serves_the_token_path():
    app = create_app(EmulatorSettings())
    assert TOKEN_PATH in app.openapi()["paths"]


@pytest.mark.parametrize("client_host", ["203.0.113.5", "192.168.1.20", "::ffff:8.8.8.8"])
async def test_endpoint_refuses_clients_on_other_machines(client_host):
    """The endpoint has no login: a server bound beyond loopback must not hand keys to the network."""
    app = create_app(EmulatorSettings(api_key=API_KEY))
    transport = httpx.ASGITransport(app, client=(client_host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        reply = await http.post(TOKEN_PATH, json={"voice": "verse"})
    assert reply.status_code == 403
    body = reply.json()
    assert body["success"] is False and "allow-remote-tokens" in body["error"] and "token" not in body
    assert API_KEY not in reply.text


@pytest.mark.parametrize("client_host", ["127.0.0.1", "127.8.9.10", "::1"])
async def test_endpoint_serves_loopback_clients(client_host):
    app = create_app(EmulatorSettings(api_key=API_KEY))
    transport = httpx.ASGITransport(app, client=(client_host, 40000))
    auth = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=auth) as http:
        reply = await http.post(TOKEN_PATH, json={})
    assert reply.status_code == 200 and reply.json()["token"].startswith("ek_")


async def test_remote_clients_are_served_when_the_server_allows_them():
    app = create_app(EmulatorSettings(token_endpoint_remote=True))
    transport = httpx.ASGITransport(app, client=("203.0.113.5", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        reply = await http.post(TOKEN_PATH, json={})
    assert reply.status_code == 200 and reply.json()["success"] is True


def test_serve_flag_allows_remote_tokens():
    import argparse

    from voicelab.emulator.cli import add_arguments, settings_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert settings_from_args(parser.parse_args([])).token_endpoint_remote is False
    assert settings_from_args(parser.parse_args(["--allow-remote-tokens"])).token_endpoint_remote is True


async def test_a_passed_mint_is_used_with_the_body_and_lifetime():
    from fastapi import FastAPI

    calls = []

    class Key:
        value, expires_at = "ek_from_upstream", 1_800_000_000

    async def mint(model, voice, seconds):
        calls.append((model, voice, seconds))
        return Key()

    app = FastAPI()
    app.include_router(token_router(mint, seconds=60))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://localhost") as http:
        reply = await http.post(TOKEN_PATH, json={"model": "gpt-realtime-mini", "voice": "ash"})
    assert calls == [("gpt-realtime-mini", "ash", 60)]
    assert reply.json() == {
        "success": True,
        "token": "ek_from_upstream",
        "expireTime": "2027-01-15T08:00:00Z",
    }
