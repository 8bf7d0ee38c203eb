"""Admission limits: how many Realtime sessions and engine jobs run at once; one more is refused with a 429.

:class:`Slots` counts what is in use against a limit. :class:`EngineJobsMiddleware` holds one slot per speech
engine (Whisper for transcriptions and translations, the TTS voices for speech) for the whole of a REST
request, response stream included: beyond ``max_engine_jobs`` running or waiting, the request is answered at
once with OpenAI's 429 ``rate_limit_exceeded`` and ``Retry-After`` instead of queueing behind the others, so
fifty transcriptions cannot starve speech, and a client knows to come back.

Examples
--------
>>> slots = Slots(1)
>>> slots.try_acquire(), slots.try_acquire()
(True, False)
>>> slots.release(); slots.in_use
0
>>> rate_limited("Too many.", retry_after=2).headers
{'retry-after': '2'}
"""

from __future__ import annotations

import threading

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import OpenAIHTTPError

__all__ = ["ENGINE_PATHS", "EngineJobsMiddleware", "Slots", "rate_limited"]

ENGINE_PATHS = {
    "/v1/audio/transcriptions": "transcription",
    "/v1/audio/translations": "transcription",
    "/v1/audio/speech": "speech",
}
"""The REST routes that run a speech engine, by the engine they share slots of."""


class Slots:
    """A counter of what is in use, never above ``limit`` (thread-safe)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take a slot if one is free."""
        with self._lock:
            if self.in_use >= self.limit:
                return False
            self.in_use += 1
            return True

    def release(self) -> None:
        """Give a slot back."""
        with self._lock:
            self.in_use = max(self.in_use - 1, 0)


def rate_limited(message: str, *, retry_after: int = 1) -> OpenAIHTTPError:
    """OpenAI's 429 for a request over a limit (``type`` ``requests``, OpenAI's label of request limits)."""
    return OpenAIHTTPError(
        429, message, type="requests", code="rate_limit_exceeded", headers={"retry-after": str(retry_after)}
    )


class EngineJobsMiddleware:
    """At most ``limit`` requests per speech engine at once; beyond, a 429 with ``Retry-After``."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.slots = {engine: Slots(limit) for engine in set(ENGINE_PATHS.values())}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        engine = ENGINE_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if engine is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        slots = self.slots[engine]
        if not slots.try_acquire():
            refusal = rate_limited(
                f"Rate limit reached for {engine} requests: {self.limit} are already running (voicelab's "
                f"max_engine_jobs). Please try again in 1s."
            )
            await refusal.response()(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()
