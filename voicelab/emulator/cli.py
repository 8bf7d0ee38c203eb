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
    option("--port", type=int, help="TCP port (default 8000)")
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
    option(
        "--allow-host",
        dest="allowed_hosts",
        action="append",
        metavar="NAME",
        help="also answer requests for this Host name (repeatable; e.g. the machine's LAN name with "
        "--host 0.0.0.0; '*' disables the DNS-rebinding guard). Loopback names and --host always work",
    )
    option(
        "--allow-origin",
        dest="allowed_origins",
        action="append",
        metavar="ORIGIN",
        help="web pages allowed to open the Realtime WebSocket and mint keys at the token route, e.g. "
        "https://app.example or http://lab.example:* (repeatable; replaces the default: pages on this "
        "machine, http(s)://127.0.0.1|localhost|[::1] on any port)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """``EmulatorSettings`` from parsed ``voicelab serve`` options (the environment fills the rest)."""
    given = {name: value for name, value in vars(args).items() if name in EmulatorSettings.model_fields}
    return EmulatorSettings(**given)


def run(args: argparse.Namespace, *, token_mint: TokenMint | None = None) -> int:
    """Serve until interrupted (Ctrl-C). Returns the exit status.

    ``token_mint`` mints the browser token endpoint's keys (see :func:`voicelab.emulator.app.create_app`).
    """
    import uvicorn

    from voicelab.emulator.app import create_app
    from voicelab.emulator.server import uvicorn_config

    try:
        settings = settings_from_args(args)
        app = create_app(settings, token_mint=token_mint)
    except VoicelabError as exc:
        print(f"voicelab serve: {exc}", file=sys.stderr)
        return 2
    auth = "only --api-key or ek_ keys" if settings.api_key else "any bearer key"
    print(
        f"voicelab emulator: http://{settings.host}:{settings.port}/v1 (ws://{settings.host}:{settings.port}/v1/"
        f"realtime), responder {settings.responder}, accepting {auth}. Ctrl-C stops.",
        file=sys.stderr,
    )
    server = uvicorn.Server(uvicorn_config(app, settings, log_level=args.log_level))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after its graceful shutdown
        server.run()
    print("voicelab emulator stopped.", file=sys.stderr)
    return 0
