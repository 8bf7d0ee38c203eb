"""``voicelab lab`` starts JupyterLab on the notebooks, token-less on 127.0.0.1, and stops it with itself.

Also the ``voicelab`` command line as a whole: ``--version`` and a help text on every option.
"""

from __future__ import annotations

import argparse
import doctest
import http.cookiejar
import importlib.metadata
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import voicelab.cli
import voicelab.lab

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


class Lab:
    """``voicelab lab`` run as ``make lab`` runs it, with Jupyter's files under a temporary folder."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
               "JUPYTER_DATA_DIR": str(tmp_path), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.stderr_path = tmp_path / "lab.err"
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "voicelab", "lab", "--notebook-dir", str(ROOT / "notebooks"),
                 "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
            )

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def get(self, path: str, method: str = "GET") -> bytes:
        """Call the lab as its page does: with the ``_xsrf`` cookie echoed in a header (GET /lab sets it)."""
        xsrf = {c.name: c.value for c in self.cookies}.get("_xsrf")
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"X-XSRFToken": xsrf} if xsrf else {})
        with self.opener.open(request, timeout=10) as reply:
            return bytes(reply.read())

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while "JupyterLab is ready at" not in self.stderr():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"voicelab lab did not get ready:\n{self.stderr()[-3000:]}")
            time.sleep(0.3)

    def jupyter_and_kernels(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def kill_everything(self) -> None:
        """Clean-up after a failed test: nothing may outlive it."""
        if self.process.poll() is None:
            for child in self.jupyter_and_kernels():
                child.kill()
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    running = Lab(tmp_path)
    try:
        running.wait_ready()
        yield running
    finally:
        running.kill_everything()


@pytest.mark.slow
def test_voicelab_lab_serves_the_notebooks_quietly_and_sigterm_stops_jupyter_and_its_kernels(lab):
    names = {item["name"] for item in json.loads(lab.get("/api/contents"))["content"]}
    assert "00_start_here.ipynb" in names and "09_cost_estimation.ipynb" in names
    page = lab.get("/lab").decode()
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]  # no news pop-up
    assert f"ready at http://127.0.0.1:{lab.port}/lab" in lab.stderr()
    assert "deprecated" not in lab.stderr()  # e.g. "ServerApp.token config is deprecated"
    kernel = json.loads(lab.get("/api/kernels", method="POST"))
    started = time.monotonic()
    while len(children := lab.jupyter_and_kernels()) < 2:  # jupyter and the kernel it started
        assert time.monotonic() - started < 60, "the kernel process did not appear"
        time.sleep(0.2)
    assert kernel["name"] == "python3"

    lab.process.send_signal(signal.SIGTERM)

    assert lab.process.wait(timeout=60) == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"still running after voicelab lab exited: {[p.cmdline() for p in alive]}"


@pytest.mark.slow
def test_ctrl_c_stops_the_lab(lab):
    jupyter = lab.jupyter_and_kernels()
    assert jupyter, "no JupyterLab process"
    lab.process.send_signal(signal.SIGINT)
    assert lab.process.wait(timeout=60) == 0  # Jupyter's own exit status: it was stopped, not orphaned
    assert "Traceback" not in lab.stderr()
    _, alive = psutil.wait_procs(jupyter, timeout=10)
    assert not alive


def test_voicelab_lab_refuses_a_busy_port_and_says_which_option_to_change(busy_port, tmp_path, capsys):
    assert voicelab.cli.main(["lab", "--notebook-dir", str(tmp_path), "--port", str(busy_port)]) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{busy_port} is already in use" in err and f"--port {busy_port + 1}" in err


def test_voicelab_lab_refuses_a_missing_folder(tmp_path, capsys):
    assert voicelab.cli.main(["lab", "--notebook-dir", str(tmp_path / "nope")]) == 2
    assert "no folder" in capsys.readouterr().err


@pytest.mark.parametrize(("flags", "opens"), [([], False), (["--open"], True)], ids=["default", "open"])
def test_the_lab_opens_a_browser_only_when_asked(flags, opens):
    parser = argparse.ArgumentParser()
    voicelab.lab.add_arguments(parser)
    command = voicelab.lab.jupyter_command(parser.parse_args(flags))
    assert ("--no-browser" not in command) is opens
    assert "--IdentityProvider.token=" in command and not any("ServerApp.token" in c for c in command)


def test_the_lab_config_disables_the_news_pop_up():
    page_config = json.loads((voicelab.lab.LAB_CONFIG_DIR / "labconfig" / "page_config.json").read_text())
    assert page_config["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"] is True


def test_version_is_the_installed_distribution_version():
    result = subprocess.run([sys.executable, "-m", "voicelab", "--version"], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == f"voicelab {importlib.metadata.version('voicelab')}"


def _subcommand_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = voicelab.cli._parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"voicelab": parser, **sub.choices}


@pytest.mark.parametrize("command", ["voicelab", "serve", "lab", "cost"])
def test_every_option_has_a_help_text(command):
    parser = _subcommand_parsers()[command]
    undocumented = [
        action.option_strings or action.dest
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction)
        and (not action.help or action.help == argparse.SUPPRESS)
    ]
    assert not undocumented, f"voicelab {command}: options without help: {undocumented}"
    assert parser.format_help()  # every %(default)s in the help texts formats


def test_the_subcommands_are_the_documented_ones():
    assert set(_subcommand_parsers()) == {"voicelab", "serve", "lab", "call", "cost"}


@pytest.mark.parametrize("module", [voicelab.lab, voicelab.cli], ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted and not result.failed
