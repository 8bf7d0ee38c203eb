"""The server's limit settings, applied to every Realtime session whatever carries it.

A session opened over WebSocket (``/v1/realtime``), WebRTC (``POST /v1/realtime/calls``) or SIP (a call
accepted on the simulated trunk) gets the same limits from
:class:`~voicelab.emulator.settings.EmulatorSettings`:

- :func:`admit_session` takes one of the server's ``max_sessions`` slots, or raises OpenAI's 429
  ``rate_limit_exceeded`` (``Retry-After: 1``): the WebSocket refuses its handshake with it, a call's ``POST``
  answers it. The slot is given back when the session ends (socket closed, call hung up), or at once if it
  never starts (:func:`released_on_failure`). Translation sessions count too.
- :func:`limit_core` sets a new :class:`~voicelab.emulator.realtime.core.ServerCore`'s ``max_event_bytes``,
  ``max_input_buffer_seconds`` and ``max_conversation_audio_seconds``; :func:`limit_pump` gives the session's
  pump (its transport) an outbox of ``max_outbox_bytes`` and the MCP client bounded by ``mcp_timeout_s``.
- :func:`limit_translation_core` does the same for a translation session (WebSocket or WebRTC): the event
  size, and the input audio it holds (``max_input_buffer_seconds``).

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> settings = EmulatorSettings(max_conversation_audio_seconds=2, max_event_bytes=4096)
>>> core = limit_core(ServerCore(seed=1), settings)
>>> core.conversation.max_audio_samples, core.max_event_bytes
(48000, 4096)
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..admission import Slots, rate_limited
from ..errors import OpenAIHTTPError
from ..mcp.client import McpClient
from ..settings import EmulatorSettings
from .core import SR
from .outbox import Outbox
from .refusal import deny

if TYPE_CHECKING:
    from .core import ServerCore
    from .pump import SessionPump
    from .translation_core import TranslationCore

__all__ = [
    "admit_session",
    "limit_core",
    "limit_pump",
    "limit_translation_core",
    "released_on_failure",
    "serve_admitted",
    "settings_of",
]

Pump = TypeVar("Pump", bound="SessionPump")


def settings_of(app: Any) -> EmulatorSettings:
    """The app's settings (the defaults for an app built without them)."""
    return getattr(app.state, "settings", None) or EmulatorSettings()


def admit_session(app: Any) -> Slots | None:
    """Take one of the app's Realtime session slots (``max_sessions``); the caller releases it when the
    session ends. ``None``: the app counts no sessions.

    Raises
    ------
    OpenAIHTTPError
        429 ``rate_limit_exceeded`` (type ``requests``, ``Retry-After: 1``) when every slot is taken.
    """
    sessions: Slots | None = getattr(app.state, "realtime_sessions", None)
    if sessions is not None and not sessions.try_acquire():
        raise rate_limited(
            f"Rate limit reached for Realtime sessions: {sessions.limit} are already open (voicelab's "
            "max_sessions). Close one or try again later."
        )
    return sessions


async def serve_admitted(websocket: Any, serve: Callable[[], Awaitable[None]]) -> None:
    """Run a WebSocket's session, ``serve()``, holding one of the ``max_sessions`` slots; without a free slot,
    refuse the handshake with :func:`admit_session`'s 429 instead."""
    try:
        sessions = admit_session(websocket.app)
    except OpenAIHTTPError as full:
        await deny(websocket, full.status, full.body(), full.headers)
        return
    try:
        await serve()
    finally:
        if sessions is not None:
            sessions.release()


@contextlib.contextmanager
def released_on_failure(sessions: Slots | None) -> Iterator[None]:
    """Give the session slot back if the block fails: the session never started.

    Examples
    --------
    >>> slots = Slots(1)
    >>> slots.try_acquire()
    True
    >>> with contextlib.suppress(ValueError), released_on_failure(slots):
    ...     raise ValueError("the offer could not be answered")
    >>> slots.in_use
    0
    """
    try:
        yield
    except BaseException:
        if sessions is not None:
            sessions.release()
        raise


def limit_core(core: ServerCore, settings: EmulatorSettings) -> ServerCore:
    """``core`` with the settings' event size, input-buffer and conversation-audio limits (returned)."""
    core.max_event_bytes = settings.max_event_bytes
    core.input_buffer.max_samples = int(settings.max_input_buffer_seconds * SR)
    core.conversation.max_audio_samples = int(settings.max_conversation_audio_seconds * SR)
    return core


def limit_translation_core(core: TranslationCore, settings: EmulatorSettings) -> TranslationCore:
    """``core`` with the settings' event size and input-audio limits (returned)."""
    core.max_event_bytes = settings.max_event_bytes
    core.max_input_samples = int(settings.max_input_buffer_seconds * SR)
    return core


def limit_pump(pump: Pump, app: Any) -> Pump:
    """``pump`` (before it runs) with an outbox of ``max_outbox_bytes`` and the app's MCP client (or one
    bounded by ``mcp_timeout_s``); returned."""
    settings = settings_of(app)
    pump.outbox = Outbox(settings.max_outbox_bytes)
    pump.mcp = getattr(app.state, "mcp_client", None) or McpClient(timeout_s=settings.mcp_timeout_s)
    return pump
