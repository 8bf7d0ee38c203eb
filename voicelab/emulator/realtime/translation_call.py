"""Realtime translation over WebRTC (aiortc): the peer behind ``POST /v1/realtime/translations/calls``.

OpenAI's realtime-translation guide has browsers use WebRTC: the source speech goes up as a media track, the
translated speech comes back as the remote track, and the transcript deltas travel on the ``oai-events``
data channel. :class:`TranslationCall` serves one :class:`~.translation_core.TranslationCore` that way:

- audio in: the caller's track is decoded to 24 kHz mono PCM16 and fed to the core
  (:meth:`~.translation_core.TranslationCore.append_pcm`), whose server VAD cuts the segments;
- segments: translated one at a time, in order, in a worker thread
  (:func:`~.translation_route.run_segment`, the WebSocket's engines);
- audio out: each ``session.output_audio.delta`` is played on the emulator's track at playback speed
  instead of being sent as an event; every other server event (``session.created``,
  ``session.input_transcript.delta``, ``session.output_transcript.delta``, errors, ``session.closed``) goes
  on the data channel, and client events (``session.update``, ``session.close``) come from it.

Core calls run off the event loop, one at a time in arrival order. The call ends when the caller closes the
peer connection or the data channel, after ``session.close`` (once ``session.closed`` is sent), or when the
session expires.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection

from voicelab.media import PcmQueue, read_track

from .translation_core import CloseConnection, SegmentResult, TranslateSegment, TranslationCore
from .translation_route import TranslationEngines, run_segment
from .webrtc import answer_offer

__all__ = ["TranslationCall"]

log = logging.getLogger(__name__)

_CHANNEL_WAIT_S = 30.0


class TranslationCall:
    """One translation session over a WebRTC peer connection (see the module docs)."""

    def __init__(self, core: TranslationCore, engines: TranslationEngines) -> None:
        self.core = core
        self.engines = engines
        self.peer = RTCPeerConnection()
        self.speaker = PcmQueue()  # the translated speech, played on our track
        self.channel: Any = None
        self._channel_open = asyncio.Event()
        self._ended = asyncio.Event()
        self._inbox: asyncio.Queue[str | bytes | np.ndarray | None] = asyncio.Queue()
        self._segments: asyncio.Queue[TranslateSegment] = asyncio.Queue()
        self._tasks: set[asyncio.Task] = set()
        self._core_lock = asyncio.Lock()  # the core is not thread-safe: one call into it at a time, in order

    # ------------------------------------------------------------------ signalling
    async def answer(self, offer_sdp: str) -> str:
        """Set the caller's offer, attach the translated-speech track, return the answer SDP."""

        def on_channel(channel: Any) -> None:
            self.channel = channel

        return await answer_offer(
            self.peer,
            offer_sdp,
            play=self.speaker.take,
            on_channel=on_channel,
            on_message=self._inbox.put_nowait,
            on_audio=lambda track: self._spawn(self._read_audio(track)),
            opened=self._channel_open,
            ended=self._ended,
        )

    # ------------------------------------------------------------------ the session
    async def run(self, expires_in: float, expiry_message: str) -> None:
        """Serve the session until the caller leaves, it closes, or it expires."""
        self._spawn(self._consume())
        self._spawn(self._work())
        try:
            await self._emit(self.core.start())
            await asyncio.wait_for(self._ended.wait(), max(expires_in, 0.0))
        except TimeoutError:
            log.info("translation call expired: %s", expiry_message)
        finally:
            self._ended.set()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await self.peer.close()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _consume(self) -> None:
        """Client events and caller audio to the core, in arrival order, off the event loop (the audio that
        queued up meanwhile goes in one call)."""
        while True:
            batch: list[str | bytes | np.ndarray | None] = [await self._inbox.get()]
            while not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            audio: list[np.ndarray] = []
            for item in [*batch, None]:
                if isinstance(item, np.ndarray):
                    audio.append(item)
                    continue
                if audio:
                    await self._call_core(self.core.append_pcm, np.concatenate(audio))
                    audio = []
                if item is not None:
                    text = item if isinstance(item, str) else item.decode("utf-8", "replace")
                    await self._call_core(self.core.handle_text, text)

    async def _call_core(self, method: Any, *args: Any) -> None:
        """One core call in a thread (parsing, VAD), its outputs emitted before the next call starts."""
        async with self._core_lock:
            await self._emit(await asyncio.to_thread(method, *args))

    async def _work(self) -> None:
        """Translate the segments one at a time, in order (the engines block: a worker thread)."""
        while True:
            effect = await self._segments.get()
            try:
                result: SegmentResult | Exception = await asyncio.to_thread(run_segment, self.engines, effect)
            except Exception as exc:  # an engine failure ends that segment, not the session
                log.exception("translation segment %d failed", effect.segment_id)
                result = exc
            async with self._core_lock:
                await self._emit(self.core.segment_done(effect, result))

    async def _emit(self, outputs: list[Any]) -> None:
        for output in outputs:
            if isinstance(output, TranslateSegment):
                self._segments.put_nowait(output)
            elif isinstance(output, CloseConnection):
                self._ended.set()
            elif output.get("type") == "session.output_audio.delta":
                self.speaker.say(np.frombuffer(base64.b64decode(output["delta"]), "<i2"))
            elif not await self._send(json.dumps(output)):
                self._ended.set()  # the caller is gone
                return

    async def _send(self, text: str) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._channel_open.wait(), _CHANNEL_WAIT_S)
        if self.channel is None or self.channel.readyState != "open":
            return False
        self.channel.send(text)
        return True

    async def _read_audio(self, track: Any) -> None:
        try:
            await read_track(track, self._inbox.put_nowait)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a broken decoder must not take the call down silently
            log.warning("translation call input audio failed: %r", exc)
