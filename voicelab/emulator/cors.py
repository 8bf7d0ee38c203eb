"""CORS for the one REST endpoint pages call directly: ``POST /v1/realtime/calls`` (WebRTC offers).

OpenAI's WebRTC guide has the page POST its SDP offer with an ephemeral key. A page served from another origin
(JupyterLab on ``http://127.0.0.1:8888`` and the emulator on its own port) needs the browser's CORS preflight
answered, and must be able to read the ``Location`` header that names the call. Only origins the
:class:`~voicelab.emulator.origins.HostPolicy` allows get an answer (loopback pages by default,
``--allow-origin`` for others); any other page is refused with 403 before a call is created. Requests without
an ``Origin`` (programs) pass untouched.

Examples
--------
>>> cors_headers("http://127.0.0.1:8888")["access-control-expose-headers"]
'Location'
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicelab.emulator.errors import error_body
from voicelab.emulator.origins import HostPolicy, header

__all__ = ["CALLS_PATH", "CallsCorsMiddleware", "cors_headers"]

CALLS_PATH = "/v1/realtime/calls"


def cors_headers(origin: str) -> dict[str, str]:
    """The CORS headers that let ``origin`` POST an offer and read the answer and its ``Location``."""
    return {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "authorization, content-type",
        "access-control-expose-headers": "Location",
        "access-control-max-age": "600",
        "vary": "Origin",
    }


class CallsCorsMiddleware:
    """Answers preflights for ``POST /v1/realtime/calls`` and adds CORS headers for allowed page origins."""

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or scope["path"].rstrip("/") != CALLS_PATH:
            await self.app(scope, receive, send)
            return
        if not self.policy.origin_allowed(origin, header(scope, b"host")):
            message = f"Pages from {origin!r} may not start calls here; start the server with --allow-origin."
            refusal = JSONResponse(error_body(message, code="invalid_origin"), status_code=403)
            await refusal(scope, receive, send)
            return
        headers = cors_headers(origin)
        if scope["method"] == "OPTIONS":
            await Response(status_code=204, headers=headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_encoded(headers)]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
