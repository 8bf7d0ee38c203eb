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
import os
import signal
import sys

from voicelab.emulator.settings import RESPONDERS, EmulatorSettings
from voicelab.errors import VoicelabError

__all__ = ["add_arguments", "run", "settings_from_args"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``voicelab serve``."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1; use 0.0.0.0 only on a trusted network)",
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0 picks a free one)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("VOICELAB_API_KEY"),
        help="accept only this bearer key (or ek_ keys minted here); default: any key. "
        "Also read from VOICELAB_API_KEY",
    )
    parser.add_argument(
        "--responder",
        choices=RESPONDERS,
        default="scripted",
        help="what writes replies: deterministic rules (default) or a chat-completions server",
    )
    parser.add_argument(
        "--llm-base-url",
        help="chat-completions server for --responder openai-compatible, e.g. http://127.0.0.1:8080/v1",
    )
    parser.add_argument("--llm-model", default="gpt-4o-mini", help="model name sent to --llm-base-url")
    parser.add_argument(
        "--llm-api-key",
        default=os.environ.get("VOICELAB_LLM_API_KEY"),
        help="bearer key for --llm-base-url (also VOICELAB_LLM_API_KEY)",
    )
    parser.add_argument("--rules", dest="rules_path", help="TOML rules table for the scripted responder")
    parser.add_argument(
        "--fixed-time", help="ISO-8601 time the scripted responder reports (deterministic runs)"
    )
    parser.add_argument(
        "--no-realtime-pacing",
        dest="realtime_pacing",
        action="store_false",
        help="send realtime audio as fast as it is made instead of at playback speed",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="fraction of /v1 HTTP requests answered with --fault-status (client testing)",
    )
    parser.add_argument(
        "--fault-status", type=int, default=500, help="status of injected faults (default 500)"
    )
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="extra delay before every /v1 HTTP response"
    )
    parser.add_argument(
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
    """``EmulatorSettings`` from parsed ``voicelab serve`` options."""
    return EmulatorSettings(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        responder=args.responder,
        llm_base_url=args.llm_base_url,
        llm_model=args.llm_model,
        llm_api_key=args.llm_api_key,
        rules_path=args.rules_path,
        fixed_time=args.fixed_time,
        realtime_pacing=args.realtime_pacing,
        fault_rate=args.fault_rate,
        fault_status=args.fault_status,
        latency_ms=args.latency_ms,
        token_endpoint_remote=args.token_endpoint_remote,
    )


def run(args: argparse.Namespace) -> int:
    """Bind, say where, and serve until interrupted (Ctrl-C or SIGTERM). Returns the exit status.

    A busy port is reported before anything else (exit status 1, with the ``--port`` to use instead).
    """
    import uvicorn

    from voicelab.emulator.app import create_app
    from voicelab.emulator.server import cannot_listen_message, listen_socket, uvicorn_config

    try:
        settings = settings_from_args(args)
        app = create_app(settings)
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
