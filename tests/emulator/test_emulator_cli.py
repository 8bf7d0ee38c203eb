"""voicelab.emulator.cli: ``voicelab serve`` options and a real server process."""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import gc
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from voicelab.emulator import cli, heap_trim
from voicelab.emulator.cli import add_arguments, exposure_warnings, settings_from_args
from voicelab.emulator.realtime import live_stt
from voicelab.emulator.settings import EmulatorSettings
from voicelab.errors import ParameterError


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_defaults_bind_loopback():
    settings = settings_from_args(parse([]))
    assert (settings.host, settings.port, settings.responder) == ("127.0.0.1", 8000, "scripted")


def test_options_reach_the_settings():
    settings = settings_from_args(
        parse(
            [
                "--host",
                "0.0.0.0",
                "--port",
                "9001",
                "--api-key",
                "k",
                "--responder",
                "openai-compatible",
                "--llm-base-url",
                "http://127.0.0.1:8080/v1",
                "--llm-model",
                "llama",
                "--fixed-time",
                "2026-01-01T00:00:00Z",
                "--no-realtime-pacing",
                "--fault-rate",
                "0.1",
                "--latency-ms",
                "5",
            ]
        )
    )
    assert (settings.host, settings.port, settings.api_key, settings.llm_model) == (
        "0.0.0.0",
        9001,
        "k",
        "llama",
    )
    assert settings.realtime_pacing is False and settings.fault_rate == 0.1 and settings.latency_ms == 5


def test_serve_keeps_gc_pauses_short_and_gives_memory_back(monkeypatch, capsys):
    """A full collection of the ~150 000 start-up objects stalled the loop ~90 ms: serve freezes them. It also
    runs a heap trimmer while it serves (tests/emulator/test_heap_trim.py tests the trimmer)."""
    import uvicorn

    gc.unfreeze()
    frozen_when_serving, trimming_when_serving, trimmers = [], [], []
    monkeypatch.setattr(heap_trim.HeapTrimmer, "start", lambda self: trimmers.append(self) or self)

    def serve(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
        frozen_when_serving.append(gc.get_freeze_count())
        trimming_when_serving.append(len(trimmers))

    monkeypatch.setattr(uvicorn.Server, "run", serve)
    engines_loaded: concurrent.futures.Future[None] = concurrent.futures.Future()
    monkeypatch.setattr(live_stt, "warm_up_in_background", lambda *engines: engines_loaded)
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        assert cli.run(parse(["--port", "0"])) == 0
        assert frozen_when_serving[0] > 50_000  # the imported stack, frozen before serving
        assert trimming_when_serving == [1]
        engine_objects = [[] for _ in range(1_000)]  # what the engines load, in the background
        engines_loaded.set_result(None)
        assert gc.get_freeze_count() >= frozen_when_serving[0] + len(engine_objects)
    finally:
        signal.signal(signal.SIGTERM, sigterm)
        gc.unfreeze()


def test_bad_responder_choice_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        parse(["--responder", "gpt"])
    assert caught.value.code == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(argv: list[str], key: str):
    """``voicelab serve --port P *argv`` in a subprocess, once it answers ``key``; yields (process, port,
    first response); on exit stops it with Ctrl-C and stores its stderr on ``process.stderr_text``."""
    port = _free_port()
    env = {**os.environ, "VOICELAB_API_KEY": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "voicelab", "serve", "--port", str(port), *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {key}"}
                )
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, "voicelab serve did not start"
                time.sleep(0.2)
        yield process, port, response
    finally:
        process.send_signal(signal.SIGINT)
        _, process.stderr_text = process.communicate(timeout=30)


@pytest.mark.slow
def test_voicelab_serve_process_answers_and_stops():
    with serving(["--api-key", "cli-key", "--log-level", "warning"], "cli-key") as (process, port, response):
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 401
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/v1" in process.stderr_text
    assert "cli-key" not in process.stderr_text  # the key is never logged


def _serve(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "voicelab", "serve", "--log-level", "warning", *argv],
        env={**os.environ, "VOICELAB_API_KEY": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_voicelab_serve_on_a_busy_port_says_so_and_suggests_another():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        process = _serve("--port", str(busy))
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert f"127.0.0.1:{busy} is already in use" in stderr and f"--port {busy + 1}" in stderr
    assert "Traceback" not in stderr
    assert "http://" not in stderr  # no address is announced that the server does not hold


@pytest.mark.slow
def test_voicelab_serve_announces_the_port_it_bound():
    """``--port 0`` binds a free port; the address printed is the bound one, and it answers at once."""
    process = _serve("--port", "0")
    try:
        line = process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/v1", line)
        assert match, line
        assert int(match.group(1)) != 0
        deadline = time.monotonic() + 30
        while True:  # bound before printed; uvicorn starts listening a moment later
            try:
                assert httpx.get(f"http://127.0.0.1:{match.group(1)}/health").json() == {"status": "ok"}
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_help_texts_and_doctests():
    import doctest

    import voicelab.emulator.cli
    import voicelab.emulator.server

    for module in (voicelab.emulator.cli, voicelab.emulator.server):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


def test_api_key_from_the_environment_or_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICELAB_API_KEY", "env-key")
    assert settings_from_args(parse([])).api_key == "env-key"
    key_file = tmp_path / "key"
    key_file.write_text("file-key\n")
    assert settings_from_args(parse(["--api-key-file", str(key_file)])).api_key == "file-key"
    with pytest.raises(ParameterError, match="api_key_file"):
        settings_from_args(parse(["--api-key-file", str(key_file), "--api-key", "x"]))
    with pytest.raises(ParameterError, match="api_key_file"):
        settings_from_args(parse(["--api-key-file", str(tmp_path / "missing")]))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ParameterError, match="api_key_file"):
        settings_from_args(parse(["--api-key-file", str(tmp_path / "empty")]))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], []),
        (["--host", "0.0.0.0"], ["WARNING: listening on 0.0.0.0"]),
        (
            ["--host", "192.168.1.5", "--api-key", "k"],
            ["WARNING: listening on 192.168.1.5", "note: --api-key"],
        ),
        (["--host", "::1"], []),
    ],
    ids=["loopback", "any-address", "lan-and-key-on-command-line", "ipv6-loopback"],
)
def test_exposure_warnings(argv, expected, monkeypatch):
    monkeypatch.delenv("VOICELAB_API_KEY", raising=False)
    args = parse(argv)
    warnings = exposure_warnings(settings_from_args(args), args)
    assert [w[: len(e)] for w, e in zip(warnings, expected, strict=True)] == expected
    if "--api-key" not in argv and expected:
        assert "ANYONE" in warnings[0]


