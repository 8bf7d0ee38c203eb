"""``EmbeddedServer``: the emulator on a free loopback port, in a background thread of this process.

Examples
--------
>>> server = EmbeddedServer().start()  # doctest: +SKIP
>>> server.base_url  # doctest: +SKIP
'http://127.0.0.1:53123/v1'
>>> server.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
import time
from typing import Any, Literal

import uvicorn

from voicelab.emulator.settings import EmulatorSettings
from voicelab.errors import BackendError

__all__ = ["EmbeddedServer", "cannot_listen_message", "listen_socket", "uvicorn_config"]


def uvicorn_config(
    app: Any,
    settings: EmulatorSettings,
    *,
    log_level: str = "warning",
    lifespan: Literal["on", "off"] = "off",
) -> uvicorn.Config:
    """The uvicorn settings the emulator runs with: asyncio loop, h11 with a header deadline, sans-I/O
    websockets that can drop a slow reader (:mod:`voicelab.emulator.transports`), no access log.

    Keys are masked in every log record of the server stack, at every level
    (:mod:`voicelab.emulator.logging_redaction`): ``debug`` logs each handshake header.
    """
    from voicelab.emulator import logging_redaction
    from voicelab.emulator.transports import AbortableWebSocketProtocol, header_deadline_protocol

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="asyncio",
        http=header_deadline_protocol(settings.header_timeout_s),  # h11, with a deadline for headers
        ws=AbortableWebSocketProtocol,  # sans-I/O websockets that can drop a slow reader
        lifespan=lifespan,  # "on" for apps that start work in their lifespan (a FastMCP server)
        log_level=log_level,
        access_log=False,
        server_header=False,
        # a message over the event limit is refused from its frame header (an error event, then close 1009)
        ws_max_size=settings.max_event_bytes,
    )
    logging_redaction.install()  # after uvicorn configured its loggers
    return config


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``(host, port)``, for uvicorn to listen on; port 0 picks a free port.

    Binding first means a server can say where it listens only once that is true, and report a busy port
    before it prints anything else.

    Raises
    ------
    OSError
        The address cannot be bound (``errno.EADDRINUSE`` when another program holds the port); see
        :func:`cannot_listen_message`.

    Examples
    --------
    >>> sock = listen_socket("127.0.0.1", 0)
    >>> sock.getsockname()[1] > 0
    True
    >>> sock.close()
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart need not wait out TIME_WAIT
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def cannot_listen_message(host: str, port: int, exc: OSError) -> str:
    """What to tell a user whose server could not bind ``host:port``, with the fix.

    Examples
    --------
    >>> import errno
    >>> busy = OSError(errno.EADDRINUSE, "Address already in use")
    >>> cannot_listen_message("127.0.0.1", 8000, busy)  # doctest: +ELLIPSIS
    '127.0.0.1:8000 is already in use (...); choose a free port with --port, e.g. --port 8001'
    """
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{host}:{port} is already in use (another server is listening there); "
            f"choose a free port with --port, e.g. --port {port + 1}"
        )
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


class EmbeddedServer:
    """Run the emulator app with uvicorn in a daemon thread on 127.0.0.1 and a free port.

    Parameters
    ----------
    settings : EmulatorSettings, optional
        ``host`` is honoured; ``settings.port`` is not (it is ``voicelab serve``'s port).
    app : ASGI app, optional
        Defaults to ``create_app(settings)``.
    port : int
        Port to listen on; 0 (the default) picks a free one, so embedded servers never collide with
        ``voicelab serve`` or with each other.
    log_level : str
        uvicorn's log level (default ``warning``).
    lifespan : {"off", "on"}
        Run the app's lifespan (the emulator has none; a FastMCP app starts its session manager there).
    """

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        *,
        app: Any = None,
        port: int = 0,
        log_level: str = "warning",
        lifespan: Literal["on", "off"] = "off",
    ) -> None:
        self._log_level = log_level
        self._lifespan = lifespan
        self.settings = settings or EmulatorSettings(port=0)
        self._requested_port = port
        self._app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    def __repr__(self) -> str:
        state = f"running at {self.base_url}" if self.running else "stopped"
        return f"EmbeddedServer({state})"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        if self.port is None:
            raise BackendError("the embedded emulator is not started; call .start() first")
        return f"http://{self.settings.host}:{self.port}/v1"

    @property
    def websocket_base_url(self) -> str:
        """``ws://127.0.0.1:PORT/v1`` (pass it to the SDK: it would otherwise use wss)."""
        return self.base_url.replace("http://", "ws://", 1)

    def start(self, *, timeout: float = 10.0) -> EmbeddedServer:
        """Bind, start serving in the background, and return once requests are accepted."""
        if self.running:
            return self
        from voicelab.emulator.app import create_app

        app = self._app if self._app is not None else create_app(self.settings)
        try:
            sock = listen_socket(self.settings.host, self._requested_port)
        except OSError as exc:
            where = f"{self.settings.host}:{self._requested_port}"
            raise BackendError(f"cannot listen on {where}: {exc.strerror or exc}") from exc
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn_config(app, self.settings, log_level=self._log_level, lifespan=self._lifespan)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"voicelab-emulator:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise BackendError(f"the embedded emulator did not start within {timeout:.0f} s")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop serving, wait for the thread, close the socket. Safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
