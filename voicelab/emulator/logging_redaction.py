"""Keys out of logs: a logging filter that masks ``Authorization`` values and key-carrying subprotocols.

At ``--log-level debug`` the WebSocket libraries log every handshake header, so the server key and ephemeral
keys (``Authorization: Bearer …``, ``openai-insecure-api-key.<key>``) would reach the log. :func:`install`
puts :class:`RedactSecrets` on the loggers of the server stack (uvicorn, websockets, httpx, openai): a record
whose text holds a key is rewritten with the key masked, whatever handler writes it.

Examples
--------
>>> redact("< authorization: Bearer fake-secret-value")
'< authorization: Bearer [redacted]'
>>> redact("> Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.ek_abc123")
'> Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.[redacted]'
>>> redact("{'Authorization': 'Bearer fake-1234567890'}")
"{'Authorization': 'Bearer [redacted]'}"
"""

from __future__ import annotations

import logging
import re

__all__ = ["SERVER_LOGGERS", "RedactSecrets", "install", "redact"]

SERVER_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "uvicorn.asgi",
    "websockets",
    "websockets.server",
    "websockets.client",
    "httpx",
    "openai",
    "openai._base_client",
    "voicelab",
    "voicelab.emulator",
)
"""Loggers that can see request headers (a logger's filter applies to records logged on that logger)."""

_MASK = "[redacted]"
_SECRETS = (
    # "Authorization: Bearer X", "'Authorization': 'Bearer X'", "authorization=X"
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)((?:bearer|basic)\s+)?[^\s,;'\"]+"),
    re.compile(r"(?i)(openai-insecure-api-key\.)()[^\s,;'\"]+"),
    re.compile(r"(?i)(\bbearer\s+)()[^\s,;'\"\[]+"),
)


def redact(text: str) -> str:
    """``text`` with every key after ``Authorization``, ``Bearer`` or ``openai-insecure-api-key.`` masked."""
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{_MASK}", text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message holds a key (formatted once, then masked); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler's own error reporting
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_FILTER = RedactSecrets()


def install(names: tuple[str, ...] = SERVER_LOGGERS) -> None:
    """Put the redacting filter on each named logger (once; calling again is harmless).

    Examples
    --------
    >>> install()
    >>> any(isinstance(f, RedactSecrets) for f in logging.getLogger("uvicorn.error").filters)
    True
    """
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
