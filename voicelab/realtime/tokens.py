"""Ephemeral Realtime keys (``ek_…``) and the tiny backend that hands them to browsers.

The real API key stays on the server. A browser asks the backend for a short-lived client secret and opens the
Realtime WebSocket with it (``["realtime", "openai-insecure-api-key.<ek_…>"]`` subprotocols), as seed 001
shows::

    POST /api/openai/realtime/session  {"model": "gpt-realtime", "voice": "verse"}   (both optional)
    → 200 {"success": true, "token": "ek_…", "expireTime": "2026-02-02T12:00:00Z"}
    → 4xx/5xx {"success": false, "error": "voice: expected one of alloy, …; got 'robot'"}

:func:`mint` / :func:`amint` call ``POST /v1/realtime/client_secrets`` through the official SDK (default
lifetime
600 s). :func:`token_router` is the FastAPI router of the endpoint (``voicelab serve`` includes it; inside the
emulator with no OpenAI key the emulator mints its own keys), :func:`create_token_app` a standalone app.

Examples
--------
>>> secret = mint(voice="verse")            # doctest: +SKIP
>>> secret.value[:3], secret.seconds_left() > 590  # doctest: +SKIP
('ek_', True)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from voicelab.errors import ParameterError

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_SECONDS",
    "TOKEN_PATH",
    "ClientSecret",
    "KeyProvider",
    "amint",
    "create_token_app",
    "mint",
    "secret_session",
    "token_router",
]

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 600
DEFAULT_MODEL = "gpt-realtime"
TOKEN_PATH = "/api/openai/realtime/session"


@dataclass(frozen=True)
class ClientSecret:
    """An ephemeral key: its value (never shown in the repr), expiry (Unix seconds) and session."""

    value: str = field(repr=False)
    expires_at: int
    session: dict[str, Any] = field(default_factory=dict, repr=False)

    def seconds_left(self, now: float | None = None) -> float:
        return self.expires_at - (time.time() if now is None else now)

    def expired(self, now: float | None = None, *, margin: float = 0.0) -> bool:
        return self.seconds_left(now) <= margin

    @property
    def expire_time(self) -> str:
        """Expiry as ISO-8601 UTC, e.g. ``2026-02-02T12:00:00Z``."""
        return dt.datetime.fromtimestamp(self.expires_at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def secret_session(
    session: dict[str, Any] | None = None, *, model: str | None = None, voice: str | None = None
) -> dict[str, Any]:
    """The ``session`` of a client-secret request: type realtime, model, and the output voice.

    Examples
    --------
    >>> secret_session(voice="verse")
    {'type': 'realtime', 'model': 'gpt-realtime', 'audio': {'output': {'voice': 'verse'}}}
    """
    from voicelab.realtime.config import VOICES

    out: dict[str, Any] = {"type": "realtime", **(session or {})}
    if model is not None:
        if not isinstance(model, str) or not model.strip():
            raise ParameterError(
                "model", expected="a Realtime model name such as 'gpt-realtime'", got=repr(model)
            )
        out["model"] = model
    out.setdefault("model", DEFAULT_MODEL)
    if voice is not None:
        if voice not in VOICES:
            raise ParameterError("voice", expected=f"one of {', '.join(VOICES)}", got=repr(voice))
        out.setdefault("audio", {}).setdefault("output", {})["voice"] = voice
    return out


def _check_seconds(seconds: int) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 10 <= seconds <= 7200:
        raise ParameterError(
            "seconds",
            expected="an integer lifetime in [10, 7200] seconds",
            got=repr(seconds),
            fix="pass seconds=600 (the default)",
        )
    return seconds


def _request(seconds: int, session: dict[str, Any]) -> dict[str, Any]:
    return {"expires_after": {"anchor": "created_at", "seconds": _check_seconds(seconds)}, "session": session}


def _secret_from(response: Any) -> ClientSecret:
    session = response.session
    session_dict = session.to_dict() if hasattr(session, "to_dict") else dict(session or {})
    return ClientSecret(response.value, int(response.expires_at), session_dict)


def mint(
    client: Any = None,
    *,
    model: str | None = None,
    voice: str | None = None,
    seconds: int = DEFAULT_SECONDS,
    session: dict[str, Any] | None = None,
) -> ClientSecret:
    """Mint an ephemeral key with ``client.realtime.client_secrets.create`` (sync SDK client).

    Parameters
    ----------
    client : openai.OpenAI, optional
        Default :func:`voicelab.backend.client` (OpenAI with a key, else the embedded emulator).
    model, voice : str, optional
        Put into the key's session (seed 001's optional body fields).
    seconds : int
        Lifetime, 10..7200 (default 600).
    session : dict, optional
        More of the GA session object to bind to the key.

    Returns
    -------
    ClientSecret

    Examples
    --------
    >>> mint(seconds=5)
    Traceback (most recent call last):
    ...
    voicelab.errors.ParameterError: seconds: expected an integer lifetime in [10, 7200] seconds; got 5 — \
