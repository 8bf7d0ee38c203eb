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
from collections.abc import Callable
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription

from voicelab.media import PacedAudioTrack, read_track

from .calls import Call, CallRegistry
from .media_call import MediaCallPump

__all__ = ["EVENTS_CHANNEL", "WebRTCCall", "answer_offer"]

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "oai-events"
"""The data channel's label in OpenAI's WebRTC guide."""

_CHANNEL_WAIT_S = 30.0


async def answer_offer(
    peer: RTCPeerConnection,
    offer_sdp: str,
    *,
    play: Callable[[int], np.ndarray],
    on_channel: Callable[[Any], None],
    on_message: Callable[[str | bytes], Any],
    on_audio: Callable[[Any], None],
    opened: asyncio.Event,
    ended: asyncio.Event,
) -> str:
    """Answer a caller's SDP offer on ``peer`` as OpenAI's WebRTC endpoints do; returns the answer SDP.

    The ``oai-events`` data channel the caller opens goes to ``on_channel`` (its messages to ``on_message``;
    ``opened`` is set when it opens, ``ended`` when it closes), the caller's audio track to ``on_audio``, and
    our audio track plays ``play(n)`` (24 kHz PCM16) at playback speed. A failed or closed connection sets
    ``ended``.
    """

    @peer.on("datachannel")
    def on_datachannel(channel: Any) -> None:
        if channel.label != EVENTS_CHANNEL:
            return
        on_channel(channel)
        channel.on("message", on_message)
        channel.on("close", ended.set)
        if channel.readyState == "open":
            opened.set()
        channel.on("open", opened.set)

    @peer.on("track")
    def on_track(track: Any) -> None:
        if track.kind == "audio":
            on_audio(track)

    @peer.on("connectionstatechange")
    def on_state() -> None:
        if peer.connectionState in ("failed", "closed"):
            ended.set()

    await peer.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    for transceiver in peer.getTransceivers():
        if transceiver.kind == "audio":
            peer.addTrack(PacedAudioTrack(play))
            break
    await peer.setLocalDescription(await peer.createAnswer())
    return str(peer.localDescription.sdp)


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

        def on_channel(channel: Any) -> None:
            self.channel = channel

        def on_audio(track: Any) -> None:
            task = asyncio.ensure_future(self._read_audio(track))
            self._readers.add(task)
            task.add_done_callback(self._readers.discard)

        return await answer_offer(
            self.peer,
            offer_sdp,
            play=self.play,
            on_channel=on_channel,
            on_message=self._on_message,
            on_audio=on_audio,
            opened=self._channel_open,
            ended=self._ended,
        )

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
