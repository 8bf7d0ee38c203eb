"""CORS on ``POST /v1/realtime/calls``: allowed pages get a preflight answer and can read ``Location``; other
pages are refused before a call is created; programs (no ``Origin``) are untouched."""

from __future__ import annotations

import httpx
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.settings import EmulatorSettings


@pytest.fixture
async def http():
    app = create_app(EmulatorSettings(port=0, api_key="server-key"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        yield client


PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization,content-type",
}


async def test_preflight_from_a_loopback_page_is_answered_without_a_key(http):
    answer = await http.options(
        "/v1/realtime/calls", headers={"origin": "http://127.0.0.1:8888", **PREFLIGHT}
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "http://127.0.0.1:8888"
    assert "authorization" in answer.headers["access-control-allow-headers"]
    assert answer.headers["access-control-expose-headers"] == "Location"


async def test_a_foreign_page_is_refused_before_any_call_is_made(http):
    for method in ("OPTIONS", "POST"):
        answer = await http.request(
            method,
            "/v1/realtime/calls",
            headers={"origin": "https://evil.example", "authorization": "Bearer server-key", **PREFLIGHT},
            content="v=0",
        )
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_origin"
        assert "access-control-allow-origin" not in answer.headers


async def test_errors_to_an_allowed_page_carry_cors_headers_so_the_page_can_read_them(http):
    answer = await http.post(
        "/v1/realtime/calls",
        headers={
            "origin": "http://localhost:8888",
            "authorization": "Bearer server-key",
            "content-type": "text/plain",
        },
        content="hello",
    )
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "sdp"
    assert answer.headers["access-control-allow-origin"] == "http://localhost:8888"


async def test_other_endpoints_and_programs_get_no_cors_headers(http):
    answer = await http.get(
        "/v1/models", headers={"origin": "http://127.0.0.1:8888", "authorization": "Bearer server-key"}
    )
    assert "access-control-allow-origin" not in answer.headers
    answer = await http.post(
        "/v1/realtime/calls", headers={"authorization": "Bearer server-key"}, content="x"
    )
    assert "access-control-allow-origin" not in answer.headers
