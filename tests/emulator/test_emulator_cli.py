"""voicelab.emulator.cli: ``voicelab serve`` options and a real server process."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from voicelab.emulator.cli import add_arguments, settings_from_args


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


def test_bad_responder_choice_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        parse(["--responder", "gpt"])
    assert caught.value.code == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_voicelab_serve_process_answers_and_stops():
    port = _free_port()
    env = {**os.environ, "VOICELAB_API_KEY": ""}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voicelab",
            "serve",
            "--port",
            str(port),
            "--api-key",
            "cli-key",
            "--log-level",
            "warning",
        ],
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
                    f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer cli-key"}
                )
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, "voicelab serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/v1" in stderr
    assert "cli-key" not in stderr  # the key is never logged


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
