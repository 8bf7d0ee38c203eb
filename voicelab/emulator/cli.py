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
import ipaddress
import signal
import sys
from typing import Any

from voicelab.emulator.routes.token_backend import TokenMint
from voicelab.emulator.settings import RESPONDERS, EmulatorSettings
from voicelab.errors import ParameterError, VoicelabError

__all__ = ["add_arguments", "exposure_warnings", "is_loopback", "read_key_file", "run", "settings_from_args"]


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
        help="accept only this bearer key (or, for Realtime sessions, ek_ keys minted here); default: any "
        "key. Visible to other users in `ps`: prefer VOICELAB_API_KEY or --api-key-file",
    )
    option(
        "--api-key-file",
        metavar="PATH",
        help="read the server key from this file (its first line), so it never appears on a command line",
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
    option("--llm-model", help="model name sent to --llm-base-url (default gpt-5.4-mini)")
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
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="how much the server logs (default info)",
    )


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """``EmulatorSettings`` from parsed ``voicelab serve`` options (the environment fills the rest).

    Raises
    ------
    ParameterError
        ``--api-key-file`` is unreadable or empty, or given with ``--api-key``.
    """
    given = {name: value for name, value in vars(args).items() if name in EmulatorSettings.model_fields}
    key_file = getattr(args, "api_key_file", None)
    if key_file is not None:
        if "api_key" in given:
            raise ParameterError(
                "api_key_file", expected="either --api-key or --api-key-file", got="both", fix="pass one"
            )
        given["api_key"] = read_key_file(key_file)
    return EmulatorSettings(**given)


def read_key_file(path: str) -> str:
    """The key in the first line of the file at ``path`` (surrounding whitespace removed).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "key"
    >>> _ = p.write_text(" sk-local ")
    >>> read_key_file(str(p))
    'sk-local'
    """
    try:
        with open(path, encoding="utf-8") as file:
            key = file.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(
            "api_key_file", expected="a readable text file holding the key", got=f"{type(exc).__name__}"
        ) from None
    if not key:
        raise ParameterError("api_key_file", expected="a key on the first line", got="an empty line")
    return key


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server to this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warnings(settings: EmulatorSettings, args: argparse.Namespace) -> list[str]:
    """What ``voicelab serve`` warns about at start: a non-loopback bind, a key on the command line."""
    warnings = []
    if not is_loopback(settings.host):
        reach = (
            "every machine that can reach this one" if settings.host in ("0.0.0.0", "::") else settings.host
        )
        guard = "only --api-key holders" if settings.api_key else "ANYONE (no --api-key set)"
        warnings.append(
            f"WARNING: listening on {settings.host}: {reach} can reach the emulator, and {guard} can call it "
            "(speech engines, your --llm-base-url, minted keys). Use it only on a trusted network; add "
            "--allow-host with the name clients use."
        )
    if "api_key" in vars(args):
        warnings.append(
            "note: --api-key is visible to other users of this machine (ps); prefer VOICELAB_API_KEY or "
            "--api-key-file."
        )
    return warnings


def run(args: argparse.Namespace, *, token_mint: TokenMint | None = None) -> int:
    """Bind, say where, and serve until interrupted (Ctrl-C or SIGTERM). Returns the exit status.

    A busy port is reported before anything else (exit status 1, with the ``--port`` to use instead).
    ``token_mint`` mints the browser token endpoint's keys (see :func:`voicelab.emulator.app.create_app`).
    """
    import uvicorn

    from voicelab.emulator.app import create_app
    from voicelab.emulator.gc_pauses import freeze_long_lived
    from voicelab.emulator.heap_trim import HeapTrimmer
    from voicelab.emulator.server import cannot_listen_message, listen_socket, uvicorn_config

    try:
        settings = settings_from_args(args)
        app = create_app(settings, token_mint=token_mint)
    except VoicelabError as exc:
        print(f"voicelab serve: {exc}", file=sys.stderr)
        return 2
    for warning in exposure_warnings(settings, args):
        print(f"voicelab serve: {warning}", file=sys.stderr)
    auth = "only --api-key (or ek_ keys for Realtime)" if settings.api_key else "any bearer key"
    try:
        sock = listen_socket(settings.host, settings.port)
    except OSError as exc:
        print(f"voicelab serve: {cannot_listen_message(settings.host, settings.port, exc)}", file=sys.stderr)
        return 1
    where = f"{settings.host}:{sock.getsockname()[1]}"  # --port 0 binds a free port: say which
    print(
        f"voicelab emulator: http://{where}/v1 (ws://{where}/v1/realtime), responder {settings.responder}, "
        f"accepting {auth}. Ctrl-C stops.",
        file=sys.stderr,
    )
    freeze_long_lived()  # the imported stack stays for the process: keep it out of full collections
    _warm_realtime_engines(app, settings)
    server = uvicorn.Server(uvicorn_config(app, settings, log_level=args.log_level))
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then re-raises the signal: let SIGTERM end up as
    # the KeyboardInterrupt Ctrl-C does, so both stop with status 0.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    trimmer = HeapTrimmer().start()  # memory freed after a burst goes back to the OS
    with sock, contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    trimmer.stop()
    print("voicelab emulator stopped.", file=sys.stderr)
    return 0


def _warm_realtime_engines(app: Any, settings: EmulatorSettings) -> None:
    """Load the Realtime engines now, in the background, so that the first spoken turn is not slower.

    Once loaded, the engines' objects are frozen out of the garbage collector's full passes too
    (:mod:`voicelab.emulator.gc_pauses`).
    """
    from voicelab.emulator.gc_pauses import freeze_long_lived
    from voicelab.emulator.realtime.live_stt import warm_up_in_background
    from voicelab.emulator.realtime.route import Engines

    engines = getattr(app.state, "realtime_engines", None) or Engines.default(
        vad_detector=settings.realtime_vad_detector
    )
    if engines.streaming is not None:
        loaded = warm_up_in_background(engines.synthesize, engines.streaming)
        loaded.add_done_callback(lambda _: freeze_long_lived(collect_first=False))  # serving by then
