"""The assistant's audio as it arrives, waiting to be played: :class:`OutputAudio` chunks in an
:class:`AudioQueue`.

Examples
--------
>>> queue = AudioQueue(max_chunks=2)
>>> for n in range(3):
...     queue.put(OutputAudio(b"\\x00\\x00" * 240, 24_000, f"item_{n}", None))
>>> len(queue), queue.get_nowait().item_id, queue.get_nowait().duration_ms  # the oldest was dropped
(2, 'item_1', 10.0)
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from voicelab import audio as vaudio
from voicelab.protocol.formats import PCM_RATE

__all__ = ["RATE", "AudioQueue", "OutputAudio"]

#: Sample rate of Realtime PCM16 audio, both ways.
RATE = PCM_RATE


@dataclass(frozen=True)
class OutputAudio:
    """One chunk of assistant audio: 24 kHz mono PCM16 bytes with the rate and the item they belong to."""

    pcm16: bytes
    sr: int
    item_id: str
    response_id: str | None

    @property
    def audio(self) -> vaudio.Audio:
        return vaudio.Audio(vaudio.from_pcm16(self.pcm16), self.sr)

    @property
    def duration_ms(self) -> float:
        return len(self.pcm16) / 2 / self.sr * 1000.0


class AudioQueue:
    """Output audio waiting to be played: ``await get()``, ``get_nowait()``, ``clear()`` (barge-in).

    Bounded: when nobody plays the audio, the oldest chunks are dropped beyond ``max_chunks``.
    """

    def __init__(self, max_chunks: int = 5000) -> None:
        self._items: deque[OutputAudio] = deque(maxlen=max_chunks)
        self._event = asyncio.Event()

    def put(self, chunk: OutputAudio) -> None:
        self._items.append(chunk)
        self._event.set()

    def get_nowait(self) -> OutputAudio | None:
        return self._items.popleft() if self._items else None

    async def get(self) -> OutputAudio:
        while not self._items:
            self._event.clear()
            await self._event.wait()
        return self._items.popleft()

    def clear(self) -> int:
        n = len(self._items)
        self._items.clear()
        return n

    def __len__(self) -> int:
        return len(self._items)