def _browser_connect(port: int, key: str) -> str:
    """A browser-style Realtime connect (key in the subprotocol, a page Origin); the first event's type."""
    import asyncio
    import json

    import websockets

    async def connect() -> str:
        url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
        protocols = ["realtime", f"openai-insecure-api-key.{key}"]
        async with websockets.connect(url, subprotocols=protocols, origin="http://127.0.0.1:8888") as ws:
            return json.loads(await ws.recv())["type"]

    return asyncio.run(connect())


def test_debug_log_never_shows_keys(capfd):
    """At debug level uvicorn and websockets log every handshake header: the keys are masked."""
    from voicelab.emulator.app import create_app
    from voicelab.emulator.server import EmbeddedServer

    key = "fake-debug-log-secret-1234"
    settings = EmulatorSettings(port=0, api_key=key, realtime_pacing=False)
    with EmbeddedServer(settings, app=create_app(settings), log_level="debug") as server:
        response = httpx.get(f"{server.base_url}/models", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200
        assert _browser_connect(server.port, key) == "session.created"
        with httpx.Client() as http:  # a Bearer-authenticated WebSocket upgrade is logged too
            http.get(f"{server.base_url}/realtime", headers={"Authorization": f"Bearer {key}"})
    out, err = capfd.readouterr()
    assert key not in out + err
    assert "openai-insecure-api-key.[redacted]" in err  # the debug log was written, with the key masked


@pytest.mark.slow
def test_voicelab_serve_debug_log_and_key_file_keep_the_key_out_of_logs_and_ps(tmp_path):
    key = "fake-serve-file-secret-5678"
    key_file = tmp_path / "key"
    key_file.write_text(key)
    argv = ["--api-key-file", str(key_file), "--log-level", "debug"]
    with serving(argv, key) as (process, port, response):
        assert response.status_code == 200
        assert _browser_connect(port, key) == "session.created"
        with open(f"/proc/{process.pid}/cmdline", "rb") as cmdline:
            assert key.encode() not in cmdline.read()
    assert process.returncode == 0
    assert key not in process.stderr_text and "openai-insecure-api-key.[redacted]" in process.stderr_text


def test_allow_host_and_origin_options_reach_the_settings():
    args = parse(["--allow-host", "lab.local", "--allow-origin", "https://a.example", "--allow-origin", "*"])
    settings = settings_from_args(args)
    assert settings.allowed_hosts == ["lab.local"] and settings.allowed_origins == ["https://a.example", "*"]
    assert "http://127.0.0.1:*" in settings_from_args(parse([])).allowed_origins
