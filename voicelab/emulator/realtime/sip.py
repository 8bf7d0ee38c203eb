"""SIP calls, simulated: an inbound phone call into the emulator, answered with OpenAI's call-control API.

The real flow (OpenAI's SIP guide): a SIP trunk sends an INVITE to ``sip:<project>@sip.api.openai.com``;
OpenAI sends the ``realtime.call.incoming`` webhook to your endpoint; your code answers with
``POST /v1/realtime/calls/{call_id}/accept`` (a session config), ``/reject`` (a SIP status) or ``/refer`` (a
transfer), controls the session over the sideband WebSocket (``/v1/realtime?call_id=…``) — SIP has no data
channel, the sideband is the only way to see events — and ends it with ``/hangup``. The caller's audio is
G.711 μ-law at 8 kHz over RTP.

Here the phone network is a WebSocket, ``/voicelab/sip`` (the simulated trunk; it needs the server's key):
the caller "dials" by connecting (``?from=…&to=…`` become the INVITE's headers), gets ``{"type": "ringing",
"call_id"}``, and after the accept sends and receives binary frames of 20 ms μ-law (160 bytes) at playback
speed. The emulator sends the webhook to ``EmulatorSettings.sip_webhook_url`` signed with
``sip_webhook_secret``. A reject sends ``{"type": "rejected", "status_code"}``, a refer ``{"type":
"referred", "target_uri"}``, a hangup ``{"type": "hangup"}``; the caller hangs up by closing or sending
``{"type": "bye"}``. :mod:`voicelab.emulator.phone` is the caller.

What a real trunk adds that this does not simulate: SIP signalling (INVITE/100 Trying/180/200/ACK/BYE,
REFER with NOTIFY, digest auth, TLS), RTP/RTCP over UDP with jitter, loss and packet-loss concealment, SRTP
negotiation, codec negotiation (G.711 A-law, G.722, Opus), DTMF (RFC 4733), early media, and the carrier's
own latency and number handling.

Examples
--------
>>> FRAME_BYTES, SIP_RATE
(160, 8000)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect

from voicelab.audio import ResampleStream, from_pcm16, to_pcm16

from .calls import Call, CallRegistry
from .codecs import ulaw_decode, ulaw_encode
from .core import SR
from .media_call import MediaCallPump

__all__ = ["FRAME_BYTES", "SIP_RATE", "SipCall"]

log = logging.getLogger(__name__)

SIP_RATE = 8000
FRAME_BYTES = SIP_RATE // 50  # 20 ms of μ-law: one byte per sample


class SipCall(MediaCallPump):
    """An accepted SIP call: μ-law 8 kHz frames over the trunk WebSocket around a :class:`MediaCallPump`.

    Its events go only to the sideband listeners (SIP has no data channel).
    """

    def __init__(
        self, *args: Any, websocket: WebSocket, call: Call, calls: CallRegistry, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.websocket = websocket
        self.call = call
        self.calls = calls
        self._ended = asyncio.Event()
        self._upsample = ResampleStream(SIP_RATE, SR)
        self._downsample = ResampleStream(SR, SIP_RATE)

    async def hangup(self) -> None:
        """End the call from the server side (``/hangup``): the caller is told, the session closes."""
        target = self.call.details.get("referred_to")
        message = {"type": "referred", "target_uri": target} if target else {"type": "hangup"}
        with contextlib.suppress(Exception):
            await self.websocket.send_text(json.dumps(message))
        self._ended.set()

    # ------------------------------------------------------------------ SessionPump transport
    async def receive(self) -> None:
        speaker = asyncio.create_task(self._speak_to_caller())
        listener = asyncio.create_task(self._listen_to_caller())
        try:
            await self._ended.wait()
        finally:
            for task in (speaker, listener):
                task.cancel()
            self.calls.end(self.call.id)
            with contextlib.suppress(Exception):
                await self.websocket.close(code=1000)

    async def send_text(self, text: str) -> None:
        """SIP has no event channel: events reach only the sideband listeners."""

    async def close_transport(self, code: int, reason: str) -> None:
        await self.hangup()

    def transport_open(self) -> bool:
        return not self._ended.is_set()

    # ------------------------------------------------------------------ media
    async def _listen_to_caller(self) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("bytes") is not None:
                    pcm8k = ulaw_decode(message["bytes"])
                    self.hear(_resampled(self._upsample, pcm8k))
                elif message.get("text") is not None and _is_bye(message["text"]):
                    break
        except (WebSocketDisconnect, RuntimeError) as exc:
            log.debug("caller gone: %r", exc)
        finally:
            self._ended.set()

    async def _speak_to_caller(self) -> None:
        """One 20 ms μ-law frame of the answer (or silence) every 20 ms of wall-clock time."""
        start, sent = time.monotonic(), 0
        try:
            while not self._ended.is_set():
                pcm24k = self.play(SR // 50)
                pcm8k = _resampled(self._downsample, pcm24k)
                if pcm8k.size:
                    await self.websocket.send_bytes(ulaw_encode(pcm8k))
                sent += 1
                wait = start + sent * 0.02 - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
        except Exception as exc:  # the caller went away
            log.debug("caller gone: %r", exc)
            self._ended.set()


def _resampled(stream: ResampleStream, pcm: np.ndarray) -> np.ndarray:
    """PCM16 through a streaming resampler (empty while its filter fills)."""
    if not pcm.size:
        return pcm
    out = stream.process(from_pcm16(pcm))
    return to_pcm16(out) if out.size else np.zeros(0, np.int16)


def _is_bye(text: str) -> bool:
    try:
        message = json.loads(text)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("type") == "bye"
