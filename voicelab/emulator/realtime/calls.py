"""The emulator's live calls: one :class:`Call` per WebRTC or SIP session, found by its ``rtc_…`` id.

A call is what ``POST /v1/realtime/calls`` (WebRTC) or an incoming SIP INVITE (simulated) creates. Its id is
what OpenAI puts in the answer's ``Location`` header (``/v1/realtime/calls/rtc_u1_…``) and in the
``realtime.call.incoming`` webhook; the call-control endpoints (``accept``, ``reject``, ``refer``,
``hangup``) and the sideband WebSocket (``/v1/realtime?call_id=…``) find the call's session here. The
registry is sans-I/O bookkeeping: the transport that owns the call sets its session pump and its hang-up
callable, and marks it ended.

Examples
--------
>>> calls = CallRegistry(clock=lambda: 100.0)
>>> call = calls.create("webrtc")
>>> call.id.startswith("rtc_u1_"), call.state.value, calls.live(call.id) is call
(True, 'active', True)
>>> calls.end(call.id)
>>> calls.live(call.id) is None, calls.get(call.id).state.value
(True, 'ended')
"""

from __future__ import annotations

import enum
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CALL_ID_PREFIX", "Call", "CallRegistry", "CallState", "Transport"]

CALL_ID_PREFIX = "rtc_u1_"
"""OpenAI's call ids look like ``rtc_u1_9c6574da8b8a41a18da9308f4ad974ce`` (the server-controls guide)."""

Transport = Literal["webrtc", "sip"]


class CallState(enum.Enum):
    """Where a call is in its life."""

    RINGING = "ringing"  # a SIP call waiting for accept / reject / refer
    ACTIVE = "active"  # media flows; the session answers
    ENDED = "ended"  # hung up, rejected, referred, or the peer left


@dataclass
class Call:
    """One call: its id, transport, state, session pump and how to hang it up.

    ``pump`` is the :class:`~voicelab.emulator.realtime.pump.SessionPump` serving the call (``None`` while a
    SIP call rings); ``hangup`` ends the media and the session (set by the transport); ``details`` holds
    transport facts (SIP headers, the referred-to URI, the reject status) for tests and the caller.
    """

    id: str
    transport: Transport
    state: CallState
    created_at: float
    pump: Any = None
    hangup: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        return self.state is not CallState.ENDED


class CallRegistry:
    """The emulator's calls by id (thread-safe; ended calls are forgotten an hour after they end).

    Parameters
    ----------
    clock : callable, optional
        Returns the current Unix time.
    max_calls : int
        At most this many calls are kept; the oldest ended ones go first.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, max_calls: int = 1000) -> None:
        self._clock = clock
        self._max = max_calls
        self._calls: dict[str, Call] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._calls)

    def create(self, transport: Transport, *, state: CallState = CallState.ACTIVE) -> Call:
        """A new call with a fresh ``rtc_u1_…`` id."""
        call = Call(CALL_ID_PREFIX + secrets.token_hex(16), transport, state, self._clock())
        with self._lock:
            self._prune()
            self._calls[call.id] = call
        return call

    def get(self, call_id: str | None) -> Call | None:
        """The call with that id, live or ended (``None`` if unknown or forgotten)."""
        if not call_id:
            return None
        with self._lock:
            return self._calls.get(call_id)

    def live(self, call_id: str | None) -> Call | None:
        """The call with that id if it has not ended."""
        call = self.get(call_id)
        return call if call is not None and call.live else None

    def end(self, call_id: str) -> None:
        """Mark the call ended (idempotent); its pump is dropped."""
        call = self.get(call_id)
        if call is not None:
            call.state = CallState.ENDED
            call.details["ended_at"] = self._clock()
            call.pump = None

    def _prune(self) -> None:
        cutoff = self._clock() - 3600
        ended = [c for c in self._calls.values() if not c.live and c.details.get("ended_at", 0) < cutoff]
        for call in ended:
            del self._calls[call.id]
        if len(self._calls) >= self._max:
            for call in sorted((c for c in self._calls.values() if not c.live), key=lambda c: c.created_at)[
                : len(self._calls) - self._max + 1
            ]:
                del self._calls[call.id]
