"""``voicelab lab`` starts JupyterLab on the notebooks, token-less on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_voicelab_lab_serves_the_notebooks_on_loopback(tmp_path):
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voicelab",
            "lab",
            "--notebook-dir",
            str(ROOT / "notebooks"),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=2) as reply:
                    names = {item["name"] for item in json.load(reply)["content"]}
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        process.stderr.read().decode()[-2000:] if process.stderr else ""
                    ) from None
                time.sleep(0.5)
        assert "00_start_here.ipynb" in names and "09_cost_estimation.ipynb" in names
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stderr:
            process.stderr.close()


def test_voicelab_lab_refuses_a_missing_folder(tmp_path, capsys):
    from voicelab.cli import main

    assert main(["lab", "--notebook-dir", str(tmp_path / "nope")]) == 2
    assert "no folder" in capsys.readouterr().err
