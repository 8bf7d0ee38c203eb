"""A Realtime call over WebRTC from Python (aiortc): what a browser does, without a browser.

:class:`WebRTCCall` follows OpenAI's WebRTC guide step by step: an ``RTCPeerConnection`` with one audio
track (the "microphone": PCM you give it with :meth:`WebRTCCall.say`, silence otherwise, at playback speed)
and a data channel named ``oai-events``; the SDP offer is POSTed with the SDK's
``client.realtime.calls.create(sdp=…, session=…)`` (the unified multipart form), the answer SDP becomes the
remote description, and the call id comes from the ``Location`` header. Server events arrive on the data
channel (:meth:`WebRTCCall.next_event`, :meth:`WebRTCCall.events_until`); the assistant's audio arrives on
the remote track and is recorded (:meth:`WebRTCCall.heard`), which is what the caller actually heard.
:meth:`WebRTCCall.hangup` calls ``client.realtime.calls.hangup``.

It works against the local emulator and against OpenAI (pass an ``AsyncOpenAI`` client with a real or an
ephemeral key).

Examples
--------
>>> import voicelab                                                        # doctest: +SKIP
>>> async with await WebRTCCall.start(voicelab.async_client()) as call:    # doctest: +SKIP
...     call.say(question_pcm24k)
...     events = await call.events_until("output_audio_buffer.stopped")
...     answer = call.heard()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription

from voicelab.errors import VoicelabError
from voicelab.media import RATE, PacedAudioTrack, PcmQueue, read_track

__all__ = ["EVENTS_CHANNEL", "Microphone", "WebRTCCall"]

EVENTS_CHANNEL = "oai-events"


Microphone = PcmQueue
"""The call's outgoing audio: PCM queued with ``say``, played 20 ms at a time
(:class:`voicelab.media.PcmQueue`)."""


class WebRTCCall:
    """One WebRTC Realtime call from Python (see module docs). Create it with :meth:`start`."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.peer = RTCPeerConnection()
        self.microphone = Microphone()
        self.call_id: str | None = None
        self.events: list[dict[str, Any]] = []
        self.event_times: list[float] = []
        """``time.monotonic()`` at which each of :attr:`events` arrived."""
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._heard: list[tuple[float, np.ndarray]] = []
        self._channel: Any = None
        self._opened = asyncio.Event()
        self._closed = asyncio.Event()
        self._reader: asyncio.Task | None = None

    @classmethod
    async def start(
        cls,
        client: Any,
        *,
        model: str | None = None,
        session: dict[str, Any] | None = None,
        timeout: float = 30,
    ) -> WebRTCCall:
        """Offer, POST, answer; returns when the data channel is open.

        Parameters
        ----------
        client : openai.AsyncOpenAI
            With the server's key or an ephemeral ``ek_`` key.
        model : str, optional
            ``?model=`` of the call (else the session's or the key's).
        session : dict, optional
            The ``session`` part of the form (a ``RealtimeSessionCreateRequest``).
        """
        call = cls(client)
        try:
            await call._connect(model, session, timeout)
        except BaseException:
            await call.close()
            raise
        return call

    async def _connect(self, model: str | None, session: dict[str, Any] | None, timeout: float) -> None:
        peer = self.peer
        peer.addTrack(PacedAudioTrack(self.microphone.take))
        channel = peer.createDataChannel(EVENTS_CHANNEL)
        self._channel = channel
        channel.on("open", self._opened.set)
        channel.on("message", self._on_message)
        channel.on("close", self._on_close)

        @peer.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "audio":
                self._reader = asyncio.ensure_future(read_track(track, self._on_audio))

        @peer.on("connectionstatechange")
        def on_state() -> None:
            if peer.connectionState in ("failed", "closed"):
                self._on_close()

        await peer.setLocalDescription(await peer.createOffer())
        body: dict[str, Any] = {"sdp": peer.localDescription.sdp}
        if session is not None:
            body["session"] = session
        raw = await self.client.realtime.calls.with_raw_response.create(
            **body, extra_query={"model": model} if model else None
        )
        location = raw.headers.get("location") or ""
        self.call_id = location.rstrip("/").rsplit("/", 1)[-1] or None
        answer = raw.text
        await peer.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        try:
            await asyncio.wait_for(self._opened.wait(), timeout)
        except TimeoutError as exc:
            raise VoicelabError(f"the {EVENTS_CHANNEL} data channel did not open within {timeout} s") from exc

    # ------------------------------------------------------------------ events
    def _on_message(self, message: str | bytes) -> None:
        event = json.loads(message)
        self.event_times.append(time.monotonic())
        self.events.append(event)
        self._queue.put_nowait(event)

    def _on_close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._queue.put_nowait(None)

    @property
    def closed(self) -> bool:
        """Whether the call has ended (the data channel or the peer connection closed)."""
        return self._closed.is_set()

    async def send(self, event: dict[str, Any]) -> None:
        """Send one client event on the data channel."""
        if self._channel is None or self._channel.readyState != "open":
            raise VoicelabError("the call's data channel is not open")
        self._channel.send(json.dumps(event))

    async def next_event(self, timeout: float = 60) -> dict[str, Any]:
        """The next server event; raises ``ConnectionError`` when the call ended."""
        event = await asyncio.wait_for(self._queue.get(), timeout)
        if event is None:
            self._queue.put_nowait(None)
            raise ConnectionError("the call ended")
        return event

    async def events_until(self, kind: str, timeout: float = 120) -> list[dict[str, Any]]:
        """Server events up to and including the first of type ``kind``."""
        deadline = time.monotonic() + timeout
        out: list[dict[str, Any]] = []
        while not out or out[-1]["type"] != kind:
            out.append(await self.next_event(max(deadline - time.monotonic(), 0.01)))
        return out

    async def wait_closed(self, timeout: float = 10) -> None:
        """Wait until the server ends the call."""
        await asyncio.wait_for(self._closed.wait(), timeout)

    # ------------------------------------------------------------------ audio
    def say(self, pcm24k: np.ndarray) -> None:
        """Speak: queue 24 kHz mono PCM16 on the microphone track (sent at playback speed)."""
        self.microphone.say(pcm24k)

    def _on_audio(self, pcm: np.ndarray) -> None:
        self._heard.append((time.monotonic(), pcm))

    def heard(self, since: float | None = None) -> np.ndarray:
        """The assistant's audio as received (24 kHz PCM16), optionally only what arrived after ``since``
        (a ``time.monotonic()`` value)."""
        pieces = [pcm for _, pcm in self.heard_chunks(since)]
        return np.concatenate(pieces) if pieces else np.zeros(0, np.int16)

    def heard_chunks(self, since: float | None = None) -> list[tuple[float, np.ndarray]]:
        """``(arrival time, 24 kHz PCM16 chunk)`` of the remote track, optionally only after ``since``."""
        return [(t, pcm) for t, pcm in self._heard if since is None or t >= since]

    @property
    def sample_rate(self) -> int:
        return RATE

    # ------------------------------------------------------------------ ending
    async def hangup(self) -> None:
        """``POST /v1/realtime/calls/{call_id}/hangup``, then close the peer connection."""
        if self.call_id is not None and not self.closed:
            await self.client.realtime.calls.hangup(self.call_id)
        await self.close()

    async def close(self) -> None:
        """Close the peer connection (the server sees the call end)."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self.peer.close()
        self._on_close()

    async def __aenter__(self) -> WebRTCCall:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
