"""The input audio buffer of one connection: its audio clock, append/commit/clear, and turn detection.

:class:`InputAudioBuffer` owns the buffered 24 kHz int16 samples, the audio clock (samples appended since the
session started — never the wall clock) and the turn detector fed from it. It answers
``input_audio_buffer.append`` / ``commit`` / ``clear`` and turns the detector's events into
``input_audio_buffer.speech_started`` / ``speech_stopped`` / ``timeout_triggered``; a commit adds a user audio
item to the conversation and, after a detected turn, starts a response.

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> core = ServerCore(seed=1, vad_factory=None)
>>> _ = core.start()
>>> _ = core.append_audio(np.zeros(4800, np.int16))
>>> core.input_buffer.buffered_ms, core.audio_ms
(200, 200)
>>> [e["type"] for e in core.handle({"type": "input_audio_buffer.commit"})]
['input_audio_buffer.committed', 'conversation.item.added', 'conversation.item.done']
>>> core.input_buffer.buffered_ms
0
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from voicelab.protocol.diarization import is_diarize_model
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.transcription import wants_logprobs

from .. import codecs
from ..effects import Transcribe
from .items import SR, ServerItem

if TYPE_CHECKING:
    from .dispatcher import Output, ServerCore

__all__ = ["MAX_BUFFER_SECONDS", "MIN_COMMIT_MS", "InputAudioBuffer", "TurnDetector"]

MIN_COMMIT_MS = 100
MAX_BUFFER_SECONDS = 900.0
"""Most audio the buffer holds uncommitted (15 min; OpenAI publishes no limit; the emulator's
``max_input_buffer_seconds`` setting)."""


class TurnDetector(Protocol):
    """What the core needs from ``voicelab.vad.ServerVAD`` / ``SemanticVAD``."""

    def feed(self, samples: np.ndarray) -> list[Any]: ...

    def reset(self) -> None: ...


class InputAudioBuffer:
    """The input audio buffer, its clock and the turn detector listening to it.

    Parameters
    ----------
    core : ServerCore
        The connection (session config, ids, conversation and responses).
    vad_factory : callable, optional
        ``vad_factory(turn_detection_dict) -> TurnDetector``; ``None`` disables turn detection.
    """

    def __init__(
        self, core: ServerCore, vad_factory: Callable[[dict[str, Any]], TurnDetector] | None
    ) -> None:
        self.core = core
        self._vad_factory = vad_factory
        self.vad: TurnDetector | None = None
        self._vad_origin = 0  # audio clock (samples) where the VAD's timeline starts
        self.samples_total = 0  # the audio clock: samples appended since the session started
        self._parts: list[np.ndarray] = []
        self._start = 0  # audio clock position of the buffer's first sample
        self._samples = 0
        self._speech_item_id: str | None = None
        self.max_samples = int(MAX_BUFFER_SECONDS * SR)
        self._full_reported = False  # media audio is being dropped: its one error was sent

    @property
    def buffered_ms(self) -> int:
        """Milliseconds of audio waiting in the buffer."""
        return self._samples * 1000 // SR

    # ------------------------------------------------------------------ turn detector
    def make_vad(self) -> None:
        """A fresh turn detector for the session's ``turn_detection`` (none when it is ``null``)."""
        config = self.core.turn_detection
        self.vad = self._vad_factory(config) if (config and self._vad_factory) else None
        self._vad_origin = self.samples_total
        self._speech_item_id = None
        self.core.live.drop()

    def _reset_vad(self) -> None:
        if self.vad is not None:
            self.vad.reset()
            self._vad_origin = self.samples_total

    def arm_idle_timeout(self, played_ms: int) -> None:
        """The answer ended: the idle timeout counts from the end of its playback (``played_ms`` from now)."""
        arm = getattr(self.vad, "arm_idle_timeout", None)
        if arm is not None:
            arm(self._vad_position_ms() + played_ms)

    def disarm_idle_timeout(self) -> None:
        """The idle clock stops while the model answers."""
        disarm = getattr(self.vad, "disarm_idle_timeout", None)
        if disarm is not None:
            disarm()

    def _vad_position_ms(self) -> int:
        return (self.samples_total - self._vad_origin) * 1000 // SR

    def _clock_ms_to_samples(self, vad_ms: int) -> int:
        return self._vad_origin + int(vad_ms) * SR // 1000

    # ------------------------------------------------------------------ client events
    def on_append(self, event: dict[str, Any]) -> list[Output]:
        """``input_audio_buffer.append``: decode the base64 audio in the session's input format."""
        input_format = self.core.input_format
        try:
            raw = codecs.b64decode_in_slices(event["audio"])
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError(
                "invalid_value",
                f"Invalid 'audio': the audio must be base64-encoded {input_format['type']} bytes ({exc}).",
                "audio",
            ) from exc
        if input_format.get("type", "audio/pcm") == "audio/pcm" and len(raw) % 2:
            raise ProtocolError(
                "invalid_value",
                "Invalid 'audio': audio/pcm must be 16-bit samples (an even number "
                f"of bytes); got {len(raw)} bytes.",
                "audio",
            )
        pcm = codecs.decode_input(raw, input_format)
        self._make_room(pcm.size)  # an append that does not fit is refused: the error names it
        return self.append(pcm)

    def append(self, pcm: np.ndarray) -> list[Output]:
        """Add 24 kHz int16 samples to the buffer and run turn detection over them.

        Audio from a call's media (WebRTC, SIP: no event to refuse) that does not fit is dropped, with one
        ``input_audio_buffer_full`` error until a commit or clear makes room again."""
        if pcm.size == 0:
            return []
        try:
            self._make_room(pcm.size)
        except ProtocolError as full:
            if self._full_reported:
                return []
            self._full_reported = True
            return [self.core.error(full.code or "input_audio_buffer_full", full.message, full.param)]
        self._full_reported = False
        self._parts.append(pcm)
        self._samples += pcm.size
        self.samples_total += pcm.size
        live = self.core.live
        if self.vad is None:
            if live.turn is None:  # manual turns: listen from the first sample of the buffer
                wanted = live.wanted(detected=False)
                return live.begin(None, self._joined(), self._start, detected=False) if wanted else []
            live.feed(pcm)
            return live.after_append(None)
        live.feed(pcm)
        out: list[Output] = []
        for vad_event in self.vad.feed(pcm.astype(np.float32) / 32768.0):
            out.extend(self._on_vad(vad_event))
        silence_ms = getattr(self.vad, "silence_start_ms", None)
        out.extend(live.after_append(None if silence_ms is None else self._clock_ms_to_samples(silence_ms)))
        return out

    def _make_room(self, samples: int) -> None:
        """Room for ``samples`` more, within ``max_samples``. With turn detection and no speech in progress,
        the oldest audio is silence the detector has judged: it is dropped (a tenth of the limit at once, so
        this is rare), and a silent caller never fills the buffer. Else raise ``input_audio_buffer_full``."""
        if self._samples + samples <= self.max_samples:
            return
        if self.vad is not None and self._speech_item_id is None:
            keep = max(self.max_samples - samples - self.max_samples // 10, 0)
            self._drop_before(self.samples_total - keep)
            if self._samples + samples <= self.max_samples:
                return
        raise ProtocolError(
            "input_audio_buffer_full",
            f"Invalid 'audio': the input audio buffer would hold {(self._samples + samples) / SR:.1f} s "
            f"of audio, but the limit is {self.max_samples / SR:g} s. Commit (input_audio_buffer.commit) or "
            "clear (input_audio_buffer.clear) the buffer before appending more.",
            "audio",
        )

    def on_commit(self, event: dict[str, Any]) -> list[Output]:
        """``input_audio_buffer.commit``: the buffer (at least 100 ms) becomes a user audio item."""
        if self._samples * 1000 < MIN_COMMIT_MS * SR:
            ms = self._samples * 1000 / SR
            raise ProtocolError(
                "input_audio_buffer_commit_empty",
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2f}ms of audio.",
            )
        self.core.conversation.check_audio_room(self._samples, None)  # refused: the buffer keeps its audio
        item_id = self._speech_item_id or self.core.ids.new("item")
        self._speech_item_id = None
        pcm = self._take(self.samples_total)
        self._reset_vad()
        return self._commit(item_id, pcm, speech_end=None)

    def on_clear(self, event: dict[str, Any]) -> list[Output]:
        """``input_audio_buffer.clear``: forget the buffered audio."""
        self._parts, self._samples, self._start = [], 0, self.samples_total
        self._reset_vad()
        self.core.live.drop()
        self._speech_item_id = None
        return [self.core.event("input_audio_buffer.cleared")]

    # ------------------------------------------------------------------ turn detection
    def _on_vad(self, vad_event: Any) -> list[Output]:
        core = self.core
        name = type(vad_event).__name__
        out: list[Output] = []
        config = core.turn_detection or {}
        if name == "SpeechStarted":
            start = self._clock_ms_to_samples(vad_event.audio_start_ms)
            self._speech_item_id = core.ids.new("item")
            out.append(
                core.event(
                    "input_audio_buffer.speech_started",
                    audio_start_ms=start * 1000 // SR,
                    item_id=self._speech_item_id,
                )
            )
            self._drop_before(start)
            out.extend(core.live.begin(self._speech_item_id, self._joined(), self._start, detected=True))
            if config.get("interrupt_response", True) and core.default_response:
                out.extend(
                    core.responses.finish(
                        core.responses.by_id[core.default_response],
                        status="cancelled",
                        reason="turn_detected",
                    )
                )
        elif name == "SpeechStopped":
            end = self._clock_ms_to_samples(vad_event.audio_end_ms)
            item_id = self._speech_item_id or core.ids.new("item")
            self._speech_item_id = None
            out.append(
                core.event(
                    "input_audio_buffer.speech_stopped", audio_end_ms=end * 1000 // SR, item_id=item_id
                )
            )
            speech_end = self._clock_ms_to_samples(vad_event.speech_end_ms)
            out.extend(self._commit(item_id, self._take(end), auto=True, speech_end=speech_end))
        elif name == "TimeoutTriggered":
            start = self._clock_ms_to_samples(vad_event.audio_start_ms)
            end = self._clock_ms_to_samples(vad_event.audio_end_ms)
            item_id = core.ids.new("item")
            out.append(
                core.event(
                    "input_audio_buffer.timeout_triggered",
                    audio_start_ms=start * 1000 // SR,
                    audio_end_ms=end * 1000 // SR,
                    item_id=item_id,
                )
            )
            self._drop_before(start)
            out.extend(self._commit(item_id, self._take(end), auto=True, speech_end=None))
        return out

    def _joined(self) -> np.ndarray:
        """The buffered audio as one array (and kept as one part)."""
        joined = np.concatenate(self._parts) if self._parts else np.zeros(0, np.int16)
        self._parts = [joined] if joined.size else []
        return joined

    def _drop_before(self, position: int) -> None:
        """Forget buffered audio before clock ``position`` (silence before the speech and its padding)."""
        drop = min(max(position - self._start, 0), self._samples)
        if drop <= 0:
            return
        joined = self._joined()
        rest = joined[drop:]
        self._parts = [rest] if rest.size else []
        self._samples = rest.size
        self._start += drop

    def _take(self, end: int) -> np.ndarray:
        """Remove and return the buffered audio up to clock position ``end``."""
        joined = self._joined()
        cut = min(max(end - self._start, 0), joined.size)
        taken, rest = joined[:cut], joined[cut:]
        self._parts = [rest] if rest.size else []
        self._samples = rest.size
        self._start += cut
        return taken

    def _commit(
        self, item_id: str, pcm: np.ndarray, *, auto: bool = False, speech_end: int | None
    ) -> list[Output]:
        """``committed``, the user audio item, its transcription, and (after a detected turn) a response.

        ``speech_end`` (clock samples) is where the VAD heard the speech end, if it did.
        """
        core = self.core
        try:
            core.conversation.check_audio_room(pcm.size, None)
        except ProtocolError as exc:  # a detected turn over the limit is dropped, with the error
            core.live.drop()
            return [core.error(exc.code, exc.message, exc.param)]
        previous = core.conversation.last_id()
        item = ServerItem(
            {
                "id": item_id,
                "type": "message",
                "object": "realtime.item",
                "status": "completed",
                "role": "user",
                "content": [{"type": "input_audio", "transcript": None}],
            },
            audio=pcm,
            audio_role="user",
        )
        out: list[Output] = [
            core.event("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id),
            *core.conversation.append(item),
        ]
        transcription = core.session["audio"]["input"].get("transcription")
        live = core.live.finish(item_id, pcm, speech_end)
        if live is not None:
            out.extend(live)
        elif transcription and transcription.get("model"):
            out.append(
                Transcribe(
                    item_id,
                    pcm,
                    transcription.get("model"),
                    transcription.get("language"),
                    transcription.get("prompt") or None,
                    keywords=tuple(transcription.get("keywords") or ()),
                    languages=tuple(transcription.get("languages") or ()),
                    delay=transcription.get("delay"),
                    logprobs=wants_logprobs(core.session),
                    diarize=is_diarize_model(transcription["model"]),
                )
            )
        config = core.turn_detection or {}
        if (
            auto
            and core.kind == "realtime"
            and config.get("create_response", True)
            and not core.default_response
        ):
            out.extend(core.responses.create({}, trigger="turn_detection"))
        return out
