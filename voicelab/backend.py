"""Which OpenAI the SDK talks to: the real service, or the embedded offline emulator.

``client()`` / ``async_client()`` return official ``openai`` SDK clients:

- ``OPENAI_API_KEY`` set → plain clients for OpenAI (the key stays in the environment; voicelab never
prints it);
- otherwise → the emulator is started once per process on a free loopback port (engines load lazily on first
  use, so this takes a fraction of a second) and the clients point at it (``base_url`` and
  ``websocket_base_url``);
- ``VOICELAB_BACKEND=local`` or ``openai`` overrides the choice (``openai`` without a key is a clear error).

The embedded server stops at interpreter exit.

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
    "async_client",
    "backend_info",
    "choose_backend",
    "client",
    "embedded_server",
    "stop_embedded_server",
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

            fixed_time = os.environ.get("VOICELAB_FIXED_TIME")
            _server = EmbeddedServer(EmulatorSettings(port=0, fixed_time=fixed_time)).start()
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
