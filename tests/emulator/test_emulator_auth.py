"""voicelab.emulator.auth: bearer keys, ephemeral ek_ keys and the 401s OpenAI sends."""

from __future__ import annotations

import httpx
import openai
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.auth import AuthResult, KeyStore, bearer_token
from voicelab.emulator.settings import EmulatorSettings


class FakeClock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("api_key", "token", "expected"),
    [
        (None, "anything", AuthResult.OK),
        (None, None, AuthResult.MISSING),
        ("sk-local", "sk-local", AuthResult.OK),
        ("sk-local", "sk-other", AuthResult.INVALID),
        ("sk-local", "", AuthResult.MISSING),
        ("sk-local", "ek_unknown", AuthResult.INVALID),
    ],
    ids=["any-key", "missing-any", "right-key", "wrong-key", "empty", "unknown-ek"],
)
def test_keystore_check(api_key, token, expected):
    assert KeyStore(api_key=api_key).check(token) is expected


def test_ephemeral_key_expires():
    clock = FakeClock()
    store = KeyStore(api_key="sk-local", clock=clock)
    key = store.mint({"type": "realtime"}, seconds=10)
    assert key.value.startswith("ek_") and key.expires_at == 1_000_010
    assert store.check(key.value) is AuthResult.OK
    assert store.lookup(key.value).session == {"type": "realtime"}
    clock.t += 10
    assert store.check(key.value) is AuthResult.EXPIRED
    # without an api key an expired ek_ key is still refused
    open_store = KeyStore(clock=clock)
    other = open_store.mint({}, seconds=10)
    clock.t += 11
    assert open_store.check(other.value) is AuthResult.EXPIRED


def test_repr_never_shows_keys():
    store = KeyStore(api_key="sk-secret-value")
    key = store.mint({}, 60)
    assert "sk-secret" not in repr(store) and key.value not in repr(key)
    assert "sk-secret" not in repr(EmulatorSettings(api_key="sk-secret-value"))


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), (None, None)],
    ids=["bearer", "case-space", "basic", "no-token", "none"],
)
def test_bearer_token(header, token):
    assert bearer_token(header) == token


@pytest.fixture
def locked_app():
    return create_app(EmulatorSettings(api_key="sk-local"))


async def test_missing_header_is_401_like_openai(locked_app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=locked_app), base_url="http://t") as http:
        response = await http.get("/v1/models")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] is None
    assert "didn't provide an API key" in error["message"]


async def test_wrong_key_is_401_invalid_api_key_and_redacted(locked_app, sdk_for):
    async with sdk_for(locked_app, api_key="sk-wrong-key-123456") as client:
        with pytest.raises(openai.AuthenticationError) as caught:
            await client.models.list()
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert "sk-wrong-key-123456" not in caught.value.message


async def test_right_key_and_minted_key_work_then_expire(locked_app, sdk_for):
    async with sdk_for(locked_app, api_key="sk-local") as client:
        assert (await client.models.list()).data
        secret = await client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": 10}
        )
    async with sdk_for(locked_app, api_key=secret.value) as ephemeral:
        assert (await ephemeral.models.list()).data
        clock = FakeClock(secret.expires_at + 1)
        locked_app.state.keys._clock = clock
        with pytest.raises(openai.AuthenticationError) as caught:
            await ephemeral.models.list()
        assert "expired" in caught.value.message


async def test_open_app_accepts_any_key(sdk):
    assert (await sdk.models.list()).data


async def test_health_needs_no_key(rest_app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=rest_app), base_url="http://t") as http:
        assert (await http.get("/health")).json() == {"status": "ok"}
