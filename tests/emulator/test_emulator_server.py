"""voicelab.emulator.server: the emulator over a real loopback port, driven by the official SDK."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import openai
import pytest

from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.errors import BackendError

LONG_TEXT = (
    "The first sentence is short. The second sentence is a little longer than the first. "
    "Here comes a third one, to keep the engine busy. And a fourth, to finish the paragraph."
)


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer(EmulatorSettings(port=0, api_key="loopback-key")) as running:
        yield running


def test_binds_loopback_on_a_free_port(server):
    assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    assert server.websocket_base_url == server.base_url.replace("http://", "ws://")
    assert server.port > 0 and "running" in repr(server)


def test_sdk_over_the_socket_with_auth(server):
    client = openai.OpenAI(base_url=server.base_url, api_key="loopback-key", max_retries=0)
    assert any(m.id == "whisper-1" for m in client.models.list().data)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.base_url, api_key="nope", max_retries=0).models.list()
    client.close()


@pytest.mark.slow
def test_speech_body_streams_before_synthesis_ends(server):
    from voicelab.engines import tts

    tts.synthesize("Warm up.")  # load Piper first (same process): the test is about streaming, not loading
    client = openai.OpenAI(base_url=server.base_url, api_key="loopback-key", max_retries=0)
    arrivals: list[tuple[float, int]] = []
    start = time.perf_counter()
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="alloy", input=LONG_TEXT, response_format="pcm"
    ) as response:
        assert response.headers.get("transfer-encoding") == "chunked"
        for chunk in response.iter_bytes():
            arrivals.append((time.perf_counter() - start, len(chunk)))
    client.close()
    total_bytes = sum(n for _, n in arrivals)
    first, last = arrivals[0][0], arrivals[-1][0]
    # four sentences are synthesised one after another: the first audio leaves well before the last
    assert len(arrivals) >= 4
    assert first < 0.7 * last
    assert total_bytes / 2 / 24000 > 5.0  # seconds of speech


def test_stop_joins_the_thread_and_frees_the_port():
    server = EmbeddedServer().start()
    port = server.port
    threads_before = {t.name for t in threading.enumerate()}
    assert f"voicelab-emulator:{port}" in threads_before
    assert httpx.get(f"http://127.0.0.1:{port}/health").json() == {"status": "ok"}
    server.stop()
    server.stop()  # twice is fine
    assert f"voicelab-emulator:{port}" not in {t.name for t in threading.enumerate()}
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_busy_port_is_a_backend_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BackendError, match="cannot listen"):
            EmbeddedServer(EmulatorSettings(), port=port).start()


def test_embedded_server_picks_a_free_port_whatever_the_settings_say():
    """settings.port is `voicelab serve`'s; an embedded server must not grab 8000 and collide."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with EmbeddedServer(EmulatorSettings(port=busy)) as running:
            assert running.port not in (busy, 0)
            assert openai.OpenAI(base_url=running.base_url, api_key="k").models.list().data
