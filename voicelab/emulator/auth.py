"""Bearer-key checks and ephemeral ``ek_`` keys for the emulator: one auth path for HTTP and WebSocket.

With ``api_key`` set, a request must carry ``Authorization: Bearer <api_key>`` (browsers opening the Realtime
WebSocket pass it as the ``openai-insecure-api-key.<key>`` subprotocol, :func:`request_token`) or, for a
Realtime session only, a valid unexpired ``ek_`` key minted by ``POST /v1/realtime/client_secrets``. Without
it, any bearer key is accepted. Ephemeral keys have OpenAI's scope everywhere: they open Realtime sessions and
nothing else, so every REST endpoint (``client_secrets`` included: a leaked key cannot renew itself) answers
them with a 401. A missing key is always refused, as OpenAI does. Keys are compared in constant time and never
logged.

Examples
--------
>>> store = KeyStore(api_key="sk-local", clock=lambda: 1000.0)
>>> key = store.mint({"type": "realtime"}, seconds=60)
>>> key.value.startswith("ek_"), key.expires_at
(True, 1060)
>>> [store.check(token, realtime=True).value for token in (key.value, "sk-local", "nope", None)]
['ok', 'ok', 'invalid', 'missing']
>>> store.check(key.value).value  # an ek_ key on a REST endpoint
'wrong_scope'
"""

from __future__ import annotations

import enum
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from voicelab.emulator.errors import OpenAIHTTPError

__all__ = [
    "EPHEMERAL_PREFIX",
    "SUBPROTOCOL_KEY_PREFIX",
    "AuthMiddleware",
    "AuthResult",
    "EphemeralKey",
    "KeyStore",
    "auth_error",
    "bearer_token",
    "raise_for",
    "request_token",
]

EPHEMERAL_PREFIX = "ek_"
SUBPROTOCOL_KEY_PREFIX = "openai-insecure-api-key."
"""Browsers cannot set headers on a WebSocket: they pass the key as this subprotocol (OpenAI's name)."""


