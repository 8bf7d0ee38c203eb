"""Fault injection for the Realtime WebSocket: for teaching reconnects and for testing clients.

Faults come from the server (``EmulatorSettings`` fields ``realtime_*`` when present, or a
:class:`FaultConfig` put on ``app.state.realtime_faults``) and can be overridden per connection with query
parameters:

============================  ==============================================================================
query parameter               effect
============================  ==============================================================================
``fault_drop_after=N``        close the socket abruptly (code 1011) after sending N server events
``fault_expire_after=S``      the session expires after S seconds (OpenAI's ``session_expired`` error, close):
                              the way to practise reconnecting, since ``ek_`` keys never end a session
``fault_status=429``          refuse the handshake with that HTTP status and an OpenAI-shaped JSON error
``fault_latency_ms=M``        delay every outgoing event by M ms …
``fault_jitter_ms=J``         … plus a uniform random 0–J ms (order is kept)
``pacing=on|off``             send output audio at playback speed (``on``) or as fast as it is made
============================  ==============================================================================

Examples
--------
>>> faults = FaultConfig().with_query({"fault_drop_after": "5", "pacing": "off"})
>>> faults.drop_after, faults.pacing, faults.latency_ms
(5, False, 0.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voicelab.errors import ParameterError

__all__ = ["QUERY_PARAMETERS", "FaultConfig"]

QUERY_PARAMETERS = (
    "fault_drop_after",
    "fault_expire_after",
    "fault_status",
    "fault_latency_ms",
    "fault_jitter_ms",
    "pacing",
)


@dataclass(frozen=True)
class FaultConfig:
    """Which faults to inject on a Realtime connection (all off by default).

    Parameters
    ----------
    drop_after : int, optional
        Close the socket (1011) after this many server events.
    expire_after_s : float, optional
        Expire the session this many seconds after it opened.
    connect_status : int, optional
        Refuse the WebSocket handshake with this HTTP status (e.g. 429).
    latency_ms, jitter_ms : float
        Extra delay (fixed + uniform random) before each outgoing event.
    pacing : bool
        Send output audio in real time.
    seed : int, optional
        Seed of the jitter generator.
    """

    drop_after: int | None = None
    expire_after_s: float | None = None
    connect_status: int | None = None
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    pacing: bool = False
    seed: int | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> FaultConfig:
        """Server-wide faults from ``EmulatorSettings`` (fields ``realtime_pacing`` and ``realtime_*``)."""
        return cls(
            drop_after=getattr(settings, "realtime_drop_after", None),
            expire_after_s=getattr(settings, "realtime_expire_after_s", None),
            connect_status=getattr(settings, "realtime_connect_status", None),
            latency_ms=float(getattr(settings, "realtime_latency_ms", 0) or 0),
            jitter_ms=float(getattr(settings, "realtime_jitter_ms", 0) or 0),
            pacing=bool(getattr(settings, "realtime_pacing", False)),
            seed=getattr(settings, "fault_seed", None),
        )

    def with_query(self, query: Mapping[str, str]) -> FaultConfig:
        """This config overridden by a connection's query parameters; raises ParameterError on a bad value."""
        changes: dict[str, Any] = {}
        if "fault_drop_after" in query:
            changes["drop_after"] = _number(query, "fault_drop_after", int, minimum=0)
        if "fault_expire_after" in query:
            changes["expire_after_s"] = _number(query, "fault_expire_after", float, minimum=0)
        if "fault_status" in query:
            status = _number(query, "fault_status", int, minimum=400)
            if status > 599:
                raise ParameterError(
                    "fault_status", expected="an HTTP error status 400..599", got=str(status)
                )
            changes["connect_status"] = status
        if "fault_latency_ms" in query:
            changes["latency_ms"] = _number(query, "fault_latency_ms", float, minimum=0)
        if "fault_jitter_ms" in query:
            changes["jitter_ms"] = _number(query, "fault_jitter_ms", float, minimum=0)
        if "pacing" in query:
            value = query["pacing"].lower()
            if value not in ("on", "off", "true", "false", "1", "0"):
                raise ParameterError("pacing", expected="on or off", got=repr(query["pacing"]))
            changes["pacing"] = value in ("on", "true", "1")
        return dataclasses.replace(self, **changes)


def _number(query: Mapping[str, str], name: str, kind: type, *, minimum: float) -> Any:
    try:
        value = kind(query[name])
    except ValueError:
        raise ParameterError(name, expected=f"a number >= {minimum}", got=repr(query[name])) from None
    if value < minimum or value != value:
        raise ParameterError(name, expected=f"a number >= {minimum}", got=repr(query[name]))
    return value
