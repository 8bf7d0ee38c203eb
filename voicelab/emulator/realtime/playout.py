"""The server's output audio buffer of a WebRTC or SIP call: what is queued, what was actually played.

Over WebSocket the client plays the audio and must tell the server where it stopped
(``conversation.item.truncate``). Over WebRTC and SIP the server sends the audio on the media track at
playback speed itself, so it knows how much of each item the caller heard: a barge-in or
``output_audio_buffer.clear`` truncates the item there with no client bookkeeping. This module is that
bookkeeping, sans-I/O: the transport pushes each response's audio (24 kHz PCM16) as the core produces it,
takes 20 ms frames at playback speed, and turns the :class:`BufferNotice` s into OpenAI's WebRTC-only events
``output_audio_buffer.started`` (the first sample of a response is played), ``.stopped`` (its last sample is
played) and ``.cleared`` (playback was cut).

Examples
--------
>>> import numpy as np
>>> buffer = OutputAudioBuffer()
>>> buffer.push("resp_1", "item_1", np.ones(4800, np.int16))   # 200 ms queued
>>> frame, notices = buffer.take(2400)                          # 100 ms played
>>> frame.size, [(n.kind, n.response_id) for n in notices], buffer.played_ms("item_1")
(2400, [('started', 'resp_1')], 100)
>>> buffer.finish("resp_1")                                     # the response has no more audio
[]
>>> frame, notices = buffer.take(4800)                          # the rest, then silence
>>> int(frame[2400:].any()), [(n.kind, n.played_ms) for n in notices]
(0, [('stopped', 200)])
>>> buffer.push("resp_2", "item_2", np.ones(4800, np.int16)); _ = buffer.take(480)
>>> cleared = buffer.clear()
>>> cleared.kind, cleared.item_id, cleared.played_ms, buffer.playing
('cleared', 'item_2', 20, False)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .core import SR

__all__ = ["BufferNotice", "OutputAudioBuffer"]


@dataclass(frozen=True)
class BufferNotice:
    """``started``, ``stopped`` or ``cleared`` for a response; ``played_ms`` of its item so far."""

    kind: str
    response_id: str
    item_id: str
    played_ms: int


@dataclass
class _Segment:
    response_id: str
    item_id: str
    pcm: np.ndarray = field(repr=False)
    offset: int = 0

    @property
    def left(self) -> int:
        return self.pcm.size - self.offset


class OutputAudioBuffer:
    """Queued output audio per response and the samples of each item actually played (see module docs)."""

    def __init__(self) -> None:
        self._segments: deque[_Segment] = deque()
        self._played: dict[str, int] = {}
        self._finished: set[str] = set()
        self._current: tuple[str, str] | None = None  # (response_id, item_id) started and not yet stopped

    @property
    def playing(self) -> bool:
        """Whether a response has started playing and not yet stopped or been cleared."""
        return self._current is not None

    @property
    def current(self) -> tuple[str, str] | None:
        """``(response_id, item_id)`` of the response being played."""
        return self._current

    @property
    def queued_ms(self) -> int:
        """Audio waiting to be played."""
        return sum(s.left for s in self._segments) * 1000 // SR

    def played_ms(self, item_id: str) -> int:
        """How much of this item's audio the peer was sent at playback speed."""
        return self._played.get(item_id, 0) * 1000 // SR

    def push(self, response_id: str, item_id: str, pcm: np.ndarray) -> None:
        """Queue a piece of a response's audio (24 kHz int16)."""
        if pcm.size:
            self._segments.append(_Segment(response_id, item_id, np.asarray(pcm, np.int16)))

    def finish(self, response_id: str) -> list[BufferNotice]:
        """The response has no more audio; ``stopped`` now if all of it was already played."""
        self._finished.add(response_id)
        return self._stop_if_drained()

    def take(self, samples: int) -> tuple[np.ndarray, list[BufferNotice]]:
        """The next ``samples`` to play (silence where nothing is queued) and the notices they cause."""
        out = np.zeros(samples, np.int16)
        notices: list[BufferNotice] = []
        filled = 0
        while filled < samples and self._segments:
            segment = self._segments[0]
            if self._current is None or self._current[0] != segment.response_id:
                notices += self._stop_current()
                self._current = (segment.response_id, segment.item_id)
                notices.append(self._notice("started"))
            n = min(samples - filled, segment.left)
            out[filled : filled + n] = segment.pcm[segment.offset : segment.offset + n]
            segment.offset += n
            filled += n
            self._played[segment.item_id] = self._played.get(segment.item_id, 0) + n
            if not segment.left:
                self._segments.popleft()
        notices += self._stop_if_drained()
        return out, notices

    def clear(self) -> BufferNotice | None:
        """Drop all queued audio; ``cleared`` for the response being played (``None`` if nothing was)."""
        current = self._current
        pending = self._segments[0] if self._segments else None
        self._segments.clear()
        if current is None and pending is None:
            return None
        response_id, item_id = current or (pending.response_id, pending.item_id)  # type: ignore[union-attr]
        self._current = None
        return BufferNotice("cleared", response_id, item_id, self.played_ms(item_id))

    def _notice(self, kind: str) -> BufferNotice:
        assert self._current is not None
        response_id, item_id = self._current
        return BufferNotice(kind, response_id, item_id, self.played_ms(item_id))

    def _stop_current(self) -> list[BufferNotice]:
        if self._current is None:
            return []
        notice = self._notice("stopped")
        self._finished.discard(self._current[0])
        self._current = None
        return [notice]

    def _stop_if_drained(self) -> list[BufferNotice]:
        if self._current is None or self._current[0] not in self._finished:
            return []
        if any(s.response_id == self._current[0] for s in self._segments):
            return []
        return self._stop_current()
