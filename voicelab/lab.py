"""``voicelab lab``: JupyterLab on the notebooks, with the embedded emulator.

The lab listens on 127.0.0.1 without a token: fine for a workstation, never expose it.
Kernels start the emulator themselves on first ``voicelab.client()`` (no API key needed).

JupyterLab runs as a child process in its own session: ``voicelab lab`` passes SIGTERM and SIGINT (Ctrl-C)
on to it as SIGTERM, on which Jupyter shuts its kernels down and exits, and waits for it; on Linux the child
also gets SIGTERM if ``voicelab lab`` itself is killed. The lab it starts reads ``lab_config/`` beside this
module (``JUPYTER_CONFIG_PATH``): the Jupyter news and update pop-up is disabled there.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> command = jupyter_command(parser.parse_args(["--port", "9999"]))
>>> "--port=9999" in command and "--no-browser" in command and "--ServerApp.port_retries=0" in command
True
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from voicelab.emulator.server import cannot_listen_message, listen_socket

__all__ = ["LAB_CONFIG_DIR", "add_arguments", "jupyter_command", "run"]

LAB_CONFIG_DIR = Path(__file__).with_name("lab_config")
"""Jupyter configuration of the lab ``voicelab lab`` starts (prepended to ``JUPYTER_CONFIG_PATH``)."""

_READY_TIMEOUT_S = 180.0
_FORWARDED_SIGNALS = tuple(  # SIGHUP: the terminal closed; Windows has none
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicelab lab``."""
    parser.add_argument("--notebook-dir", default="notebooks", help="folder to open (default: notebooks)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: 127.0.0.1; the lab has no token, so never a public address)",
    )
    parser.add_argument("--port", type=int, default=8888, help="port; it must be free (default: 8888)")
    parser.add_argument(
        "--open",
        action="store_true",
        help="also open the lab in your default web browser (default: only print its address)",
    )


def jupyter_command(args: argparse.Namespace) -> list[str]:
    """The ``jupyter lab`` command line ``voicelab lab`` runs for these options."""
    command = [
        sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={args.notebook_dir}", f"--ip={args.host}",
        f"--port={args.port}",
        "--ServerApp.port_retries=0",  # a busy port is an error, not a silent move to the next one
        "--IdentityProvider.token=",  # no token (ServerApp.token is deprecated and warns)
        "--LabApp.extension_manager=readonly",  # nothing to install from PyPI inside the lab
    ]
    if not args.open:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI machines often run as root
        command.append("--allow-root")
    return command


def run(args: argparse.Namespace) -> int:
    """Start JupyterLab, say where it is once it answers, and wait for it; returns its exit code."""
    notebook_dir = Path(args.notebook_dir)
    if not notebook_dir.is_dir():
        print(f"voicelab lab: no folder {notebook_dir}; run it from the repository root", file=sys.stderr)
        return 2
    if importlib.util.find_spec("jupyterlab") is None:
        print("voicelab lab: JupyterLab is not installed; pip install 'voicelab[lab]' (make lab does it)",
              file=sys.stderr)
        return 2
    try:
        listen_socket(args.host, args.port).close()
    except OSError as exc:
        print(f"voicelab lab: {cannot_listen_message(args.host, args.port, exc)}", file=sys.stderr)
        return 1
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(LAB_CONFIG_DIR), env.get("JUPYTER_CONFIG_PATH", "")) if p
    )
    url = f"http://{_url_host(args.host)}:{args.port}/lab"
    process = subprocess.Popen(
        jupyter_command(args), env=env, start_new_session=True, preexec_fn=_die_with_parent
    )
    with _forward_signals_to(process):
        if _wait_until_answering(url, process):
            opened = "opening it in your browser" if args.open else "open it in your browser"
            print(f"\nvoicelab lab: JupyterLab is ready at {url} ({opened}; no token: loopback use only). "
                  "Ctrl-C stops it.\n", file=sys.stderr, flush=True)
        return process.wait()


def _url_host(host: str) -> str:
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"[{host}]" if ":" in host else host


def _wait_until_answering(url: str, process: subprocess.Popen[bytes]) -> bool:
    """Poll the lab's status API until it answers (True) or the process ends or times out (False)."""
    status = url.removesuffix("/lab") + "/api/status"
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(status, timeout=2):
            return True
        time.sleep(0.3)
    return False


@contextlib.contextmanager
def _forward_signals_to(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """While inside, SIGTERM/SIGINT/SIGHUP to this process become SIGTERM to ``process``."""

    def forward(signum: int, frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to send SIGTERM when ``voicelab lab`` dies (even by SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
