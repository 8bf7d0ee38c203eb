"""Where playback of the assistant's audio has got to, and where to cut it when the user barges in.

Audio plays at real-time speed unless a player reports exactly how much it has played. Audio of successive
items plays back to back: an item starts when its first delta arrives or when the previous item finishes,
whichever is later. A cut (``conversation.item.truncate``) is never later than the audio received, nor earlier
than 0.

Examples
--------
>>> playback = Playback()
>>> item = Item(id="it_1", type="message", role="assistant", audio_received_ms=1000.0)
>>> playback.received(item, t=10.0)
>>> playback.played_ms(item, t=10.5)
500.0
>>> playback.cut(item, 2500.0, t=10.5)  # clamped to the audio received
1000
>>> playback.stopped(item.id), playback.span(item)
(True, (10.0, 11.0))
"""

from __future__ import annotations

from collections.abc import Iterable

from voicelab.errors import ParameterError
from voicelab.protocol.formats import REALTIME_RATES, bytes_per_ms
from voicelab.realtime.core.turns import Item

__all__ = ["Playback", "audio_ms"]

def audio_ms(n_bytes: int, *, format: str = "audio/pcm") -> float:
    """Duration in ms of ``n_bytes`` of audio in a GA Realtime format (PCM16 24 kHz by default).

    Examples
    --------
    >>> audio_ms(48_000)
    1000.0
    >>> audio_ms(800, format="audio/pcmu")
    100.0
    """
    if not is_audio_format(format):
        raise ParameterError("format", expected=f"one of {sorted(REALTIME_RATES)}", got=repr(format))
    return n_bytes / bytes_per_ms(format)


def is_audio_format(format: str | None) -> bool:
    """True for a GA Realtime audio format name (``audio/pcm``, ``audio/pcmu``, ``audio/pcma``)."""
    return format in REALTIME_RATES


class Playback:
    """Playback position of every assistant item (session times ``t`` in seconds, positions in ms)."""

    def __init__(self) -> None:
        self.start_t: dict[str, float] = {}
        self.reported_ms: dict[str, float] = {}
        self._stopped: dict[str, float] = {}
        self.end_t = 0.0  # when everything queued so far will have played

    def received(self, item: Item, *, t: float) -> None:
        """More audio of ``item`` arrived at ``t`` (``item.audio_received_ms`` already counts it)."""
        if item.id in self._stopped:
            return
        if item.id not in self.start_t:
            self.start_t[item.id] = max(t, self.end_t)
        self.end_t = max(self.end_t, self.start_t[item.id] + item.audio_received_ms / 1000.0)

    def report(self, item_id: str, played_ms: float) -> None:
        """A player says exactly how much of ``item_id`` it has played."""
        self.reported_ms[item_id] = max(0.0, float(played_ms))

    def played_ms(self, item: Item | None, *, t: float, item_id: str = "") -> float:
        """How much of ``item`` has played by ``t`` (reported by a player, else real time)."""
        key = item.id if item is not None else item_id
        received = item.audio_received_ms if item is not None else 0.0
        if key in self._stopped:
            return self._stopped[key]
        if key in self.reported_ms:
            return min(self.reported_ms[key], received)
        start = self.start_t.get(key)
        if start is None:
            return 0.0
        return max(0.0, min((t - start) * 1000.0, received))

    def stopped(self, item_id: str) -> bool:
        """Playback of this item was cut: its late audio deltas must not be played."""
        return item_id in self._stopped

    def is_playing(self, item: Item, *, t: float) -> bool:
        return item.id not in self._stopped and self.played_ms(item, t=t) < item.audio_received_ms

    def playing(self, items: Iterable[Item], *, t: float) -> Item | None:
        """The assistant item whose audio is still playing at ``t`` (only the last one with audio can be)."""
        for item in reversed(list(items)):
            if item.role == "assistant" and item.audio_received_ms > 0:
                return item if self.is_playing(item, t=t) else None
        return None

    def span(self, item: Item) -> tuple[float, float] | None:
        """(start, end) session times of an item's playback (end cut short by a truncation)."""
        start = self.start_t.get(item.id)
        if start is None:
            return None
        ms = (
            item.audio_received_ms
            if item.truncated_ms is None
            else min(item.truncated_ms, item.audio_received_ms)
        )
        return start, start + ms / 1000.0

    def cut(self, item: Item, played_ms: float, *, t: float) -> int:
        """Stop ``item`` at ``played_ms`` clamped to [0, audio received]; returns the cut in whole ms.

        Truncating past the audio the server sent is an error on the server ("Audio content of 2450ms is
        already shorter than 2535ms"), hence the clamp (and the floor).
        """
        end_ms = int(min(max(played_ms, 0.0), item.audio_received_ms))
        item.truncated_ms = end_ms
        self._stopped[item.id] = end_ms
        self.end_t = t
        return end_ms
