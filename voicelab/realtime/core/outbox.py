"""Client events and input audio held back while the session is not ready, and the input-audio clock.

While the socket is down (or the session is being configured again), client events wait here and go out,
in order, once the session is ready. Audio appended meanwhile is either held for replay (up to
``max_pending_ms``, the oldest dropped beyond) or dropped; either way it is counted, never silently lost.
The outbox also keeps the input-audio clock: how much audio was sent, and when each piece was sent, so
that a server VAD position (ms of input audio) maps back to a session time.

Examples
--------
>>> box = Outbox(max_pending_ms=100.0)
>>> for n in range(3):
...     box.hold_audio({"type": "input_audio_buffer.append", "audio": ""}, ms=60.0, t=n)
>>> box.pending_audio_ms, box.audio_dropped_ms  # the oldest 60 ms did not fit
(60.0, 120.0)
>>> events, note = box.release(t=5.0, replay=True)
>>> len(events), box.audio_sent_ms, note["audio_ms"]
(1, 60.0, 60.0)
>>> box.input_time(30.0)
5.0
"""

from __future__ import annotations

from collections import deque
from typing import Any

from voicelab.errors import ParameterError
from voicelab.realtime.core.playback import audio_ms

__all__ = ["ON_DISCONNECT", "Outbox"]

#: What to do with audio appended while disconnected.
ON_DISCONNECT = ("replay", "drop")


class Outbox:
    """Held client events and the input-audio counters of one session.

    Parameters
    ----------
    on_disconnect : {"replay", "drop"}
        Hold audio appended while disconnected for replay, or drop it.
    max_pending_ms : float
        How much held audio to keep for replay; the oldest beyond that is dropped (and counted).
    """

    def __init__(self, *, on_disconnect: str = "replay", max_pending_ms: float = 30_000.0) -> None:
        if on_disconnect not in ON_DISCONNECT:
            raise ParameterError("on_disconnect", expected="'replay' or 'drop'", got=repr(on_disconnect))
        self.on_disconnect = on_disconnect
        self.max_pending_ms = float(max_pending_ms)
        self.audio_sent_ms = 0.0  # appended and handed to the socket
        self.audio_replayed_ms = 0.0  # held while disconnected, sent later
        self.audio_dropped_ms = 0.0  # held while disconnected, then given up
        self.dropped_in_outage = 0.0  # dropped since the session was last ready
        self.audio_base_ms = 0.0  # audio sent on earlier connections (the server's clock restarts)
        self._audio_clock: list[tuple[float, float]] = []  # (input audio ms, session t) at each append
        self._pending: deque[dict[str, Any]] = deque()
        self.pending_audio_ms = 0.0

    # ------------------------------------------------------------------ audio sent
    def sent_audio(self, ms: float, *, t: float) -> None:
        """``ms`` of input audio went out at ``t``."""
        self._audio_clock.append((self.audio_sent_ms, t))
        self.audio_sent_ms += ms

    def rebase(self) -> None:
        """The connection dropped: the server's audio clock restarts with the next session."""
        self.audio_base_ms = self.audio_sent_ms

    def server_ms(self, ms: float | int | None) -> float | None:
        """A position on the server's input-audio clock (this connection) on the session-wide clock."""
        return None if ms is None else self.audio_base_ms + float(ms)

    def input_time(self, position_ms: float) -> float | None:
        """Session time at which input audio position ``position_ms`` (session-wide clock) was sent."""
        clock = self._audio_clock
        if not clock:
            return None
        # last append that started at or before that position
        lo, hi = 0, len(clock) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if clock[mid][0] <= position_ms:
                lo = mid
            else:
                hi = mid - 1
        start_ms, t = clock[lo]
        if lo + 1 < len(clock):
            next_ms, next_t = clock[lo + 1]
            if next_ms > start_ms:
                frac = min(max((position_ms - start_ms) / (next_ms - start_ms), 0.0), 1.0)
                return t + frac * (next_t - t)
        return t

    # ------------------------------------------------------------------ holding
    def hold(self, event: dict[str, Any]) -> None:
        """Keep a client event (not audio) until the session is ready."""
        self._pending.append(event)

    def drop_audio(self, ms: float) -> None:
        """``ms`` of audio appended while disconnected with ``on_disconnect="drop"``."""
        self.audio_dropped_ms += ms
        self.dropped_in_outage += ms

    def hold_audio(self, event: dict[str, Any], *, ms: float, t: float) -> None:
        """Keep an ``input_audio_buffer.append`` of ``ms`` for replay (trimming the oldest beyond the cap)."""
        self._pending.append({**event, "_ms": ms, "_t": t})
        self.pending_audio_ms += ms
        self._trim()

    def unsend(self, event: dict[str, Any], *, t: float) -> None:
        """An event the socket refused (it died under us): hold it again, and un-count its audio."""
        if event.get("type") != "input_audio_buffer.append":
            self.hold(event)
            self._trim()
            return
        text = event.get("audio", "")
        ms = audio_ms(len(text) * 3 // 4 - text[-2:].count("="))
        self.audio_sent_ms -= ms
        if self.audio_base_ms > self.audio_sent_ms:
            self.audio_base_ms = self.audio_sent_ms
        if self.on_disconnect == "drop":
            self.drop_audio(ms)
            return
        self.hold_audio(event, ms=ms, t=t)

    def _trim(self) -> None:
        while self.pending_audio_ms > self.max_pending_ms:
            for i, ev in enumerate(self._pending):
                if ev.get("type") == "input_audio_buffer.append":
                    del self._pending[i]
                    self.pending_audio_ms -= ev["_ms"]
                    self.drop_audio(ev["_ms"])
                    break
            else:
                break

    # ------------------------------------------------------------------ letting go
    def release(self, *, t: float, replay: bool) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Everything held, in order, to send now; and a ``voicelab.replayed`` note when ``replay`` (after a
        reconnect) and something was held."""
        out: list[dict[str, Any]] = []
        replayed = 0.0
        while self._pending:
            ev = self._pending.popleft()
            if ev.get("type") == "input_audio_buffer.append":
                ms = ev.pop("_ms")
                ev.pop("_t", None)
                self.sent_audio(ms, t=t)
                replayed += ms
            out.append(ev)
        self.pending_audio_ms = 0.0
        note = None
        if out and replay:
            self.audio_replayed_ms += replayed
            note = {"type": "voicelab.replayed", "audio_ms": round(replayed, 1), "events": len(out)}
        return out, note

    def outage_note(self) -> dict[str, Any] | None:
        """A ``voicelab.audio_dropped`` note for audio lost since the session was last ready (once)."""
        if not self.dropped_in_outage:
            return None
        lost = round(self.dropped_in_outage, 1)
        why = "appended while disconnected" if self.on_disconnect == "drop" else "replay buffer full"
        self.dropped_in_outage = 0.0
        return {"type": "voicelab.audio_dropped", "audio_ms": lost, "reason": why}

    def drop_all(self, *, reason: str) -> dict[str, Any] | None:
        """Give up everything held (the session closed); a ``voicelab.audio_dropped`` note if anything was."""
        dropped = self.pending_audio_ms
        n_events = len(self._pending)
        self._pending.clear()
        self.pending_audio_ms = 0.0
        if not n_events:
            return None
        self.audio_dropped_ms += dropped
        return {
            "type": "voicelab.audio_dropped",
            "audio_ms": round(dropped, 1),
            "events": n_events,
            "reason": reason,
        }