class AuthResult(enum.Enum):
    """Outcome of checking a bearer token."""

    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"
    WRONG_SCOPE = "wrong_scope"

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
    max_keys : int
        Unexpired keys kept at once; minting one more raises OpenAI's 429 ``rate_limit_exceeded`` (expired
        keys are forgotten first).
    """

    def __init__(
        self, api_key: str | None = None, *, clock: Callable[[], float] = time.time, max_keys: int = 1000
    ) -> None:
        self._api_key = api_key
        self._clock = clock
        self.max_keys = max_keys
        self._keys: dict[str, EphemeralKey] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never shows a key
        return f"KeyStore(api_key={'set' if self._api_key else 'None'}, ephemeral={len(self._keys)})"

    @property
    def requires_key(self) -> bool:
        """Whether a server key is configured (then only it, or an ``ek_`` key for Realtime, is accepted)."""
        return self._api_key is not None

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
            value=EPHEMERAL_PREFIX + secrets.token_hex(16),
            expires_at=int(self._clock()) + int(seconds),
            session=session,
        )
        with self._lock:
            self._prune()
            if len(self._keys) >= self.max_keys:
                self._prune(grace=0)
            if len(self._keys) >= self.max_keys:
                raise OpenAIHTTPError(
                    429,
                    f"Rate limit reached for client secrets: {self.max_keys} unexpired keys exist "
                    "(voicelab's max_minted_keys). Mint shorter-lived keys or try again when some expire.",
                    type="requests",
                    code="rate_limit_exceeded",
                    headers={"retry-after": "10"},
                )
            self._keys[key.value] = key
        return key

    def lookup(self, token: str | None) -> EphemeralKey | None:
        """The ephemeral key with that value (expired or not), or None."""
        if not token:
            return None
        with self._lock:
            return self._keys.get(token)

    def check(self, token: str | None, *, realtime: bool = False) -> AuthResult:
        """Whether ``token`` (the bearer value, without ``Bearer``) may call the emulator.

        ``realtime``: the call opens a Realtime session, the only thing an ``ek_`` key may do.
        """
        if not token:
            return AuthResult.MISSING
        key = self.lookup(token)
        if key is not None:
            if key.expired(self._clock()):
                return AuthResult.EXPIRED
            return AuthResult.OK if realtime else AuthResult.WRONG_SCOPE
        if self._api_key is None:
            if token.startswith(EPHEMERAL_PREFIX) and not realtime:
                return AuthResult.WRONG_SCOPE
            return AuthResult.OK
        if hmac.compare_digest(token.encode(), self._api_key.encode()):
            return AuthResult.OK
        return AuthResult.INVALID

    def _prune(self, grace: float = 3600) -> None:
        # Forget keys expired for over an hour (they are still named "expired" meanwhile); all expired ones
        # when the table is full.
        cutoff = self._clock() - grace
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


def request_token(headers: Mapping[str, str]) -> str | None:
    """The key a request or WebSocket upgrade carries: ``Authorization: Bearer <key>``, else (browsers) the
    ``openai-insecure-api-key.<key>`` subprotocol.

    Examples
    --------
    >>> request_token({"authorization": "Bearer sk-1"})
    'sk-1'
    >>> request_token({"sec-websocket-protocol": "realtime, openai-insecure-api-key.ek_2"})
    'ek_2'
    """
    token = bearer_token(headers.get("authorization"))
    if token is not None:
        return token
    for protocol in (headers.get("sec-websocket-protocol") or "").split(","):
        protocol = protocol.strip()
        if protocol.startswith(SUBPROTOCOL_KEY_PREFIX):
            return protocol[len(SUBPROTOCOL_KEY_PREFIX) :] or None
    return None


def _redact(token: str) -> str:
    return (token[:3] + "*" * 4 + token[-4:]) if len(token) > 10 else "*" * 4


def raise_for(result: AuthResult, token: str | None) -> None:
    """Raise the 401 OpenAI sends for ``result`` (nothing for OK). The key is shown redacted, as OpenAI
    does."""
    if result is not AuthResult.OK:
        raise auth_error(result, token)


def auth_error(result: AuthResult, token: str | None, *, realtime: bool = False) -> OpenAIHTTPError:
    """The 401 for a refused key (``result`` not OK): the HTTP answer, and the Realtime ``error`` event's
    message and code (``realtime``: also name the browser subprotocol a key can travel in).

    Examples
    --------
    >>> err = auth_error(AuthResult.WRONG_SCOPE, "ek_0123456789abcdef")
    >>> err.status, err.code
    (401, 'invalid_api_key')
    """
    if result is AuthResult.MISSING:
        where = (
            " or, from a browser, in the 'openai-insecure-api-key.<key>' WebSocket subprotocol"
            if realtime
            else ""
        )
        return OpenAIHTTPError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            f"using Bearer auth (i.e. Authorization: Bearer YOUR_KEY){where}.",
            type="invalid_request_error",
        )
    if result is AuthResult.EXPIRED:
        return OpenAIHTTPError(
            401,
            "The ephemeral key (client secret) has expired; mint a new one with "
            "POST /v1/realtime/client_secrets.",
            code="invalid_api_key",
        )
    if result is AuthResult.WRONG_SCOPE:
        return OpenAIHTTPError(
            401,
            f"Ephemeral keys ({_redact(token or '')}) can only open Realtime sessions; call this endpoint "
            "with a standard API key.",
            code="invalid_api_key",
        )
    return OpenAIHTTPError(
        401,
        f"Incorrect API key provided: {_redact(token or '')}. Use the key given to "
        "`voicelab serve --api-key`.",
        code="invalid_api_key",
    )


_OPENS_SESSION = ("/v1/realtime/calls", "/v1/realtime/translations/calls")
"""The WebRTC calls (Realtime, translation): POSTs that open a session, so ``ek_`` keys may make them."""


class AuthMiddleware:
    """Checks the bearer key on every HTTP request under ``/v1`` — all REST, so ``ek_`` keys are refused,
    except by ``POST /v1/realtime/calls`` and ``/v1/realtime/translations/calls``, which open a session over
    WebRTC (the Realtime WebSocket authenticates in its route with ``check(..., realtime=True)``)."""

    def __init__(self, app: ASGIApp, keys: KeyStore) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            raw = dict(scope.get("headers") or []).get(b"authorization")
            token = bearer_token(raw.decode("latin-1") if raw else None)
            # Starting a WebRTC call opens a Realtime session: the one REST call an ek_ key may make.
            opens_session = scope["path"].rstrip("/") in _OPENS_SESSION and scope["method"] == "POST"
            result = self.keys.check(token, realtime=opens_session)
            if not result.ok:
                await auth_error(result, token).response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
