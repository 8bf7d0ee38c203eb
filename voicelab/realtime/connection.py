"""The connection of a :class:`~voicelab.realtime.session.RealtimeSession`: open, read, send, reconnect.

:class:`Connection` opens the official SDK's connection (``AsyncOpenAI.realtime.connect``), reads every
server event in one reader task and hands it to the session, writes client events (holding them in the
:class:`~voicelab.realtime.core.ClientCore` when the socket is down), and reconnects.

Reconnects: a dropped socket (close codes the SDK deems recoverable: 1006, 1011, …) is reconnected by the
SDK's own machinery (``max_retries``, ``initial_delay``, ``max_delay``, ``on_reconnecting``), configured from
:class:`~voicelab.realtime.core.ReconnectPolicy` (3 tries, 1/2/4 s). What the SDK does not retry — a refused
handshake (HTTP 429) or a session that expired (``session_expired``, close 1000) — the connection retries
itself with the same policy, minting a fresh ephemeral key first when it uses them. Never after
:meth:`Connection.close`. Every attempt is a ``voicelab.reconnecting`` note. A server that refuses the set-up
``session.update`` ends the connection at once with its error (:class:`SetupRefused`).

Examples
--------
>>> from voicelab.realtime.core import ClientCore
>>> from voicelab.realtime.events import SessionEvents
>>> conn = Connection(ClientCore(), SessionEvents(clock=lambda: 0.0), clock=lambda: 0.0)
>>> conn.query(0), conn.event_id(), conn.event_id()
({}, 'evt_vl_1', 'evt_vl_2')
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from voicelab.errors import ConnectionLostError, RealtimeError
from voicelab.realtime.core import ClientCore, Phase, ReconnectPolicy, audio_ms
from voicelab.realtime.events import SessionEvents
from voicelab.realtime.recording import strip_audio
from voicelab.realtime.tokens import DEFAULT_MODEL, KeyProvider

__all__ = ["DEFAULT_POLICY", "Connection", "SetupRefused"]

log = logging.getLogger(__name__)

DEFAULT_POLICY = ReconnectPolicy()  # 3 tries, 1 / 2 / 4 s
_EXPIRY_CODES = {"session_expired"}
_AUTH_CODES = {"invalid_api_key"}
_PERMANENT_CODES = {"beta_api_shape_disabled"}  # retrying the same request cannot help


class SetupRefused(Exception):
    """Raised by the event handler when the server refused the set-up ``session.update``: the connection
    ends (the handler has already recorded the error as the failure, see :meth:`Connection.give_up`)."""


class Connection:
    """One session's socket, reader task, sends and reconnects.

    Parameters
    ----------
    core : ClientCore
        The session's protocol state (told of every connect, drop, retry and close).
    events : SessionEvents
        Where notes go.
    clock : callable
        The session clock.
    model : str
        Realtime model (``?model=`` of the connection).
    policy : ReconnectPolicy or None
        Tries and backoff; ``None`` never reconnects.
    extra_query, reconnect_query
        Query parameters of the first connection and of reconnects (a callable gets the attempt number).
    """

    def __init__(
        self,
        core: ClientCore,
        events: SessionEvents,
        *,
        clock: Callable[[], float],
        model: str = DEFAULT_MODEL,
        policy: ReconnectPolicy | None = DEFAULT_POLICY,
        extra_query: dict[str, Any] | None = None,
        reconnect_query: dict[str, Any] | Callable[[int], dict[str, Any]] | None = None,
    ) -> None:
        self.core = core
        self.events = events
        self.clock = clock
        self.model = model
        self.policy = policy
        self.extra_query = dict(extra_query or {})
        self.reconnect_query = reconnect_query
        self.keys: KeyProvider | None = None
        self.failure: BaseException | None = None
        self.closing = False
        self.reader: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self._client: Any = None
        self._manager: Any = None
        self._conn: Any = None
        self._on_event: Callable[[Any], Awaitable[None]] | None = None
        self._send_lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._sdk_attempts = 0
        self._outer_attempts = 0
        self._last_error_code: str | None = None

    def event_id(self) -> str:
        """A fresh client ``event_id``."""
        return f"evt_vl_{next(self._ids)}"

    # ------------------------------------------------------------------ open and close
    async def open(
        self,
        client: Any,
        on_event: Callable[[Any], Awaitable[None]],
        *,
        keys: KeyProvider | None = None,
        timeout: float,
    ) -> None:
        """Start reading with ``client`` (a copy keyed by ``keys`` when given) and wait until the session is
        ready; raise the failure (or a time-out) otherwise."""
        self.keys = keys
        self._client = client.copy(api_key=keys) if keys is not None else client
        self._on_event = on_event
        self.reader = asyncio.create_task(self._run(), name="voicelab-realtime-reader")
        ready = asyncio.create_task(self.ready.wait())
        try:
            done, _ = await asyncio.wait(
                {ready, self.reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ready.cancel()
        if ready not in done:  # (ready may be cleared again by a drop right after; it was set)
            failure = self.failure
            await self.close()
            if failure is not None:
                raise failure
            raise ConnectionLostError(f"the Realtime session was not configured within {timeout} s")

    async def close(self) -> None:
        """Close on purpose: no reconnect after this."""
        if self.closing:
            return
        self.closing = True
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader

    def session_ready(self) -> None:
        """The session is configured (again): a later drop starts counting tries afresh."""
        self.ready.set()
        self._outer_attempts = 0
        self._sdk_attempts = 0
        self._last_error_code = None

    def server_error(self, code: str | None) -> None:
        """The server sent an ``error`` (its code decides whether and how to reconnect)."""
        self._last_error_code = code

    def give_up(self, error: BaseException) -> None:
        """End the session with ``error`` (raised by the session's next call)."""
        self.failure = error
        for note in self.core.closed(t=self.clock(), intentional=False, reason=str(error)):
            self.events.note(note)
        log.warning("realtime session ended: %s", error)
        self.events.wake()

    # ------------------------------------------------------------------ the loop
    def query(self, attempt: int) -> dict[str, Any]:
        """Query parameters of connection attempt ``attempt`` (0: the first connection)."""
        if attempt == 0 or self.reconnect_query is None:
            return dict(self.extra_query)
        if callable(self.reconnect_query):
            return dict(self.reconnect_query(attempt))
        return dict(self.reconnect_query)

    async def _open(self, attempt: int) -> None:
        self.core.connecting(t=self.clock())
        policy = self.policy
        kwargs: dict[str, Any] = {}
        if policy is not None and policy.max_attempts > 0:
            kwargs = {
                "on_reconnecting": self._on_reconnecting,
                "max_retries": policy.max_attempts,
                "initial_delay": policy.initial_delay,
                "max_delay": policy.max_delay,
            }
        self._manager = self._client.realtime.connect(
            model=self.model, extra_query=self.query(attempt), **kwargs
        )
        self._conn = await self._manager.enter()
        self.events.note({"type": "voicelab.connected", "attempt": attempt})

    def _on_reconnecting(self, event: Any) -> dict[str, Any] | None:
        """The SDK's hook before each of its reconnect tries (sync, in the reader task)."""
        if self.closing:
            return {"abort": True}
        t = self.clock()
        if self.core.phase is not Phase.RECONNECTING:
            for note in self.core.disconnected(t=t, code=event.close_code):
                self.events.note(note)
            self.ready.clear()
        self._sdk_attempts += 1
        self.events.note(
            self.core.reconnect_attempt(
                event.attempt, delay=event.delay, t=t, code=event.close_code, max_attempts=event.max_attempts
            )
            | {"by": "sdk"}
        )
        if self.keys is not None and (
            event.attempt > 1 or self._last_error_code in _EXPIRY_CODES | _AUTH_CODES
        ):
            self.keys.invalidate()
        return {"extra_query": self.query(event.attempt)}

    def _close_code(self) -> int | None:
        ws = getattr(self._conn, "_connection", None)
        return getattr(ws, "close_code", None)

    async def _run(self) -> None:
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        assert self._on_event is not None
        attempt = 0
        while not self.closing:
            if self._conn is None:
                try:
                    await self._open(attempt)
                except (InvalidStatus, OSError, TimeoutError, ConnectionClosed) as exc:
                    status = getattr(getattr(exc, "response", None), "status_code", None)
                    self.events.note(
                        {
                            "type": "voicelab.connect_failed",
                            "attempt": attempt,
                            "status": status,
                            "error": type(exc).__name__,
                        }
                    )
                    if status in (401, 403) and self.keys is not None:
                        self.keys.invalidate()
                    permanent = status in (400, 401, 403, 404) and self.keys is None
                    if not await self._backoff(
                        permanent, reason=f"connect failed ({status or type(exc).__name__})"
                    ):
                        return
                    attempt = self._outer_attempts
                    continue
                except Exception as exc:
                    self.give_up(RealtimeError(f"could not connect: {type(exc).__name__}: {exc}"))
                    return
            try:
                async for event in self._conn:
                    try:
                        await self._on_event(event)
                    except SetupRefused:
                        with contextlib.suppress(Exception):
                            await self._conn.close()
                        return
                    except Exception as exc:  # a bug handling one event must not end the conversation
                        log.exception("handling %s failed", getattr(event, "type", "?"))
                        self.events.note(
                            {
                                "type": "voicelab.client_error",
                                "event": getattr(event, "type", None),
                                "error": f"{type(exc).__name__}: {exc}",
                            }
                        )
                reason = f"closed by the server (code {self._close_code()})"
            except ConnectionClosed as exc:
                reason = f"connection lost (code {exc.rcvd.code if exc.rcvd else 1006})"
            except Exception as exc:  # includes the SDK's WebSocketConnectionClosedError (unsent messages)
                unsent = getattr(exc, "unsent_messages", None)
                if unsent:
                    self.events.note({"type": "voicelab.unsent", "events": len(unsent)})
                    for raw in unsent:
                        with contextlib.suppress(ValueError, TypeError):
                            self.core.hold(json.loads(raw), t=self.clock())
                reason = f"connection lost ({type(exc).__name__})"
            if self.closing:
                return
            code = self._close_code()
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
            if self.core.phase is not Phase.RECONNECTING:
                for note in self.core.disconnected(t=self.clock(), code=code, reason=reason):
                    self.events.note(note)
                self.ready.clear()
            permanent = self._last_error_code in _PERMANENT_CODES or (
                self._last_error_code in _AUTH_CODES and self.keys is None
            )
            if self._last_error_code in _EXPIRY_CODES and self.keys is not None:
                self.keys.invalidate()
            if self._sdk_attempts > 0:  # the SDK's own tries are exhausted
                self.give_up(ConnectionLostError(f"{reason}; {self._sdk_attempts} reconnect attempts failed"))
                return
            if not await self._backoff(permanent, reason=reason):
                return
            attempt = self._outer_attempts

    async def _backoff(self, permanent: bool, *, reason: str) -> bool:
        """Wait before the connection's own next try; False (and give up) when out of tries."""
        policy = self.policy
        if permanent or policy is None or self._outer_attempts >= policy.max_attempts or self.closing:
            self.give_up(
                ConnectionLostError(
                    reason
                    if permanent or policy is None
                    else f"{reason}; {self._outer_attempts} reconnect attempts failed"
                )
            )
            return False
        self._outer_attempts += 1
        delay = policy.delay(self._outer_attempts)
        self.events.note(
            self.core.reconnect_attempt(
                self._outer_attempts, delay=delay, t=self.clock(), max_attempts=policy.max_attempts
            )
            | {"by": "session"}
        )
        await asyncio.sleep(delay)
        return not self.closing

    # ------------------------------------------------------------------ sending
    async def send(self, events: Iterable[dict[str, Any]]) -> None:
        """Write client events in order (held in the core when the socket is down or refuses them)."""
        from websockets.exceptions import ConnectionClosed

        async with self._send_lock:
            for event in events:
                event.setdefault("event_id", self.event_id())
                conn = self._conn
                if conn is None or self.core.phase is Phase.RECONNECTING:
                    self.core.hold(event, t=self.clock())
                    continue
                try:
                    await conn.send_raw(json.dumps(event))
                except (ConnectionClosed, OSError, RuntimeError) as exc:
                    log.debug("send failed (%s); holding the event", type(exc).__name__)
                    self.core.hold(event, t=self.clock())
                    continue
                except Exception as exc:
                    if getattr(exc, "unsent_messages", None) is None:
                        raise
                    self.core.hold(event, t=self.clock())
                    continue
                extra: dict[str, Any] = {}
                if event["type"] == "input_audio_buffer.append":
                    extra["audio_ms"] = round(audio_ms(strip_audio(event)[1]), 3)
                self.events.record("client", event, self.clock(), **extra)
