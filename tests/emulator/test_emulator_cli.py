"""voicelab.emulator.cli: ``voicelab serve`` options and a real server process."""

from __future__ import annotations

import argparse
import os
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
