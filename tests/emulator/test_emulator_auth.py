"""voicelab.emulator.auth: bearer keys, ephemeral ek_ keys and the 401s OpenAI sends."""

from __future__ import annotations

import warnings

import httpx
import numpy as np
import openai
import pytest

from voicelab.emulator.app import create_app
from voicelab.emulator.auth import AuthResult, KeyStore, bearer_token
from voicelab.emulator.settings import EmulatorSettings

from .conftest import assert_still_serves


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
    assert store.check(key.value, realtime=True) is AuthResult.OK
    assert store.lookup(key.value).session == {"type": "realtime"}
    clock.t += 10
    assert store.check(key.value, realtime=True) is AuthResult.EXPIRED
    # without an api key an expired ek_ key is still refused
    open_store = KeyStore(clock=clock)
    other = open_store.mint({}, seconds=10)
    clock.t += 11
    assert open_store.check(other.value, realtime=True) is AuthResult.EXPIRED


@pytest.mark.parametrize("api_key", ["sk-local", None], ids=["locked", "open"])
def test_ephemeral_keys_open_realtime_sessions_only(api_key):
    store = KeyStore(api_key=api_key)
    key = store.mint({"type": "realtime"}, seconds=60)
    assert store.check(key.value, realtime=True) is AuthResult.OK
    assert store.check(key.value) is AuthResult.WRONG_SCOPE
    if api_key is None:  # any key is accepted, but nothing shaped like an ephemeral key on REST
        assert store.check("ek_made_up") is AuthResult.WRONG_SCOPE


def test_repr_never_shows_keys():
    store = KeyStore(api_key="fake-secret-value")
    key = store.mint({}, 60)
    assert "fake-secret" not in repr(store) and key.value not in repr(key)
    assert "fake-secret" not in repr(EmulatorSettings(api_key="fake-secret-value"))


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
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=locked_app), base_url="http://127.0.0.1"
    ) as http:
        response = await http.get("/v1/models")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] is None
    assert "didn't provide an API key" in error["message"]


async def test_wrong_key_is_401_invalid_api_key_and_redacted(locked_app, sdk_for):
    async with sdk_for(locked_app, api_key="fake-wrong-key-123456") as client:
        with pytest.raises(openai.AuthenticationError) as caught:
            await client.models.list()
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert "fake-wrong-key-123456" not in caught.value.message


async def _rest_calls(client: openai.AsyncOpenAI) -> dict[str, object]:
    """One call of every REST endpoint; each returns the result or the raised error."""
    import io

    from voicelab import audio

    wav = audio.encode(np.zeros(8000, dtype=np.float32), 16000, "wav")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK marks translations deprecated
        translation = client.audio.translations.create(model="whisper-1", file=("a.wav", io.BytesIO(wav)))
    calls = {
        "models": client.models.list(),
        "model": client.models.retrieve("whisper-1"),
        "speech": client.audio.speech.create(model="tts-1", voice="alloy", input="hi"),
        "transcriptions": client.audio.transcriptions.create(
            model="whisper-1", file=("a.wav", io.BytesIO(wav))
        ),
        "translations": translation,
        "chat": client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "what is 2 plus 3"}]
        ),
        "client_secrets": client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": 7200}
        ),
    }
    results: dict[str, object] = {}
    for name, call in calls.items():
        try:
            results[name] = await call
        except openai.APIStatusError as exc:
            results[name] = exc
    return results


@pytest.mark.parametrize("api_key", ["sk-local", None], ids=["locked", "open"])
async def test_ephemeral_key_is_refused_by_every_rest_endpoint(api_key, sdk_for):
    """A (leaked) ek_ key opens Realtime sessions only: no REST call, and no fresh 7200 s key for itself."""
    app = create_app(EmulatorSettings(api_key=api_key))
    async with sdk_for(app, api_key="sk-local") as client:
        secret = await client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": 10}
        )
    async with sdk_for(app, api_key=secret.value) as ephemeral:
        results = await _rest_calls(ephemeral)
    for name, result in results.items():
        assert isinstance(result, openai.AuthenticationError), name
        assert result.status_code == 401 and result.code == "invalid_api_key", name
        assert result.body["type"] == "invalid_request_error" and result.body["param"] is None
        assert "only open Realtime sessions" in result.message and secret.value not in result.message
    assert len(app.state.keys._keys) == 1  # the ek_ key minted nothing
    async with sdk_for(app, api_key="sk-local") as client:  # the server key still works
        await assert_still_serves(client)
        assert (await client.realtime.client_secrets.create()).value.startswith("ek_")


async def test_expired_ephemeral_key_says_expired(locked_app, sdk_for):
    async with sdk_for(locked_app, api_key="sk-local") as client:
        assert (await client.models.list()).data
        secret = await client.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": 10}
        )
    async with sdk_for(locked_app, api_key=secret.value) as ephemeral:
        locked_app.state.keys._clock = FakeClock(secret.expires_at + 1)
        with pytest.raises(openai.AuthenticationError) as caught:
            await ephemeral.models.list()
        assert "expired" in caught.value.message


async def test_open_app_accepts_any_key(sdk):
    assert (await sdk.models.list()).data


async def test_health_needs_no_key(rest_app):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rest_app), base_url="http://127.0.0.1"
    ) as http:
        assert (await http.get("/health")).json() == {"status": "ok"}
