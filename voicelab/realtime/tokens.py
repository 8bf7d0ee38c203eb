"""Ephemeral Realtime keys (``ek_…``): mint them through the SDK, and keep a fresh one for reconnects.

:func:`mint` / :func:`amint` call ``POST /v1/realtime/client_secrets`` through the official SDK (default
lifetime 600 s); :class:`KeyProvider` hands the current key to an ``AsyncOpenAI`` client and mints again once
it expired. The browser-facing endpoint that hands keys to a web page (seed 001's
``POST /api/openai/realtime/session``) is server code: :mod:`voicelab.emulator.routes.token_backend`, built
for your own app by :func:`voicelab.backend.create_token_app`.

Examples
--------
>>> secret = mint(voice="verse")            # doctest: +SKIP
>>> secret.value[:3], secret.seconds_left() > 590  # doctest: +SKIP
('ek_', True)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from voicelab.errors import ParameterError
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import recommended
from voicelab.protocol.voices import check_voice

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_SECONDS",
    "ClientSecret",
    "KeyProvider",
    "amint",
    "mint",
    "secret_session",
]

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 600
DEFAULT_MODEL = recommended("realtime")


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
    session: dict[str, Any] | None = None,
    *,
    model: str | None = None,
    voice: str | dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ``session`` of a client-secret request: type realtime, model, and the output voice (a built-in
    name or a custom voice ``{"id": "voice_…"}``).

    Examples
    --------
    >>> secret_session(voice="verse")
    {'type': 'realtime', 'model': 'gpt-realtime-2', 'audio': {'output': {'voice': 'verse'}}}
    >>> secret_session(voice={"id": "voice_123"})["audio"]
    {'output': {'voice': {'id': 'voice_123'}}}
    """
    from voicelab.realtime.config import VOICES

    out: dict[str, Any] = {"type": "realtime", **(session or {})}
    if model is not None:
        if not isinstance(model, str) or not model.strip():
            raise ParameterError(
                "model", expected="a Realtime model name such as 'gpt-realtime-2'", got=repr(model)
            )
        out["model"] = model
    out.setdefault("model", DEFAULT_MODEL)
    if voice is not None:
        try:
            voice = check_voice(voice, "realtime", param="voice")
        except ProtocolError as exc:
            expected = f"one of {', '.join(VOICES)}, or a custom voice {{'id': 'voice_…'}}"
            raise ParameterError("voice", expected=expected, got=repr(voice)) from exc
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
    voice: str | dict[str, str] | None = None,
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
    voice: str | dict[str, str] | None = None,
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
