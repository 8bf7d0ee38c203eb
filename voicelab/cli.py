"""Command line: ``voicelab serve | lab | call | cost``.

Each subcommand's options and behaviour live beside the code they drive (``voicelab.emulator.cli`` reached
through the composition root ``voicelab.backend``, ``voicelab.pricing.cli``); this module only dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]

# subcommand -> (module, its add_arguments(parser) and run(args) -> int functions, one-line help)
_SUBCOMMANDS = {
    "serve": (
        "voicelab.backend",
        "add_serve_arguments",
        "serve",
        "run the local emulator of OpenAI's audio and Realtime APIs",
    ),
    "lab": (
        "voicelab.lab",
        "add_arguments",
        "run",
        "start JupyterLab on the notebooks with the embedded emulator",
    ),
    "call": (
        "voicelab.emulator.phone",
        "add_arguments",
        "run",
        "place a simulated phone call (G.711 μ-law, 8 kHz) into a running emulator",
    ),
    "cost": (
        "voicelab.pricing.cli",
        "add_arguments",
        "run",
        "price a usage object or a conversation scenario",
    ),
}


def _parser() -> argparse.ArgumentParser:
    from voicelab import __version__

    parser = argparse.ArgumentParser(
        prog="voicelab", description="A Jupyter workbench for OpenAI's audio APIs."
    )
    parser.add_argument(
        "--version", action="version", version=f"voicelab {__version__}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{serve,lab,call,cost}")
    for name, (module_name, add_arguments, run, help_text) in _SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        getattr(module, add_arguments)(sub_parser)
        sub_parser.set_defaults(_run=getattr(module, run))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``voicelab`` command.

    Examples
    --------
    >>> main(["--version"])
    Traceback (most recent call last):
    SystemExit: 0
    """
    args = _parser().parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
