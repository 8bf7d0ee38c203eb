"""voicelab.backend: choosing OpenAI or the embedded emulator, and starting/stopping the emulator."""

from __future__ import annotations

import threading

import openai
import pytest

import voicelab
from voicelab import backend
from voicelab.errors import BackendError


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("VOICELAB_BACKEND", raising=False)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "local"),
        ({"OPENAI_API_KEY": "sk-test"}, "openai"),
        ({"OPENAI_API_KEY": "sk-test", "VOICELAB_BACKEND": "local"}, "local"),
        ({"OPENAI_API_KEY": "sk-test", "VOICELAB_BACKEND": "OpenAI"}, "openai"),
        ({"VOICELAB_BACKEND": "auto"}, "local"),
        ({"OPENAI_API_KEY": "  "}, "local"),
    ],
    ids=["default-local", "key-means-openai", "override-local", "override-openai", "auto", "blank-key"],
)
def test_choose_backend(no_key, monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert backend.choose_backend() == expected


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"VOICELAB_BACKEND": "openai"}, "needs OPENAI_API_KEY"),
        ({"VOICELAB_BACKEND": "cloud"}, "must be 'local' or 'openai'"),
    ],
    ids=["openai-without-key", "unknown"],
)
def test_bad_choice_is_a_clear_backend_error(no_key, monkeypatch, env, match):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(BackendError, match=match):
        backend.client()


def test_openai_backend_is_a_plain_sdk_client(no_key, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "fake-test-secret")
    client = backend.client()
    assert isinstance(client, openai.OpenAI) and str(client.base_url).startswith("https://api.openai.com")
    info = backend.backend_info()
    assert (
        info.kind == "openai"
        and "fake-test-secret" not in repr(info)
        and "fake-test-secret" not in info.describe()
    )
    assert isinstance(backend.async_client(), openai.AsyncOpenAI)


def test_local_backend_starts_one_emulator_per_process(no_key):
    backend.stop_embedded_server()
    try:
        first = voicelab.client()
        second = voicelab.client()
        assert str(first.base_url) == str(second.base_url)
        assert str(first.base_url).startswith("http://127.0.0.1:")
        assert first.api_key == backend.LOCAL_API_KEY
        assert str(first.websocket_base_url).startswith("ws://127.0.0.1:")
        assert [m.id for m in first.models.list().data if m.id == "whisper-1"] == ["whisper-1"]
        assert isinstance(voicelab.async_client(), openai.AsyncOpenAI)
        info = voicelab.backend_info()
        assert repr(info) == "local emulator (offline engines: Whisper base, Piper joe, eSpeak NG)"
        assert info.base_url == str(first.base_url).rstrip("/")
        # other tests' servers may run in this process too: count only the backend's own
        thread_name = f"voicelab-emulator:{first.base_url.port}"
        assert sum(t.name == thread_name for t in threading.enumerate()) == 1
    finally:
        backend.stop_embedded_server()
    assert not any(t.name == thread_name for t in threading.enumerate())


async def test_async_client_talks_to_the_emulator(no_key):
    backend.stop_embedded_server()
    try:
        async with voicelab.async_client() as client:
            completion = await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "what is 9 times 9"}]
            )
        assert completion.choices[0].message.content == "9 times 9 is 81."
    finally:
        backend.stop_embedded_server()


@pytest.mark.parametrize(
    "env, live",
    [
        ({"OPENAI_API_KEY": "sk-test"}, True),
        ({"OPENAI_API_KEY": "sk-test", "VOICELAB_BACKEND": "local"}, False),
        ({}, False),
    ],
    ids=["real-key", "key-but-local", "no-key"],
)
def test_serve_mints_browser_tokens_through_openai_only_with_a_real_key(monkeypatch, env, live):
    import argparse

    import voicelab.emulator.cli

    for name in ("OPENAI_API_KEY", "VOICELAB_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen = {}
    monkeypatch.setattr(
        voicelab.emulator.cli, "run", lambda args, token_mint=None: seen.setdefault("m", token_mint)
    )
    parser = argparse.ArgumentParser()
    backend.add_serve_arguments(parser)
    backend.serve(parser.parse_args(["--port", "0"]))
    assert (seen["m"] is not None) is live
