"""Request bodies bounded before they are parsed: size (413) and JSON nesting depth (400).

:class:`BodyLimitMiddleware` answers a body over ``max_request_bytes`` with OpenAI's 413 (from
``Content-Length`` without reading a byte, or as soon as a chunked body passes the limit), and a JSON body
nested deeper than :data:`voicelab.protocol.limits.MAX_JSON_DEPTH` with a 400 naming the parameter
(checked in a worker thread, before FastAPI parses and validates it recursively).

Examples
--------
>>> from voicelab.emulator.settings import EmulatorSettings
>>> guard = BodyLimitMiddleware(None, EmulatorSettings(max_request_bytes=1024))
>>> guard.too_large(4096).status, guard.too_large(4096).code
(413, 'request_too_large')
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.limits import loads_bounded

from .errors import OpenAIHTTPError
from .settings import EmulatorSettings

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    """Refuse oversized request bodies before reading them, and too-deep JSON before parsing it."""

    def __init__(self, app: ASGIApp, settings: EmulatorSettings) -> None:
        self.app = app
        self.settings = settings

    def too_large(self, read: int) -> OpenAIHTTPError:
        """OpenAI's 413 (its wording for uploads over the limit)."""
        limit = self.settings.max_request_bytes
        return OpenAIHTTPError(
            413,
            f"Maximum content size limit ({limit}) exceeded ({read} bytes read).",
            code="request_too_large",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self.settings.max_request_bytes
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > limit:
            await self.too_large(declared).response()(scope, receive, send)
            return
        if headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"application/json":
            await self._json(scope, receive, send)
            return
        read = 0

        async def counting_receive() -> Message:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > limit:  # raised inside the route: the app's handlers answer the 413
                raise self.too_large(read)
            return message

        await self.app(scope, counting_receive, send)

    async def _json(self, scope: Scope, receive: Receive, send: Send) -> None:
        parts: list[bytes] = []
        read = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            parts.append(message.get("body", b""))
            read += len(parts[-1])
            if read > self.settings.max_request_bytes:
                await self.too_large(read).response()(scope, receive, send)
                return
            if not message.get("more_body"):
                break
        body = b"".join(parts)
        try:
            await asyncio.to_thread(loads_bounded, body)
        except ProtocolError as exc:
            await OpenAIHTTPError.from_protocol(exc).response()(scope, receive, send)
            return
        except ValueError:  # not JSON: the route answers that in its own words
            pass
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
