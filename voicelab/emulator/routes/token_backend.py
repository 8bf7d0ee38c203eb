"""``POST /api/openai/realtime/session``: the tiny backend that hands ephemeral Realtime keys to browsers.

The real API key stays on the server. A browser asks this endpoint for a short-lived client secret and opens
the Realtime WebSocket with it (``["realtime", "openai-insecure-api-key.<ek_…>"]`` subprotocols), as seed 001
shows::

    POST /api/openai/realtime/session  {"model": "gpt-realtime-2", "voice": "verse"}   (both optional)
    → 200 {"success": true, "token": "ek_…", "expireTime": "2026-02-02T12:00:00Z"}
    → 4xx/5xx {"success": false, "error": "voice: expected one of alloy, …; got 'robot'"}

Only pages and programs of this machine get keys: the ``Host`` must be on the allow-list and a browser's
``Origin`` too (:mod:`voicelab.emulator.origins`: DNS rebinding would otherwise let any web site mint keys,
real ones in live mode), and a client on another machine is refused unless ``allow_remote``. When the emulator
has a server key (``voicelab serve --api-key``), the caller must send it (``Authorization: Bearer``): the
route mints keys, so it must not get around the key; an ``ek_`` key is refused (it could renew itself).

Who mints is passed in (:data:`TokenMint`): the composition root (:mod:`voicelab.backend`) passes a function
that calls OpenAI's ``POST /v1/realtime/client_secrets`` through the SDK (``voicelab.realtime.tokens.amint``);
without one, the emulator's own key store mints (``request.app.state.keys``), so a browser page works offline.

Examples
--------
>>> from fastapi import FastAPI
>>> app = FastAPI()
>>> app.include_router(token_router())
>>> list(app.openapi()["paths"])
['/api/openai/realtime/session']
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from voicelab.emulator.auth import KeyStore, auth_error, request_token
from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.emulator.origins import HostPolicy
from voicelab.errors import ParameterError
from voicelab.protocol.models import recommended
from voicelab.protocol.voices import REALTIME_VOICES

__all__ = ["DEFAULT_SECONDS", "TOKEN_PATH", "MintedKey", "TokenMint", "create_token_app", "token_router"]

log = logging.getLogger(__name__)

TOKEN_PATH = "/api/openai/realtime/session"
DEFAULT_SECONDS = 600
_DEFAULT_MODEL = recommended("realtime")


class MintedKey(Protocol):
    """What a mint returns: the ``ek_…`` value and its expiry (Unix seconds)."""

    @property
    def value(self) -> str: ...

    @property
    def expires_at(self) -> int: ...


TokenMint = Callable[[str | None, str | None, int], Awaitable[MintedKey]]
"""``await mint(model, voice, seconds)``: an ephemeral key for that model and voice (``None``: defaults),
valid ``seconds``; raises :class:`~voicelab.errors.ParameterError` for a bad model or voice."""


def _expire_time(expires_at: int) -> str:
    """Unix seconds as ISO-8601 UTC, e.g. ``2026-02-02T12:00:00Z``.

    Examples
    --------
    >>> _expire_time(0)
    '1970-01-01T00:00:00Z'
    """
    return dt.datetime.fromtimestamp(expires_at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key_store_session(model: str | None, voice: str | None) -> dict[str, Any]:
    """The session bound to a key the emulator mints itself (the voice checked against the Realtime list)."""
    if model is not None and not model.strip():
        raise ParameterError(
            "model", expected="a Realtime model name such as 'gpt-realtime-2'", got=repr(model)
        )
    session: dict[str, Any] = {"type": "realtime", "model": model or _DEFAULT_MODEL}
    if voice is not None:
        if voice not in REALTIME_VOICES:
            raise ParameterError("voice", expected=f"one of {', '.join(REALTIME_VOICES)}", got=repr(voice))
        session["audio"] = {"output": {"voice": voice}}
    return session


async def _parse_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ParameterError("body", expected="a JSON object", got="text that is not JSON") from None
    if not isinstance(body, dict):
        raise ParameterError("body", expected="a JSON object", got=type(body).__name__)
    unknown = sorted(set(body) - {"model", "voice"})
    if unknown:
        raise ParameterError(
            unknown[0],
            expected="only 'model' and 'voice' (both optional)",
            got=f"unknown field {unknown[0]!r}",
        )
    for name in ("model", "voice"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            raise ParameterError(name, expected="a string", got=type(body[name]).__name__)
    return body


def _from_this_machine(request: Request) -> bool:
    """Whether the request came over loopback (127.0.0.0/8 or ::1)."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _remote_allowed(request: Request, allow_remote: bool) -> bool:
    settings = getattr(request.app.state, "settings", None)
    return allow_remote or bool(getattr(settings, "token_endpoint_remote", False))


