"""Which OpenAI the SDK talks to: the real service, or the embedded offline emulator.

``client()`` / ``async_client()`` return official ``openai`` SDK clients:

- ``OPENAI_API_KEY`` set → plain clients for OpenAI (the key stays in the environment; voicelab never
prints it);
- otherwise → the emulator is started once per process on a free loopback port (engines load lazily on first
  use, so this takes a fraction of a second) and the clients point at it (``base_url`` and
  ``websocket_base_url``);
- ``VOICELAB_BACKEND=local`` or ``openai`` overrides the choice (``openai`` without a key is a clear error).

The embedded server stops at interpreter exit.

This module is the composition root: the only one that imports both the client (``voicelab.realtime``) and
the server (``voicelab.emulator``), and so the one that wires them — the emulator's browser token endpoint
minting through OpenAI (:func:`token_mint`, :func:`create_token_app`) and ``voicelab serve``
(:func:`serve`).

Examples
--------
>>> import voicelab
>>> client = voicelab.client()  # doctest: +SKIP
>>> voicelab.backend_info()  # doctest: +SKIP
local emulator (offline engines: Whisper base, Piper joe, eSpeak NG)
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from typing import Any

from voicelab.errors import BackendError

__all__ = [
    "BackendInfo",
    "add_serve_arguments",
    "async_client",
    "backend_info",
    "choose_backend",
    "client",
    "create_token_app",
    "embedded_server",
    "serve",
    "stop_embedded_server",
    "token_mint",
]

LOCAL_API_KEY = "voicelab-local"
ENGINES = "Whisper base, Piper joe, eSpeak NG"

_lock = threading.Lock()
_server: Any = None


def choose_backend() -> str:
    """``"openai"`` or ``"local"``, from ``VOICELAB_BACKEND`` and ``OPENAI_API_KEY``.

    Examples
    --------
    >>> choose_backend() in ("local", "openai")
    True
    """
    choice = os.environ.get("VOICELAB_BACKEND", "").strip().lower()
    has_key = bool(os.environ.get("OPENAI_API_KEY", "").strip())
    if choice in ("", "auto"):
        return "openai" if has_key else "local"
    if choice not in ("local", "openai"):
        raise BackendError(
            f"VOICELAB_BACKEND must be 'local' or 'openai'; got {choice!r} — unset it to choose "
            "automatically (OpenAI when OPENAI_API_KEY is set, else the local emulator)"
        )
    if choice == "openai" and not has_key:
        raise BackendError(
            "VOICELAB_BACKEND=openai needs OPENAI_API_KEY in the environment — set it, or use "
            "VOICELAB_BACKEND=local for the offline emulator"
        )
    return choice


def embedded_server() -> Any:
    """The process's embedded emulator (an ``EmbeddedServer``), started on first call."""
    global _server
    with _lock:
        if _server is None or not _server.running:
            from voicelab.emulator.server import EmbeddedServer
            from voicelab.emulator.settings import EmulatorSettings

            # the environment's VOICELAB_* settings apply (fixed time, responder, …); the port is free and the
            # key is open, since this process's clients use LOCAL_API_KEY
            _server = EmbeddedServer(EmulatorSettings(port=0, api_key=None)).start()
        return _server


def stop_embedded_server() -> None:
    """Stop the embedded emulator if it runs (registered with ``atexit``)."""
    global _server
    with _lock:
        if _server is not None:
            _server.stop()
            _server = None


atexit.register(stop_embedded_server)


def _local_kwargs() -> dict[str, Any]:
    server = embedded_server()
    return {
        "base_url": server.base_url,
        "api_key": LOCAL_API_KEY,
        "websocket_base_url": server.websocket_base_url,
    }


