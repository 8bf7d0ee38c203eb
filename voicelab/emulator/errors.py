"""OpenAI-shaped HTTP errors: every 4xx/5xx body is ``{"error": {"message", "type", "param", "code"}}``.

``OpenAIHTTPError`` is raised by routes; :func:`install_error_handlers` turns it, FastAPI's validation errors
(→ 400 ``invalid_request_error`` naming the parameter), Starlette's 404/405 and unexpected exceptions
(→ 500 ``server_error``) into that body.

Examples
--------
>>> err = OpenAIHTTPError(400, "Invalid value: 'x'.", param="voice", code="invalid_value")
>>> err.body()["error"]["param"]
'voice'
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.validate import error_from_pydantic

__all__ = [
    "SERVER_ERROR_MESSAGE",
    "OpenAIHTTPError",
    "ServerErrorMiddleware",
    "error_body",
    "install_error_handlers",
    "param_from_loc",
    "validation_error",
]

log = logging.getLogger("voicelab.emulator")

SERVER_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"
"""OpenAI's 500 message; the exception itself goes to the server log only."""

# Error "type" per status, as OpenAI labels them.
_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def error_body(
    message: str, *, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The JSON body OpenAI sends with a 4xx/5xx.

    Examples
    --------
    >>> error_body("boom", type="server_error")
    {'error': {'message': 'boom', 'type': 'server_error', 'param': None, 'code': None}}
    """
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class OpenAIHTTPError(Exception):
    """An error answered with an OpenAI-shaped body.

    Parameters
    ----------
    status : int
        HTTP status.
    message : str
        Human-readable message: what was expected, what came, how to fix it.
    type : str, optional
        ``invalid_request_error`` (4xx default), ``server_error`` (5xx default), ``rate_limit_error`` …
    param : str, optional
        The offending parameter (``"voice"``, ``"file"``, ``"messages[0].content"``).
    code : str, optional
        Machine-readable code (``invalid_value``, ``invalid_file_format``, ``invalid_api_key`` …).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type or _TYPE_BY_STATUS.get(
            status, "server_error" if status >= 500 else "invalid_request_error"
        )
        self.param = param
        self.code = code
        self.headers = headers

    @classmethod
    def from_protocol(cls, error: ProtocolError) -> OpenAIHTTPError:
        """A protocol error (the vocabulary the WebSocket uses too) as an HTTP error."""
        return cls(error.http_status, error.message, type=error.type, param=error.param, code=error.code)

    def body(self) -> dict[str, Any]:
        return error_body(self.message, type=self.type, param=self.param, code=self.code)

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def param_from_loc(loc: Sequence[Any]) -> str | None:
    """``("body", "messages", 0, "content")`` → ``"messages[0].content"``; the request part is dropped.

    Examples
    --------
    >>> param_from_loc(("body", "messages", 0, "content"))
    'messages[0].content'
    >>> param_from_loc(("body",)) is None
    True
    """
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union", "literal[", "list[", "dict[")):
            continue  # pydantic union branch labels, not user-facing names
        else:
            text += ("." if text else "") + str(part)
    return text.removesuffix("[]") or None


def validation_error(errors: list[dict[str, Any]] | Any) -> OpenAIHTTPError:
    """The first pydantic/FastAPI validation error as an OpenAI 400 naming the parameter, worded as the
    Realtime WebSocket words it (:func:`voicelab.protocol.validate.error_from_pydantic`)."""
    request_parts = ("body", "query", "path", "header", "cookie")
    stripped = []
    for error in errors or []:
        loc = tuple(error.get("loc", ()))
        stripped.append({**error, "loc": loc[1:] if loc[:1] and loc[0] in request_parts else loc})
    error = error_from_pydantic(stripped)
    if len(error.message) > 280:
        error = ProtocolError(error.code, error.message[:277] + "...", error.param, type=error.type)
    return OpenAIHTTPError.from_protocol(error)


async def _openai_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OpenAIHTTPError)
    return exc.response()


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_error(exc.errors()).response()


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        message = f"Invalid URL ({request.method} {request.url.path})"
        code = "unknown_url"
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed for {request.url.path}"
        code = "method_not_allowed"
    else:
        message, code = str(exc.detail), None
    error = OpenAIHTTPError(exc.status_code, message, code=code, headers=getattr(exc, "headers", None))
    return error.response()


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error response OpenAI's body."""
    app.add_exception_handler(OpenAIHTTPError, _openai_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)


class ServerErrorMiddleware:
    """Turn an unexpected exception into a 500 ``server_error`` body (logged, not re-raised).

    Starlette's own handler re-raises after answering, which would end an in-process test client's request
    with
    the exception instead of the response a real client sees. If the response had already started (a stream),
    the connection is closed: the client sees a truncated body, as with OpenAI.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:  # the one place an unexpected failure becomes a server_error
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                return
            body = error_body(SERVER_ERROR_MESSAGE, type="server_error")  # never the internal exception text
            await JSONResponse(body, status_code=500)(scope, receive, send)
