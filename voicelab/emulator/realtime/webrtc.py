"""WebRTC calls on the emulator (aiortc): the peer connection behind ``POST /v1/realtime/calls``.

:class:`WebRTCCall` answers the caller's SDP offer and serves one Realtime session over it, as OpenAI does:

- audio in: the caller's track (Opus, 48 kHz on the wire) is decoded by aiortc, resampled to the session
  core's 24 kHz mono PCM16 and fed to its input buffer (server VAD runs there);
- audio out: a track that plays the core's answer at playback speed, 20 ms a frame at 24 kHz, which aiortc's
  Opus encoder sends at 48 kHz; the server knows what was played (:mod:`.media_call`);
- events: the data channel the caller opened, labelled ``oai-events``, carries the same client and server
  events as the WebSocket (minus ``response.output_audio.delta``: audio is on the track) plus the
  WebRTC-only ``output_audio_buffer.*``.

The call ends when the caller closes the peer connection or the data channel, on
``POST /v1/realtime/calls/{id}/hangup``, or when the session expires.

Examples
--------
>>> EVENTS_CHANNEL
'oai-events'
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription

from voicelab.media import PacedAudioTrack, read_track

from .calls import Call, CallRegistry
from .media_call import MediaCallPump

__all__ = ["EVENTS_CHANNEL", "WebRTCCall"]

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "oai-events"
"""The data channel's label in OpenAI's WebRTC guide."""

_CHANNEL_WAIT_S = 30.0


class WebRTCCall(MediaCallPump):
    """One WebRTC call: an aiortc peer connection around a :class:`MediaCallPump` (see module docs)."""

    def __init__(self, *args: Any, call: Call, calls: CallRegistry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        self.calls = calls
        self.peer = RTCPeerConnection()
        self.channel: Any = None
        self._channel_open = asyncio.Event()
        self._ended = asyncio.Event()
        self._readers: set[asyncio.Task] = set()

    # ------------------------------------------------------------------ signalling
    async def answer(self, offer_sdp: str) -> str:
        """Set the caller's offer, attach the output track, and return the answer SDP (ICE candidates in)."""
        peer = self.peer

        @peer.on("datachannel")
        def on_datachannel(channel: Any) -> None:
            if channel.label != EVENTS_CHANNEL:
                return
            self.channel = channel
            channel.on("message", self._on_message)
            channel.on("close", self._ended.set)
            if channel.readyState == "open":
                self._channel_open.set()
            channel.on("open", self._channel_open.set)

        @peer.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "audio":
                task = asyncio.ensure_future(self._read_audio(track))
                self._readers.add(task)
                task.add_done_callback(self._readers.discard)

        @peer.on("connectionstatechange")
        def on_state() -> None:
            if peer.connectionState in ("failed", "closed"):
                self._ended.set()

        await peer.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        for transceiver in peer.getTransceivers():
            if transceiver.kind == "audio":
                peer.addTrack(PacedAudioTrack(self.play))
                break
        await peer.setLocalDescription(await peer.createAnswer())
        return peer.localDescription.sdp

    async def hangup(self) -> None:
        """End the call (the hangup endpoint, or the session's end)."""
        self._ended.set()

    # ------------------------------------------------------------------ SessionPump transport
    async def receive(self) -> None:
        try:
            await self._ended.wait()
        finally:
            self.calls.end(self.call.id)
            for task in list(self._readers):
                task.cancel()
            with contextlib.suppress(Exception):
                await self.peer.close()

    async def send_text(self, text: str) -> None:
        await asyncio.wait_for(self._channel_open.wait(), _CHANNEL_WAIT_S)
        if self.channel is None or self.channel.readyState != "open":
            raise ConnectionError("the oai-events data channel is closed")
        self.channel.send(text)

    async def close_transport(self, code: int, reason: str) -> None:
        self._ended.set()

    def transport_open(self) -> bool:
        return not self._ended.is_set()

    # ------------------------------------------------------------------ media
    def _on_message(self, message: str | bytes) -> None:
        self.client_text(message)

    async def _read_audio(self, track: Any) -> None:
        """Decode the caller's track to 24 kHz mono PCM16 for the core."""
        try:
            await read_track(track, self.hear)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a broken decoder must not take the call down silently
            log.warning("webrtc input audio failed: %r", exc)
