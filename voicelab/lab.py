"""``voicelab lab``: JupyterLab on the notebooks, with the embedded emulator.

The lab listens on 127.0.0.1 without a token: fine for a workstation, never expose it.
Kernels start the emulator themselves on first ``voicelab.client()`` (no API key needed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicelab lab``."""
    parser.add_argument("--notebook-dir", default="notebooks", help="folder to open (default: notebooks)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8888, help="port (default: 8888)")


def run(args: argparse.Namespace) -> int:
    """Start JupyterLab in the foreground; returns its exit code."""
    notebook_dir = Path(args.notebook_dir)
    if not notebook_dir.is_dir():
        print(f"voicelab lab: no folder {notebook_dir}; run it from the repository root", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    command = [
        sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={notebook_dir}", f"--ip={args.host}",
        f"--port={args.port}", "--ServerApp.token=", "--ServerApp.password=", "--no-browser",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI machines often run as root
        command.append("--allow-root")
    return subprocess.call(command, env=env)
