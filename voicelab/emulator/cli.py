"""``voicelab serve``: run the emulator as a standalone server (for other programs and the browser widgets).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> settings_from_args(parser.parse_args(["--port", "9000"])).port
9000
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import signal
import sys

from voicelab.emulator.routes.token_backend import TokenMint
from voicelab.emulator.settings import RESPONDERS, EmulatorSettings
from voicelab.errors import VoicelabError

__all__ = ["add_arguments", "run", "settings_from_args"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``voicelab serve``.

    An option left out is not set here, so :class:`EmulatorSettings` reads it from the environment
    (``VOICELAB_<NAME>``) or uses its default.
    """
    option = functools.partial(parser.add_argument, default=argparse.SUPPRESS)
    option(
        "--host",
        help="interface to listen on (default 127.0.0.1; use 0.0.0.0 only on a trusted network)",
    )
    option("--port", type=int, help="TCP port (default 8000; 0 picks a free one)")
    option(
        "--api-key",
        help="accept only this bearer key (or ek_ keys minted here); default: any key. "
        "Also read from VOICELAB_API_KEY",
    )
    option(
        "--responder",
        choices=RESPONDERS,
        help="what writes replies: deterministic rules (default) or a chat-completions server",
    )
    option(
        "--llm-base-url",
        help="chat-completions server for --responder openai-compatible, e.g. http://127.0.0.1:8080/v1",
    )
    option("--llm-model", help="model name sent to --llm-base-url (default gpt-4o-mini)")
    option("--llm-api-key", help="bearer key for --llm-base-url (also VOICELAB_LLM_API_KEY)")
    option("--rules", dest="rules_path", help="TOML rules table for the scripted responder")
    option("--fixed-time", help="ISO-8601 time the scripted responder reports (deterministic runs)")
    option(
        "--no-realtime-pacing",
        dest="realtime_pacing",
        action="store_false",
        help="send realtime audio as fast as it is made instead of at playback speed",
    )
    option(
        "--fault-rate",
        type=float,
        help="fraction of /v1 HTTP requests answered with --fault-status (client testing)",
    )
    option("--fault-status", type=int, help="status of injected faults (default 500)")
    option("--latency-ms", type=int, help="extra delay before every /v1 HTTP response")
    option(
        "--allow-remote-tokens",
        dest="token_endpoint_remote",
        action="store_true",
        help="let other machines mint ephemeral keys at /api/openai/realtime/session (put a login in front!)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="how much the server logs (default info)",
    )


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """``EmulatorSettings`` from parsed ``voicelab serve`` options (the environment fills the rest)."""
    given = {name: value for name, value in vars(args).items() if name in EmulatorSettings.model_fields}
    return EmulatorSettings(**given)


def run(args: argparse.Namespace, *, token_mint: TokenMint | None = None) -> int:
    """Bind, say where, and serve until interrupted (Ctrl-C or SIGTERM). Returns the exit status.

    A busy port is reported before anything else (exit status 1, with the ``--port`` to use instead).
    ``token_mint`` mints the browser token endpoint's keys (see :func:`voicelab.emulator.app.create_app`).
    """
    import uvicorn

    from voicelab.emulator.app import create_app
    from voicelab.emulator.server import cannot_listen_message, listen_socket, uvicorn_config

    try:
        settings = settings_from_args(args)
        app = create_app(settings, token_mint=token_mint)
    except VoicelabError as exc:
        print(f"voicelab serve: {exc}", file=sys.stderr)
        return 2
    try:
        sock = listen_socket(settings.host, settings.port)
    except OSError as exc:
        print(f"voicelab serve: {cannot_listen_message(settings.host, settings.port, exc)}", file=sys.stderr)
        return 1
    where = f"{settings.host}:{sock.getsockname()[1]}"  # --port 0 binds a free port: say which
    auth = "only --api-key or ek_ keys" if settings.api_key else "any bearer key"
    print(
        f"voicelab emulator: http://{where}/v1 (ws://{where}/v1/realtime), responder {settings.responder}, "
        f"accepting {auth}. Ctrl-C stops.",
        file=sys.stderr,
    )
    server = uvicorn.Server(uvicorn_config(app, settings, log_level=args.log_level))
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then re-raises the signal: let SIGTERM end up as
    # the KeyboardInterrupt Ctrl-C does, so both stop with status 0.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with sock, contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    print("voicelab emulator stopped.", file=sys.stderr)
    return 0
