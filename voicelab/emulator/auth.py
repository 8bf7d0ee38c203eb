"""Bearer-key checks and ephemeral ``ek_`` keys for the emulator.

With ``api_key`` set, a request must carry ``Authorization: Bearer <api_key>`` or a valid unexpired ``ek_``
key
minted by ``POST /v1/realtime/client_secrets``. Without it, any bearer key is accepted (only a *known* but
expired
``ek_`` key is refused). A missing header is always refused, as OpenAI does. Keys are compared in constant
time
and never logged.

Examples
--------
>>> store = KeyStore(api_key="sk-local", clock=lambda: 1000.0)
>>> key = store.mint({"type": "realtime"}, seconds=60)
>>> key.value.startswith("ek_"), key.expires_at
(True, 1060)
>>> [store.check(token).value for token in (key.value, "sk-local", "nope", None)]
['ok', 'ok', 'invalid', 'missing']
"""

from __future__ import annotations

import enum
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from voicelab.emulator.errors import OpenAIHTTPError

__all__ = ["AuthMiddleware", "AuthResult", "EphemeralKey", "KeyStore", "bearer_token", "raise_for"]


class AuthResult(enum.Enum):
    """Outcome of checking a bearer token."""

    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"

    @property
    def ok(self) -> bool:
        return self is AuthResult.OK


@dataclass(frozen=True)
class EphemeralKey:
    """A short-lived client secret (``ek_…``) and the session config it carries."""

    value: str = field(repr=False)
    expires_at: int
    session: dict[str, Any]

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


class KeyStore:
    """Mints and checks keys. Thread-safe; the realtime route reads ``.lookup(token).session``.

    Parameters
    ----------
    api_key : str, optional
        The one long-lived key accepted besides ephemeral keys; None accepts any bearer key.
    clock : callable, optional
        Returns the current Unix time (tests pass a fake clock to expire keys).
    """

    def __init__(self, api_key: str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self._api_key = api_key
        self._clock = clock
        self._keys: dict[str, EphemeralKey] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never shows a key
        return f"KeyStore(api_key={'set' if self._api_key else 'None'}, ephemeral={len(self._keys)})"

    def now(self) -> float:
        return self._clock()

    def mint(self, session: dict[str, Any], seconds: int = 600) -> EphemeralKey:
        """A new ``ek_`` key valid for ``seconds``, carrying ``session``.

        Examples
        --------
        >>> KeyStore(clock=lambda: 0.0).mint({}, 10).expires_at
        10
        """
        key = EphemeralKey(
            value="ek_" + secrets.token_hex(16), expires_at=int(self._clock()) + int(seconds), session=session
        )
        with self._lock:
            self._prune()
            self._keys[key.value] = key
        return key

    def lookup(self, token: str | None) -> EphemeralKey | None:
        """The ephemeral key with that value (expired or not), or None."""
        if not token:
            return None
        with self._lock:
            return self._keys.get(token)

    def check(self, token: str | None) -> AuthResult:
        """Whether ``token`` (the bearer value, without ``Bearer``) may call the emulator."""
        if not token:
            return AuthResult.MISSING
        key = self.lookup(token)
        if key is not None:
            return AuthResult.EXPIRED if key.expired(self._clock()) else AuthResult.OK
        if self._api_key is None:
            return AuthResult.OK
        if hmac.compare_digest(token.encode(), self._api_key.encode()):
            return AuthResult.OK
        return AuthResult.INVALID

    def _prune(self) -> None:
        # Forget keys expired for over an hour, so the table cannot grow without bound.
        cutoff = self._clock() - 3600
        for value in [v for v, k in self._keys.items() if k.expires_at < cutoff]:
            del self._keys[value]


def bearer_token(authorization: str | None) -> str | None:
    """``"Bearer abc"`` → ``"abc"``; anything else → None.

    Examples
    --------
    >>> bearer_token("Bearer abc"), bearer_token("Basic abc"), bearer_token(None)
    ('abc', None, None)
    """
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _redact(token: str) -> str:
    return (token[:3] + "*" * 4 + token[-4:]) if len(token) > 10 else "*" * 4


def raise_for(result: AuthResult, token: str | None) -> None:
    """Raise the 401 OpenAI sends for ``result`` (nothing for OK). The key is shown redacted, as OpenAI
    does."""
    if result is AuthResult.OK:
        return
    if result is AuthResult.MISSING:
        raise OpenAIHTTPError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            type="invalid_request_error",
        )
    if result is AuthResult.EXPIRED:
        raise OpenAIHTTPError(
            401,
            "The ephemeral key (client secret) has expired; mint a new one with "
            "POST /v1/realtime/client_secrets.",
            code="invalid_api_key",
        )
    raise OpenAIHTTPError(
        401,
        f"Incorrect API key provided: {_redact(token or '')}. Use the key given to "
        "`voicelab serve --api-key`.",
        code="invalid_api_key",
    )


class AuthMiddleware:
    """Checks the bearer key on every HTTP request under ``/v1`` (WebSockets authenticate in their route)."""

    def __init__(self, app: ASGIApp, keys: KeyStore) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            headers = dict(scope.get("headers") or [])
            raw = headers.get(b"authorization")
            token = bearer_token(raw.decode("latin-1") if raw else None)
            result = self.keys.check(token)
            if not result.ok:
                try:
                    raise_for(result, token)
                except OpenAIHTTPError as err:
                    await err.response()(scope, receive, send)
                    return
        await self.app(scope, receive, send)
