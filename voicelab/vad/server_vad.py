"""OpenAI's ``server_vad`` turn detection as a sans-I/O state machine.

:class:`ServerVAD` takes audio (any chunk size, 24 kHz float32 by default) or per-frame speech
probabilities and returns events on the **audio timeline** (ms since the start of the stream, on the
detector's frame grid). No clocks, no sockets: the same input always gives the same events, and the
chunk size never changes them.

The rules (frame ``i`` covers ``[i·F, (i+1)·F)`` ms, ``F`` = detector frame, 32 ms for Silero)::

    QUIET ──p ≥ threshold──▶ STARTING ──speech run ≥ min_speech_ms──▶ SPEAKING   emit SpeechStarted
      ▲                        │ p < threshold (a blip): back to QUIET            │ p < threshold
      │                                                                          ▼
      └──────── silence ≥ silence_duration_ms: emit SpeechStopped ──────────── STOPPING
                                         p ≥ threshold again: back to SPEAKING (a pause inside the turn)

- **Minimum speech** (voicelab's rule; OpenAI does not document one): speech is confirmed only after
  consecutive frames at or above ``threshold`` last ``min_speech_ms`` (default 100 ms → 4 Silero
  frames); a shorter blip (a click, a cough fragment) returns to QUIET without an event. The start
  is therefore *reported* ``min_speech_ms`` after it happened, but dated where it happened.
- ``SpeechStarted.audio_start_ms`` = first speech frame − ``prefix_padding_ms``, clamped at 0 and at
  the end of the previous turn (committed audio cannot be included twice). This matches OpenAI's
  "includes the prefix_padding_ms".
- ``SpeechStopped.audio_end_ms`` = the audio position at which the stop is decided: the start of the
  silence + ``silence_duration_ms``, rounded up to the frame grid. OpenAI documents that
  ``audio_end_ms`` "corresponds to the end of audio sent to the model, and thus includes the
  min_silence_duration_ms"; the committed turn is ``[audio_start_ms, audio_end_ms)``, and that is
  what is billed. ``speech_end_ms`` keeps where the silence began (the acoustic end of speech).
- **Idle timeout** (``idle_timeout_ms``): a clock that runs while nobody speaks. It is armed at the
  start of the stream, at every ``SpeechStopped`` (end of the user's turn) and by
  :meth:`ServerVAD.arm_idle_timeout` — OpenAI measures it from the end of the playback of the last
  model response, so the emulator calls ``arm_idle_timeout(at_ms)`` then, and
  :meth:`~ServerVAD.disarm_idle_timeout` while a response is being generated. Speech confirmation
  disarms it. When ``position − reference ≥ idle_timeout_ms`` it emits
  ``TimeoutTriggered(audio_start_ms=reference, audio_end_ms=position)`` and re-arms at that position.

Examples
--------
>>> import numpy as np
>>> vad = ServerVAD(ServerVADParams(silence_duration_ms=200, prefix_padding_ms=100))
>>> probs = np.r_[np.zeros(10), np.ones(20), np.zeros(10)]   # 32 ms frames
>>> for event in vad.feed_probabilities(probs):
...     print(event)
SpeechStarted(audio_start_ms=220, speech_start_ms=320, at_ms=448)
SpeechStopped(audio_end_ms=1184, speech_end_ms=960)
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from voicelab.errors import ParameterError
from voicelab.protocol.session import SERVER_VAD_DEFAULTS
from voicelab.vad.detectors import Detector, DetectorStream, SileroDetector

__all__ = [
    "ServerVAD",
    "ServerVADParams",
    "SpeechStarted",
    "SpeechStopped",
    "TimeoutTriggered",
    "VADEvent",
    "VADState",
]


class VADState(enum.Enum):
    """Where the state machine is."""

    QUIET = "quiet"
    STARTING = "starting"
    SPEAKING = "speaking"
    STOPPING = "stopping"


@dataclass(frozen=True)
class SpeechStarted:
    """Speech confirmed. ``audio_start_ms`` includes the prefix padding (what OpenAI sends).

    ``speech_start_ms`` is the first speech frame; ``at_ms`` the audio position when it was confirmed.
    """

    audio_start_ms: int
    speech_start_ms: int = 0
    at_ms: int = 0
    type: ClassVar[str] = "input_audio_buffer.speech_started"

    def payload(self) -> dict[str, Any]:
        """The wire fields of ``input_audio_buffer.speech_started`` (without ``event_id``/``item_id``)."""
        return {"type": self.type, "audio_start_ms": self.audio_start_ms}


@dataclass(frozen=True)
class SpeechStopped:
    """End of turn decided at ``audio_end_ms`` (includes the silence, as OpenAI's).

    ``speech_end_ms`` is where the silence began.
    """

    audio_end_ms: int
    speech_end_ms: int = 0
    type: ClassVar[str] = "input_audio_buffer.speech_stopped"

    @property
    def at_ms(self) -> int:
        return self.audio_end_ms

    def payload(self) -> dict[str, Any]:
        """The wire fields of ``input_audio_buffer.speech_stopped``."""
        return {"type": self.type, "audio_end_ms": self.audio_end_ms}


@dataclass(frozen=True)
class TimeoutTriggered:
    """No speech for ``idle_timeout_ms``: the silent segment ``[audio_start_ms, audio_end_ms)``."""

    audio_start_ms: int
    audio_end_ms: int
    type: ClassVar[str] = "input_audio_buffer.timeout_triggered"

    @property
    def at_ms(self) -> int:
        return self.audio_end_ms

    def payload(self) -> dict[str, Any]:
        """The wire fields of ``input_audio_buffer.timeout_triggered``."""
        return {"type": self.type, "audio_start_ms": self.audio_start_ms, "audio_end_ms": self.audio_end_ms}


VADEvent = SpeechStarted | SpeechStopped | TimeoutTriggered


def _check_ms(name: str, value: object, *, allow_none: bool = False, positive: bool = False) -> None:
    if value is None and allow_none:
        return
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    ok = ok and (value > 0 if positive else value >= 0)  # type: ignore[operator]
    if not ok:
        expected = "a positive integer number of milliseconds" if positive else \
            "a non-negative integer number of milliseconds"
        if allow_none:
            expected += " or None"
        raise ParameterError(name, expected=expected, got=repr(value))


@dataclass(frozen=True)
class ServerVADParams:
    """OpenAI's ``server_vad`` settings (same names, same defaults) plus voicelab's ``min_speech_ms``.

    Parameters
    ----------
    threshold : float
        Speech probability at or above which a frame counts as speech, 0.0–1.0. Default 0.5.
    prefix_padding_ms : int
        Audio kept before the detected start of speech. Default 300.
    silence_duration_ms : int
        Silence that ends a turn. Default 500.
    idle_timeout_ms : int or None
        Emit a timeout when nobody has spoken this long (see module docs for the reference point).
    min_speech_ms : int
        Shortest run of speech frames that starts a turn (shorter blips are ignored). Default 100.

    Examples
    --------
    >>> ServerVADParams(threshold=0.7).silence_duration_ms
    500
    >>> ServerVADParams(threshold=1.5)
    Traceback (most recent call last):
    ...
    voicelab.errors.ParameterError: threshold: expected a number from 0.0 to 1.0; got 1.5 — ...
    """

    threshold: float = SERVER_VAD_DEFAULTS["threshold"]
    prefix_padding_ms: int = SERVER_VAD_DEFAULTS["prefix_padding_ms"]
    silence_duration_ms: int = SERVER_VAD_DEFAULTS["silence_duration_ms"]
    idle_timeout_ms: int | None = SERVER_VAD_DEFAULTS["idle_timeout_ms"]
    min_speech_ms: int = 100

    def __post_init__(self) -> None:
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, (int, float, np.floating, np.integer)) or \
                not math.isfinite(t) or not 0.0 <= t <= 1.0:
            raise ParameterError("threshold", expected="a number from 0.0 to 1.0", got=repr(t),
                                 fix="0.5 is OpenAI's default; raise it in noisy rooms")
        object.__setattr__(self, "threshold", float(t))
        _check_ms("prefix_padding_ms", self.prefix_padding_ms)
        _check_ms("silence_duration_ms", self.silence_duration_ms)
        _check_ms("idle_timeout_ms", self.idle_timeout_ms, allow_none=True, positive=True)
        _check_ms("min_speech_ms", self.min_speech_ms)

    @classmethod
    def from_turn_detection(cls, config: dict[str, Any]) -> ServerVADParams:
        """Build from a session's ``audio.input.turn_detection`` dict (``type`` ``server_vad``).

        Missing or ``None`` fields take OpenAI's defaults; ``create_response``/``interrupt_response``
        are the session's business and are ignored here.

        Examples
        --------
        >>> ServerVADParams.from_turn_detection({"type": "server_vad", "threshold": 0.6}).threshold
        0.6
        """
        names = ("threshold", "prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms")
        return cls(**{k: config[k] for k in names if config.get(k) is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Machine:
    """Mutable per-stream state (kept apart so ``reset()`` is one assignment)."""

    state: VADState = VADState.QUIET
    frames: int = 0
    run_start: int = 0  # frame index where the current speech run (STARTING) began
    silence_start: int = 0  # frame index where the current silence (STOPPING) began
    turn_floor_ms: int = 0  # audio already committed (previous audio_end_ms)
    idle_ref_ms: int | None = 0
    utterance_start: int = 0


class ServerVAD:
    """Turn detection with OpenAI's ``server_vad`` parameters: audio or probabilities in, events out.

    Parameters
    ----------
    params : ServerVADParams, optional
        Defaults to OpenAI's defaults.
    detector : Detector, optional
        Turns audio into frame probabilities; a :class:`~voicelab.vad.SileroDetector` if omitted.
        Only used by :meth:`feed`; :meth:`feed_probabilities` uses just its ``frame_ms``.
    sr : int
        Rate of the audio given to :meth:`feed`. Default 24000 (the Realtime API's PCM16 rate).

    Examples
    --------
    >>> import numpy as np
    >>> vad = ServerVAD()
    >>> vad.feed(np.zeros(2400, dtype=np.float32))      # 100 ms of silence
    []
    >>> vad.state
    <VADState.QUIET: 'quiet'>
    """

    def __init__(self, params: ServerVADParams | None = None, *, detector: Detector | None = None,
                 sr: int = 24000) -> None:
        if params is not None and not isinstance(params, ServerVADParams):
            raise ParameterError("params", expected="a ServerVADParams", got=type(params).__name__,
                                 fix="ServerVADParams.from_turn_detection(session_turn_detection_dict)")
        self.params = params or ServerVADParams()
        self.detector: Detector = detector if detector is not None else SileroDetector()
        self.frame_ms = float(self.detector.frame_ms)
        self.sr = sr
        self._stream: DetectorStream | None = None
        self._m = _Machine()
        self.reset()

    # ----------------------------------------------------------------- public API
    def reset(self) -> None:
        """Back to the start of a new stream (position 0, QUIET, fresh detector state)."""
        self._stream = None
        self._m = _Machine(idle_ref_ms=0 if self.params.idle_timeout_ms else None)
        self._on_reset()

    def clear(self) -> None:
        """The input buffer was cleared or committed by the client: drop any speech in progress.

        The timeline, the detector's state and the idle clock are kept (event times stay "ms since the
        session's audio started"); no ``SpeechStopped`` will come for a turn that was in progress, and a
        later turn's prefix padding will not reach back before this point.
        """
        m = self._m
        m.state = VADState.QUIET
        m.turn_floor_ms = max(m.turn_floor_ms, self.position_ms)
        self._on_turn_start()

    def update(self, params: ServerVADParams) -> None:
        """Apply new settings (``session.update``) from the next frame on, keeping the timeline."""
        if not isinstance(params, ServerVADParams):
            raise ParameterError("params", expected="a ServerVADParams", got=type(params).__name__)
        had_idle = bool(self.params.idle_timeout_ms)
        self.params = params
        if params.idle_timeout_ms and not had_idle and self._m.state is VADState.QUIET:
            self._m.idle_ref_ms = self.position_ms
        elif not params.idle_timeout_ms:
            self._m.idle_ref_ms = None

    @property
    def state(self) -> VADState:
        return self._m.state

    @property
    def silence_start_ms(self) -> int | None:
        """Where the current silence began (ms) while the turn may be ending (STOPPING), else ``None``."""
        return self._ms(self._m.silence_start) if self._m.state is VADState.STOPPING else None

    @property
    def position_ms(self) -> int:
        """Audio analysed so far, in ms (a whole number of frames)."""
        return self._ms(self._m.frames)

    def feed(self, samples: np.ndarray) -> list[VADEvent]:
        """Analyse audio at ``self.sr`` (float32 or int16, any length); return the events it causes."""
        if self._stream is None:
            self._stream = self.detector.stream(self.sr)
        before = self._m.frames
        probs = self._stream.process(samples)
        self._on_audio(samples, before)
        return self.feed_probabilities(probs)

    def flush(self) -> list[VADEvent]:
        """End of the audio: analyse the detector's buffered tail (zero-padded). Call :meth:`reset` after."""
        if self._stream is None:
            return []
        return self.feed_probabilities(self._stream.flush())

    def feed_probabilities(self, probs: np.ndarray | list[float]) -> list[VADEvent]:
        """Advance by one frame per probability (frames of ``self.frame_ms``); return the events."""
        arr = np.asarray(probs, dtype=np.float64).reshape(-1) if not isinstance(probs, np.ndarray) \
            else probs.astype(np.float64, copy=False).reshape(-1)
        if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0.0 or arr.max() > 1.0):
            raise ParameterError("probs", expected="speech probabilities in [0, 1]",
                                 got=f"values from {arr.min()!r} to {arr.max()!r}")
        events: list[VADEvent] = []
        thr = self.params.threshold
        for p in arr.tolist():
            event = self._step(p >= thr)
            if event is not None:
                events.append(event)
        return events

    def arm_idle_timeout(self, at_ms: int | None = None) -> None:
        """(Re)start the idle clock at ``at_ms`` (default: now), e.g. when response playback ended."""
        if self.params.idle_timeout_ms:
            self._m.idle_ref_ms = self.position_ms if at_ms is None else int(at_ms)

    def disarm_idle_timeout(self) -> None:
        """Stop the idle clock (e.g. while a response is being generated)."""
        self._m.idle_ref_ms = None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.params!r}, state={self.state.name}, "
                f"position_ms={self.position_ms})")

    # ----------------------------------------------------------------- state machine
    def _ms(self, frames: int) -> int:
        return round(frames * self.frame_ms)

    def _min_speech_frames(self) -> int:
        return max(1, math.ceil(self.params.min_speech_ms / self.frame_ms - 1e-9))

    def _silence_needed_ms(self) -> float:
        """How long the current silence must last to end the turn (SemanticVAD overrides)."""
        return float(self.params.silence_duration_ms)

    def _step(self, speech: bool) -> VADEvent | None:
        m = self._m
        i = m.frames
        m.frames += 1
        end_ms = self._ms(m.frames)
        event: VADEvent | None = None
        if m.state in (VADState.QUIET, VADState.STARTING):
            if speech:
                if m.state is VADState.QUIET:
                    m.state, m.run_start = VADState.STARTING, i
                if m.frames - m.run_start >= self._min_speech_frames():
                    event = self._start_turn(end_ms)
            else:
                m.state = VADState.QUIET
            if event is None and m.idle_ref_ms is not None and self.params.idle_timeout_ms and \
                    end_ms - m.idle_ref_ms >= self.params.idle_timeout_ms:
                event = TimeoutTriggered(audio_start_ms=m.idle_ref_ms, audio_end_ms=end_ms)
                m.idle_ref_ms = end_ms
        elif m.state is VADState.SPEAKING:
            if not speech:
                m.state, m.silence_start = VADState.STOPPING, i
                self._on_silence_start(i)
                event = self._maybe_stop(end_ms)
        else:  # STOPPING
            if speech:
                m.state = VADState.SPEAKING
            else:
                event = self._maybe_stop(end_ms)
        return event

    def _start_turn(self, end_ms: int) -> SpeechStarted:
        m = self._m
        m.state = VADState.SPEAKING
        m.utterance_start = m.run_start
        m.idle_ref_ms = None
        speech_start = self._ms(m.run_start)
        audio_start = max(speech_start - self.params.prefix_padding_ms, m.turn_floor_ms, 0)
        self._on_turn_start()
        return SpeechStarted(audio_start_ms=audio_start, speech_start_ms=speech_start, at_ms=end_ms)

    def _maybe_stop(self, end_ms: int) -> SpeechStopped | None:
        m = self._m
        silence_ms = end_ms - self._ms(m.silence_start)
        if silence_ms + 1e-9 < self._silence_needed_ms():
            return None
        m.state = VADState.QUIET
        m.turn_floor_ms = end_ms
        if self.params.idle_timeout_ms:
            m.idle_ref_ms = end_ms
        return SpeechStopped(audio_end_ms=end_ms, speech_end_ms=self._ms(m.silence_start))

    # ----------------------------------------------------------------- hooks for SemanticVAD
    def _on_reset(self) -> None:
        pass

    def _on_audio(self, samples: np.ndarray, first_frame: int) -> None:
        pass

    def _on_silence_start(self, frame: int) -> None:
        pass

    def _on_turn_start(self) -> None:
        pass