pass seconds=600 (the default)
    """
    body = _request(seconds, secret_session(session, model=model, voice=voice))
    if client is None:
        from voicelab.backend import client as default_client

        client = default_client()
    return _secret_from(client.realtime.client_secrets.create(**body))


async def amint(
    client: Any = None,
    *,
    model: str | None = None,
    voice: str | None = None,
    seconds: int = DEFAULT_SECONDS,
    session: dict[str, Any] | None = None,
) -> ClientSecret:
    """:func:`mint` with an ``AsyncOpenAI`` client (default :func:`voicelab.backend.async_client`)."""
    body = _request(seconds, secret_session(session, model=model, voice=voice))
    if client is None:
        from voicelab.backend import async_client

        client = async_client()
    return _secret_from(await client.realtime.client_secrets.create(**body))


class KeyProvider:
    """Hands out the current ephemeral key and mints a fresh one once it expired (or was refused).

    Pass an instance as ``api_key`` of an ``AsyncOpenAI`` client: the SDK calls it before every connection,
    including its reconnects, so a reconnect after expiry uses a fresh key.

    Parameters
    ----------
    mint : async callable returning ClientSecret
    margin : float
        Seconds before expiry at which a key counts as expired already.
    """

    def __init__(
        self,
        mint: Callable[[], Awaitable[ClientSecret]],
        *,
        margin: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._mint = mint
        self.margin = margin
        self._clock = clock
        self.current: ClientSecret | None = None
        self.minted = 0

    def invalidate(self) -> None:
        """Forget the current key (the server said it expired); the next call mints a new one."""
        self.current = None

    async def __call__(self) -> str:
        if self.current is None or self.current.expired(self._clock(), margin=self.margin):
            self.current = await self._mint()
            self.minted += 1
            log.info("minted a fresh ephemeral key (expires %s)", self.current.expire_time)
        return self.current.value

    def __repr__(self) -> str:
        return f"KeyProvider(minted={self.minted})"


# ---------------------------------------------------------------------------- backend endpoint


async def _parse_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    import json

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


def _live_key_configured() -> bool:
    return bool(os.environ.get("OPENAI_API_KEY")) and os.environ.get("VOICELAB_BACKEND", "") != "local"


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


def token_router(
    client: Any = None, *, seconds: int = DEFAULT_SECONDS, path: str = TOKEN_PATH, allow_remote: bool = False
) -> APIRouter:
    """The FastAPI router of ``POST /api/openai/realtime/session``.

    Parameters
    ----------
    client : openai.AsyncOpenAI, optional
        Mints through this client. Without one: inside the emulator app with no OpenAI key configured the
        emulator's own key store mints (``request.app.state.keys``); otherwise
        :func:`voicelab.backend.async_client` (the real key comes from the server's environment).
    seconds : int
        Lifetime of each key (default 600).
    allow_remote : bool
        The endpoint has no login of its own (like seed 001's backend), so by default it answers only clients
        on this machine (loopback) with a key and everyone else with 403. Put your app's login in front of it
        before you pass ``allow_remote=True`` (``voicelab serve --allow-remote-tokens``).

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> app.include_router(token_router())
    >>> list(app.openapi()["paths"])
    ['/api/openai/realtime/session']
    """
    _check_seconds(seconds)
    router = APIRouter()

    async def _mint_for(request: Request, session: dict[str, Any]) -> ClientSecret:
        if client is not None:
            return _secret_from(await client.realtime.client_secrets.create(**_request(seconds, session)))
        keys = getattr(request.app.state, "keys", None)
        if keys is not None and not _live_key_configured():
            key = keys.mint(session, seconds)
            return ClientSecret(key.value, int(key.expires_at), session)
        return await amint(None, seconds=seconds, session=session)

    @router.post(path, include_in_schema=True, summary="Mint an ephemeral Realtime key for a browser")
    async def create_session(request: Request) -> JSONResponse:
        import openai

        if not (_from_this_machine(request) or _remote_allowed(request, allow_remote)):
            log.warning("refused an ephemeral key to a client that is not on this machine")
            return JSONResponse(
                {
                    "success": False,
                    "error": "this endpoint mints keys only for clients on this machine; put a login in "
                    "front of it and enable allow_remote (voicelab serve --allow-remote-tokens)",
                },
                status_code=403,
            )
        try:
            body = await _parse_body(request)
            session = secret_session(model=body.get("model"), voice=body.get("voice"))
            secret = await _mint_for(request, session)
        except ParameterError as exc:
            return JSONResponse({"success": False, "error": str(exc), "param": exc.param}, status_code=400)
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
            {"success": True, "token": secret.value, "expireTime": secret.expire_time},
            headers={"Cache-Control": "no-store"},
        )

    return router


def create_token_app(
    client: Any = None, *, seconds: int = DEFAULT_SECONDS, allow_remote: bool = False
) -> FastAPI:
    """A standalone FastAPI app serving only the token endpoint (run it with uvicorn next to your page).

    Examples
    --------
    >>> app = create_token_app()
    >>> "/api/openai/realtime/session" in app.openapi()["paths"]
    True
    """
    app = FastAPI(title="voicelab realtime token backend", docs_url=None, redoc_url=None)
    app.include_router(token_router(client, seconds=seconds, allow_remote=allow_remote))
    return app
