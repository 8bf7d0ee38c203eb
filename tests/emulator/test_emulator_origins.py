"""voicelab.emulator.origins: the Host allow-list (DNS rebinding) and the Origin allow-list (foreign pages).

The attacks of issue 14 finding 3, sent as an attacker would: a rebinding page reaches the emulator with its
own ``Host``; a foreign page asks the token route for a key or opens the Realtime WebSocket. Each is
refused, and the server keeps answering the user's own requests (loopback names, JupyterLab's pages,
programs).
"""

from __future__ import annotations

import json

import httpx
import pytest
import websockets

from voicelab.emulator.app import create_app
from voicelab.emulator.origins import HostPolicy
from voicelab.emulator.realtime.route import Engines, default_vad_factory
from voicelab.emulator.routes.token_backend import TOKEN_PATH
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings

from .conftest import assert_still_serves, make_sdk
from .realtime.test_route import fake_synthesize, fake_transcribe

API_KEY = "fake-origin-test"
EVIL_HOST = "rebind.evil.example"


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("LOCALHOST", True),
        ("[::1]:8000", True),
        ("127.0.0.1:9999", False),
        (f"{EVIL_HOST}:8000", False),
        ("127.0.0.1.evil.example:8000", False),
        ("[::1", False),
        (None, True),
    ],
    ids=["ipv4", "localhost", "no-port", "ipv6", "other-port", "rebind", "suffix", "junk", "absent"],
)
def test_host_allow_list(host, allowed):
    assert HostPolicy.from_settings(EmulatorSettings()).host_allowed(host, server_port=8000) is allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:8888", True),
        ("http://localhost:8888", True),
        ("https://[::1]:443", True),
        ("http://127.0.0.1:8000", True),  # same origin
        ("https://evil.example", False),
        ("http://127.0.0.1.evil.example:8888", False),
        ("null", False),
        (None, True),
    ],
    ids=["jupyter", "jupyter-localhost", "ipv6", "same-origin", "foreign", "suffix", "null", "program"],
)
def test_origin_allow_list(origin, allowed):
    policy = HostPolicy.from_settings(EmulatorSettings())
    assert policy.origin_allowed(origin, host="127.0.0.1:8000") is allowed


def test_configured_hosts_and_origins_are_allowed():
    settings = EmulatorSettings(
        host="192.168.1.5", allowed_hosts=["lab.example"], allowed_origins=["https://app.example"]
    )
    policy = HostPolicy.from_settings(settings)
    assert policy.host_allowed("192.168.1.5:8000", 8000) and policy.host_allowed("lab.example:8000", 8000)
    assert policy.origin_allowed("https://app.example") and not policy.origin_allowed("http://localhost:8888")
    assert not HostPolicy.from_settings(EmulatorSettings(host="0.0.0.0")).host_allowed("0.0.0.0:8000", 8000)


@pytest.fixture
async def server():
    """A real loopback server with a key (fake speech engines: the WebSocket tests only connect)."""
    app = create_app(EmulatorSettings(port=0, api_key=API_KEY, realtime_pacing=False))
    app.state.realtime_engines = Engines(
        synthesize=fake_synthesize, transcribe=fake_transcribe, vad_factory=default_vad_factory
    )
    srv = EmbeddedServer(app.state.settings, app=app).start()
    yield srv
    srv.stop()


def _origin(srv: EmbeddedServer) -> str:
    return srv.base_url.removesuffix("/v1")


async def test_dns_rebinding_gets_no_key_and_no_api(server):
    """``curl -H 'Host: rebind.evil.example:PORT' -XPOST :PORT/api/openai/realtime/session`` and ``/v1/*``."""
    evil = {"Host": f"{EVIL_HOST}:{server.port}"}
    auth = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=_origin(server)) as http:
        token = await http.post(TOKEN_PATH, headers=evil | auth)
        models = await http.get("/v1/models", headers=evil | auth)
        chat = await http.post(
            "/v1/chat/completions",
            headers=evil | auth,
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        )
        fine = await http.post(TOKEN_PATH, headers=auth)
    assert token.status_code == 421 and token.json()["success"] is False and "token" not in token.json()
    assert "ek_" not in token.text
    for reply in (models, chat):
        assert reply.status_code == 421
        assert reply.json() == {
            "error": {
                "message": reply.json()["error"]["message"],
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_host",
            }
        }
        assert EVIL_HOST in reply.json()["error"]["message"]
    assert fine.status_code == 200 and fine.json()["token"].startswith("ek_")
    async with make_sdk_loopback(server) as client:  # the user's own client still works
        await assert_still_serves(client)