def _refusal(request: Request, policy: HostPolicy | None, allow_remote: bool) -> JSONResponse | None:
    """The answer refusing this caller (wrong Host, foreign page, other machine, missing server key), or
    None."""

    def refuse(status: int, error: str) -> JSONResponse:
        log.warning("refused an ephemeral key (HTTP %s)", status)
        return JSONResponse({"success": False, "error": error}, status_code=status)

    policy = policy or getattr(request.app.state, "host_policy", None) or HostPolicy()
    host, origin = request.headers.get("host"), request.headers.get("origin")
    server = request.scope.get("server")
    if not policy.host_allowed(host, server[1] if server else None):
        return refuse(
            421, f"this endpoint does not answer for Host {host!r} (start the server with --allow-host)"
        )
    if not policy.origin_allowed(origin, host):
        return refuse(403, f"pages from {origin!r} may not mint keys (start the server with --allow-origin)")
    if not (_from_this_machine(request) or _remote_allowed(request, allow_remote)):
        return refuse(
            403,
            "this endpoint mints keys only for clients on this machine; put a login in front of it and "
            "enable allow_remote (voicelab serve --allow-remote-tokens)",
        )
    keys: KeyStore | None = getattr(request.app.state, "keys", None)
    if keys is not None and keys.requires_key:
        token = request_token(request.headers)
        result = keys.check(token)
        if not result.ok:
            return refuse(401, auth_error(result, token).message)
    return None


def token_router(
    mint: TokenMint | None = None,
    *,
    seconds: int = DEFAULT_SECONDS,
    path: str = TOKEN_PATH,
    allow_remote: bool = False,
    policy: HostPolicy | None = None,
) -> APIRouter:
    """The FastAPI router of ``POST /api/openai/realtime/session``.

    Parameters
    ----------
    mint : TokenMint, optional
        Mints each key (e.g. through OpenAI with the server's real key). Without one, the emulator's key store
        on ``request.app.state.keys`` mints.
    seconds : int
        Lifetime of each key (default 600).
    path : str
        Where the endpoint answers.
    allow_remote : bool
        The endpoint has no login of its own (like seed 001's backend), so by default it answers only clients
        on this machine (loopback) with a key and everyone else with 403. Put your app's login in front of it
        before you pass ``allow_remote=True`` (``voicelab serve --allow-remote-tokens``).
    policy : HostPolicy, optional
        The ``Host``/``Origin`` allow-lists; default the app's ``state.host_policy`` (the emulator's
        settings), else this machine's names and pages only.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 10 <= seconds <= 7200:
        raise ParameterError(
            "seconds", expected="an integer lifetime in [10, 7200] seconds", got=repr(seconds)
        )
    router = APIRouter()

    async def _mint(request: Request, model: str | None, voice: str | None) -> MintedKey:
        if mint is not None:
            return await mint(model, voice, seconds)
        keys = getattr(request.app.state, "keys", None)
        if keys is None:
            raise RuntimeError(
                "token_router() without a mint needs the emulator's key store (app.state.keys)"
            )
        return keys.mint(_key_store_session(model, voice), seconds)

    @router.post(path, include_in_schema=True, summary="Mint an ephemeral Realtime key for a browser")
    async def create_session(request: Request) -> JSONResponse:
        import openai

        refusal = _refusal(request, policy, allow_remote)
        if refusal is not None:
            return refusal
        try:
            body = await _parse_body(request)
            key = await _mint(request, body.get("model"), body.get("voice"))
        except ParameterError as exc:
            return JSONResponse({"success": False, "error": str(exc), "param": exc.param}, status_code=400)
        except OpenAIHTTPError as exc:  # the key store is full (max_minted_keys)
            return JSONResponse({"success": False, "error": exc.message}, exc.status, headers=exc.headers)
        except openai.APIStatusError as exc:
            message = exc.message  # OpenAI's messages redact keys; ours never contain one
            log.warning("client_secrets failed with HTTP %s", exc.status_code)
            status = exc.status_code if exc.status_code in (400, 429) else 502
            return JSONResponse({"success": False, "error": message}, status_code=status)
        except (openai.APIConnectionError, openai.APITimeoutError):
            log.warning("client_secrets unreachable")
            return JSONResponse(
                {"success": False, "error": "the Realtime API could not be reached"}, status_code=502
            )
        return JSONResponse(
            {"success": True, "token": key.value, "expireTime": _expire_time(int(key.expires_at))},
            headers={"Cache-Control": "no-store"},
        )

    return router


def create_token_app(
    mint: TokenMint,
    *,
    seconds: int = DEFAULT_SECONDS,
    allow_remote: bool = False,
    policy: HostPolicy | None = None,
) -> FastAPI:
    """A standalone FastAPI app serving only the token endpoint (run it with uvicorn next to your page).

    ``voicelab.backend.create_token_app(client)`` builds one that mints through an OpenAI SDK client.

    Examples
    --------
    >>> async def mint(model, voice, seconds):
    ...     raise NotImplementedError
    >>> "/api/openai/realtime/session" in create_token_app(mint).openapi()["paths"]
    True
    """
    app = FastAPI(title="voicelab realtime token backend", docs_url=None, redoc_url=None)
    app.include_router(token_router(mint, seconds=seconds, allow_remote=allow_remote, policy=policy))
    return app
