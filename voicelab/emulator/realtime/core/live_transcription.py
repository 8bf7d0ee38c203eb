"""Recognition while the user speaks: the turn's streaming transcriber, fed by the input buffer (sans-I/O).

When the session needs the user's words (input transcription configured, or server VAD that creates a
response) and the connection has a transcriber factory, :class:`LiveTranscription` starts a streaming
transcriber (``voicelab.engines.streaming_stt.StreamingTranscriber`` or anything with its ``feed`` /
``pause`` / ``pass_due`` interface) when a turn begins — at ``speech_started`` with the audio from
``audio_start_ms``, or with manual turns at the first ``append`` — and feeds it every appended chunk (cheap:
resampling only). While the VAD is in its STOPPING state (silence that may end the turn) the transcriber is
told where the silence began (``pause``), so it runs no regular pass then, only one closing pass once the
silence has settled. Whenever a pass is due and none is running it asks for one with a
:class:`~voicelab.emulator.realtime.effects.StepTranscriber` effect (the I/O layer runs it on its STT
executor); at the commit it asks for :class:`~voicelab.emulator.realtime.effects.FinalizeTranscriber`, which
at the end of a turn usually only reuses the closing pass.

The text each pass commits becomes ``conversation.item.input_audio_transcription.delta`` events — kept back
until the item exists (after ``conversation.item.added``), then sent as they come; ``completed`` carries the
final transcript, which is exactly the concatenation of the deltas. ``whisper-1`` keeps OpenAI's shape (one
delta with the whole transcript, at the end).

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> class Words:  # a stand-in transcriber: a pass is due per 100 ms of audio
...     def __init__(self): self.samples, self.passes = 0, 0
...     def feed(self, y): self.samples += y.size
...     def pause(self, at_ms): pass
...     pass_due = property(lambda self: self.samples // 2400 > self.passes)
...     def step(self): self.passes += 1
>>> core = ServerCore(seed=1, vad_factory=None,
...                   transcriber_factory=lambda language, prompt, **options: Words())
>>> _ = core.handle({"type": "session.update", "session": {"type": "realtime",
...     "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}}}})
>>> out = core.append_audio(np.zeros(2400, np.int16))
>>> [type(o).__name__ for o in out]
['StepTranscriber']
>>> out[0].transcriber.step()  # the I/O layer runs the pass on its STT executor, then reports its delta
>>> core.transcription_partial(out[0].turn, " Hello")  # the item does not exist yet: kept back
[]
>>> [o["type"] if isinstance(o, dict) else type(o).__name__ for o in core.handle(
...     {"type": "input_audio_buffer.commit"})]  # doctest: +NORMALIZE_WHITESPACE
['input_audio_buffer.committed', 'conversation.item.added', 'conversation.item.done',
 'conversation.item.input_audio_transcription.delta', 'FinalizeTranscriber']
>>> [(e["type"].rsplit(".", 1)[-1], e.get("delta", e.get("transcript")))
...  for e in core.transcription_final(out[0].turn, " Hello there.")]
[('delta', ' there.'), ('completed', 'Hello there.')]
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from voicelab.errors import VoicelabError
from voicelab.protocol.diarization import is_diarize_model
from voicelab.protocol.transcription import wants_logprobs

from ..effects import FinalizeTranscriber, StepTranscriber
from .items import SR

if TYPE_CHECKING:
    from .dispatcher import Output, ServerCore
    from .transcription import TranscriptionDetails

__all__ = ["LiveTranscription", "LiveTurn", "TranscriberFactory"]

log = logging.getLogger(__name__)

#: ``factory(language, prompt, *, keywords=, languages=, delay=, logprobs=) -> transcriber`` (24 kHz float32
#: input; the session's transcription options as :class:`~..effects.Transcribe` has them); may raise
#: ``VoicelabError``.
TranscriberFactory = Callable[..., Any]


@dataclass
class LiveTurn:
    """One turn's transcriber and what it has delivered.

    ``origin`` is the audio-clock position (samples) of the transcriber's first sample; ``item_id`` is known
    from ``speech_started`` (server VAD) or the commit (manual turns); ``stepping`` while a pass runs;
    ``added`` once the item is in the conversation (deltas may be sent); ``sent`` the delta text sent or
    kept back so far; ``held`` the deltas kept back until the item is added; ``logprobs``: the session asks
    for per-token log probabilities, which only the final pass has (its deltas all come with ``completed``).
    """

    number: int
    transcriber: Any = field(repr=False)
    origin: int
    item_id: str | None
    visible: bool
    logprobs: bool = False
    stepping: bool = False
    added: bool = False
    sent: str = ""
    held: list[str] = field(default_factory=list)


class LiveTranscription:
    """The streaming transcriber of the turn in progress and the results of its passes.

    Parameters
    ----------
    core : ServerCore
        The connection (session config, ids, input transcription events).
    factory : callable, optional
        ``factory(language, prompt)`` → a new transcriber; ``None`` disables streaming recognition (each
        committed item is then transcribed after the fact).
    """

    def __init__(self, core: ServerCore, factory: TranscriberFactory | None) -> None:
        self.core = core
        self.factory = factory
        self.turn: LiveTurn | None = None  # the turn being fed
        self._turns: dict[int, LiveTurn] = {}  # turns whose results are still to come
        self._numbers = itertools.count(1)
        self._declined = False  # the factory refused this turn: do not ask again until the next one

    # ------------------------------------------------------------------ when to listen
    def _config(self) -> dict[str, Any] | None:
        return self.core.session["audio"]["input"].get("transcription") or None

    def wanted(self, *, detected: bool) -> bool:
        """Whether this session needs the words of a turn now (input transcription, or a response that the
        turn detector will create). Not with a diarize model: the diarizer needs the whole turn, so the turn
        is transcribed (and diarized) once it is committed."""
        if self.factory is None or self._declined:
            return False
        config = self._config()
        if config and config.get("model"):
            return not is_diarize_model(config["model"])
        detection = self.core.turn_detection or {}
        return detected and self.core.kind == "realtime" and bool(detection.get("create_response", True))

    # ------------------------------------------------------------------ input buffer hooks
    def begin(self, item_id: str | None, pcm: np.ndarray, origin: int, *, detected: bool) -> list[Output]:
        """A turn starts at clock ``origin``; ``pcm`` is the audio from there to now (int16)."""
        self.turn = None
        if not self.wanted(detected=detected):
            return []
        config = self._config() or {}
        assert self.factory is not None
        try:
            transcriber = self.factory(
                config.get("language") or None, config.get("prompt") or None, **self._options(config)
            )
        except VoicelabError as exc:  # e.g. a language the streaming engine lacks: transcribe after the fact
            log.info("no streaming transcription for this turn: %s", exc)
            self._declined = True
            return []
        visible = bool(config.get("model")) and config.get("model") != "whisper-1"
        logprobs = bool(config.get("model")) and wants_logprobs(self.core.session)
        self.turn = LiveTurn(next(self._numbers), transcriber, origin, item_id, visible, logprobs)
        self._turns[self.turn.number] = self.turn
        self.feed(pcm)
        return self._maybe_step(self.turn)

    def feed(self, pcm: np.ndarray) -> None:
        """New audio of the turn (int16, 24 kHz)."""
        if self.turn is not None and pcm.size:
            self.turn.transcriber.feed(pcm.astype(np.float32) / 32768.0)

    def after_append(self, silence_start: int | None) -> list[Output]:
        """After the VAD saw the chunk: ``silence_start`` (clock samples) while it is STOPPING, else None."""
        turn = self.turn
        if turn is None:
            return []
        at_ms = None if silence_start is None else max(silence_start - turn.origin, 0) * 1000 // SR
        turn.transcriber.pause(at_ms)
        return self._maybe_step(turn)

    def drop(self) -> None:
        """The turn's audio was cleared: forget it (a running pass's result is ignored)."""
        if self.turn is not None:
            self._turns.pop(self.turn.number, None)
        self.turn, self._declined = None, False

    def finish(self, item_id: str, pcm: np.ndarray, speech_end: int | None) -> list[Output] | None:
        """The turn was committed as ``item_id`` (already added to the conversation): the deltas kept back and
        the :class:`FinalizeTranscriber` effect; ``None`` if no transcriber heard this item."""
        turn, self.turn, self._declined = self.turn, None, False
        if turn is None or turn.item_id not in (None, item_id):
            if turn is not None:
                self._turns.pop(turn.number, None)
            return None
        turn.item_id, turn.added = item_id, True
        out: list[Output] = [self._delta_event(turn, delta) for delta in turn.held]
        turn.held.clear()
        config = self._config() or {}
        end_ms = None if speech_end is None else max(speech_end - turn.origin, 0) * 1000 // SR
        out.append(
            FinalizeTranscriber(
                turn.number,
                item_id,
                turn.transcriber,
                end_ms,
                pcm,
                config.get("language") or None,
                config.get("prompt") or None,
                model=config.get("model") or None,
                **self._options(config),
            )
        )
        return out

    # ------------------------------------------------------------------ results of the effects
    def partial(self, number: int, delta: str) -> list[Output]:
        """A pass committed ``delta``: send it (or keep it until the item exists); maybe the next pass."""
        turn = self._turns.get(number)
        if turn is None:
            return []
        turn.stepping = False
        out: list[Output] = []
        if not turn.sent:
            delta = delta.lstrip()
        if delta and turn.visible and not turn.logprobs:
            turn.sent += delta
            if turn.added:
                out.append(self._delta_event(turn, delta))
            else:
                turn.held.append(delta)
        if turn is self.turn:
            out.extend(self._maybe_step(turn))
        return out

    def final(self, number: int, text: str, details: TranscriptionDetails | None = None) -> list[Output]:
        """The turn's final transcript: the rest of the deltas and ``completed`` (nothing if not visible);
        ``details``: its per-token logprobs and detected languages, when the session asks for them."""
        turn = self._turns.pop(number, None)
        if turn is None or turn.item_id is None:
            return []
        transcript = text.strip()
        if not self._config():
            self.core.conversation.note_heard(turn.item_id, transcript)
            return []
        if not turn.visible:  # whisper-1: OpenAI's one delta with the whole transcript
            return self.core.transcription.ready(turn.item_id, transcript, details)
        rest = transcript[len(turn.sent) :]
        if not transcript.startswith(turn.sent):  # only after a fallback to whole-utterance transcription
            log.warning(
                "streamed deltas %r are not a prefix of the final transcript %r", turn.sent, transcript
            )
            rest = ""
        return self.core.transcription.ready(turn.item_id, transcript, details, deltas=[rest] if rest else [])

    # ------------------------------------------------------------------ internals
    def _options(self, config: dict[str, Any]) -> dict[str, Any]:
        """The session's transcription options, as the factory and the fallback take them."""
        return {
            "keywords": tuple(config.get("keywords") or ()),
            "languages": tuple(config.get("languages") or ()),
            "delay": config.get("delay") or None,
            "logprobs": bool(config.get("model")) and wants_logprobs(self.core.session),
        }

    def _maybe_step(self, turn: LiveTurn) -> list[Output]:
        if turn.stepping or not turn.transcriber.pass_due:
            return []
        turn.stepping = True
        return [StepTranscriber(turn.number, turn.transcriber)]

    def _delta_event(self, turn: LiveTurn, delta: str) -> dict[str, Any]:
        return self.core.event(
            "conversation.item.input_audio_transcription.delta",
            item_id=turn.item_id,
            content_index=0,
            delta=delta,
        )
