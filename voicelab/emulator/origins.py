"""Which ``Host`` and ``Origin`` the emulator answers: the guard against DNS rebinding and cross-origin pages.

A web page cannot read the emulator's answers unless the browser thinks they come from the page's own site.
DNS rebinding gets around that: ``evil.example`` first resolves to the attacker and then to ``127.0.0.1``, so
the page's requests reach the emulator with ``Host: evil.example:PORT``. The emulator therefore answers only
``Host`` names on an allow-list (the loopback names, the ``--host`` it listens on and ``--allow-host``), on
its own port, and — where a browser can act with the user's authority (the keyless token route, the
Realtime WebSocket) — only pages whose ``Origin`` is allowed (loopback pages such as JupyterLab on
``http://127.0.0.1:8888`` by default, ``--allow-origin`` for others). Requests without an ``Origin`` come
from programs, not pages, and pass.

Examples
--------
>>> policy = HostPolicy.from_settings(EmulatorSettings(port=8000))
>>> policy.host_allowed("127.0.0.1:8000", server_port=8000), policy.host_allowed("evil.example:8000", 8000)
(True, False)
>>> policy.origin_allowed("http://localhost:8888"), policy.origin_allowed("https://evil.example")
(True, False)
>>> policy.origin_allowed(None)  # not a browser
True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from voicelab.emulator.errors import error_body
from voicelab.emulator.settings import DEFAULT_ALLOWED_ORIGINS, LOOPBACK_HOSTS, EmulatorSettings

__all__ = ["HostGuardMiddleware", "HostPolicy", "header"]

log = logging.getLogger("voicelab.emulator")

_ANY_ADDRESS = ("0.0.0.0", "::", "[::]", "")


def header(scope: Scope, name: bytes) -> str | None:
    """The value of request header ``name`` (lower-case bytes) in an ASGI ``scope``, or None.

    Examples
    --------
    >>> header({"headers": [(b"host", b"127.0.0.1:8000")]}, b"host")
    '127.0.0.1:8000'
    """
    for key, value in scope.get("headers") or []:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _split_host(host: str) -> tuple[str, int | None] | None:
    """``"Localhost:8000"`` → ``("localhost", 8000)``; ``"[::1]"`` → ``("[::1]", None)``; junk → None.

    Examples
    --------
    >>> _split_host("Localhost:8000"), _split_host("[::1]"), _split_host("a:b")
    (('localhost', 8000), ('[::1]', None), None)
    """
    host = host.strip().lower()
    name, port = host, ""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None
        name, rest = host[: end + 1], host[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:]
    elif ":" in host:
        name, _, port = host.rpartition(":")
    if not port:
        return name, None
    return (name, int(port)) if port.isdigit() else None


def _host_name(host: str) -> str:
    """How a configured host appears in a ``Host`` header (IPv6 in brackets), lower-case."""
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@dataclass(frozen=True)
class HostPolicy:
    """The allow-lists for ``Host`` names and page ``Origin`` s.

    Parameters
    ----------
    hosts : frozenset of str
        Host names answered (lower-case, IPv6 in brackets); ``"*"`` answers every name.
    origins : tuple of str
        Page origins allowed: exact (``"http://127.0.0.1:8888"``), any port (``"http://localhost:*"``), or
        ``"*"`` for every page. A page on an allowed host of this server (same origin) is always allowed.
    """

    hosts: frozenset[str] = frozenset(LOOPBACK_HOSTS)
    origins: tuple[str, ...] = DEFAULT_ALLOWED_ORIGINS

    @classmethod
    def from_settings(cls, settings: EmulatorSettings) -> HostPolicy:
        """The loopback names, the ``host`` the server listens on (unless a wildcard address) and
        ``allowed_hosts``; the origins in ``allowed_origins``."""
        hosts = set(LOOPBACK_HOSTS) | {_host_name(h) for h in settings.allowed_hosts}
        if settings.host not in _ANY_ADDRESS:
            hosts.add(_host_name(settings.host))
        origins = tuple(o.strip().lower().rstrip("/") for o in settings.allowed_origins)
        return cls(frozenset(hosts), origins)

    def host_allowed(self, host: str | None, server_port: int | None = None) -> bool:
        """Whether a request with this ``Host`` header may be answered by a server on ``server_port``.

        A missing header (HTTP/1.0 programs; browsers always send one) is allowed; a port other than the
        server's is not (a page on another port of an allowed name would be cross-origin anyway).
        """
        if host is None or "*" in self.hosts:
            return True
        parts = _split_host(host)
        if parts is None:
            return False
        name, port = parts
        if name not in self.hosts:
            return False
        return port is None or server_port is None or port == server_port

    def origin_allowed(self, origin: str | None, host: str | None = None) -> bool:
        """Whether a page from ``origin`` may use the server reached as ``host`` (None: not a browser)."""
        if origin is None:
            return True
        origin = origin.strip().lower().rstrip("/")
        scheme, sep, authority = origin.partition("://")
        if not sep or scheme not in ("http", "https"):
            return "*" in self.origins  # "null" (sandboxed page, file://) and non-web schemes
        if host is not None and authority == host.strip().lower() and self.host_allowed(host):
            return True  # same origin: a page this server's own site serves (/docs)
        for allowed in self.origins:
            if allowed in ("*", origin):
                return True
            if allowed.endswith(":*"):
                parts = _split_host(authority)
                if parts is not None and f"{scheme}://{parts[0]}" == allowed[:-2]:
                    return True
        return False


def _server_port(scope: Scope) -> int | None:
    server = scope.get("server")
    return server[1] if server and len(server) > 1 else None


class HostGuardMiddleware:
    """Refuses ``/v1`` requests for a ``Host`` not on the allow-list (421, OpenAI's error body, code
    ``invalid_host``), and ``/v1`` WebSocket upgrades from such a host or from a page whose ``Origin`` is not
    allowed (403 before the upgrade, code ``invalid_origin``). The token route checks its own (it also runs
    outside the emulator, :mod:`voicelab.emulator.routes.token_backend`).
    """

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"].startswith("/v1/"):
            refusal = self.refusal(scope)
            if refusal is not None:
                status, code, message = refusal
                log.warning("refused a %s request to %s: %s", scope["type"], scope["path"], code)
                response = JSONResponse(error_body(message, code=code), status_code=status)
                if scope["type"] == "http":
                    await response(scope, receive, send)
                    return
                websocket = WebSocket(scope, receive, send)
                try:
                    await websocket.send_denial_response(response)
                except RuntimeError:  # a server without the denial-response extension: a bare 403
                    await websocket.close(code=1008)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        """``(status, code, message)`` if the request must be refused, else None."""
        host = header(scope, b"host")
        if not self.policy.host_allowed(host, _server_port(scope)):
            return (
                421,
                "invalid_host",
                f"This server does not answer for Host {host!r}: use 127.0.0.1 or localhost, or start "
                "it with --allow-host NAME.",
            )
        origin = header(scope, b"origin")
        if scope["type"] == "websocket" and not self.policy.origin_allowed(origin, host):
            return (
                403,
                "invalid_origin",
                f"Pages from {origin!r} may not connect to this server; start it with --allow-origin "
                f"{origin} to allow them.",
            )
        return None