def make_sdk_loopback(srv: EmbeddedServer):
    import openai

    return openai.AsyncOpenAI(base_url=srv.base_url, api_key=API_KEY, max_retries=0)


async def test_dns_rebinding_is_refused_over_websocket(server):
    # the page's URL names the attacker's host, which DNS now resolves to 127.0.0.1
    url = f"ws://{EVIL_HOST}:{server.port}/v1/realtime?model=gpt-realtime"
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, additional_headers=headers, host="127.0.0.1", port=server.port)
    assert refused.value.response.status_code == 421
    assert json.loads(refused.value.response.body)["error"]["code"] == "invalid_host"


@pytest.mark.parametrize(
    ("origin", "status"),
    [("https://evil.example", 403), ("null", 403), ("http://127.0.0.1:8888", 200), (None, 200)],
    ids=["foreign-page", "sandboxed-page", "jupyterlab", "program"],
)
async def test_token_route_refuses_foreign_pages(server, origin, status):
    headers = {"Authorization": f"Bearer {API_KEY}"} | ({"Origin": origin} if origin else {})
    async with httpx.AsyncClient(base_url=_origin(server)) as http:
        reply = await http.post(TOKEN_PATH, headers=headers, json={"voice": "verse"})
        again = await http.post(TOKEN_PATH, headers={"Authorization": f"Bearer {API_KEY}"})
    assert reply.status_code == status
    assert reply.json()["success"] is (status == 200)
    if status == 403:
        assert "allow-origin" in reply.json()["error"] and "ek_" not in reply.text
    assert again.status_code == 200


async def _connect(srv: EmbeddedServer, origin: str | None) -> dict:
    """Open the Realtime socket as a browser does (key in the subprotocol) and return the first event."""
    url = f"{srv.websocket_base_url}/realtime?model=gpt-realtime"
    protocols = ["realtime", f"openai-insecure-api-key.{API_KEY}"]
    async with websockets.connect(url, subprotocols=protocols, origin=origin) as ws:
        return json.loads(await ws.recv())


async def test_websocket_from_a_foreign_page_is_refused(server):
    with pytest.raises(websockets.InvalidStatus) as refused:
        await _connect(server, "https://evil.example")
    assert refused.value.response.status_code == 403
    error = json.loads(refused.value.response.body)["error"]
    assert error["code"] == "invalid_origin" and "--allow-origin" in error["message"]
    # JupyterLab's page on this machine, and programs (no Origin), still connect
    assert (await _connect(server, "http://127.0.0.1:8888"))["type"] == "session.created"
    assert (await _connect(server, None))["type"] == "session.created"


async def test_allow_origin_setting_admits_a_page():
    settings = EmulatorSettings(port=0, allowed_origins=["https://app.example"], realtime_pacing=False)
    app = create_app(settings)
    with EmbeddedServer(settings, app=app) as srv:
        assert (await _connect(srv, "https://app.example"))["type"] == "session.created"
        with pytest.raises(websockets.InvalidStatus):
            await _connect(srv, "http://127.0.0.1:8888")  # the list replaces the defaults


async def test_token_route_needs_the_server_key_when_one_is_configured():
    """The keyless route must not get around ``--api-key``; an ek_ key cannot renew itself there either."""
    app = create_app(EmulatorSettings(api_key=API_KEY))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1") as http:
        missing = await http.post(TOKEN_PATH)
        wrong = await http.post(TOKEN_PATH, headers={"Authorization": "Bearer sk-guess"})
        good = await http.post(TOKEN_PATH, headers={"Authorization": f"Bearer {API_KEY}"})
        ephemeral = good.json()["token"]
        renewed = await http.post(TOKEN_PATH, headers={"Authorization": f"Bearer {ephemeral}"})
    for reply in (missing, wrong, renewed):
        assert reply.status_code == 401 and reply.json()["success"] is False and "token" not in reply.json()
    assert "only open Realtime sessions" in renewed.json()["error"]
    assert good.status_code == 200 and len(app.state.keys._keys) == 1
    async with make_sdk(app, api_key=API_KEY) as client:
        await assert_still_serves(client)
