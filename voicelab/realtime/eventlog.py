"""Look at the wire: collect raw Realtime server events from an SDK connection and show them as a table.

Used by the WebSocket notebooks to show exactly what the server sends (against OpenAI or the emulator alike).
Events are kept as the plain dicts received, with their arrival time.

Examples
--------
>>> log = EventLog()
>>> log.add({"type": "session.created", "event_id": "event_1", "session": {"type": "realtime"}}, at=0.0)
>>> log.add({"type": "response.output_audio.delta", "event_id": "event_2", "delta": "AAAA"}, at=0.25)
>>> log.types()
['session.created', 'response.output_audio.delta']
>>> print(log.table())
     t (ms)  type                         detail
          0  session.created              realtime
        250  response.output_audio.delta  3 bytes
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voicelab.audio import Audio

__all__ = ["EventLog", "EventTable"]


def _detail(event: dict[str, Any]) -> str:
    kind = event.get("type", "")
    if kind == "error":
        error = event.get("error") or {}
        return f"{error.get('code')}: {error.get('message')}"
    if kind in ("session.created", "session.updated"):
        return str((event.get("session") or {}).get("type"))
    if "audio_start_ms" in event or "audio_end_ms" in event:
        return ", ".join(f"{k}={event[k]}" for k in ("audio_start_ms", "audio_end_ms") if k in event)
    if kind.endswith("audio.delta"):
        return f"{len(base64.b64decode(event.get('delta') or ''))} bytes"
    for key in ("delta", "transcript", "text", "arguments"):
        if isinstance(event.get(key), str):
            return repr(event[key])
    if kind == "response.done":
        response = event.get("response") or {}
        usage = response.get("usage") or {}
        return f"{response.get('status')}, {usage.get('total_tokens')} tokens"
    item = event.get("item")
    if isinstance(item, dict):
        return f"{item.get('type')} {item.get('role') or item.get('name') or ''}".strip()
    return ""


@dataclass(frozen=True)
class EventTable:
    """Rows of (ms since the first event, type, short detail); prints as text, renders as HTML."""

    rows: tuple[tuple[int, str, str], ...]

    def __str__(self) -> str:
        width = max([len("type")] + [len(r[1]) for r in self.rows])
        lines = [f"{'t (ms)':>11}  {'type':<{width}}  detail"]
        lines += [f"{t:>11}  {kind:<{width}}  {detail[:80]}".rstrip() for t, kind, detail in self.rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"EventTable({len(self.rows)} events)"

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td style='text-align:right'>{t}</td><td><code>{html.escape(k)}</code></td>"
            f"<td>{html.escape(d[:120])}</td></tr>"
            for t, k, d in self.rows
        )
        return f"<table><tr><th>t (ms)</th><th>type</th><th>detail</th></tr>{body}</table>"


@dataclass
class EventLog:
    """Server events in arrival order, with helpers to read a Realtime conversation back."""

    events: list[dict[str, Any]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"EventLog({len(self.events)} events)"

    def add(self, event: dict[str, Any], *, at: float | None = None) -> None:
        """Record one event (``at``: arrival time in seconds, default now)."""
        self.events.append(event)
        self.times.append(time.monotonic() if at is None else at)

    async def collect(
        self, connection: Any, *, until: str | Iterable[str], timeout: float = 120.0
    ) -> list[dict[str, Any]]:
        """Read events from an SDK realtime connection until one of type ``until`` arrives; return them.

        Parameters
        ----------
        connection : openai AsyncRealtimeConnection
            From ``client.realtime.connect(...)``; its raw frames are read with ``recv_bytes()``.
        until : str or iterable of str
            Event type(s) that end the collection (included in the result).
        timeout : float
            Seconds before ``TimeoutError``.

        Examples
        --------
        >>> events = await log.collect(conn, until="response.done")  # doctest: +SKIP
        """
        stop = {until} if isinstance(until, str) else set(until)
        new: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while True:
                event = json.loads(await connection.recv_bytes())
                self.add(event)
                new.append(event)
                if event.get("type") in stop:
                    return new

    def types(self, events: list[dict[str, Any]] | None = None) -> list[str]:
        """The event types, in order."""
        return [e.get("type", "") for e in (self.events if events is None else events)]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """All events of one type."""
        return [e for e in self.events if e.get("type") == kind]

    def table(self, *, skip: Iterable[str] = ()) -> EventTable:
        """The events as a table; ``skip`` leaves out noisy types (e.g. ``"response.output_audio.delta"``)."""
        skipped = set(skip)
        start = self.times[0] if self.times else 0.0
        return EventTable(
            tuple(
                (round((t - start) * 1000), e.get("type", ""), _detail(e))
                for e, t in zip(self.events, self.times, strict=True)
                if e.get("type") not in skipped
            )
        )

    def audio(self, response_id: str | None = None) -> Audio:
        """The assistant audio of one response (default: the last one) as 24 kHz ``Audio``."""
        deltas = self.of_type("response.output_audio.delta")
        if response_id is None and deltas:
            response_id = deltas[-1].get("response_id")
        raw = b"".join(base64.b64decode(e["delta"]) for e in deltas if e.get("response_id") == response_id)
        pcm = np.frombuffer(raw[: len(raw) - len(raw) % 2], dtype="<i2")
        return Audio(pcm.astype(np.float32) / 32767.0, 24000)

    def transcript(self) -> str:
        """The last assistant transcript or text."""
        for event in reversed(self.events):
            if event.get("type") == "response.output_audio_transcript.done":
                return event["transcript"]
            if event.get("type") == "response.output_text.done":
                return event["text"]
        return ""

    def usage(self) -> dict[str, Any] | None:
        """The ``usage`` of the last ``response.done``."""
        done = self.of_type("response.done")
        return (done[-1].get("response") or {}).get("usage") if done else None
