"""A session whose audio travels as media (WebRTC, SIP) rather than as events: :class:`MediaCallPump`.

Over WebRTC and SIP, OpenAI sends the assistant's audio on the call's media stream, not as
``response.output_audio.delta`` events, and keeps the output audio buffer on the server: it knows how much
of each answer the caller heard. This pump (a :class:`~voicelab.emulator.realtime.pump.SessionPump`) does the
same for any media transport:

- the core's ``response.output_audio.delta`` events are decoded and queued in an
  :class:`~voicelab.emulator.realtime.playout.OutputAudioBuffer` instead of being sent; the transport takes
  20 ms at playback speed with :meth:`MediaCallPump.play`, which publishes ``output_audio_buffer.started`` and
  ``.stopped``;
- the caller's audio (24 kHz PCM16, whatever the codec on the wire) goes to the core with
  :meth:`MediaCallPump.hear`, where the session's turn detection runs as over WebSocket;
- a barge-in (``input_audio_buffer.speech_started`` while an answer plays, with ``interrupt_response``) and
  the WebRTC/SIP-only client event ``output_audio_buffer.clear`` stop playback, publish
  ``output_audio_buffer.cleared`` and truncate the item at the audio actually played
  (``conversation.item.truncated``): no client bookkeeping.

Every other event is published as over WebSocket (on the data channel, and to the sideband listeners).

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> from voicelab.emulator.realtime.faults import FaultConfig
>>> pump = MediaCallPump(ServerCore(seed=1), None, None, FaultConfig())
>>> delta = {"type": "response.output_audio.delta", "event_id": "event_1", "response_id": "resp_1",
...          "item_id": "item_1", "output_index": 0, "content_index": 0, "delta": "AAAA" * 320}
>>> pump.publish(delta, None)                  # 20 ms of audio: queued for the track, not sent as an event
>>> pump.outbox.qsize(), pump.playout.queued_ms
(0, 20)
>>> pcm = pump.play(480)                       # the track plays it
>>> pump.outbox.get_nowait()[0]["type"], pump.playout.played_ms("item_1")
('output_audio_buffer.started', 20)
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

from voicelab.protocol.events import server_event

from .codecs import decode_input
from .ids import IdFactory
from .playout import BufferNotice, OutputAudioBuffer
from .pump import SessionPump

__all__ = ["MediaCallPump"]


class MediaCallPump(SessionPump):
    """A :class:`SessionPump` whose output audio is played by the transport (see module docs)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.playout = OutputAudioBuffer()
        self._event_ids = IdFactory()

    # ------------------------------------------------------------------ media in and out
    def hear(self, pcm24k: np.ndarray) -> None:
        """The caller's audio (24 kHz PCM16) to the core's input buffer and turn detection."""
        if pcm24k.size and not self.closed:
            self.core_call("append_audio", pcm24k)

    def play(self, samples: int) -> np.ndarray:
        """The next ``samples`` of 24 kHz output audio (silence when none is queued), at the caller's pace."""
        pcm, notices = self.playout.take(samples)
        for notice in notices:
            self._announce(notice)
        return pcm

    # ------------------------------------------------------------------ events
    def publish(self, event: dict[str, Any], text: str | None) -> None:
        kind = event["type"]
        if kind == "response.output_audio.delta":
            fmt = self.core.session["audio"]["output"]["format"]
            pcm = decode_input(base64.b64decode(event["delta"]), fmt)
            self.playout.push(event["response_id"], event["item_id"], pcm)
            return
        super().publish(event, text)
        if kind == "response.done":
            for notice in self.playout.finish(event["response"]["id"]):
                self._announce(notice)
        elif kind == "input_audio_buffer.speech_started" and self.playout.playing:
            turn_detection = self.core.session["audio"]["input"].get("turn_detection") or {}
            if turn_detection.get("interrupt_response", True):
                self.interrupt()

    def client_text(self, text: str | bytes) -> Any:
        try:
            event = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            event = None
        if isinstance(event, dict) and event.get("type") == "output_audio_buffer.clear":
            self.interrupt()
            return None
        return super().client_text(text)

    def interrupt(self) -> None:
        """Stop playback: ``output_audio_buffer.cleared``, then truncate the item at what was played."""
        notice = self.playout.clear()
        if notice is None:
            return
        self._announce(notice)
        truncate = {
            "type": "conversation.item.truncate",
            "item_id": notice.item_id,
            "content_index": 0,
            "audio_end_ms": notice.played_ms,
        }
        self.core_call("handle", truncate)

    def _announce(self, notice: BufferNotice) -> None:
        event = server_event(
            f"output_audio_buffer.{notice.kind}", self._event_ids.new("event"), response_id=notice.response_id
        )
        super().publish(event, None)