def client(**kwargs: Any) -> Any:
    """An ``openai.OpenAI`` client for the chosen backend; ``kwargs`` go to the constructor.

    Examples
    --------
    >>> speech = client().audio.speech.create(model="gpt-4o-mini-tts", voice="alloy",
    ...                                       input="Hello")  # doctest: +SKIP
    """
    import openai

    if choose_backend() == "openai":
        return openai.OpenAI(**kwargs)
    return openai.OpenAI(**{**_local_kwargs(), **kwargs})


def async_client(**kwargs: Any) -> Any:
    """An ``openai.AsyncOpenAI`` client for the chosen backend; ``kwargs`` go to the constructor."""
    import openai

    if choose_backend() == "openai":
        return openai.AsyncOpenAI(**kwargs)
    return openai.AsyncOpenAI(**{**_local_kwargs(), **kwargs})


@dataclass(frozen=True)
class BackendInfo:
    """Which backend the clients use. The repr is stable (no port, no key) so notebooks can check it."""

    kind: str
    base_url: str
    engines: str | None = None

    def __repr__(self) -> str:
        if self.kind == "local":
            return f"local emulator (offline engines: {self.engines})"
        return "OpenAI API (api.openai.com, key from OPENAI_API_KEY)"

    def describe(self) -> str:
        """The repr plus the URL (which holds the port, so it varies from run to run)."""
        return f"{self!r} at {self.base_url}"

    def _repr_html_(self) -> str:
        return f"<code>{self!r}</code>"


def backend_info() -> BackendInfo:
    """What ``client()`` talks to, for a notebook cell.

    Examples
    --------
    >>> backend_info()  # doctest: +SKIP
    local emulator (offline engines: Whisper base, Piper joe, eSpeak NG)
    """
    if choose_backend() == "openai":
        import openai

        base = os.environ.get("OPENAI_BASE_URL") or str(openai.OpenAI().base_url)
        return BackendInfo("openai", base)
    return BackendInfo("local", embedded_server().base_url, ENGINES)


# ---------------------------------------------------------------------------- wiring client and server


def token_mint(client: Any = None) -> Any:
    """A mint for the browser token endpoint that calls ``POST /v1/realtime/client_secrets`` via the SDK.

    Parameters
    ----------
    client : openai.AsyncOpenAI, optional
        Default :func:`async_client` at each request (OpenAI with a key, else the embedded emulator).

    Returns
    -------
    voicelab.emulator.routes.token_backend.TokenMint
        ``await mint(model, voice, seconds)`` → :class:`voicelab.realtime.tokens.ClientSecret`.
    """
    from voicelab.realtime.tokens import amint

    async def mint(model: str | None, voice: str | None, seconds: int) -> Any:
        minting_client = client if client is not None else async_client()
        return await amint(minting_client, model=model, voice=voice, seconds=seconds)

    return mint


def create_token_app(client: Any = None, *, seconds: int = 600, allow_remote: bool = False) -> Any:
    """A standalone app serving only ``POST /api/openai/realtime/session``, minting through ``client``.

    Run it with uvicorn next to your web page; the real API key stays in this server's environment.

    Examples
    --------
    >>> app = create_token_app()
    >>> "/api/openai/realtime/session" in app.openapi()["paths"]
    True
    """
    from voicelab.emulator.routes.token_backend import create_token_app as token_app

    return token_app(token_mint(client), seconds=seconds, allow_remote=allow_remote)


def add_serve_arguments(parser: Any) -> None:
    """The options of ``voicelab serve`` (:mod:`voicelab.emulator.cli`)."""
    from voicelab.emulator.cli import add_arguments

    add_arguments(parser)


def serve(args: Any) -> int:
    """``voicelab serve``: the emulator as a standalone server; returns the exit status.

    With a real key configured (``OPENAI_API_KEY``, and ``VOICELAB_BACKEND`` not ``local``), its browser token
    endpoint mints real OpenAI keys; otherwise the emulator mints its own.
    """
    from voicelab.emulator.cli import run

    return run(args, token_mint=token_mint() if choose_backend() == "openai" else None)
